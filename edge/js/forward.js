// The gateway's subrequest, made on the JS side (edge/src/glue/web.rs
// `forward`): the headers arrive as one JSON string of [name, value]
// pairs and become the outgoing Request's headers in one constructor
// call, instead of one crossing out of wasm per header (issue 19).
// Resolves to the origin's Response (with `extra` headers set on it, a
// limited key's RateLimit) or to null when the origin cannot be reached.
// A request the runtime refuses to build (a bad URL, method or header
// value) is not "unreachable": it throws, and the worker answers 500
// with the cause logged, as for any runtime error.
export async function forwardRequest(request, url, method, headers, extra) {
  const init = { method, headers: JSON.parse(headers), redirect: 'manual' };
  if (method !== 'GET' && method !== 'HEAD' && request.body) init.body = request.body;
  const outgoing = new Request(url, init);
  let response;
  try {
    response = await fetch(outgoing);
  } catch {
    return null;
  }
  if (extra === '[]') return response;
  // A fetched response's headers are immutable: a new response around
  // the same body stream.
  const added = new Headers(response.headers);
  for (const [name, value] of JSON.parse(extra)) added.set(name, value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: added,
  });
}

// The front worker's pass to the admin plane (edge/src/glue/web.rs
// `forward_admin`): the request unread, with the front's settings in
// `x-keygate-front` (set here, so a client's own value never reaches the
// plane), which the plane checks against its own (config.rs `check_front`).
export function forwardAdmin(admin, request, stamp) {
  const passed = new Request(request);
  passed.headers.set('x-keygate-front', stamp);
  return admin.fetch(passed);
}
