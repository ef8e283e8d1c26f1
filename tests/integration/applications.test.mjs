// applications.test.mjs -- the first slice of applications (DESIGN §8
// "Applications") against the real stack: a student with a linked record
// opens a draft for an open period (201, app_no APP-year-term-NNNNN,
// consecutive per academic year and term), a second live one is 409, a
// withdrawn one makes room for a new one; failed hard rules are 422 naming
// eligibility.<field>; sub-types must exist, be open to the student and be
// one under single selection; draft and closed periods are 409; reads are
// the owner's, admins' in scope and super admins' (anyone else 404);
// DELETE takes drafts only; hostile bodies write nothing.
//
// The stack runs with STACK_SEED=none: the reference seed is loaded here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'applications-test-password';
const A = '/api/v1/applications';
const S = '/api/v1/scholarships';
const P = '/api/v1/periods';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const APP_NO = /^APP-\d{4}-[012]-\d{5}$/;
let n = 0;

async function signedIn(role) {
  const email = `apps-${role}-${RUN}-${n++}@apps.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Apps ${role}`, '--role', role], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return { email, id: l.json.user.id, token: l.json.access_token };
}
const call = (who, method, p, body) => http(p, {
  method,
  headers: { ...(who ? { Authorization: `Bearer ${who.token}` } : {}), ...(body !== undefined ? json : {}) },
  body: body === undefined ? undefined : JSON.stringify(body),
});
const callRaw = (who, method, p, text) => http(p, {
  method, headers: { Authorization: `Bearer ${who.token}`, ...json }, body: text,
});
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const fields = (r) => (r.json.errors || []).map((e) => e.field);

const RULES = [
  { field: 'gpa', operator: '>=', value: 3.5, hard: true, message: '學業成績達 3.5', message_en: 'GPA at least 3.5' },
  { field: 'year_of_study', operator: '>=', value: 3, hard: false, message: '建議三年級以上', message_en: 'Third year or later recommended' },
  { field: 'degree', operator: '==', value: 'master', hard: true, sub_type: 'a', message: '甲類限碩士', message_en: 'Type A is for master students' },
];

let sa, admin, s1, s2, noRecord, reviewer, sch;
// Academic years of this run, away from other suites' (2100...).
const YEAR0 = 2300 + Math.floor(Math.random() * 600);
let k = 0;

