// eligibility.test.mjs -- GET /api/v1/eligibility (DESIGN §8
// "Scholarships and periods") against the real stack: a student with a
// linked record sees every open period whose window contains now, with
// its rules evaluated (a passing hard rule, a failing warning, a
// sub-type-scoped failing hard rule that closes that sub-type, a missing
// field that fails with "data unavailable"), messages in en or zh-TW after
// PATCH /auth/me; draft periods and periods outside their window are not
// listed; a whitelist without the student makes them ineligible; a
// student without a record gets 404, a reviewer 403, no token 401.
//
// The stack runs with STACK_SEED=none: the reference seed is loaded here.
// Other suites leave periods behind, so assertions look only at ours.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'eligibility-test-password';
const E = '/api/v1/eligibility';
const S = '/api/v1/scholarships';
const P = '/api/v1/periods';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
let n = 0;

async function signedIn(role) {
  const email = `elig-${role}-${RUN}-${n++}@elig.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Elig ${role}`, '--role', role], `${PW}\n`);
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
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const RULES = [
  { field: 'gpa', operator: '>=', value: 3.5, hard: true, message: '學業成績達 3.5', message_en: 'GPA at least 3.5' },
  { field: 'year_of_study', operator: '>=', value: 3, hard: false, message: '建議三年級以上', message_en: 'Third year or later recommended' },
  { field: 'degree', operator: '==', value: 'master', hard: true, sub_type: 'a', message: '甲類限碩士', message_en: 'Type A is for master students' },
  { field: 'class_rank_percent', operator: '<=', value: 10, hard: false, message: '班排前 10%', message_en: 'Top 10% of the class' },
];

