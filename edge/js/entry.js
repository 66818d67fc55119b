// Keygate's worker entry: the module the runtime loads (scripts/build.sh
// copies it to edge/build/index.js beside the wasm-bindgen output). It
// instantiates the Rust module once per isolate and hands each event to
// an exported Rust function in one call: no entrypoint class, no proxies,
// no promise wrapping beyond the one the export returns (issue 19,
// BENCHMARKS.md, "Issue 19"). The Durable Object class is here too, because
// the runtime wants a JS class; its decision is Rust (`LimiterCore`).
import wasmModule from './keygate_edge_bg.wasm';
import { DurableObject } from 'cloudflare:workers';
import * as rust from './keygate_edge.js';

rust.initSync({ module: wasmModule });

// A trap (a Rust panic is one: panic = "abort") leaves the module's memory
// in no state to go on from. The next event then starts from a fresh
// instance (wasm-bindgen's reset), and objects made by the old one are
// made again (`generation`).
let generation = 0;
let broken = false;
function trapped(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    console.error('Keygate: the wasm module trapped; the next event starts a fresh instance');
    broken = true;
  }
}
function ready() {
  if (broken) {
    rust.__wbg_reset_state();
    broken = false;
    generation += 1;
  }
}
addEventListener('error', (e) => trapped(e.error));
addEventListener('unhandledrejection', (e) => trapped(e.reason));

// Keygate's own answers come back as [status, headers (JSON pairs), body]
// and become the Response here, in one constructor call; forwarded,
// streamed and asset answers are Responses already (and `scheduled`
// answers nothing).
function respond(answer) {
  if (!Array.isArray(answer)) return answer;
  return new Response(answer[2], { status: answer[0], headers: JSON.parse(answer[1]) });
}
function failed(e) {
  trapped(e);
  throw e;
}

// One event into Rust: one promise reaction on the way out.
function call(run) {
  ready();
  try {
    return run().then(respond, failed);
  } catch (e) {
    failed(e);
  }
}

export default {
  fetch(request, env, ctx) {
    // The headers cross into wasm as one string, not one call per header.
    const headers = JSON.stringify([...request.headers]);
    return call(() => rust.fetch(request, headers, env, ctx));
  },
  scheduled(_controller, env) {
    return call(() => rust.scheduled(env));
  },
};

// One object per limited key (`LIMITER`, wrangler.toml), called by Workers
// RPC (edge/src/glue/limiter.rs): no Request or Response on either side.
export class KeyLimiter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.storage = ctx.storage;
    this.core = null;
    this.generation = -1;
    // The tests shorten the wait (tests/e2e); it must stay past the
    // longest a deleted key can be read anywhere (see FORGET_AFTER_MS).
    const seconds = Number(env.LIMITER_FORGET_AFTER_SECONDS);
    this.forgetAfterMs = Number.isInteger(seconds) && seconds > 0 ? seconds * 1000 : rust.forget_after_ms();
  }

  // The core, with its stored state read. The runtime holds other events
  // back while the read is pending (input gate), so it is read once.
  async loaded() {
    ready();
    if (this.generation !== generation) {
      this.core = new rust.LimiterCore();
      this.generation = generation;
    }
    if (!this.core.loaded()) {
      const stored = await this.storage.get('s');
      this.core.load(typeof stored === 'string' ? stored : undefined);
    }
    return this.core;
  }

  // One verification: the LimitRequest's JSON in, the LimitAnswer's out.
  async decide(request) {
    const core = await this.loaded();
    let decided;
    try {
      decided = core.decide(String(request), Date.now());
    } catch (e) {
      trapped(e);
      throw e instanceof WebAssembly.RuntimeError ? e : new Error(String(e));
    }
    const [answer, state] = decided;
    // Not awaited: the runtime holds this answer back until the write is
    // durable (output gate), and the object goes on deciding meanwhile.
    this.storage.put('s', state);
    return answer;
  }

  // Every key of this limiter was deleted: refuse from now on, and clear
  // the storage once no stale copy of a key can call any more.
  async forget() {
    const core = await this.loaded();
    let state;
    try {
      state = core.forget(Date.now());
    } catch (e) {
      trapped(e);
      throw e instanceof WebAssembly.RuntimeError ? e : new Error(String(e));
    }
    this.storage.put('s', state);
    if ((await this.storage.getAlarm()) === null) {
      await this.storage.setAlarm(Date.now() + this.forgetAfterMs);
    }
  }

  async alarm() {
    await this.storage.deleteAll();
    // Read afresh (an empty state) if called again before eviction.
    this.core = null;
    this.generation = -1;
  }
}