function record(who, number, gpa) {
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree,
          enrollment_status, gpa, year_of_study, terms_enrolled, nationality, gender, identity_category)
        VALUES ('${number}', '王小明', '${who.email}', 'EE', 'CSIE', 'bachelor',
          'enrolled', ${gpa}, 2, 4, 'TW', 'M', 'general')`);
}

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
  s1 = await signedIn('student');
  s2 = await signedIn('student');
  noRecord = await signedIn('student');
  reviewer = await signedIn('reviewer');
  record(s1, `A1${RUN}`.slice(0, 20), 3.8);
  record(s2, `A2${RUN}`.slice(0, 20), 3.9);
  const s = await call(sa, 'POST', S, {
    code: `AP${RUN}`.slice(0, 32), name: '申請測試獎學金', name_en: 'Applications test', status: 'active',
    sub_types: [{ code: 'a', name: '甲', name_en: 'A', amount_cents: 100000 }, { code: 'b', name: '乙', name_en: 'B', amount_cents: 50000 }],
    sub_type_selection: 'single',
  });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
});

/** A period of sch (its own academic year and term), opened unless open is false. */
async function period(extra = {}, open = true) {
  const i = k++;
  const r = await call(sa, 'POST', `${S}/${sch.id}/periods`, {
    academic_year: YEAR0 + Math.floor(i / 3), term: i % 3, label: `apps ${i}`,
    opens_at: iso(-1), closes_at: iso(30), requires_reviewer_review: false, eligibility_rules: RULES,
    whitelist: null, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  if (open) {
    const o = await call(sa, 'POST', `${P}/${r.json.id}/status`, { status: 'open' });
    assert.equal(o.status, 200, o.text);
  }
  return r.json;
}
const count = () => Number(sql1(`SELECT count(*) FROM applications a JOIN periods p ON p.id = a.period_id
  WHERE p.scholarship_id = '${sch.id}'`));

test('roles: no token 401, staff 403 on create, a student without a record 422 "student"', async () => {
  const p = await period();
  assert.ok(isProblem(await call(null, 'POST', A, { period_id: p.id, sub_types: ['b'] }), 401));
  assert.ok(isProblem(await call(reviewer, 'POST', A, { period_id: p.id, sub_types: ['b'] }), 403));
  assert.ok(isProblem(await call(sa, 'POST', A, { period_id: p.id, sub_types: ['b'] }), 403));
  const r = await call(noRecord, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.ok(isProblem(r, 422));
  assert.deepEqual(fields(r), ['student']);
  assert.equal(count(), 0);
});

test('create: 201 draft with app_no and Location; consecutive numbers in one period', async () => {
  const p = await period();
  const r1 = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(r1.status, 201, r1.text);
  assert.match(r1.json.app_no, APP_NO);
  assert.ok(r1.json.app_no.startsWith(`APP-${p.academic_year}-${p.term}-`));
  assert.equal(r1.headers.get('location'), `${A}/${r1.json.id}`);
  assert.equal(r1.json.status, 'draft');
  assert.equal(r1.json.stage, 'student');
  assert.equal(r1.json.period_id, p.id);
  assert.equal(r1.json.scholarship_id, sch.id);
  assert.deepEqual(r1.json.sub_types, ['b']);
  assert.deepEqual(r1.json.answers, {});
  assert.equal(r1.json.version, 1);
  assert.equal(r1.json.eligibility_snapshot.eligible, true);
  assert.deepEqual(r1.json.status_history.map((h) => [h.from_status, h.to_status, h.actor_id]), [[null, 'draft', s1.id]]);
  const r2 = await call(s2, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(r2.status, 201, r2.text);
  const num = (x) => Number(x.json.app_no.slice(-5));
  assert.equal(num(r2), num(r1) + 1);
  assert.equal(r2.json.app_no.slice(0, -5), r1.json.app_no.slice(0, -5));
  assert.equal(sql1(`SELECT count(*) FROM audit_log WHERE entity_type = 'application' AND entity_id = '${r1.json.id}'
    AND action = 'application.created'`), '1');
});

test('a duplicate live application is 409; after withdrawing, a new one is 201', async () => {
  const p = await period();
  const r1 = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(r1.status, 201, r1.text);
  assert.ok(isProblem(await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] }), 409));
  const w = await call(s1, 'POST', `${A}/${r1.json.id}/withdraw`);
  assert.equal(w.status, 200, w.text);
  assert.equal(w.json.status, 'withdrawn');
  assert.equal(w.json.version, 2);
  assert.deepEqual(w.json.status_history.map((h) => [h.from_status, h.to_status]), [[null, 'draft'], ['draft', 'withdrawn']]);
  assert.ok(isProblem(await call(s1, 'POST', `${A}/${r1.json.id}/withdraw`), 409), 'withdrawn twice');
  const r2 = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(r2.status, 201, r2.text);
  assert.notEqual(r2.json.app_no, r1.json.app_no);
  // GET /eligibility shows the live application, not the withdrawn one.
  const e = await call(s1, 'GET', '/api/v1/eligibility');
  assert.equal(e.status, 200, e.text);
  const item = e.json.items.find((x) => x.period_id === p.id);
  assert.equal(item.applied, true);
  assert.equal(item.application_id, r2.json.id);
  assert.equal((await call(s1, 'POST', `${A}/${r2.json.id}/withdraw`)).status, 200);
  const after = (await call(s1, 'GET', '/api/v1/eligibility')).json.items.find((x) => x.period_id === p.id);
  assert.equal(after.applied, false);
  assert.equal(after.application_id, null);
});

test('eligibility: a failed hard rule is 422 eligibility.<field>; sub-types must be open, known, single', async () => {
  const was = count();
  const strict = await period({ eligibility_rules: [
    { field: 'gpa', operator: '>=', value: 3.85, hard: true, message: '學業成績達 3.85', message_en: 'GPA at least 3.85' },
    { field: 'year_of_study', operator: '>=', value: 3, hard: false, message: '建議三年級以上' },
  ] });
  let r = await call(s1, 'POST', A, { period_id: strict.id, sub_types: ['b'] });
  assert.ok(isProblem(r, 422));
  assert.deepEqual(fields(r), ['eligibility.gpa']);
  const p = await period();
  for (const [subs, why] of [[['a'], 'closed to a bachelor'], [['a', 'b'], 'two under single'], [['zz'], 'unknown'],
    [['b', 'b'], 'repeated'], [[], 'none']]) {
    r = await call(s1, 'POST', A, { period_id: p.id, sub_types: subs });
    assert.ok(isProblem(r, 422), why);
    assert.ok(fields(r).includes('sub_types'), `${why}: ${r.text}`);
  }
  const off = await period({ whitelist: ['ZZZZ0001'] });
  r = await call(s1, 'POST', A, { period_id: off.id, sub_types: ['b'] });
  assert.ok(isProblem(r, 422));
  assert.deepEqual(fields(r), ['eligibility.student_number']);
  r = await call(s1, 'POST', A, { period_id: '00000000-0000-4000-8000-000000000000', sub_types: ['b'] });
  assert.ok(isProblem(r, 422));
  assert.deepEqual(fields(r), ['period_id']);
  assert.equal(count(), was, 'nothing written');
});

test('a draft, closed or out-of-window period is 409', async () => {
  const draft = await period({}, false);
  const past = await period({ opens_at: '2020-01-01T00:00:00Z', closes_at: '2020-02-01T00:00:00Z' });
  const closed = await period();
  assert.equal((await call(sa, 'POST', `${P}/${closed.id}/status`, { status: 'closed' })).status, 200);
  for (const p of [draft, past, closed])
    assert.ok(isProblem(await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] }), 409), p.label);
});

test('GET: the owner, a super admin and a granted admin read it; another student or admin 404', async () => {
  const p = await period();
  const c = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(c.status, 201, c.text);
  const url = `${A}/${c.json.id}`;
  const own = await call(s1, 'GET', url);
  assert.equal(own.status, 200, own.text);
  assert.deepEqual(own.json, c.json);
  assert.equal(own.headers.get('etag'), '"1"');
  assert.equal((await call(sa, 'GET', url)).status, 200);
  assert.ok(isProblem(await call(s2, 'GET', url), 404));
  assert.ok(isProblem(await call(admin, 'GET', url), 404));
  sql1(`INSERT INTO scholarship_admins (scholarship_id, user_id) VALUES ('${sch.id}', '${admin.id}')`);
  assert.equal((await call(admin, 'GET', url)).status, 200);
  // An unassigned reviewer may read applications now, but not this one: 404.
  assert.ok(isProblem(await call(reviewer, 'GET', url), 404));
  assert.ok(isProblem(await call(s1, 'GET', `${A}/00000000-0000-4000-8000-000000000000`), 404));
  // Another student cannot withdraw or delete it either.
  assert.ok(isProblem(await call(s2, 'POST', `${url}/withdraw`), 404));
  assert.ok(isProblem(await call(s2, 'DELETE', url), 404));
});

test('DELETE: a draft 204 (gone), a withdrawn one 409', async () => {
  const p = await period();
  const d = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(d.status, 201, d.text);
  const del = await call(s1, 'DELETE', `${A}/${d.json.id}`);
  assert.equal(del.status, 204, del.text);
  assert.ok(isProblem(await call(s1, 'GET', `${A}/${d.json.id}`), 404));
  const w = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(w.status, 201, w.text);
  assert.equal((await call(s1, 'POST', `${A}/${w.json.id}/withdraw`, { reason: '改申請他項' })).status, 200);
  assert.ok(isProblem(await call(s1, 'DELETE', `${A}/${w.json.id}`), 409));
  assert.equal(sql1(`SELECT reason FROM application_status_history WHERE application_id = '${w.json.id}'
    AND to_status = 'withdrawn'`), '改申請他項');
});

test('hostile bodies: malformed 400, wrong types 422, unknown fields 422, NUL 400; nothing written', async () => {
  const p = await period();
  const before = count();
  for (const [text, status] of [
    ['{"period_id":', 400], ['{"period_id":"a\\u0000b"}', 400], ['"just a string"', 422], ['[1,2]', 422],
    [JSON.stringify({ period_id: 42, sub_types: ['b'] }), 422],
    [JSON.stringify({ period_id: p.id, sub_types: 'b' }), 422],
    [JSON.stringify({ period_id: p.id, sub_types: [1] }), 422],
    [JSON.stringify({ period_id: p.id, sub_types: ['b'], status: 'approved' }), 422],
    [JSON.stringify({ period_id: p.id, sub_types: ["b'; DROP TABLE applications; --"] }), 422],
    ['{}', 422],
  ]) {
    const r = await callRaw(s1, 'POST', A, text);
    assert.ok(isProblem(r, status), `${text}: ${r.status} ${r.text}`);
  }
  const c = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(c.status, 201);
  for (const [text, status] of [['{"reason":', 400], ['{"reason":5}', 422], ['{"why":"x"}', 422]]) {
    const r = await callRaw(s1, 'POST', `${A}/${c.json.id}/withdraw`, text);
    assert.ok(isProblem(r, status), `${text}: ${r.status} ${r.text}`);
  }
  assert.equal(count(), before + 1);
  assert.equal((await call(s1, 'GET', `${A}/${c.json.id}`)).json.status, 'draft');
});
