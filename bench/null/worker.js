// The ceiling: a worker that does nothing (no KV, no body read) and
// answers 200. Whatever it serves is the most this setup can serve at all.
// On /relay it only passes the request on to ORIGIN_URL: the most any
// gateway in this setup can serve (workerd's subrequest is the cost).
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === '/relay') {
      return fetch(env.ORIGIN_URL + '/calls/x', request);
    }
    return new Response('ok', { status: 200, headers: { 'content-type': 'text/plain' } });
  },
};
