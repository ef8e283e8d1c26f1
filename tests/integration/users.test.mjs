// users.test.mjs -- user administration (DESIGN §8 "Users") against the
// real stack: who may call what, creation by invitation (the mail, the
// link, accepting it, signing in), duplicates, filters and search, keyset
// pages that stay stable while rows are added, the last active super
// admin (also under a race), deactivation and role changes taking effect
// at once, If-Match, an admin's scholarships, email changes, audit rows,
// and hostile bodies that must change nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'users-test-password';
const API = '/api/v1/users';
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const bearer = (t) => ({ Authorization: `Bearer ${t}` });
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => psql(s).stdout.trim();
const count = (s) => Number(sql1(s));
const esc = (s) => s.replace(/'/g, "''");
const RUN = `${Date.now().toString(36)}`;
let n = 0;
const fresh = (tag = 'u') => `${tag}-${RUN}-${n++}@users.example.edu`;

/** A verified user made by scholarshipctl; returns {email, id}. */
function ctlUser(role, extra = []) {
  const email = fresh(role);
  const r = ctl(['user-add', '--email', email, '--name', `Ctl ${role}`, '--role', role, ...extra], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  return { email, id: sql1(`SELECT id FROM users WHERE email = '${esc(email)}'`) };
}
async function login(email, password = PW) {
  const r = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
  assert.equal(r.status, 200, r.text);
  return r.json;
}
async function signedIn(role, extra) {
  const u = ctlUser(role, extra);
  const s = await login(u.email);
  return { ...u, token: s.access_token, refresh: s.refresh_token };
}
const call = (token, method, p, body, headers = {}) => http(p, {
  method,
  headers: { ...(token ? bearer(token) : {}), ...(body !== undefined ? json : {}), ...headers },
  body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
});
/** Scholarship rows with these ids, for grants to point at (idempotent). */
const scholarshipRows = (...ids) => assert.equal(psql(`INSERT INTO scholarships (id, code, name) SELECT i::uuid, 'USERS-' || upper(substr(i, 1, 8) || substr(i, 33)), 'Users test' FROM unnest(ARRAY['${ids.join("','")}']) i ON CONFLICT DO NOTHING`).status, 0);
const list = (token, qs) => call(token, 'GET', `${API}?${new URLSearchParams(qs)}`);
const lastMail = (to) => sql1(`SELECT body_text FROM mail_outbox WHERE to_address = '${esc(to)}' ORDER BY created_at DESC LIMIT 1`);
const linkToken = (body, page) => (new RegExp(`/${page}#token=([A-Za-z0-9_-]{43})`).exec(body) || [])[1];

let sa; // the super admin most tests act as
let admin; // an admin (reads only)
before(async () => {
  // Colleges: the stack starts with STACK_SEED=none; the seed is idempotent.
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
});

async function create(body, token = sa.token) {
  return call(token, 'POST', API, body);
}

test('no token → 401; student, reviewer and college → 403 on every users route', async () => {
  const target = ctlUser('reviewer');
  const routes = [['GET', API], ['POST', API, {}], ['GET', `${API}/${target.id}`],
    ['PATCH', `${API}/${target.id}`, {}], ['POST', `${API}/${target.id}/invitation`],
    ['PUT', `${API}/${target.id}/scholarships`, { scholarship_ids: [] }]];
  const others = [await signedIn('student'), await signedIn('reviewer'), await signedIn('college', ['--college', 'ENG'])];
  for (const [m, p, b] of routes) {
    const anon = await call(null, m, p, b);
    assert.ok(isProblem(anon, 401), `${m} ${p} anonymous → ${anon.status}`);
    assert.equal(anon.headers.get('www-authenticate'), 'Bearer');
    for (const o of others) assert.ok(isProblem(await call(o.token, m, p, b), 403), `${m} ${p}`);
  }
});

test('an admin reads users but cannot create, change, invite or grant', async () => {
  const target = ctlUser('reviewer');
  const l = await list(admin.token, { q: target.email });
  assert.equal(l.status, 200, l.text);
  assert.deepEqual(l.json.items.map((u) => u.id), [target.id]);
  const g = await call(admin.token, 'GET', `${API}/${target.id}`);
  assert.equal(g.status, 200);
  assert.equal(g.json.email, target.email);
  assert.equal('password_hash' in g.json, false);
  const before = sql1(`SELECT version FROM users WHERE id = '${target.id}'`);
  assert.ok(isProblem(await create({ email: fresh(), full_name: 'X', role: 'reviewer' }, admin.token), 403));
  assert.ok(isProblem(await call(admin.token, 'PATCH', `${API}/${target.id}`, { active: false }), 403));
  assert.ok(isProblem(await call(admin.token, 'POST', `${API}/${target.id}/invitation`), 403));
  assert.ok(isProblem(await call(admin.token, 'PUT', `${API}/${admin.id}/scholarships`, { scholarship_ids: [] }), 403));
  assert.equal(sql1(`SELECT version FROM users WHERE id = '${target.id}'`), before);
});

test('create → 201 with Location; the invitation mail is queued; accept it and sign in', async () => {
  const email = fresh('invitee');
  const r = await create({ email, full_name: 'Invited Reviewer', role: 'reviewer', locale: 'en' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('location'), `${API}/${r.json.id}`);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.equal(r.json.email, email);
  assert.equal(r.json.role, 'reviewer');
  assert.equal(r.json.email_verified, false);
  assert.equal(r.json.active, true);
  assert.equal(count(`SELECT count(*) FROM users WHERE id = '${r.json.id}' AND password_hash IS NULL`), 1);
  const audit = JSON.parse(sql1(`SELECT json_build_object('actor', actor_id, 'after', after) FROM audit_log WHERE action = 'user.created' AND entity_id = '${r.json.id}'`));
  assert.equal(audit.actor, sa.id);
  assert.equal(audit.after.email, email);
  assert.equal('password_hash' in audit.after, false);
  // Signing in before accepting fails like a wrong password.
  const early = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.ok(isProblem(early, 401));
  const first = linkToken(lastMail(email), 'accept.html');
  assert.ok(first, 'an accept.html link is in the mail');
  // Re-sending replaces the link: only the newest one works.
  assert.equal((await call(sa.token, 'POST', `${API}/${r.json.id}/invitation`)).status, 202);
  const second = linkToken(lastMail(email), 'accept.html');
  assert.notEqual(second, first);
  const accept = (token) => http('/api/v1/auth/invitations/accept', { method: 'POST', headers: json, body: JSON.stringify({ token, password: PW }) });
  assert.ok(isProblem(await accept(first), 422), 'the superseded link is dead');
  assert.equal((await accept(second)).status, 204);
  const s = await login(email);
  assert.equal(s.user.role, 'reviewer');
  assert.equal(s.user.email_verified, true);
  const again = await call(sa.token, 'POST', `${API}/${r.json.id}/invitation`);
  assert.ok(isProblem(again, 409), 'no invitation once a password is set');
  assert.ok(isProblem(await call(sa.token, 'POST', `${API}/00000000-0000-4000-8000-000000000000/invitation`), 404));
});

test('duplicate email (any case) → 409; college rules → 422; nothing written', async () => {
  const email = fresh('dup');
  assert.equal((await create({ email, full_name: 'First', role: 'reviewer' })).status, 201);
  const users = count('SELECT count(*) FROM users');
  const mails = count('SELECT count(*) FROM mail_outbox');
  const dup = await create({ email: email.toUpperCase(), full_name: 'Second', role: 'admin' });
  assert.ok(isProblem(dup, 409), dup.text);
  const noCollege = await create({ email: fresh(), full_name: 'C', role: 'college' });
  assert.ok(isProblem(noCollege, 422));
  assert.equal(noCollege.json.errors[0].field, 'college_code');
  const unknown = await create({ email: fresh(), full_name: 'C', role: 'college', college_code: 'NOPE' });
  assert.ok(isProblem(unknown, 422));
  assert.equal(unknown.json.errors[0].field, 'college_code');
  const lower = await create({ email: fresh(), full_name: 'C', role: 'college', college_code: 'eng' });
  assert.ok(isProblem(lower, 422));
  const extra = await create({ email: fresh(), full_name: 'C', role: 'reviewer', password: 'x' });
  assert.ok(isProblem(extra, 422));
  assert.deepEqual(extra.json.errors.map((e) => e.field), ['password']);
  const all = await create({ email: 'nope', full_name: '', role: 'king' });
  assert.deepEqual(all.json.errors.map((e) => e.field).sort(), ['email', 'full_name', 'role']);
  assert.equal(count('SELECT count(*) FROM users'), users);
  assert.equal(count('SELECT count(*) FROM mail_outbox'), mails);
  const ok = await create({ email: fresh(), full_name: 'College Staff', role: 'college', college_code: 'ENG' });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.college_code, 'ENG');
});

test('filters: role, college_code, active, q (email or name, LIKE characters literal)', async () => {
  const tag = `flt${RUN}`;
  const mk = async (name, role, college) => (await create({ email: fresh(tag), full_name: name, role, ...(college ? { college_code: college } : {}) })).json;
  const a = await mk('Ada Percent 100%', 'reviewer');
  const b = await mk('Bo Under_score', 'college', 'SCI');
  const c = await mk('Cy Plain', 'admin');
  assert.equal((await call(sa.token, 'PATCH', `${API}/${c.id}`, { active: false })).status, 200);
  const ids = async (qs) => {
    const r = await list(sa.token, qs);
    assert.equal(r.status, 200, r.text);
    return r.json.items.map((u) => u.id);
  };
  assert.deepEqual(await ids({ q: tag }), [c.id, b.id, a.id], 'newest first');
  assert.deepEqual(await ids({ q: tag.toUpperCase() }), [c.id, b.id, a.id], 'case-insensitive');
  assert.deepEqual(await ids({ q: tag, role: 'reviewer' }), [a.id]);
  assert.deepEqual(await ids({ q: tag, college_code: 'SCI' }), [b.id]);
  assert.deepEqual(await ids({ q: tag, active: 'false' }), [c.id]);
  assert.deepEqual(await ids({ q: tag, active: 'true' }), [b.id, a.id]);
  assert.deepEqual(await ids({ q: 'Ada Percent' }), [a.id], 'q searches names');
  assert.ok((await ids({ q: '100%' })).includes(a.id));
  assert.deepEqual((await ids({ q: `${tag}` })).length, 3);
  assert.ok(!(await ids({ q: 'Bo Under%' })).includes(b.id), '% is literal');
  assert.deepEqual(await ids({ q: 'Bo Under_s' }), [b.id]);
  assert.deepEqual(await ids({ q: 'Bo UnderXs' }), [], '_ is literal');
  assert.deepEqual(await ids({ q: "'; DROP TABLE users; --" }), []);
  assert.deepEqual(await ids({ q: tag, role: '' }), [c.id, b.id, a.id], 'an empty parameter is absent');
  for (const qs of [{ role: 'king' }, { active: 'yes' }, { college_code: 'eng' }, { limit: '0' }, { limit: '101' },
    { limit: 'ten' }, { limit: '-1' }, { q: 'x'.repeat(101) }, { cursor: 'garbage!' }, { cursor: 'AAAA' }, { rol: 'admin' }]) {
    const r = await list(sa.token, qs);
    assert.ok(isProblem(r, 400), `${JSON.stringify(qs)} → ${r.status}`);
    assert.ok(r.json.errors.length >= 1);
  }
  assert.ok(isProblem(await call(sa.token, 'GET', `${API}?q=%ZZ`), 400));
  assert.ok(isProblem(await call(sa.token, 'GET', `${API}?q=a%00b`), 400));
  assert.ok(isProblem(await call(sa.token, 'GET', `${API}?q=%ff%fe`), 400), 'invalid UTF-8');
  // A cursor for another row shape (a valid base64url of other text).
  assert.ok(isProblem(await list(sa.token, { cursor: Buffer.from(`2026-01-01T00:00:00.000000Z|${'x'.repeat(36)}`).toString('base64url') }), 400));
});

test('keyset pages: 25 users with one created_at, limit=10, no duplicates or gaps, stable while rows are added', async () => {
  const tag = `pg${RUN}`;
  psql(`INSERT INTO users (email, full_name, role) SELECT '${tag}-' || i || '@users.example.edu', 'Page ' || i, 'reviewer' FROM generate_series(1, 25) i`);
  const expected = sql1(`SELECT string_agg(id::text, ',' ORDER BY created_at DESC, id DESC) FROM users WHERE email LIKE '${tag}-%'`).split(',');
  assert.equal(expected.length, 25);
  const walk = async (during) => {
    const seen = [];
    const sizes = [];
    let cursor;
    for (let page = 0; page < 10; page++) {
      const r = await list(sa.token, { q: tag, limit: '10', ...(cursor ? { cursor } : {}) });
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.items.map((u) => u.id));
      sizes.push(r.json.items.length);
      if (during) await during(page);
      cursor = r.json.next_cursor;
      if (cursor === null) break;
      assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    }
    return { seen, sizes };
  };
  const first = await walk();
  assert.deepEqual(first.sizes, [10, 10, 5]);
  assert.deepEqual(first.seen, expected);
  let added = 0;
  const second = await walk(async () => {
    psql(`INSERT INTO users (email, full_name, role) VALUES ('${tag}-late${added++}@users.example.edu', 'Late', 'reviewer')`);
  });
  assert.equal(new Set(second.seen).size, second.seen.length, 'no row repeats');
  assert.deepEqual(second.seen, expected, 'rows added during the walk are newer: they never shift a page');
  const all = await list(sa.token, { q: tag, limit: '100' });
  assert.equal(all.json.items.length, 25 + added);
  assert.equal(all.json.next_cursor, null);
  const dflt = await list(sa.token, { q: tag });
  assert.equal(dflt.json.items.length, 20, 'limit defaults to 20');
});

/** Leave only the given super admins active (others by SQL, restorable). */
function onlySupers(ids) {
  const keep = ids.map((i) => `'${i}'`).join(',');
  return sql1(`WITH d AS (UPDATE users SET active = false WHERE role = 'super_admin' AND active AND id NOT IN (${keep}) RETURNING id) SELECT coalesce(string_agg(id::text, ','), '') FROM d`).split(',').filter(Boolean);
}
const restore = (ids) => ids.length && psql(`UPDATE users SET active = true WHERE id IN (${ids.map((i) => `'${i}'`).join(',')})`);

test('the last active super admin cannot be demoted or deactivated; with another one it can', async () => {
  const parked = onlySupers([sa.id]);
  try {
    const v = sql1(`SELECT version FROM users WHERE id = '${sa.id}'`);
    for (const body of [{ role: 'admin' }, { active: false }, { role: 'student', active: false }]) {
      const r = await call(sa.token, 'PATCH', `${API}/${sa.id}`, body);
      assert.ok(isProblem(r, 409), `${JSON.stringify(body)} → ${r.status}`);
      assert.match(r.json.detail, /last active super admin/);
    }
    assert.equal(sql1(`SELECT version FROM users WHERE id = '${sa.id}'`), v);
    const other = ctlUser('super_admin');
    let r = await call(sa.token, 'PATCH', `${API}/${other.id}`, { active: false });
    assert.equal(r.status, 200, r.text);
    r = await call(sa.token, 'PATCH', `${API}/${sa.id}`, { active: true, role: 'super_admin' });
    assert.equal(r.status, 200, 'a no-op change of the last one is fine');
    r = await call(sa.token, 'PATCH', `${API}/${other.id}`, { active: true });
    assert.equal(r.status, 200);
    r = await call(sa.token, 'PATCH', `${API}/${other.id}`, { role: 'admin' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.role, 'admin');
  } finally {
    restore(parked);
  }
});

test('two super admins demoting each other at once: exactly one wins', async () => {
  const x = await signedIn('super_admin');
  const y = await signedIn('super_admin');
  const parked = onlySupers([x.id, y.id]);
  try {
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([
        call(x.token, 'PATCH', `${API}/${y.id}`, { role: 'admin' }),
        call(y.token, 'PATCH', `${API}/${x.id}`, { role: 'admin' }),
      ]);
      const statuses = [a.status, b.status].sort();
      // The loser is refused for the last-super-admin rule (409), or with
      // 403 when it was already demoted by the time it was authenticated.
      assert.equal(statuses.filter((s) => s === 200).length, 1, `${a.status} ${a.text} / ${b.status} ${b.text}`);
      assert.equal(count("SELECT count(*) FROM users WHERE role = 'super_admin' AND active"), 1);
      assert.ok(a.status === 200 ? [403, 409].includes(b.status) : [403, 409].includes(a.status));
      psql(`UPDATE users SET role = 'super_admin' WHERE id IN ('${x.id}', '${y.id}')`);
    }
  } finally {
    psql(`UPDATE users SET active = false WHERE id IN ('${x.id}', '${y.id}')`);
    restore(parked);
  }
});

test('deactivation: the existing token gets 401 at once, refresh dies, audit keeps before/after', async () => {
  const u = await signedIn('reviewer');
  assert.equal((await call(u.token, 'GET', '/api/v1/auth/me')).status, 200);
  const r = await call(sa.token, 'PATCH', `${API}/${u.id}`, { active: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active, false);
  const me = await call(u.token, 'GET', '/api/v1/auth/me');
  assert.ok(isProblem(me, 401));
  const rf = await http('/api/v1/auth/refresh', { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: u.refresh }) });
  assert.ok(isProblem(rf, 401));
  const a = JSON.parse(sql1(`SELECT json_build_object('b', before, 'a', after, 'actor', actor_id) FROM audit_log WHERE action = 'user.updated' AND entity_id = '${u.id}' ORDER BY id DESC LIMIT 1`));
  assert.equal(a.actor, sa.id);
  assert.equal(a.b.active, true);
  assert.equal(a.a.active, false);
  assert.ok(!JSON.stringify(a).includes('argon2'), 'no password hash in the audit');
  // Reactivation does not bring the old access token back.
  assert.equal((await call(sa.token, 'PATCH', `${API}/${u.id}`, { active: true })).status, 200);
  assert.ok(isProblem(await call(u.token, 'GET', '/api/v1/auth/me'), 401));
  assert.equal((await login(u.email)).user.active, true);
});

