// The floor of a limited verification: one KV read, then one call to a
// Durable Object that counts and stores the count, then 200. What any
// verifier with globally exact limits on Durable Objects must pay, in
// plain JavaScript, to compare Keygate's limited paths with. The call is
// Workers RPC, the cheaper of the two ways (BENCHMARKS.md, "Usage
// controls"), as Keygate's own limiter call is.
import { DurableObject } from 'cloudflare:workers';

export class Counter extends DurableObject {
  async count() {
    if (this.n === undefined) this.n = (await this.ctx.storage.get('n')) ?? 0;
    this.n += 1;
    this.ctx.storage.put('n', this.n);
    return this.n;
  }
}

export default {
  async fetch(request, env) {
    const value = await env.KEYS.get('floor');
    const counted = await env.COUNTER.get(env.COUNTER.idFromName('one key')).count();
    return new Response(`${value ?? 'missing'} ${counted}`, { status: 200, headers: { 'content-type': 'text/plain' } });
  },
};
