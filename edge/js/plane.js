// The admin plane's entry (edge/build/plane/index.js): the admin API, the
// admin app's files, the cron and the limiter objects, built with the
// `admin-plane` feature only. It is reached through the front worker
// (front.js) alone: its `ADMIN` service binding sends this worker every
// admin-surface request but the verify endpoint's, and its cron trigger
// calls `cron()` here by RPC, which no HTTP request can reach. The default
// export is a WorkerEntrypoint because RPC needs one; its proxies cost
// only admin traffic.
import { DurableObject, WorkerEntrypoint } from 'cloudflare:workers';
import { call, cronFailed, currentGeneration, fetchEvent, ready, rust, trapped } from './core.js';

export default class AdminPlane extends WorkerEntrypoint {
  fetch(request) {
    return fetchEvent(request, this.env, this.ctx);
  }

  // Expiry notices, the purge and KV's reconciliation (the front's cron).
  // Rejects, with the cause, when the run could not start or stopped on
  // a storage error; the caller logs it.
  // Async, so that a throw before Rust's promise exists (a trap) rejects
  // too and reaches the caller's log.
  async cron() {
    return call(() => rust.scheduled(this.env));
  }

  // Should a cron trigger be configured here instead, the same run.
  scheduled() {
    return this.cron().catch(cronFailed(''));
  }
}

// A synchronous call into the limiter's Rust core. A trap marks the
// module for a fresh instance; an error Rust threw (a string) reaches the
// RPC caller as an Error.
function inRust(run) {
  try {
    return run();
  } catch (e) {
    trapped(e);
    throw e instanceof WebAssembly.RuntimeError ? e : new Error(String(e));
  }
}

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
    if (this.generation !== currentGeneration()) {
      this.core = new rust.LimiterCore();
      this.generation = currentGeneration();
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
    const [answer, state] = inRust(() => core.decide(String(request), Date.now()));
    // Not awaited: the runtime holds this answer back until the write is
    // durable (output gate), and the object goes on deciding meanwhile.
    this.storage.put('s', state);
    return answer;
  }

  // Every key of this limiter was deleted: refuse from now on, and clear
  // the storage once no stale copy of a key can call any more.
  async forget() {
    const core = await this.loaded();
    const state = inRust(() => core.forget(Date.now()));
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
