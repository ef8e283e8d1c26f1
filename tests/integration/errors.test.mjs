// errors.test.mjs -- the error contract of DESIGN §6 decided before any
// handler runs (404, 405 + Allow, 413, 415, 400), and hostile input that
// must end in a clear answer while the pool stays healthy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, raw, rawStatus, isProblem } from '../lib/stack.mjs';

const json = (body, type = 'application/json') => ({
  method: 'POST', headers: { 'Content-Type': type }, body,
});

test('unknown paths are 404 problem+json carrying the request id', async () => {
  for (const p of ['/api/v1/nothing', '/api/v1/users/not-a-uuid', '/api/v1/health/x']) {
    const r = await http(p);
    assert.ok(isProblem(r, 404), `${p}: ${r.status} ${r.text}`);
    assert.equal(r.headers.get('cache-control'), 'no-store');
  }
});

test('a wrong method is 405 with Allow', async () => {
  const r = await http('/health', { method: 'DELETE' });
  assert.ok(isProblem(r, 405));
  assert.equal(r.headers.get('allow'), 'GET');
  const r2 = await http('/api/v1/_test/echo');
  assert.ok(isProblem(r2, 405));
  assert.equal(r2.headers.get('allow'), 'POST');
});

test('JSON routes: well-formed JSON is accepted', async () => {
  const r = await http('/api/v1/_test/echo', json('{"a":[1,2,{"b":"é"}]}'));
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { a: [1, 2, { b: 'é' }] });
});

test('JSON routes: malformed, trailing garbage, bad UTF-8 and deep nesting are 400', async () => {
  const bad = ['{"a":', '{"a":1} x', '[1,2,,]', 'nul', '{"a":"\u0000"}x'];
  for (const b of bad) {
    const r = await http('/api/v1/_test/echo', json(b));
    assert.ok(isProblem(r, 400), `${JSON.stringify(b)} → ${r.status} ${r.text}`);
  }
  const latin1 = await http('/api/v1/_test/echo', json(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d])));
  assert.ok(isProblem(latin1, 400));
  assert.match(latin1.json.detail, /UTF-8/);
  const deep = await http('/api/v1/_test/echo', json('['.repeat(100) + ']'.repeat(100)));
  assert.ok(isProblem(deep, 400));
  assert.match(deep.json.detail, /nested/);
});

test('JSON routes: wrong or missing media type is 415', async () => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const r = await http('/api/v1/_test/echo', json('{}', type));
    assert.ok(isProblem(r, 415), `${type} → ${r.status}`);
  }
  const none = await http('/api/v1/_test/echo', { method: 'POST', body: '{}', headers: { 'Content-Type': '' } });
  assert.ok(isProblem(none, 415));
  const charset = await http('/api/v1/_test/echo', json('{}', 'Application/JSON; charset=utf-8'));
  assert.equal(charset.status, 200);
});

test('JSON bodies over 1 MiB are 413, one byte under is accepted', async () => {
  const big = '"' + 'x'.repeat(1024 * 1024) + '"';
  const r = await http('/api/v1/_test/echo', json(big));
  assert.ok(isProblem(r, 413), `${r.status}`);
  const ok = '"' + 'x'.repeat(1024 * 1024 - 2) + '"';
  assert.equal((await http('/api/v1/_test/echo', json(ok))).status, 200);
});

test('bodies over NGINX\'s limit are refused by NGINX with 413', async () => {
  const r = await http('/api/v1/_test/echo', json('"' + 'x'.repeat(11 * 1024 * 1024) + '"'));
  assert.equal(r.status, 413);
});

test('action routes accept an empty body with no Content-Type', async () => {
  const r = await http('/api/v1/_test/crash', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  assert.ok(isProblem(r, 415), 'a non-JSON body is refused before the handler runs');
});

test('hostile requests end in a clear status and the pool stays healthy', async () => {
  const cases = [
    ['GET /api/v1/' + 'a'.repeat(9000) + ' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', [414, 400]],
    ['GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ' + 'b'.repeat(20000) + '\r\n\r\n', [400, 431, 494]],
    ['POST /api/v1/_test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}', [400]],
    ['GET /api/v1/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', [400, 404]],
    ['GET /api/v1/openapi.json?%zz=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', [200]],
    ['BREW /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', [405]],
  ];
  for (const [req, statuses] of cases) {
    const ans = await raw(req, 20000).catch((e) => `ERR ${e.message}`);
    assert.ok(statuses.includes(rawStatus(ans)), `${req.slice(0, 60)}… → ${ans.slice(0, 80)}`);
  }
  const headers = {};
  for (let i = 0; i < 300; i++) headers[`X-H${i}`] = 'v';
  const many = await http('/health', { headers });
  assert.ok([200, 431].includes(many.status), `300 headers → ${many.status}`);
  assert.equal((await http('/health')).status, 200);
});
