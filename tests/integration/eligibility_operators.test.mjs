// eligibility_operators.test.mjs -- every operator of the eligibility
// rules (DESIGN §8 "Scholarships and periods": ==, !=, >, >=, <, <=, in,
// not_in) against the real stack, on strings and numbers, at and around
// their boundaries, as GET /eligibility reports them and as
// POST /applications enforces them: failing warnings never block, a
// failing hard rule of each operator is 422 eligibility.<field> (only the
// hard ones listed); sub-type-scoped hard rules close only their sub-type
// (a scoped warning closes nothing; all sub-types closed is ineligible);
// missing data fails whatever the operator ("data unavailable") and blocks
// as a hard rule, at create and again at submit. (eligibility.test.mjs
// covers listing, locales and whitelists.)
//
// The stack runs with STACK_SEED=none: the reference seed is loaded here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'operators-test-password';
const E = '/api/v1/eligibility';
const A = '/api/v1/applications';
const S = '/api/v1/scholarships';
const P = '/api/v1/periods';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const fields = (r) => (r.json?.errors || []).map((e) => e.field).sort();
// Distinct fields (two failed rules on one field may give one entry each).
const distinct = (r) => [...new Set(fields(r))];
let n = 0;

async function signedIn(role) {
  const email = `ops-${role}-${RUN}-${n++}@ops.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Ops ${role}`, '--role', role], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return { email, id: l.json.user.id, token: l.json.access_token };
}
const call = (who, method, p, body) => http(p, {
  method,
  headers: { Authorization: `Bearer ${who.token}`, ...(body !== undefined ? json : {}) },
  body: body === undefined ? undefined : JSON.stringify(body),
});
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');

