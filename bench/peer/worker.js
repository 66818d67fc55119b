// The peer: a verify endpoint as a competent Workers developer would write
// it in plain JavaScript instead of adopting Keygate. Same token format
// (prefix, 32 base62, 6-symbol base62 CRC-32), same KV record (h/<sha256>),
// same codes and answer shape as Keygate's POST /api/v1/verify.
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN = /^kg_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(s) {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function base62(n) {
  let out = '';
  for (let i = 0; i < 6; i++) { out = B62[n % 62] + out; n = Math.floor(n / 62); }
  return out;
}

function json(body, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function view(rec, now) {
  const { hash, notified_days, ...key } = rec;
  const expired = rec.expires_at && Date.parse(rec.expires_at) <= now;
  key.status = expired ? 'expired' : rec.enabled ? 'active' : 'disabled';
  return key;
}

const within = (org, anc) => anc === '' || org === anc || org.startsWith(anc + '/');

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return json({ error: { code: 'METHOD_NOT_ALLOWED', message: 'POST only.' } }, 405);
    let body;
    try { body = await request.json(); } catch { return json({ error: { code: 'BAD_JSON', message: 'Not JSON.' } }, 400); }
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    if (!token) return json({ valid: false, code: 'MISSING_KEY', key: null });
    const m = TOKEN.exec(token);
    if (!m || base62(crc32(m[1])) !== m[2]) return json({ valid: false, code: 'MALFORMED_KEY', key: null });
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    let rec;
    try { rec = await env.KEYS.get('h/' + hex, 'json'); } catch { return json({ error: { code: 'UNAVAILABLE', message: 'Storage failed.' } }, 503); }
    if (!rec) return json({ valid: false, code: 'UNKNOWN_KEY', key: null });
    const now = Date.now();
    let code = 'VALID';
    if (rec.expires_at && Date.parse(rec.expires_at) <= now) code = 'EXPIRED';
    else if (!rec.enabled) code = 'DISABLED';
    else if (Array.isArray(body.roles) && body.roles.length && !body.roles.some((r) => rec.roles.includes(r))) code = 'INSUFFICIENT_ROLE';
    else if (typeof body.organization === 'string' && !within(rec.organization, body.organization)) code = 'WRONG_ORGANIZATION';
    return json({ valid: code === 'VALID', code, key: view(rec, now) });
  },
};
