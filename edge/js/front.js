// The front worker's entry (edge/build/index.js): every request comes
// here. Built with the `gateway` feature only, its wasm holds the gateway,
// the verify endpoint and the usage meter; the rest of the admin surface
// goes on, unread, to the admin plane (plane.js) through the `ADMIN`
// service binding, so a verification loads and runs none of the admin
// plane's code (issue 19, BENCHMARKS.md). The cron trigger is this
// worker's (wrangler.toml); the run is the admin plane's, by RPC.
import { cronFailed, fetchEvent } from './core.js';

export default {
  fetch: fetchEvent,
  scheduled(_controller, env) {
    // The plane rejects a run that failed, with its cause (glue/mod.rs
    // `scheduled`); an RPC that cannot reach the plane rejects too. Either
    // is logged here once and fails this invocation.
    return env.ADMIN.cron().catch(cronFailed('the cron failed on the admin plane: '));
  },
};
