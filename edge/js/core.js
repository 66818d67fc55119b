// What both of Keygate's workers share (scripts/build.sh copies it beside
// each one's wasm-bindgen output, with front.js or plane.js as the
// index.js the runtime loads): the Rust module instantiated once per
// isolate, and each event handed to an exported Rust function in one
// call: no proxies, and a promise only where Rust's answer waits on the
// runtime (issue 19, BENCHMARKS.md, "Issue 19"). The front's default
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

// A call into Rust, from a fresh instance after a trap; a trap on the way
// is noted and thrown on.
function guarded(run) {
  ready();
  try {
    return run();
  } catch (e) {
    return failed(e);
  }
}

// One event into Rust. Rust answers at once when nothing it does waits on
// the runtime (a refusal made from the head and body, a cached key): no
// promise from Rust, no executor task. Otherwise it answers a promise, and
// one reaction makes the answer.
export function call(run) {
  const out = guarded(run);
  return out instanceof Promise ? out.then(respond, failed) : respond(out);
}

// A `fetch` event: the headers cross into wasm as one string, not one
// call per header. A body Rust reads with a declared length within the
// route's limit (`body_wanted` says how many bytes, from the method, the
// URL and the framing headers) is read here in one go before the one call
// into Rust (`false` if the read failed): one promise, as a JavaScript
// handler's `request.json()`, instead of an await in Rust. Rust decides,
// so a body is read only where it would read one itself (never a gateway
// body, which streams on to the origin). GET and HEAD bodies are never
// read, so those skip the question.
export function fetchEvent(request, env, ctx) {
  const headers = JSON.stringify([...request.headers]);
  const enter = (body) => call(() => rust.fetch(request, headers, body, env, ctx));
  const method = request.method;
  if (method === 'GET' || method === 'HEAD') return enter(undefined);
  const framing = request.headers;
  const wanted = guarded(() =>
    rust.body_wanted(method, request.url, framing.get('content-length'), framing.get('transfer-encoding'), env),
  );
  if (wanted === 0) return enter(undefined);
  return request.arrayBuffer().then(
    (bytes) => enter(new Uint8Array(bytes)),
    () => enter(false),
  );
}
