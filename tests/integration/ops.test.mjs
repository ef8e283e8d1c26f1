// ops.test.mjs -- the operational routes through NGINX and the pool:
// exact bodies of DESIGN §8, headers every answer carries, Prometheus
// metrics that count and pass promtool, and the OpenAPI document checked
// against the route table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { http, metrics, run, TOP, BINDIR, apiLog, until } from '../lib/stack.mjs';

test('GET /health answers {"status":"ok"} with the common headers', async () => {
  const r = await http('/health');
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"status":"ok"}');
  assert.match(r.headers.get('content-type'), /^application\/json; charset=utf-8/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
});

test('GET /health/ready checks PostgreSQL and Redis', async () => {
  const r = await http('/health/ready');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
});

test('a client cannot choose its request id; the log carries NGINX\'s', async () => {
  const r = await http('/health', { headers: { 'X-Request-ID': 'forged-id-123' } });
  const id = r.headers.get('x-request-id');
  assert.notEqual(id, 'forged-id-123');
  assert.equal(r.headers.get('x-request-id').includes(','), false, 'one X-Request-ID only');
  const line = await until(() => apiLog().find((l) => l.request_id === id), 3000);
  assert.ok(line, 'request logged with the same id');
  assert.equal(line.route, '/health');
  assert.equal(line.status, 200);
  assert.equal(line.method, 'GET');
  assert.equal(typeof line.duration_ms, 'number');
  assert.equal(typeof line.pid, 'number');
});

test('/metrics counts requests by route and status and passes promtool', async () => {
  const key = 'scholarship_http_requests_total{route="/health",method="GET",status="200"}';
  const before = (await metrics())[key] || 0;
  for (let i = 0; i < 5; i++) assert.equal((await http('/health')).status, 200);
  await http('/api/v1/no/such/thing');
  const m = await metrics();
  assert.ok(m[key] >= before + 5, `${key} grew by 5 (${before} → ${m[key]})`);
  assert.ok(m['scholarship_http_requests_total{route="unmatched",method="",status="404"}'] >= 1);
  assert.ok(m['scholarship_http_request_duration_seconds_count{route="/health",method="GET"}'] >= 5);
  assert.equal(m['scholarship_http_request_duration_seconds_bucket{route="/health",method="GET",le="+Inf"}'],
    m['scholarship_http_request_duration_seconds_count{route="/health",method="GET"}']);
  assert.ok(m['scholarship_workers{state="busy"}'] >= 1, 'the worker answering /metrics is busy');
  assert.ok(m['scholarship_workers{state="idle"}'] + m['scholarship_workers{state="busy"}'] >= 4);
  for (const reason of ['crash', 'timeout', 'max_requests', 'reload'])
    assert.ok(`scholarship_worker_restarts_total{reason="${reason}"}` in m);
  assert.ok('scholarship_db_errors_total' in m && 'scholarship_redis_errors_total' in m);
  const text = (await http('/metrics')).text;
  const p = run('promtool', ['check', 'metrics'], { input: text });
  assert.equal(p.status, 0, `promtool: ${p.stdout}${p.stderr}`);
});

test('/metrics is text/plain and never cached', async () => {
  const r = await http('/metrics');
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('OpenAPI: served as kept in the repository', async () => {
  const r = await http('/api/v1/openapi.json');
  assert.equal(r.status, 200);
  const doc = JSON.parse(readFileSync(path.join(TOP, 'app/openapi.json'), 'utf8'));
  assert.deepEqual(r.json, doc);
  assert.equal(doc.openapi, '3.1.0');
});

test('OpenAPI: every route is described and every described operation is routed', () => {
  const doc = JSON.parse(readFileSync(path.join(TOP, 'app/openapi.json'), 'utf8'));
  const routes = run(path.join(BINDIR, 'scholarship-api'), ['--routes']).stdout
    .split('\n').filter(Boolean).map((l) => l.split(' '))
    .filter(([, p]) => !p.startsWith('/api/v1/_test/'));
  assert.ok(routes.length >= 4);
  const described = new Set();
  for (const [p, ops] of Object.entries(doc.paths))
    for (const m of Object.keys(ops)) described.add(`${m.toUpperCase()} ${p}`);
  const routed = new Set(routes.map(([m, p]) => `${m} ${p}`));
  for (const r of routed) assert.ok(described.has(r), `route ${r} is not in app/openapi.json`);
  for (const d of described) assert.ok(routed.has(d), `app/openapi.json describes ${d}, which is not routed`);
  for (const [p, ops] of Object.entries(doc.paths))
    for (const [m, op] of Object.entries(ops))
      assert.ok(op.responses && Object.keys(op.responses).length, `${m} ${p} has responses`);
});

test('test-only routes exist only in test builds', () => {
  const release = run(path.join(TOP, 'build/release/scholarship-api'), ['--routes']);
  assert.equal(release.status, 0, 'make check builds the release programs too');
  assert.doesNotMatch(release.stdout, /_test/);
  assert.match(release.stdout, /^GET \/health public$/m);
  assert.match(run(path.join(BINDIR, 'scholarship-api'), ['--routes']).stdout, /\/api\/v1\/_test\/sleep/);
});
