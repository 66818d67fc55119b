// What both of Keygate's workers share (scripts/build.sh copies it beside
// each one's wasm-bindgen output, with front.js or plane.js as the
// index.js the runtime loads): the Rust module instantiated once per
// isolate, and each event handed to an exported Rust function in one
// call: no proxies, no promise wrapping beyond the one the export
// returns (issue 19, BENCHMARKS.md, "Issue 19"). The front's default
// export is a plain object; the plane's is a WorkerEntrypoint, which RPC
// needs, and whose cost only admin traffic pays.
import wasmModule from './keygate_edge_bg.wasm';
import * as rust from './keygate_edge.js';

export { rust };

rust.initSync({ module: wasmModule });

// A trap (a Rust panic is one: panic = "abort") leaves the module's memory
// in no state to go on from. The next event then starts from a fresh
// instance (wasm-bindgen's reset), and objects made by the old one are
// made again (`generation`).
let generation = 0;
let broken = false;
export function trapped(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    console.error('Keygate: the wasm module trapped; the next event starts a fresh instance');
    broken = true;
  }
}
export function ready() {
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

// A rejection handler for a cron run: logs the failure once, with its
// cause (`what` says where it failed), and passes it on so that the
// invocation fails too.
export function cronFailed(what) {
  return (e) => {
    console.error(`Keygate: ${what}${e instanceof Error ? e.message : String(e)}`);
    throw e;
  };
}

// The instance's generation: objects made by an older one are made again.
export function currentGeneration() {
  return generation;
}

// One event into Rust: one promise reaction on the way out.
export function call(run) {
  ready();
  try {
    return run().then(respond, failed);
  } catch (e) {
    failed(e);
  }
}

// A `fetch` event: the headers cross into wasm as one string, not one
// call per header.
export function fetchEvent(request, env, ctx) {
  const headers = JSON.stringify([...request.headers]);
  return call(() => rust.fetch(request, headers, env, ctx));
}
