// pool.test.mjs -- the prefork pool master (DESIGN §2): respawn after a
// crash or kill -9 (only the in-flight request lost), crash-loop guard,
// max_requests recycling, request timeout, SIGHUP reload under load with
// zero failures, graceful SIGTERM, fast SIGINT, and PostgreSQL or Redis
// going away and coming back. Run with SCHOLARSHIP_REQUEST_TIMEOUT=2 and
// SCHOLARSHIP_MAX_REQUESTS=40 (tests/run-all.sh sets them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  http, metrics, masterPid, workerPids, wchan, alive, until, sleep, stackCmd, apiLog, DIR,
} from '../lib/stack.mjs';

const WORKERS = Number(process.env.SCHOLARSHIP_WORKERS || 4);
const restarts = async (reason) => (await metrics())[`scholarship_worker_restarts_total{reason="${reason}"}`];
const fullPool = () => until(() => workerPids().length === WORKERS && workerPids());

/** Keep `conc` loops fetching `p` until stop() is called; returns counts. */
function load(p, conc = 8) {
  let running = true;
  const stats = { ok: 0, failed: 0, statuses: {} };
  const loops = Array.from({ length: conc }, async () => {
    while (running) {
      try {
        const r = await fetch(process.env.BASE_URL + p);
        await r.arrayBuffer();
        if (r.status === 200) stats.ok++;
        else { stats.failed++; stats.statuses[r.status] = (stats.statuses[r.status] || 0) + 1; }
      } catch { stats.failed++; }
    }
  });
  return { stats, stop: async () => { running = false; await Promise.all(loops); return stats; } };
}

/** Start a slow request; resolves to its status when it finishes. */
const slow = (ms) => fetch(`${process.env.BASE_URL}/api/v1/_test/sleep?ms=${ms}`).then(async (r) => { await r.text(); return r.status; }, () => 0);

/** The worker pid that sits in nanosleep (the slow request's worker). */
async function busyWorker() {
  return until(() => workerPids().find((p) => /nanosleep/.test(wchan(p))), 3000, 20);
}

test('the master runs SCHOLARSHIP_WORKERS workers', async () => {
  const pids = await fullPool();
  assert.equal(pids.length, WORKERS);
});

test('kill -9 of an idle worker: respawned, nothing lost', async () => {
  const before = await fullPool();
  const crashes = await restarts('crash');
  process.kill(before[0], 'SIGKILL');
  const after = await until(() => {
    const p = workerPids();
    return p.length === WORKERS && !p.includes(before[0]) && p;
  });
  assert.ok(after, 'a new worker replaced the killed one');
  assert.equal(await restarts('crash'), crashes + 1);
  assert.equal((await http('/health')).status, 200);
});

test('kill -9 of a busy worker: only its request fails, the others succeed', async () => {
  await fullPool();
  const victim = slow(5000);
  const pid = await busyWorker();
  assert.ok(pid, 'found the worker serving the slow request');
  const bystanders = load('/health', 4);
  await sleep(200);
  process.kill(pid, 'SIGKILL');
  assert.equal(await victim, 502, 'the in-flight request is lost (502 from NGINX)');
  await sleep(300);
  const s = await bystanders.stop();
  assert.equal(s.failed, 0, `other requests: ${JSON.stringify(s)}`);
  assert.ok(s.ok > 0);
  assert.ok(await until(() => workerPids().length === WORKERS && !workerPids().includes(pid)));
});

test('a request past SCHOLARSHIP_REQUEST_TIMEOUT: its worker is killed and logged, the pool stays healthy', async () => {
  await fullPool();
  const timeouts = await restarts('timeout');
  const started = Date.now();
  const res = await fetch(`${process.env.BASE_URL}/api/v1/_test/sleep?ms=8000`);
  const id = res.headers.get('x-request-id');
  await res.text();
  assert.equal(res.status, 502);
  assert.ok(Date.now() - started < 6000, 'killed after about 2 s, not after 8');
  assert.equal(await restarts('timeout'), timeouts + 1);
  const line = await until(() => apiLog().find((l) => /timed out/.test(l.msg || '') && l.request_id === id), 3000);
  assert.ok(line, 'the kill is logged with the request id');
  assert.equal(line.route, '/api/v1/_test/sleep');
  assert.equal((await http('/health/ready')).status, 200);
  assert.ok(await fullPool());
});

test('a crashing handler: that request fails, the worker is replaced', async () => {
  const crashes = await restarts('crash');
  const r = await http('/api/v1/_test/crash', { method: 'POST' });
  assert.equal(r.status, 502);
  assert.equal(await until(async () => (await restarts('crash')) === crashes + 1), true);
  assert.equal((await http('/health')).status, 200);
});