let sa, student, noRecord, reviewer, number;
let sch; // an active scholarship with sub-types a and b
before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  student = await signedIn('student');
  noRecord = await signedIn('student');
  reviewer = await signedIn('reviewer');
  number = `E${RUN}`.slice(0, 20);
  // The record, linked by email (in upper case: the link is case-insensitive);
  // class_rank_percent left null on purpose.
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree,
          enrollment_status, gpa, year_of_study, terms_enrolled, nationality, gender, identity_category)
        VALUES ('${number}', '林小美', '${student.email.toUpperCase()}', 'EE', 'CSIE', 'bachelor',
          'enrolled', 3.80, 2, 4, 'TW', 'F', 'general')`);
  const s = await call(sa, 'POST', S, {
    code: `EL${RUN}`.slice(0, 32), name: '資格測試獎學金', name_en: 'Eligibility test', status: 'active',
    sub_types: [{ code: 'a', name: '甲', name_en: 'A', amount_cents: 100000 }, { code: 'b', name: '乙', name_en: 'B', amount_cents: 50000 }],
    sub_type_selection: 'single',
  });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
});

let term = 0;
/** A period of sch (in academic year 2100 + k), opened unless open is false. */
async function period(extra = {}, open = true) {
  const k = term++;
  const r = await call(sa, 'POST', `${S}/${sch.id}/periods`, {
    academic_year: 2100 + Math.floor(k / 3), term: k % 3, label: `elig ${k}`,
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
async function itemsOf(who) {
  const r = await call(who, 'GET', E);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  return r.json.items;
}
const setLocale = async (who, locale) => assert.equal((await call(who, 'PATCH', '/api/v1/auth/me', { locale })).status, 200);

test('roles: no token 401, a reviewer 403, a student without a record 404', async () => {
  assert.ok(isProblem(await call(null, 'GET', E), 401));
  assert.ok(isProblem(await call(reviewer, 'GET', E), 403));
  assert.ok(isProblem(await call(sa, 'GET', E), 403));
  const r = await call(noRecord, 'GET', E);
  assert.ok(isProblem(r, 404));
  assert.match(r.json.detail, /no student record is linked to your account/);
});

test('an open period: every rule evaluated, sub-type a closed, messages in the user\'s locale', async () => {
  const p = await period();
  await setLocale(student, 'en');
  let it = (await itemsOf(student)).find((x) => x.period_id === p.id);
  assert.ok(it, 'the open period is listed');
  assert.equal(it.scholarship_id, sch.id);
  assert.equal(it.scholarship.id, sch.id);
  assert.equal(it.scholarship.code, sch.code);
  assert.deepEqual(it.scholarship.sub_types.map((x) => x.code), ['a', 'b']);
  assert.equal(it.period.id, p.id);
  assert.equal(it.period.label, p.label);
  assert.equal(it.period.status, 'open');
  assert.equal(it.period.closes_at, p.closes_at);
  assert.equal(it.eligible, true, 'warnings and a closed sub-type do not make the student ineligible');
  assert.deepEqual(it.sub_types, ['b']);
  assert.equal(it.applied, false);
  assert.equal(it.application_id, null);
  assert.deepEqual(it.rules, [
    { field: 'gpa', operator: '>=', passed: true, hard: true, sub_type: null, message: 'GPA at least 3.5' },
    { field: 'year_of_study', operator: '>=', passed: false, hard: false, sub_type: null, message: 'Third year or later recommended' },
    { field: 'degree', operator: '==', passed: false, hard: true, sub_type: 'a', message: 'Type A is for master students' },
    { field: 'class_rank_percent', operator: '<=', passed: false, hard: false, sub_type: null, message: 'data unavailable' },
  ]);
  await setLocale(student, 'zh-TW');
  it = (await itemsOf(student)).find((x) => x.period_id === p.id);
  assert.deepEqual(it.rules.map((x) => x.message), ['學業成績達 3.5', '建議三年級以上', '甲類限碩士', '資料不足，無法判斷']);
  assert.equal(it.eligible, true);
});

test('missing data fails a hard rule: ineligible, "data unavailable"', async () => {
  const p = await period({ eligibility_rules: [
    { field: 'class_rank_percent', operator: '<=', value: 50, hard: true, message: '班排前 50%', message_en: 'Top half' },
  ] });
  await setLocale(student, 'en');
  const it = (await itemsOf(student)).find((x) => x.period_id === p.id);
  assert.equal(it.eligible, false);
  assert.deepEqual(it.sub_types, []);
  assert.deepEqual(it.rules, [{ field: 'class_rank_percent', operator: '<=', passed: false, hard: true, sub_type: null, message: 'data unavailable' }]);
});

test('a draft period and periods whose window does not contain now are not listed', async () => {
  const draft = await period({}, false);
  const past = await period({ opens_at: '2020-01-01T00:00:00Z', closes_at: '2020-02-01T00:00:00Z' });
  const future = await period({ opens_at: iso(10), closes_at: iso(40) });
  const ids = (await itemsOf(student)).map((x) => x.period_id);
  for (const p of [draft, past, future]) assert.ok(!ids.includes(p.id), `${p.label} is not listed`);
});

test('a whitelist: listed students see no extra rule, others are ineligible', async () => {
  const on = await period({ whitelist: ['ZZZZ0001', number] });
  const off = await period({ whitelist: ['ZZZZ0001'] });
  await setLocale(student, 'en');
  let items = await itemsOf(student);
  const itOn = items.find((x) => x.period_id === on.id);
  assert.equal(itOn.eligible, true);
  assert.equal(itOn.rules.length, RULES.length);
  let itOff = items.find((x) => x.period_id === off.id);
  assert.equal(itOff.eligible, false);
  assert.deepEqual(itOff.sub_types, []);
  assert.equal(itOff.rules.length, RULES.length + 1);
  assert.deepEqual(itOff.rules.at(-1), { field: 'student_number', operator: 'in', passed: false, hard: true, sub_type: null, message: 'not on the whitelist' });
  await setLocale(student, 'zh-TW');
  items = await itemsOf(student);
  itOff = items.find((x) => x.period_id === off.id);
  assert.equal(itOff.rules.at(-1).message, '不在名單內');
});

test('items are ordered by closes_at', async () => {
  const later = await period({ closes_at: iso(60) });
  const sooner = await period({ closes_at: iso(2) });
  const items = await itemsOf(student);
  const ids = items.map((x) => x.period_id);
  assert.ok(ids.indexOf(sooner.id) >= 0 && ids.indexOf(sooner.id) < ids.indexOf(later.id));
  const closes = items.map((x) => x.period.closes_at);
  assert.deepEqual(closes, [...closes].sort());
  // An archived scholarship's periods are not listed either.
  sql1(`UPDATE scholarships SET status = 'archived' WHERE id = '${sch.id}'`);
  try {
    assert.ok(!(await itemsOf(student)).some((x) => x.scholarship_id === sch.id));
  } finally {
    sql1(`UPDATE scholarships SET status = 'active' WHERE id = '${sch.id}'`);
  }
});
