// reference.test.mjs -- the public reference data (DESIGN §8 "Reference
// data"): schema/seed/reference.sql loads idempotently, GET
// /api/v1/reference/{colleges,departments,degrees} answer exact shapes in
// display order with only active rows, the college_code filter and its 400,
// public caching (Cache-Control, ETag, 304), 405 for other methods, 503 with
// Retry-After when PostgreSQL is down, and users.college_code now being a
// foreign key to colleges.
//
// The stack runs with STACK_SEED=none, so this file loads the seed itself.
// Workers cache reference rows for a minute; after changing the tables the
// tests replace every worker (SIGHUP reload) instead of waiting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  http, raw, rawStatus, isProblem, psql, run, stackCmd, masterPid, workerPids, until, TOP,
} from '../lib/stack.mjs';

const WORKERS = Number(process.env.SCHOLARSHIP_WORKERS || 4);
const SEED = path.join(TOP, 'schema/seed/reference.sql');
const R = '/api/v1/reference';

/** Run a SQL script (several statements, each result printed) as a role. */
function psqlScript(sql, user = 'scholarship_owner') {
  return run('psql', ['-h', process.env.PGHOST, '-U', user, '-d', 'scholarship', '-AtqX',
    '-v', 'ON_ERROR_STOP=1', '-f', '-'], { input: sql });
}

function loadSeed() {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship',
    '-qX', '-v', 'ON_ERROR_STOP=1', '-f', SEED]);
  assert.equal(r.status, 0, `seed: ${r.stderr}`);
}

/** Replace every worker (graceful reload), so no one serves cached rows. */
async function freshWorkers() {
  const old = workerPids();
  process.kill(masterPid(), 'SIGHUP');
  const ok = await until(() => {
    const now = workerPids();
    return now.length === WORKERS && now.every((p) => !old.includes(p));
  }, 15000);
  assert.ok(ok, 'every worker replaced after SIGHUP');
}

/** The rows the API should list, straight from the database, as JSON. */
function dbJson(sql) {
  const r = psql(`SELECT coalesce(json_agg(t), '[]') FROM (${sql}) t`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const tableDigest = () => psql(`SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
    SELECT c::text AS x FROM colleges c UNION ALL SELECT d::text FROM departments d
    UNION ALL SELECT g::text FROM degrees g) s`).stdout.trim();
const counts = () => psql(`SELECT (SELECT count(*) FROM colleges) || ' ' ||
    (SELECT count(*) FROM departments) || ' ' || (SELECT count(*) FROM degrees)`).stdout.trim();

before(async () => {
  loadSeed();
  // Rows that must never be listed: an inactive college, an inactive
  // department of an active college, an active department of the inactive
  // college. Removed again in after().
  const r = psqlScript(`
    INSERT INTO colleges (code, name, name_en, active, sort_order)
      VALUES ('ZZTEST', '測試學院', 'Closed Test College', false, 5) ON CONFLICT DO NOTHING;
    INSERT INTO departments (code, college_code, name, name_en, active)
      VALUES ('ZZD1', 'EE', '停招學系', 'Closed Department', false),
             ('ZZD2', 'ZZTEST', '測試學系', 'Department of a Closed College', true)
      ON CONFLICT DO NOTHING;`);
  assert.equal(r.status, 0, r.stderr);
  await freshWorkers();
});

after(() => {
  psqlScript("DELETE FROM departments WHERE code IN ('ZZD1', 'ZZD2'); DELETE FROM colleges WHERE code = 'ZZTEST';");
});

test('the seed is idempotent: loading it again changes nothing', () => {
  const c1 = counts();
  const d1 = tableDigest();
  loadSeed();
  loadSeed();
  assert.equal(counts(), c1);
  assert.equal(tableDigest(), d1);
  // 10 seeded colleges + the test one, 47 + 2 departments, 3 degrees.
  assert.equal(c1, '11 49 3');
});

test('GET /reference/colleges: active colleges in display order, exact shape', async () => {
  const r = await http(`${R}/colleges`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json; charset=utf-8/);
  assert.deepEqual(Object.keys(r.json), ['items']);
  const items = r.json.items;
  assert.equal(items.length, 10);
  for (const it of items) assert.deepEqual(Object.keys(it), ['code', 'name', 'name_en']);
  assert.deepEqual(items.map((c) => c.code), ['LIB', 'SCI', 'SOC', 'MED', 'ENG', 'BIO', 'MGT', 'LAW', 'EE', 'DES']);
  assert.deepEqual(items.find((c) => c.code === 'EE'),
    { code: 'EE', name: '電機資訊學院', name_en: 'College of Electrical Engineering and Computer Science' });
  assert.deepEqual(items, dbJson('SELECT code, name, name_en FROM colleges WHERE active ORDER BY sort_order, code'));
  assert.ok(!items.some((c) => c.code === 'ZZTEST'), 'inactive college hidden');
});

test('GET /reference/degrees: bachelor, master, phd with both names', async () => {
  const r = await http(`${R}/degrees`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, {
    items: [
      { code: 'bachelor', name: '學士', name_en: "Bachelor's" },
      { code: 'master', name: '碩士', name_en: "Master's" },
      { code: 'phd', name: '博士', name_en: 'Doctoral' },
    ],
  });
});

test('GET /reference/departments: active departments of active colleges, by college then department', async () => {
  const r = await http(`${R}/departments`);
  assert.equal(r.status, 200);
  const items = r.json.items;
  assert.equal(items.length, 47);
  for (const it of items) assert.deepEqual(Object.keys(it), ['code', 'college_code', 'name', 'name_en']);
  assert.deepEqual(items, dbJson(`SELECT d.code, d.college_code, d.name, d.name_en
      FROM departments d JOIN colleges c ON c.code = d.college_code
      WHERE d.active AND c.active ORDER BY c.sort_order, c.code, d.sort_order, d.code`));
  const order = (await http(`${R}/colleges`)).json.items.map((c) => c.code);
  const idx = items.map((d) => order.indexOf(d.college_code));
  assert.ok(idx.every((i) => i >= 0), 'every department belongs to a listed college');
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b), 'grouped in college order');
  assert.ok(!items.some((d) => d.code.startsWith('ZZ')), 'inactive department and closed college hidden');
  assert.deepEqual(items.find((d) => d.code === 'CSIE'), {
    code: 'CSIE', college_code: 'EE', name: '資訊工程學系',
    name_en: 'Department of Computer Science and Information Engineering',
  });
});

