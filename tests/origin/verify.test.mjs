// The README's Node.js signature check (extracted to $SNIPPET by
// tests/e2e/signing.rs) over the requests the suite's origin verified
// ($CASES): every one passes, every tampered copy fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const { keygateSignatureOk } = await import(pathToFileURL(process.env.SNIPPET).href);
const cases = JSON.parse(readFileSync(process.env.CASES, 'utf8'));

test('every request the origin verified passes the Node.js check', () => {
  assert.ok(cases.length >= 3);
  for (const c of cases) {
    assert.equal(keygateSignatureOk(c.secrets, c.method, c.path, c.query, c.headers, c.now), true, c.path);
  }
});

test('tampered copies fail', () => {
  for (const c of cases) {
    const h = c.headers;
    const changes = [
      [c.method === 'GET' ? 'POST' : 'GET', c.path, c.query, h, c.now],
      [c.method, c.path + 'x', c.query, h, c.now],
      [c.method, c.path, c.query + '&x', h, c.now],
      [c.method, c.path, c.query, { ...h, 'x-keygate-roles': h['x-keygate-roles'] + ',keygate:admin' }, c.now],
      [c.method, c.path, c.query, { ...h, 'x-keygate-key-id': 'key_forged0000000000' }, c.now],
      [c.method, c.path, c.query, { ...h, 'x-keygate-meta': '{}' }, c.now],
      [c.method, c.path, c.query, { ...h, 'x-keygate-signature': undefined }, c.now],
      [c.method, c.path, c.query, h, c.now + 301],
    ];
    for (const [method, path, query, headers, now] of changes) {
      assert.equal(keygateSignatureOk(c.secrets, method, path, query, headers, now), false, `${method} ${path}?${query}`);
    }
    assert.equal(keygateSignatureOk('another-secret-0123456789abcdefghijk', c.method, c.path, c.query, h, c.now), false);
  }
});
