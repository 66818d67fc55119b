// Where a worker's time goes: samples the CPU of one worker's isolate
// through the inspector of the workerd that `wrangler dev` runs (Chrome
// DevTools protocol, Profiler domain; scripts/bench.sh finds its port and
// keeps wrangler's own inspector proxy off it) while wrk loads it, then
// prints the isolate's busy time per request, split by where it was
// spent. Loopback only.
//
//   node bench/profile.mjs <inspector port> <worker name> <seconds> -- <wrk args…>
//
// Prints one JSON object: requests served, wall time, the isolate's busy
// time (all samples but "(idle)") and its split into JavaScript (the
// entry, wasm-bindgen's glue and wrangler's middleware are one bundled
// file), wasm functions (grouped by name), built-ins, garbage collection
// and the rest, each in microseconds per request.
import { spawn } from 'node:child_process';
import WebSocket from 'ws';

const [port, name, seconds, sep, ...wrkArgs] = process.argv.slice(2);
if (!port || !name || !seconds || sep !== '--') {
  console.error('usage: node bench/profile.mjs <inspector port> <worker name> <seconds> -- <wrk args…>');
  process.exit(2);
}

async function target() {
  for (let i = 0; i < 40; i += 1) {
    try {
      const list = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
      // One target per worker in that workerd (miniflare's own among
      // them, and in the deployed shape the assets worker): the user
      // worker is "core:user:<name>".
      const t = list.find((t) => t.id === `core:user:${name}` && t.webSocketDebuggerUrl);
      if (t) return t.webSocketDebuggerUrl;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no inspector target core:user:${name} on port ${port}`);
}

const ws = new WebSocket(await target());
await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
let nextId = 1;
const pending = new Map();
ws.on('message', (data) => {
  const msg = JSON.parse(data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) reject(new Error(msg.error.message)); else resolve(msg.result);
  }
});
const send = (method, params = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params }));
});

await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 50 });
await send('Profiler.start');
const wrk = spawn('wrk', [...wrkArgs, `-d${seconds}s`], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
wrk.stdout.on('data', (d) => { out += d; });
await new Promise((r) => wrk.on('close', r));
const { profile } = await send('Profiler.stop');
ws.close();
// PROFILE_RAW=<file> keeps the whole profile too (Chrome DevTools'
// .cpuprofile format): who calls a frame is in it, not in the summary.
if (process.env.PROFILE_RAW) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.PROFILE_RAW, JSON.stringify(profile));
}

const requests = Number((out.match(/(\d+) requests in/) || [])[1] || 0);
// Failed answers count as requests in wrk's total: reported, not hidden.
const non2xx = Number((out.match(/Non-2xx or 3xx responses:\s+(\d+)/) || [])[1] || 0);
const socketErrors = out.match(/Socket errors:.*/)?.[0] || null;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (let i = 0; i < profile.samples.length; i += 1) {
  const id = profile.samples[i];
  self.set(id, (self.get(id) || 0) + (profile.timeDeltas[i] || 0));
}
// What each node is: its own frame, or, for a wasm or glue frame, the
// part of the worker it belongs to.
function kind(node) {
  const { functionName: name, url } = node.callFrame;
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)' || name === '(root)') return 'runtime (program)';
  if (url.startsWith('wasm://')) return `wasm ${name || '?'}`;
  if (url) return `js ${name || `(anonymous):${node.callFrame.lineNumber + 1}`} ${url.split('/').pop()}`;
  return `native ${name}`;
}
const totals = new Map();
let busy = 0;
let idle = 0;
for (const [id, us] of self) {
  const k = kind(byId.get(id));
  if (k === 'idle') { idle += us; continue; }
  busy += us;
  totals.set(k, (totals.get(k) || 0) + us);
}
const per = (us) => (requests ? Math.round((us / requests) * 100) / 100 : null);
const groups = {};
for (const [k, us] of totals) {
  const g = k.split(' ')[0];
  groups[g] = (groups[g] || 0) + us;
}
console.log(JSON.stringify({
  requests,
  non2xx,
  socket_errors: socketErrors,
  wall_ms: Math.round((profile.endTime - profile.startTime) / 1000),
  isolate_busy_us_per_request: per(busy),
  isolate_idle_share: Math.round((idle / (busy + idle)) * 1000) / 1000,
  by_group_us_per_request: Object.fromEntries(Object.entries(groups).map(([g, us]) => [g, per(us)]).sort((a, b) => b[1] - a[1])),
  top_us_per_request: Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, us]) => [k, per(us)])),
}, null, 1));