test('GET /reference/departments?college_code= filters; the filtered lists add up to the whole', async () => {
  const all = (await http(`${R}/departments`)).json.items;
  const ee = await http(`${R}/departments?college_code=EE`);
  assert.equal(ee.status, 200);
  assert.deepEqual(ee.json.items.map((d) => d.code), ['EE', 'CSIE', 'GIEE', 'GICE', 'GIPO', 'GINM']);
  assert.ok(ee.json.items.every((d) => d.college_code === 'EE'));
  const joined = [];
  for (const c of (await http(`${R}/colleges`)).json.items)
    joined.push(...(await http(`${R}/departments?college_code=${c.code}`)).json.items);
  assert.deepEqual(joined, all);
});

test('departments: an unknown or closed college gives an empty list; unknown parameters are ignored', async () => {
  for (const code of ['ZZZZ', 'ZZTEST', '0']) {
    const r = await http(`${R}/departments?college_code=${code}`);
    assert.equal(r.status, 200, code);
    assert.equal(r.text, '{"items":[]}', code);
  }
  const r = await http(`${R}/departments?page=2&foo=bar&college_code=LAW&sort=name`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.items.map((d) => d.code), ['LAW', 'ILS']);
  assert.equal((await http(`${R}/colleges?college_code=nonsense&x=%zz`)).status, 200);
});