// The record: gpa 3.60, year 2, 4 terms, bachelor of EE/CSIE, enrolled, TW,
// F, general; class_rank_percent unknown.
let sa, student, number, sch;
const YEAR0 = 2160 + Math.floor(Math.random() * 30);
let k = 0;

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  student = await signedIn('student');
  number = `O${RUN}`.slice(0, 20);
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree,
          enrollment_status, gpa, year_of_study, terms_enrolled, nationality, gender, identity_category)
        VALUES ('${number}', '運算子測試', '${student.email}', 'EE', 'CSIE', 'bachelor',
          'enrolled', 3.60, 2, 4, 'TW', 'F', 'general')`);
  assert.equal((await call(student, 'PATCH', '/api/v1/auth/me', { locale: 'en' })).status, 200);
  const s = await call(sa, 'POST', S, {
    code: `OP${RUN}`.slice(0, 32), name: '運算子測試獎學金', name_en: 'Operators test', status: 'active',
    sub_types: [{ code: 'a', name: '甲', name_en: 'A', amount_cents: 100000 }, { code: 'b', name: '乙', name_en: 'B', amount_cents: 50000 }],
    sub_type_selection: 'single',
  });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
});

/** An open period of sch with these rules. */
async function period(rules) {
  const i = k++;
  const r = await call(sa, 'POST', `${S}/${sch.id}/periods`, {
    academic_year: YEAR0 + Math.floor(i / 3), term: i % 3, label: `ops ${i}`,
    opens_at: iso(-1), closes_at: iso(30), requires_reviewer_review: false, eligibility_rules: rules, whitelist: null,
  });
  assert.equal(r.status, 201, r.text);
  const o = await call(sa, 'POST', `${P}/${r.json.id}/status`, { status: 'open' });
  assert.equal(o.status, 200, o.text);
  return r.json;
}
async function itemOf(p) {
  const r = await call(student, 'GET', E);
  assert.equal(r.status, 200, r.text);
  const it = r.json.items.find((x) => x.period_id === p.id);
  assert.ok(it, 'the period is listed');
  return it;
}
const rule = (field, operator, value, hard = false, extra = {}) =>
  ({ field, operator, value, hard, message: `${field} ${operator} ${JSON.stringify(value)}`, message_en: `${field} ${operator} ${JSON.stringify(value)}`, ...extra });
const apps = (p) => Number(sql1(`SELECT count(*) FROM applications WHERE period_id = '${p.id}'`));

// [field, operator, value, passes for the record above]
const CASES = [
  ['degree', '==', 'bachelor', true], ['degree', '==', 'master', false], ['year_of_study', '==', 2, true],
  ['gpa', '==', 3.6, true],
  ['nationality', '!=', 'JP', true], ['nationality', '!=', 'TW', false], ['terms_enrolled', '!=', 4, false],
  ['gpa', '>', 3.5, true], ['gpa', '>', 3.6, false], ['year_of_study', '>', 1, true],
  ['gpa', '>=', 3.6, true], ['year_of_study', '>=', 3, false], ['gpa', '>=', 3.61, false],
  ['year_of_study', '<', 3, true], ['year_of_study', '<', 2, false], ['gpa', '<', 3.61, true],
  ['terms_enrolled', '<=', 4, true], ['gpa', '<=', 3.59, false], ['terms_enrolled', '<=', 3, false],
  ['college_code', 'in', ['EE', 'SCI'], true], ['identity_category', 'in', ['low_income', 'disability'], false],
  ['year_of_study', 'in', [1, 2], true], ['department_code', 'in', ['csie'], false],
  ['gender', 'not_in', ['M', 'X'], true], ['enrollment_status', 'not_in', ['enrolled', 'leave'], false],
  ['terms_enrolled', 'not_in', [5, 6], true], ['terms_enrolled', 'not_in', [4], false],
];

test('every operator on strings and numbers, at its boundaries: passed as expected; warnings never block', async () => {
  const rules = CASES.map(([f, op, v]) => rule(f, op, v));
  const p = await period(rules);
  const it = await itemOf(p);
  assert.equal(it.rules.length, CASES.length);
  const got = it.rules.map((x) => `${x.field} ${x.operator} ${x.passed}`);
  const want = CASES.map(([f, op, , ok]) => `${f} ${op} ${ok}`);
  assert.deepEqual(got, want);
  assert.ok(it.rules.every((x) => x.hard === false && x.sub_type === null));
  assert.deepEqual(it.rules.map((x) => x.message), rules.map((x) => x.message_en));
  assert.equal(it.eligible, true, 'failing warnings do not make the student ineligible');
  assert.deepEqual(it.sub_types, ['a', 'b']);
  const c = await call(student, 'POST', A, { period_id: p.id, sub_types: ['a'] });
  assert.equal(c.status, 201, c.text);
  assert.deepEqual(c.json.eligibility_snapshot.rules.map((x) => x.passed), CASES.map((x) => x[3]));
});

test('hard rules: all operators passing allow create; each operator failing is 422 eligibility.<field>, warnings unlisted', async () => {
  const passing = CASES.filter((x) => x[3]).map(([f, op, v]) => rule(f, op, v, true));
  assert.deepEqual([...new Set(passing.map((x) => x.operator))].sort(), ['!=', '<', '<=', '==', '>', '>=', 'in', 'not_in']);
  const ok = await period(passing);
  assert.equal((await itemOf(ok)).eligible, true);
  const c = await call(student, 'POST', A, { period_id: ok.id, sub_types: ['b'] });
  assert.equal(c.status, 201, c.text);
  const seen = new Set();
  for (const [f, op, v] of CASES.filter((x) => !x[3])) {
    if (seen.has(op)) continue;
    seen.add(op);
    // The failing hard rule, a failing warning on another field, a passing hard rule.
    const p = await period([rule(f, op, v, true), rule('nationality', '==', 'JP'), rule('degree', '==', 'bachelor', true)]);
    const it = await itemOf(p);
    assert.equal(it.eligible, false, `${f} ${op}`);
    assert.deepEqual(it.sub_types, []);
    const r = await call(student, 'POST', A, { period_id: p.id, sub_types: ['b'] });
    assert.ok(isProblem(r, 422), `${f} ${op} ${JSON.stringify(v)}: ${r.status} ${r.text}`);
    assert.deepEqual(fields(r), [`eligibility.${f}`], `${f} ${op}: ${r.text}`);
    assert.equal(apps(p), 0);
  }
  assert.equal(seen.size, 8, 'every operator failed once');
  // Two failing hard rules are both listed.
  const two = await period([rule('gpa', '>', 3.6, true), rule('gender', 'in', ['M'], true)]);
  const r = await call(student, 'POST', A, { period_id: two.id, sub_types: ['b'] });
  assert.ok(isProblem(r, 422));
  assert.deepEqual(fields(r), ['eligibility.gender', 'eligibility.gpa']);
});

test('sub-type-scoped rules: a failing hard one closes only its sub-type, a scoped warning closes nothing', async () => {
  const p = await period([
    rule('college_code', 'not_in', ['EE'], true, { sub_type: 'a' }),
    rule('gpa', '>=', 3.0, true, { sub_type: 'b' }),
    rule('gender', '==', 'M', false, { sub_type: 'b' }),
  ]);
  const it = await itemOf(p);
  assert.equal(it.eligible, true);
  assert.deepEqual(it.sub_types, ['b']);
  assert.deepEqual(it.rules.map((x) => [x.sub_type, x.hard, x.passed]), [['a', true, false], ['b', true, true], ['b', false, false]]);
  let r = await call(student, 'POST', A, { period_id: p.id, sub_types: ['a'] });
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(fields(r), ['sub_types']);
  r = await call(student, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(r.status, 201, r.text);
  // Every sub-type closed: ineligible, nothing can be created.
  const shut = await period([rule('year_of_study', '>', 2, true, { sub_type: 'a' }), rule('degree', '!=', 'bachelor', true, { sub_type: 'b' })]);
  const it2 = await itemOf(shut);
  assert.equal(it2.eligible, false);
  assert.deepEqual(it2.sub_types, []);
  for (const subs of [['a'], ['b']]) {
    r = await call(student, 'POST', A, { period_id: shut.id, sub_types: subs });
    assert.ok(isProblem(r, 422), r.text);
  }
  assert.equal(apps(shut), 0);
});

test('missing data fails every operator ("data unavailable"); as a hard rule it blocks create and submit', async () => {
  const ops = [['==', 5], ['!=', 5], ['>', 0], ['>=', 0], ['<', 100], ['<=', 100], ['in', [1, 2]], ['not_in', [1, 2]]];
  const warn = await period(ops.map(([op, v]) => rule('class_rank_percent', op, v)));
  const it = await itemOf(warn);
  assert.deepEqual(it.rules.map((x) => [x.operator, x.passed, x.message]), ops.map(([op]) => [op, false, 'data unavailable']));
  assert.equal(it.eligible, true, 'as warnings they do not block');
  const hard = await period([rule('class_rank_percent', '!=', 50, true), rule('class_rank_percent', 'not_in', [50], true)]);
  const h = await itemOf(hard);
  assert.equal(h.eligible, false);
  assert.deepEqual(h.rules.map((x) => [x.passed, x.message]), [[false, 'data unavailable'], [false, 'data unavailable']]);
  let r = await call(student, 'POST', A, { period_id: hard.id, sub_types: ['b'] });
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(distinct(r), ['eligibility.class_rank_percent']);
  // The registrar fills it in: the rule is judged on the value now.
  sql1(`UPDATE students SET class_rank_percent = 12.5 WHERE student_number = '${number}'`);
  try {
    const h2 = await itemOf(hard);
    assert.equal(h2.eligible, true);
    assert.deepEqual(h2.rules.map((x) => x.passed), [true, true]);
    r = await call(student, 'POST', A, { period_id: hard.id, sub_types: ['b'] });
    assert.equal(r.status, 201, r.text);
    // ... and takes it back before submit: the submit fails on the same rule.
    sql1(`UPDATE students SET class_rank_percent = NULL WHERE student_number = '${number}'`);
    const s = await call(student, 'POST', `${A}/${r.json.id}/submit`);
    assert.ok(isProblem(s, 422), s.text);
    assert.deepEqual(distinct(s), ['eligibility.class_rank_percent']);
    assert.equal(sql1(`SELECT status FROM applications WHERE id = '${r.json.id}'`), 'draft');
  } finally {
    sql1(`UPDATE students SET class_rank_percent = NULL WHERE student_number = '${number}'`);
  }
});
