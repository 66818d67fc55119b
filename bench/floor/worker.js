// The floor: what any KV-backed verifier must pay. One KV read of a fixed
// key, then 200. Nothing else.
export default {
  async fetch(request, env) {
    const value = await env.KEYS.get('floor');
    return new Response(value ?? 'missing', { status: 200, headers: { 'content-type': 'text/plain' } });
  },
};