test('departments: a malformed college_code is 400 problem+json and reaches no SQL', async () => {
  const bad = ["EE'; DROP TABLE colleges;--", 'ee', '', 'ABCDEFGHIJK', 'E E', '電機', 'EE\n', 'x'.repeat(2048)];
  for (const v of bad) {
    const r = await http(`${R}/departments?college_code=${encodeURIComponent(v)}`);
    assert.ok(isProblem(r, 400), `${JSON.stringify(v.slice(0, 40))}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('etag'), null);
  }
  const r = await http(`${R}/departments?college_code=${encodeURIComponent("EE'; DROP TABLE colleges;--")}`);
  assert.deepEqual(r.json.errors, [{ field: 'college_code', message: 'must be 1 to 10 upper-case letters or digits' }]);
  for (const q of ['college_code=%00', 'college_code=EE%00', 'college_code=%zz', 'college_code=%E']) {
    const p = await http(`${R}/departments?${q}`);
    assert.ok(isProblem(p, 400), `${q}: ${p.status}`);
  }
  assert.equal(psql('SELECT count(*) FROM colleges WHERE active').stdout.trim(), '10', 'colleges still there');
});

test('departments: a 10 KB college_code is refused before the pool (414), never a 200 or a 5xx', async () => {
  const v = 'A'.repeat(10 * 1024);
  const text = await raw(`GET ${R}/departments?college_code=${v} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  assert.equal(rawStatus(text), 414, text.slice(0, 200));
});

test('answers are public and cacheable, with a strong ETag that depends on the body', async () => {
  const seen = new Set();
  for (const p of ['/colleges', '/departments', '/departments?college_code=EE', '/departments?college_code=ZZZZ', '/degrees']) {
    const r = await http(R + p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300', p);
    const etag = r.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{16}"$/, p);
    assert.ok(!seen.has(etag), `${p}: ETag differs from the other answers`);
    seen.add(etag);
    assert.equal((await http(R + p)).headers.get('etag'), etag, `${p}: stable`);
    assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  }
});

test('If-None-Match: a matching tag is 304 with no body; anything else is 200', async () => {
  const first = await http(`${R}/colleges`);
  const etag = first.headers.get('etag');
  for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
    const r = await http(`${R}/colleges`, { headers: { 'If-None-Match': inm } });
    assert.equal(r.status, 304, inm);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('etag'), etag);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
  }
  for (const inm of ['"0000000000000000"', etag.slice(1, -1), 'garbage']) {
    const r = await http(`${R}/colleges`, { headers: { 'If-None-Match': inm } });
    assert.equal(r.status, 200, inm);
    assert.deepEqual(r.json, first.json);
  }
  const d = await http(`${R}/departments?college_code=EE`);
  const again = await http(`${R}/departments?college_code=EE`, { headers: { 'If-None-Match': d.headers.get('etag') } });
  assert.equal(again.status, 304);
  const other = await http(`${R}/departments?college_code=LAW`, { headers: { 'If-None-Match': d.headers.get('etag') } });
  assert.equal(other.status, 200, 'another filter has another ETag');
});

test('other methods are 405 with Allow: GET', async () => {
  for (const p of ['/colleges', '/departments', '/degrees']) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await http(R + p, { method, headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.ok(isProblem(r, 405), `${method} ${p}: ${r.status}`);
      assert.equal(r.headers.get('allow'), 'GET');
    }
  }
});

test('users.college_code references colleges: an unknown college is refused', () => {
  const bad = psql("INSERT INTO users (email, full_name, role, college_code) VALUES ('fk@example.edu', 'FK', 'student', 'NOPE')",
    'scholarship_app');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /violates foreign key constraint "users_college_code_fkey"/);
  const ok = psqlScript(`BEGIN;
    INSERT INTO users (email, full_name, role, college_code) VALUES ('fk@example.edu', 'FK', 'college', 'EE');
    SELECT college_code FROM users WHERE email = 'fk@example.edu';
    ROLLBACK;`, 'scholarship_app');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'EE');
});

test('renaming a college code cascades to users; colleges in use cannot be deleted', () => {
  const r = psqlScript(`BEGIN;
    INSERT INTO users (email, full_name, role, college_code) VALUES ('cascade@example.edu', 'C', 'college', 'DES');
    UPDATE colleges SET code = 'DESIGN' WHERE code = 'DES';
    SELECT college_code FROM users WHERE email = 'cascade@example.edu';
    SELECT count(*) FROM departments WHERE college_code = 'DESIGN';
    ROLLBACK;`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['DESIGN', '4']);
  const del = psqlScript(`BEGIN;
    INSERT INTO users (email, full_name, role, college_code) VALUES ('del@example.edu', 'D', 'college', 'SOC');
    DELETE FROM departments WHERE college_code = 'SOC';
    DELETE FROM colleges WHERE code = 'SOC';
    ROLLBACK;`);
  assert.notEqual(del.status, 0);
  assert.match(del.stderr, /violates foreign key constraint "users_college_code_fkey"/);
});

test('the app role reads reference data but cannot change it', () => {
  assert.equal(psql('SELECT count(*) FROM degrees', 'scholarship_app').stdout.trim(), '3');
  for (const sql of ["UPDATE colleges SET name = 'x' WHERE code = 'EE'",
    "INSERT INTO degrees (code, name, name_en) VALUES ('phd', 'x', 'x')",
    "DELETE FROM departments WHERE code = 'CSIE'"]) {
    const r = psql(sql, 'scholarship_app');
    assert.notEqual(r.status, 0, sql);
    assert.match(r.stderr, /permission denied/, sql);
  }
});

test('PostgreSQL down and nothing cached: 503 problem with Retry-After, then recovery', async () => {
  stackCmd('stop-pg');
  try {
    await freshWorkers(); // empty caches
    for (const p of ['/colleges', '/departments?college_code=EE', '/degrees']) {
      const r = await http(R + p);
      assert.ok(isProblem(r, 503), `${p}: ${r.status} ${r.text}`);
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.doesNotMatch(r.text, /SELECT|colleges|postgres/i, 'no internals');
    }
  } finally { stackCmd('start-pg'); }
  await freshWorkers(); // no reconnect backoff left for the tests that follow
  const ok = await until(async () => (await http(`${R}/colleges`)).status === 200, 10000);
  assert.ok(ok, 'answers again once PostgreSQL is back');
});