test('a role change takes effect at once; demoting an admin drops their scholarships', async () => {
  const a = await signedIn('admin');
  const sid = '11111111-1111-4111-8111-111111111111';
  scholarshipRows(sid); // grants name existing scholarships (FK, migration 0008)
  assert.equal((await call(sa.token, 'PUT', `${API}/${a.id}/scholarships`, { scholarship_ids: [sid] })).status, 200);
  assert.equal((await list(a.token, { limit: '1' })).status, 200);
  const r = await call(sa.token, 'PATCH', `${API}/${a.id}`, { role: 'reviewer' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.role, 'reviewer');
  assert.equal('scholarship_ids' in r.json, false);
  assert.ok(isProblem(await list(a.token, { limit: '1' }), 403));
  assert.equal(count(`SELECT count(*) FROM scholarship_admins WHERE user_id = '${a.id}'`), 0);
  assert.equal((await call(sa.token, 'PATCH', `${API}/${a.id}`, { role: 'super_admin' })).status, 200);
  assert.equal((await call(a.token, 'PATCH', `${API}/${a.id}`, { role: 'admin' })).status, 200, 'now a super admin');
  assert.equal((await call(a.token, 'POST', API, { email: fresh(), full_name: 'X', role: 'reviewer' })).status, 403);
});

test('If-Match: the current ETag passes, a stale or weak one gets 412 and changes nothing', async () => {
  const u = ctlUser('reviewer');
  const g = await call(admin.token, 'GET', `${API}/${u.id}`);
  const etag = g.headers.get('etag');
  assert.match(etag, /^"\d+"$/);
  const ok = await call(sa.token, 'PATCH', `${API}/${u.id}`, { role: 'college', college_code: 'LAW' }, { 'If-Match': etag });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.college_code, 'LAW');
  assert.notEqual(ok.headers.get('etag'), etag);
  for (const im of [etag, `W/${ok.headers.get('etag')}`, '"nope"']) {
    const stale = await call(sa.token, 'PATCH', `${API}/${u.id}`, { role: 'reviewer' }, { 'If-Match': im });
    assert.ok(isProblem(stale, 412), `${im} → ${stale.status}`);
  }
  assert.equal(sql1(`SELECT role FROM users WHERE id = '${u.id}'`), 'college');
  const list2 = await call(sa.token, 'PATCH', `${API}/${u.id}`, { college_code: 'MED' }, { 'If-Match': `"0", ${ok.headers.get('etag')}` });
  assert.equal(list2.status, 200);
  const star = await call(sa.token, 'PATCH', `${API}/${u.id}`, { college_code: null, role: 'reviewer' }, { 'If-Match': '*' });
  assert.equal(star.status, 200, star.text);
  assert.equal(star.json.college_code, null);
  const noCollege = await call(sa.token, 'PATCH', `${API}/${u.id}`, { role: 'college' });
  assert.ok(isProblem(noCollege, 422));
  assert.ok(isProblem(await call(sa.token, 'PATCH', `${API}/00000000-0000-4000-8000-000000000000`, { active: true }), 404));
  assert.ok(isProblem(await call(sa.token, 'GET', `${API}/00000000-0000-4000-8000-000000000000`), 404));
  assert.ok(isProblem(await call(sa.token, 'GET', `${API}/not-a-uuid`), 404));
});

