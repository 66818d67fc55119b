// The floor of a limited verification: one KV read, then one call to a
// Durable Object that counts and stores the count, then 200. What any
// verifier with globally exact limits on Durable Objects must pay, in
// plain JavaScript, to compare Keygate's limited paths with.
export class Counter {
  constructor(state) {
    this.state = state;
    this.n = undefined;
  }
  async fetch() {
    if (this.n === undefined) this.n = (await this.state.storage.get('n')) ?? 0;
    this.n += 1;
    this.state.storage.put('n', this.n);
    return new Response(String(this.n));
  }
}

export default {
  async fetch(request, env) {
    const value = await env.KEYS.get('floor');
    const stub = env.COUNTER.get(env.COUNTER.idFromName('one key'));
    const counted = await (await stub.fetch('https://counter/')).text();
    return new Response(`${value ?? 'missing'} ${counted}`, { status: 200, headers: { 'content-type': 'text/plain' } });
  },
};