test('workers are recycled after SCHOLARSHIP_MAX_REQUESTS without losing a request', async () => {
  const recycled = await restarts('max_requests');
  const l = load('/health', 4);
  await until(async () => (await restarts('max_requests')) >= recycled + 2, 10000);
  const s = await l.stop();
  assert.ok((await restarts('max_requests')) >= recycled + 2, 'workers were recycled');
  assert.equal(s.failed, 0, JSON.stringify(s));
});

test('SIGHUP under load replaces every worker with zero failed requests', async () => {
  const before = await fullPool();
  const reloads = await restarts('reload');
  const l = load('/health/ready', 8);
  await sleep(500);
  process.kill(masterPid(), 'SIGHUP');
  await sleep(800);
  process.kill(masterPid(), 'SIGHUP');
  await sleep(800);
  const s = await l.stop();
  assert.equal(s.failed, 0, JSON.stringify(s));
  assert.ok(s.ok > 50, `load ran (${s.ok} requests)`);
  const after = await fullPool();
  assert.equal(after.filter((p) => before.includes(p)).length, 0, 'no old worker left');
  assert.ok((await restarts('reload')) >= reloads + WORKERS);
});

test('a crash loop is slowed down, and the pool recovers when the cause goes', async () => {
  const crashFile = path.join(DIR, 'run/crash-on-start');
  const crashes = await restarts('crash');
  writeFileSync(crashFile, '');
  try {
    for (const p of workerPids()) process.kill(p, 'SIGKILL');
    await sleep(3000);
  } finally { rmSync(crashFile, { force: true }); }
  const during = (await until(() => restarts('crash'))) - crashes;
  assert.ok(during >= WORKERS, `workers died (${during})`);
  assert.ok(during < 60, `respawns were spaced out, not a storm (${during} in 3 s)`);
  assert.ok(await until(() => workerPids().length === WORKERS, 15000), 'pool back to full size');
  assert.equal((await until(async () => (await http('/health')).status === 200 && 200, 5000)), 200);
});

test('PostgreSQL down: /health/ready 503 names it, workers live on, then recover', async () => {
  const pids = await fullPool();
  stackCmd('stop-pg');
  try {
    const r = await http('/health/ready');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { status: 'unavailable', checks: { postgres: 'down', redis: 'ok' } });
    assert.ok(r.headers.get('retry-after'));
    assert.equal((await http('/health')).status, 200);
    for (let i = 0; i < 10; i++) await http('/health/ready');
    assert.deepEqual(workerPids(), pids, 'no worker died');
    assert.ok((await metrics()).scholarship_db_errors_total > 0);
  } finally { stackCmd('start-pg'); }
  const ok = await until(async () => (await http('/health/ready')).status === 200, 10000);
  assert.ok(ok, 'ready again once PostgreSQL is back');
});

test('Redis down: /health/ready 503 names it, workers live on, then recover', async () => {
  const pids = await fullPool();
  stackCmd('stop-redis');
  try {
    const r = await http('/health/ready');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { status: 'unavailable', checks: { postgres: 'ok', redis: 'down' } });
    for (let i = 0; i < 10; i++) await http('/health/ready');
    assert.deepEqual(workerPids(), pids, 'no worker died');
    assert.ok((await metrics()).scholarship_redis_errors_total > 0);
  } finally { stackCmd('start-redis'); }
  const ok = await until(async () => (await http('/health/ready')).status === 200, 10000);
  assert.ok(ok, 'ready again once Redis is back');
});

test('SIGTERM: requests in flight complete, then the pool exits', async () => {
  await fullPool();
  const master = masterPid();
  const inflight = [slow(1200), slow(1200), slow(1200)];
  await until(() => workerPids().filter((p) => /nanosleep/.test(wchan(p))).length === 3, 3000, 20);
  process.kill(master, 'SIGTERM');
  assert.deepEqual(await Promise.all(inflight), [200, 200, 200]);
  assert.ok(await until(() => !alive(master), 5000), 'master exited');
  stackCmd('start-api');
  assert.ok(await until(async () => (await http('/health')).status === 200, 5000));
});

test('SIGINT: fast stop, the pool exits at once', async () => {
  await fullPool();
  const master = masterPid();
  const victim = slow(5000);
  await busyWorker();
  const t0 = Date.now();
  process.kill(master, 'SIGINT');
  assert.ok(await until(() => !alive(master), 2000, 20), 'master gone');
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(await victim, 502);
  stackCmd('start-api');
  assert.ok(await until(async () => (await http('/health')).status === 200, 5000));
});