test('email change: unverified, a verification link to the new address, old links die; taken → 409', async () => {
  const u = ctlUser('reviewer');
  const other = ctlUser('reviewer');
  const taken = await call(sa.token, 'PATCH', `${API}/${u.id}`, { email: other.email.toUpperCase() });
  assert.ok(isProblem(taken, 409), taken.text);
  const email = fresh('moved');
  const r = await call(sa.token, 'PATCH', `${API}/${u.id}`, { email });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.email, email);
  assert.equal(r.json.email_verified, false);
  const tok = linkToken(lastMail(email), 'verify.html');
  assert.ok(tok, 'a verification link was mailed to the new address');
  assert.equal((await http('/api/v1/auth/verify-email', { method: 'POST', headers: json, body: JSON.stringify({ token: tok }) })).status, 204);
  assert.equal((await login(email)).user.email_verified, true);
  // An invited user whose address was wrong gets a new invitation instead.
  const inv = await create({ email: fresh('typo'), full_name: 'Typo', role: 'reviewer' });
  const oldLink = linkToken(lastMail(inv.json.email), 'accept.html');
  const fixed = fresh('fixed');
  assert.equal((await call(sa.token, 'PATCH', `${API}/${inv.json.id}`, { email: fixed })).status, 200);
  const accept = (token) => http('/api/v1/auth/invitations/accept', { method: 'POST', headers: json, body: JSON.stringify({ token, password: PW }) });
  assert.ok(isProblem(await accept(oldLink), 422), 'the link sent to the wrong address is dead');
  assert.equal((await accept(linkToken(lastMail(fixed), 'accept.html'))).status, 204);
});

test('PUT scholarships replaces an admin\'s grants (deduplicated, audited); others 409', async () => {
  const a = ctlUser('admin');
  const s1 = 'aaaaaaaa-0000-4000-8000-000000000001', s2 = 'aaaaaaaa-0000-4000-8000-000000000002', s3 = 'aaaaaaaa-0000-4000-8000-000000000003';
  scholarshipRows(s1, s2, s3);
  const put = (id, body, h) => call(sa.token, 'PUT', `${API}/${id}/scholarships`, body, h);
  let r = await put(a.id, { scholarship_ids: [s2, s1, s2] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.scholarship_ids, [s1, s2]);
  r = await put(a.id, { scholarship_ids: [s3, s2] }, { 'If-Match': r.headers.get('etag') });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.scholarship_ids, [s2, s3]);
  const g = await call(admin.token, 'GET', `${API}/${a.id}`);
  assert.deepEqual(g.json.scholarship_ids, [s2, s3]);
  assert.equal(g.headers.get('etag'), r.headers.get('etag'));
  assert.equal(count(`SELECT count(*) FROM scholarship_admins WHERE user_id = '${a.id}' AND granted_by = '${sa.id}'`), 2);
  const audit = JSON.parse(sql1(`SELECT json_build_object('b', before, 'a', after) FROM audit_log WHERE action = 'user.scholarships_set' AND entity_id = '${a.id}' ORDER BY id DESC LIMIT 1`));
  assert.deepEqual(audit.b.scholarship_ids, [s1, s2]);
  assert.deepEqual(audit.a.scholarship_ids, [s2, s3]);
  assert.ok(isProblem(await put(a.id, { scholarship_ids: [s1] }, { 'If-Match': '"1"' }), 412));
  r = await put(a.id, { scholarship_ids: [] });
  assert.deepEqual(r.json.scholarship_ids, []);
  const rev = ctlUser('reviewer');
  assert.ok(isProblem(await put(rev.id, { scholarship_ids: [s1] }), 409));
  assert.ok(isProblem(await put('00000000-0000-4000-8000-000000000000', { scholarship_ids: [s1] }), 404));
  assert.ok(isProblem(await put(a.id, [s1]), 422), 'the body is an object, not a bare array');
  const bad = await put(a.id, { scholarship_ids: [s1, 'nope', 3] });
  assert.ok(isProblem(bad, 422));
  assert.deepEqual(bad.json.errors.map((e) => e.field), ['scholarship_ids.1', 'scholarship_ids.2']);
  assert.equal(count(`SELECT count(*) FROM scholarship_admins WHERE user_id = '${a.id}'`), 0);
});

test('hostile bodies on every users route: 400/422, nothing written', async () => {
  const target = ctlUser('admin');
  const invitee = (await create({ email: fresh('hostile'), full_name: 'H', role: 'reviewer' })).json;
  const routes = [['POST', API], ['PATCH', `${API}/${target.id}`], ['PUT', `${API}/${target.id}/scholarships`],
    ['POST', `${API}/${invitee.id}/invitation`]];
  const big = 'x'.repeat(100000);
  const bodies = [
    ['{"email":', 400], ['{"full_name":"a\\u0000b"}', 400], ['"just a string"', 422], ['[1,2]', 422],
    ['{"email":42,"full_name":[],"role":{},"active":"yes","college_code":7,"scholarship_ids":"x"}', 422],
    [JSON.stringify({ email: `${big}@x.y`, full_name: big, role: big, college_code: big, scholarship_ids: [big] }), 422],
    [JSON.stringify({ email: "x'); DROP TABLE users;--@x.y", full_name: "' OR 1=1 --", role: "admin'--", college_code: "ENG'; --", surprise: 1 }), 422],
    ['{"role":"admin","role":"super_admin"}', 422],
  ];
  const snapshot = () => ['users', 'email_tokens', 'mail_outbox', 'scholarship_admins', 'audit_log']
    .map((t) => count(`SELECT count(*) FROM ${t}`)).join() + sql1(`SELECT string_agg(version::text, ',') FROM users WHERE id IN ('${target.id}', '${invitee.id}')`);
  const before = snapshot();
  for (const [method, p] of routes) {
    for (const [body, status] of bodies) {
      const r = await call(sa.token, method, p, body);
      assert.ok(isProblem(r, status), `${method} ${p} ${body.slice(0, 40)} → ${r.status} ${r.text.slice(0, 160)}`);
    }
    const huge = await call(sa.token, method, p, `{"email":"${'x'.repeat(1100000)}"}`);
    assert.ok(isProblem(huge, 413), `${p} 1.1 MB → ${huge.status}`);
    const form = await http(p, { method, headers: { ...bearer(sa.token), 'Content-Type': 'text/plain' }, body: 'a=b' });
    assert.ok(isProblem(form, 415), `${p} text/plain → ${form.status}`);
  }
  assert.equal(snapshot(), before);
  assert.equal(count("SELECT count(*) FROM pg_tables WHERE tablename = 'users'"), 1);
});
