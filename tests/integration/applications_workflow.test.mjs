// applications_workflow.test.mjs -- the application workflow (DESIGN §6
// "Concurrency", §8 "Applications") against the real stack:
// PATCH /applications/{id} needs If-Match (428 without, 412 stale), merges
// answers (a key replaces, null removes), validates every answer against
// the period's form (text max_length in characters, pattern, number
// min/max, date, email, select options, checkbox true/false or options,
// unknown key) listing every bad one as answers.<key> at once, and checks
// sub_types like create; POST .../submit is 200 with the stage the period
// asks for, 422 listing every problem at once (missing required and
// invalid answers, a hard rule failed since the student record changed,
// accept_terms for a period with a terms document), 409 outside the
// window and from any status but draft/returned; POST .../status walks
// every edge of the staff transition table (200 for an admin in scope),
// refuses other moves (409), lets a super admin force one only with a
// reason (422 "reason" without); history rows carry from, to, actor and
// reason; a returned application with due_on may be resubmitted after
// closes_at until its due day, not after; withdrawing makes room for a new
// application; PUT .../reviewers (If-Match) replaces the set and refuses
// non-reviewers; every change writes one audit_log row, failures none.
//
// The stack runs with STACK_SEED=none: the reference seed is loaded here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'workflow-test-password';
const A = '/api/v1/applications';
const S = '/api/v1/scholarships';
const P = '/api/v1/periods';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const NOBODY = '00000000-0000-4000-8000-000000000000';
let n = 0;

async function signedIn(role) {
  const email = `wf-${role}-${RUN}-${n++}@wf.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Workflow ${role} ${n}`, '--role', role], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return { email, id: l.json.user.id, token: l.json.access_token };
}
const call = (who, method, p, body, extra = {}) => http(p, {
  method,
  headers: { ...(who ? { Authorization: `Bearer ${who.token}` } : {}), ...(body !== undefined ? json : {}), ...extra },
  body: body === undefined ? undefined : JSON.stringify(body),
});
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const day = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
const fields = (r) => (r.json?.errors || []).map((e) => e.field).sort();
// Distinct fields (one field may carry several messages).
const distinct = (r) => [...new Set(fields(r))];
const ifMatch = (v) => ({ 'If-Match': `"${v}"` });

const RULES = [
  { field: 'gpa', operator: '>=', value: 3.5, hard: true, message: '學業成績達 3.5', message_en: 'GPA at least 3.5' },
  { field: 'year_of_study', operator: '>=', value: 3, hard: false, message: '建議三年級以上', message_en: 'Third year or later recommended' },
  { field: 'degree', operator: '==', value: 'master', hard: true, sub_type: 'a', message: '甲類限碩士', message_en: 'Type A is for master students' },
];
const FORM = [
  { key: 'nickname', label: '暱稱', type: 'text', required: true, max_length: 5 },
  { key: 'code', label: '代碼', type: 'text', pattern: '^[A-Z]{3}[0-9]{2}$' },
  { key: 'bio', label: '自傳', type: 'textarea', max_length: 50 },
  { key: 'income', label: '家庭年收入', type: 'number', required: true, min: 0, max: 1000 },
  { key: 'birthday', label: '生日', type: 'date' },
  { key: 'contact', label: '聯絡信箱', type: 'email', required: true },
  { key: 'color', label: '顏色', type: 'select', options: ['red', 'green'] },
  { key: 'agree', label: '同意', type: 'checkbox' },
  { key: 'langs', label: '語言', type: 'checkbox', options: ['zh', 'en', 'ja'] },
];
const GOOD = { nickname: 'abc', income: 10, contact: 'me@example.edu' };

let sa, admin, s1, s2, r1, r2, rOff, sch;
// Academic years of this suite, away from other suites' (2100.., 2300..).
const YEAR0 = 2000 + Math.floor(Math.random() * 30);
let k = 0;

function record(who, number, gpa = 3.8) {
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree,
          enrollment_status, gpa, year_of_study, terms_enrolled, nationality, gender, identity_category)
        VALUES ('${number}', '流程測試', '${who.email}', 'EE', 'CSIE', 'bachelor',
          'enrolled', ${gpa}, 2, 4, 'TW', 'F', 'general')`);
}

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
  s1 = await signedIn('student');
  s2 = await signedIn('student');
  r1 = await signedIn('reviewer');
  r2 = await signedIn('reviewer');
  rOff = await signedIn('reviewer');
  sql1(`UPDATE users SET active = false WHERE id = '${rOff.id}'`);
  record(s1, `W1${RUN}`.slice(0, 20));
  record(s2, `W2${RUN}`.slice(0, 20));
  const s = await call(sa, 'POST', S, {
    code: `WF${RUN}`.slice(0, 32), name: '流程測試獎學金', name_en: 'Workflow test', status: 'active',
    sub_types: [{ code: 'a', name: '甲', name_en: 'A', amount_cents: 100000 }, { code: 'b', name: '乙', name_en: 'B', amount_cents: 50000 }],
    sub_type_selection: 'single',
  });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
  sql1(`INSERT INTO scholarship_admins (scholarship_id, user_id) VALUES ('${sch.id}', '${admin.id}')`);
});

/** A period of sch (its own academic year and term), opened unless open is false. */
async function period(extra = {}, open = true) {
  const i = k++;
  const r = await call(sa, 'POST', `${S}/${sch.id}/periods`, {
    academic_year: YEAR0 + Math.floor(i / 3), term: i % 3, label: `workflow ${i}`,
    opens_at: iso(-1), closes_at: iso(30), requires_reviewer_review: false, requires_college_review: false,
    eligibility_rules: RULES, whitelist: null, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  if (open) {
    const o = await call(sa, 'POST', `${P}/${r.json.id}/status`, { status: 'open' });
    assert.equal(o.status, 200, o.text);
  }
  return r.json;
}
async function draft(who, p, subs = ['b']) {
  const r = await call(who, 'POST', A, { period_id: p.id, sub_types: subs });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function submit(who, app, body) {
  const r = await call(who, 'POST', `${A}/${app.id}/submit`, body);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'submitted');
  return r.json;
}
/** A fresh submitted application of s1 in a period of its own. */
async function submitted(extra = {}) {
  const p = await period(extra);
  return submit(s1, await draft(s1, p));
}
const get = async (who, id) => {
  const r = await call(who, 'GET', `${A}/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const hist = (app) => app.status_history.map((h) => [h.from_status, h.to_status, h.actor_id, h.reason]);
const audits = (id) => sql1(`SELECT count(*) FROM audit_log WHERE entity_type = 'application' AND entity_id = '${id}'`);
const lastAudit = (id) => sql1(`SELECT action || '|' || coalesce(actor_id::text, '') || '|' || coalesce(request_id, '')
  FROM audit_log WHERE entity_type = 'application' AND entity_id = '${id}' ORDER BY id DESC LIMIT 1`).split('|');

/** A staff move that must succeed: 200, the new status, a history row, an audit row. */
async function move(who, app, to, extra = {}) {
  const was = Number(audits(app.id));
  const r = await call(who, 'POST', `${A}/${app.id}/status`, { status: to, ...extra });
  assert.equal(r.status, 200, `${app.status} -> ${to}: ${r.text}`);
  assert.equal(r.json.status, to);
  assert.equal(r.json.version, app.version + 1, `${app.status} -> ${to} bumps the version`);
  assert.equal(r.headers.get('etag'), `"${r.json.version}"`);
  assert.deepEqual(hist(r.json).at(-1), [app.status, to, who.id, extra.reason ?? null]);
  assert.equal(r.json.status_history.length, app.status_history.length + 1);
  assert.equal(Number(audits(app.id)), was + 1, `${app.status} -> ${to} is audited`);
  const [action, actor, rid] = lastAudit(app.id);
  assert.match(action, /^application\./);
  assert.equal(actor, who.id);
  assert.equal(rid, r.headers.get('x-request-id'));
  return r.json;
}

/* ---- PATCH ------------------------------------------------------------ */

test('PATCH: no If-Match 428, a stale one 412 (nothing saved); the current one 200 with the next ETag', async () => {
  const p = await period({ form_fields: FORM });
  const d = await draft(s1, p);
  const url = `${A}/${d.id}`;
  let r = await call(s1, 'PATCH', url, { answers: { nickname: 'abc' } });
  assert.ok(isProblem(r, 428), r.text);
  r = await call(s1, 'PATCH', url, { answers: { nickname: 'abc' } }, ifMatch(7));
  assert.ok(isProblem(r, 412), r.text);
  let now = await get(s1, d.id);
  assert.deepEqual(now.answers, {});
  assert.equal(now.version, 1);
  assert.equal(audits(d.id), '1', 'only the create is audited');
  r = await call(s1, 'PATCH', url, { answers: { nickname: 'abc' } }, ifMatch(1));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 2);
  assert.equal(r.headers.get('etag'), '"2"');
  assert.deepEqual(r.json.answers, { nickname: 'abc' });
  assert.equal(r.json.status, 'draft');
  assert.equal(audits(d.id), '2');
  assert.equal(lastAudit(d.id)[1], s1.id);
  // The old version is stale now.
  r = await call(s1, 'PATCH', url, { answers: { nickname: 'xyz' } }, ifMatch(1));
  assert.ok(isProblem(r, 412), r.text);
  now = await get(s1, d.id);
  assert.deepEqual(now.answers, { nickname: 'abc' });
  assert.equal(audits(d.id), '2');
});

test('PATCH merges: a key given replaces, null removes, other keys and sub_types stay', async () => {
  const p = await period({ form_fields: FORM });
  const d = await draft(s1, p);
  const url = `${A}/${d.id}`;
  let v = 1;
  const patch = async (body) => {
    const r = await call(s1, 'PATCH', url, body, ifMatch(v));
    assert.equal(r.status, 200, `${JSON.stringify(body)}: ${r.text}`);
    v = r.json.version;
    return r.json;
  };
  let a = await patch({ answers: { nickname: 'abc', income: 12.5, color: 'red' } });
  assert.deepEqual(a.answers, { nickname: 'abc', income: 12.5, color: 'red' });
  a = await patch({ answers: { income: 30 } });
  assert.deepEqual(a.answers, { nickname: 'abc', income: 30, color: 'red' });
  a = await patch({ answers: { nickname: null, color: 'green' } });
  assert.deepEqual(a.answers, { income: 30, color: 'green' });
  a = await patch({ sub_types: ['b'] });
  assert.deepEqual(a.answers, { income: 30, color: 'green' }, 'answers untouched by a sub_types-only PATCH');
  assert.deepEqual(a.sub_types, ['b']);
  a = await patch({ answers: { color: null, income: null } });
  assert.deepEqual(a.answers, {});
  assert.equal(a.version, 6);
  assert.deepEqual((await get(s1, d.id)).answers, {});
});

test('PATCH: a valid answer of every field type is stored as given (bounds inclusive, length in characters)', async () => {
  const p = await period({ form_fields: FORM });
  const d = await draft(s1, p);
  const all = {
    nickname: '王小明大同', code: 'ABC12', bio: '我喜歡寫程式', income: 0, birthday: '2000-02-29',
    contact: 'someone@example.edu', color: 'green', agree: true, langs: ['zh', 'ja'],
  };
  let r = await call(s1, 'PATCH', `${A}/${d.id}`, { answers: all }, ifMatch(1));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.answers, all);
  r = await call(s1, 'PATCH', `${A}/${d.id}`, { answers: { income: 1000, agree: false, langs: [] } }, ifMatch(2));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.answers, { ...all, income: 1000, agree: false, langs: [] });
  assert.deepEqual((await get(s1, d.id)).answers, r.json.answers);
});

test('PATCH: every bad answer is listed at once as answers.<key>; nothing is saved', async () => {
  const p = await period({ form_fields: FORM });
  const d = await draft(s1, p);
  const url = `${A}/${d.id}`;
  const ok = await call(s1, 'PATCH', url, { answers: { nickname: 'abc' } }, ifMatch(1));
  assert.equal(ok.status, 200, ok.text);
  const cases = [
    // too long, pattern, above max, no such day, no @, not an option, not a boolean, option not listed, unknown, wrong type
    { nickname: 'abcdef', code: 'abc12', income: 1000.5, birthday: '2021-02-30', contact: 'not-an-email',
      color: 'blue', agree: 'yes', langs: ['zh', 'fr'], nope: 'x', bio: 42 },
    // below min, wrong format, wrong types everywhere
    { income: -1, birthday: '2020/01/01', contact: 5, color: ['red'], agree: 1, langs: 'zh', nickname: 123, code: 12345 },
    { income: '5', bio: 'x'.repeat(51), birthday: 20200101 },
  ];
  for (const answers of cases) {
    const r = await call(s1, 'PATCH', url, { answers }, ifMatch(2));
    assert.ok(isProblem(r, 422), `${JSON.stringify(answers)}: ${r.status} ${r.text}`);
    assert.deepEqual(fields(r), Object.keys(answers).map((x) => `answers.${x}`).sort(), r.text);
  }
  // A bad one next to good ones: nothing of it is saved.
  const r = await call(s1, 'PATCH', url, { answers: { income: 5, color: 'purple' } }, ifMatch(2));
  assert.ok(isProblem(r, 422));
  assert.deepEqual(fields(r), ['answers.color']);
  const now = await get(s1, d.id);
  assert.deepEqual(now.answers, { nickname: 'abc' });
  assert.equal(now.version, 2);
  assert.equal(audits(d.id), '2');
  // answers must be an object; unknown body fields are refused.
  for (const body of [{ answers: ['x'] }, { answers: 'x' }, { status: 'approved' }]) {
    const b = await call(s1, 'PATCH', url, body, ifMatch(2));
    assert.ok(isProblem(b, 422), `${JSON.stringify(body)}: ${b.text}`);
    assert.deepEqual(fields(b), [Object.keys(body)[0]], b.text);
  }
  assert.equal((await get(s1, d.id)).status, 'draft');
});

test('PATCH sub_types: closed to the student, unknown, repeated, two under single, none -> 422 "sub_types"; an open one 200', async () => {
  const p = await period({ form_fields: FORM });
  const d = await draft(s1, p);
  const url = `${A}/${d.id}`;
  for (const [subs, why] of [[['a'], 'closed to a bachelor'], [['a', 'b'], 'two under single'], [['zz'], 'unknown'],
    [['b', 'b'], 'repeated'], [[], 'none']]) {
    const r = await call(s1, 'PATCH', url, { sub_types: subs }, ifMatch(1));
    assert.ok(isProblem(r, 422), `${why}: ${r.text}`);
    assert.deepEqual(distinct(r), ['sub_types'], `${why}: ${r.text}`);
  }
  // Both reported at once with a bad answer.
  const both = await call(s1, 'PATCH', url, { sub_types: ['zz'], answers: { color: 'blue' } }, ifMatch(1));
  assert.ok(isProblem(both, 422));
  assert.deepEqual(distinct(both), ['answers.color', 'sub_types']);
  assert.deepEqual((await get(s1, d.id)).sub_types, ['b']);
  // Without the sub-type rule both are open: switching to a is fine.
  const open = await period({ eligibility_rules: RULES.slice(0, 2) });
  const d2 = await draft(s1, open);
  const r = await call(s1, 'PATCH', `${A}/${d2.id}`, { sub_types: ['a'] }, ifMatch(1));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.sub_types, ['a']);
  assert.deepEqual((await get(s1, d2.id)).sub_types, ['a']);
});

test('PATCH: another student 404; a submitted application 409', async () => {
  const p = await period();
  const d = await draft(s1, p);
  assert.ok(isProblem(await call(s2, 'PATCH', `${A}/${d.id}`, { sub_types: ['b'] }, ifMatch(1)), 404));
  assert.ok(isProblem(await call(s1, 'PATCH', `${A}/${NOBODY}`, { sub_types: ['b'] }, ifMatch(1)), 404));
  const s = await submit(s1, d);
  const r = await call(s1, 'PATCH', `${A}/${d.id}`, { sub_types: ['b'] }, ifMatch(s.version));
  assert.ok(isProblem(r, 409), r.text);
  assert.equal((await get(s1, d.id)).version, s.version);
});

/* ---- submit ----------------------------------------------------------- */

test('submit: 200 submitted at the stage the period asks for, with history, snapshot and audit', async () => {
  for (const [extra, stage] of [
    [{ requires_reviewer_review: true, reviewer_review_ends_at: iso(40) }, 'reviewer'],
    [{ requires_reviewer_review: true, reviewer_review_ends_at: iso(40), requires_college_review: true, college_review_ends_at: iso(50) }, 'reviewer'],
    [{ requires_college_review: true, college_review_ends_at: iso(50) }, 'college'],
    [{}, 'admin'],
  ]) {
    const p = await period(extra);
    const d = await draft(s1, p);
    const t0 = Date.now();
    const r = await call(s1, 'POST', `${A}/${d.id}/submit`); // empty body, no Content-Type
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'submitted');
    assert.equal(r.json.stage, stage, JSON.stringify(extra));
    assert.equal(r.json.version, 2);
    assert.equal(r.headers.get('etag'), '"2"');
    assert.ok(Math.abs(Date.parse(r.json.submitted_at) - t0) < 60000, r.json.submitted_at);
    assert.equal(r.json.terms_accepted_at, null);
    assert.equal(r.json.eligibility_snapshot.eligible, true);
    assert.deepEqual(hist(r.json), [[null, 'draft', s1.id, null], ['draft', 'submitted', s1.id, null]]);
    assert.deepEqual(await get(s1, d.id), r.json);
    assert.equal(audits(d.id), '2');
    assert.equal(lastAudit(d.id)[1], s1.id);
  }
});

test('submit: 422 lists every problem at once (required, invalid, a hard rule failed since create, terms); then 200', async () => {
  const sG = await signedIn('student');
  const number = `WG${RUN}`.slice(0, 20);
  record(sG, number, 3.8);
  const p = await period({ form_fields: FORM, terms_document: 'regulations-2026.pdf' });
  const d = await draft(sG, p);
  const url = `${A}/${d.id}`;
  let r = await call(sG, 'PATCH', url, { answers: { code: 'ABC12' } }, ifMatch(1));
  assert.equal(r.status, 200, r.text);
  // The registrar's record changes after create, and an answer that no
  // longer fits the form sits in the row.
  sql1(`UPDATE students SET gpa = 3.20 WHERE student_number = '${number}'`);
  sql1(`UPDATE applications SET answers = answers || '{"bio": "${'x'.repeat(60)}"}' WHERE id = '${d.id}'`);
  const want = ['accept_terms', 'answers.bio', 'answers.contact', 'answers.income', 'answers.nickname', 'eligibility.gpa'];
  r = await call(sG, 'POST', `${url}/submit`);
  assert.ok(isProblem(r, 422), r.text);
  const first = [distinct(r), r.text]; // checked last, so the rest runs either way
  r = await call(sG, 'POST', `${url}/submit`, { accept_terms: false });
  assert.ok(isProblem(r, 422), r.text);
  const second = [distinct(r), r.text];
  let now = await get(sG, d.id);
  assert.equal(now.status, 'draft');
  assert.equal(now.version, 2);
  assert.equal(now.submitted_at, null);
  assert.equal(now.status_history.length, 1);
  assert.equal(audits(d.id), '2', 'failed submits are not audited');
  // Fix everything; the warning passes now too, and the snapshot shows it.
  sql1(`UPDATE students SET gpa = 3.80, year_of_study = 3 WHERE student_number = '${number}'`);
  r = await call(sG, 'PATCH', url, { answers: { ...GOOD, bio: null } }, ifMatch(2));
  assert.equal(r.status, 200, r.text);
  r = await call(sG, 'POST', `${url}/submit`, {});
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(fields(r), ['accept_terms'], 'terms still unaccepted');
  const t0 = Date.now();
  r = await call(sG, 'POST', `${url}/submit`, { accept_terms: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'submitted');
  assert.ok(Math.abs(Date.parse(r.json.terms_accepted_at) - t0) < 60000, r.json.terms_accepted_at);
  const snap = r.json.eligibility_snapshot;
  assert.equal(snap.eligible, true);
  assert.equal(snap.rules.find((x) => x.field === 'year_of_study').passed, true, 'the snapshot is re-evaluated at submit');
  now = await get(sG, d.id);
  assert.equal(now.terms_accepted_at, r.json.terms_accepted_at);
  assert.equal(audits(d.id), '4');
  assert.deepEqual(first[0], want, first[1]);
  assert.deepEqual(second[0], want, second[1]);
});

test('submit outside the window (closes_at passed, period closed) is 409; the draft stays a draft', async () => {
  const p = await period();
  const d = await draft(s1, p);
  sql1(`UPDATE periods SET opens_at = now() - interval '2 days', closes_at = now() - interval '1 minute' WHERE id = '${p.id}'`);
  let r = await call(s1, 'POST', `${A}/${d.id}/submit`);
  assert.ok(isProblem(r, 409), r.text);
  assert.equal((await get(s1, d.id)).status, 'draft');
  const q = await period();
  const e = await draft(s1, q);
  assert.equal((await call(sa, 'POST', `${P}/${q.id}/status`, { status: 'closed' })).status, 200);
  r = await call(s1, 'POST', `${A}/${e.id}/submit`);
  assert.ok(isProblem(r, 409), r.text);
  const now = await get(s1, e.id);
  assert.equal(now.status, 'draft');
  assert.equal(now.submitted_at, null);
  assert.equal(audits(e.id), '1');
});

test('submit from submitted, under_review or withdrawn is 409', async () => {
  const s = await submitted();
  let r = await call(s1, 'POST', `${A}/${s.id}/submit`);
  assert.ok(isProblem(r, 409), r.text);
  const u = await move(admin, s, 'under_review');
  r = await call(s1, 'POST', `${A}/${s.id}/submit`);
  assert.ok(isProblem(r, 409), r.text);
  assert.equal((await get(s1, s.id)).version, u.version);
  const p = await period();
  const d = await draft(s1, p);
  assert.equal((await call(s1, 'POST', `${A}/${d.id}/withdraw`)).status, 200);
  r = await call(s1, 'POST', `${A}/${d.id}/submit`);
  assert.ok(isProblem(r, 409), r.text);
  assert.equal((await get(s1, d.id)).status, 'withdrawn');
  // Someone else's draft: 404.
  const mine = await draft(s1, await period());
  assert.ok(isProblem(await call(s2, 'POST', `${A}/${mine.id}/submit`), 404));
});

/* ---- staff transitions ------------------------------------------------ */

test('every edge of the transition table is 200 for an admin in scope, recorded and audited', async () => {
  const chains = [
    ['under_review', 'pending_documents', 'under_review', 'approved', 'cancelled'],
    ['pending_documents', 'returned', 'cancelled'],
    ['returned'],
    ['rejected'],
    ['cancelled'],
    ['under_review', 'returned'],
    ['under_review', 'partially_approved', 'cancelled'],
    ['under_review', 'rejected'],
    ['under_review', 'cancelled'],
    ['pending_documents', 'rejected'],
    ['pending_documents', 'cancelled'],
  ];
  const edges = new Set();
  for (const chain of chains) {
    let app = await submitted();
    let i = 0;
    for (const to of chain) {
      edges.add(`${app.status}>${to}`);
      app = await move(admin, app, to, i++ % 2 ? { reason: `理由 ${to}` } : {});
      if (to === 'returned') assert.equal(app.stage, 'student', 'returned hands it back to the student');
    }
    const got = await get(admin, app.id);
    assert.deepEqual(hist(got), hist(app), 'GET shows the same history');
    assert.deepEqual(hist(got).slice(2).map((h) => h[1]), chain);
    assert.equal(Number(sql1(`SELECT count(*) FROM application_status_history WHERE application_id = '${app.id}'`)), chain.length + 2);
  }
  assert.equal(edges.size, 18, [...edges].join(' '));
});

test('moves outside the table are 409 for an admin (nothing changes); an unknown status 422', async () => {
  const check = async (app, tos) => {
    for (const to of tos) {
      const r = await call(admin, 'POST', `${A}/${app.id}/status`, { status: to, reason: '試試看' });
      assert.ok(isProblem(r, 409), `${app.status} -> ${to}: ${r.status} ${r.text}`);
    }
    const now = await get(admin, app.id);
    assert.equal(now.status, app.status);
    assert.equal(now.version, app.version);
    assert.equal(now.status_history.length, app.status_history.length);
  };
  const d = await draft(s1, await period());
  await check(d, ['submitted', 'under_review', 'approved', 'draft']);
  const s = await submitted();
  await check(s, ['approved', 'partially_approved', 'submitted', 'draft', 'withdrawn']);
  const ret = await move(admin, s, 'returned');
  await check(ret, ['submitted', 'under_review', 'approved', 'returned']);
  const rej = await move(admin, await submitted(), 'rejected');
  await check(rej, ['approved', 'under_review', 'cancelled']);
  const can = await move(admin, await submitted(), 'cancelled');
  await check(can, ['under_review', 'submitted']);
  const appr = await move(admin, await move(admin, await submitted(), 'under_review'), 'approved');
  await check(appr, ['rejected', 'partially_approved', 'under_review']);
  const pd = await move(admin, await submitted(), 'pending_documents');
  await check(pd, ['approved', 'pending_documents']);
  const audited = audits(pd.id);
  for (const body of [{ status: 'bogus' }, { status: 42 }, {}]) {
    const r = await call(admin, 'POST', `${A}/${pd.id}/status`, body);
    assert.ok(isProblem(r, 422), `${JSON.stringify(body)}: ${r.text}`);
    assert.deepEqual(fields(r), ['status'], r.text);
  }
  assert.equal(audits(pd.id), audited, 'refused moves are not audited');
  // Neither a student nor an admin of nothing may move it.
  assert.ok(isProblem(await call(s1, 'POST', `${A}/${pd.id}/status`, { status: 'under_review' }), 403));
});

test('a super admin forces a move outside the table only with a reason (422 "reason" without)', async () => {
  const rej = await move(admin, await submitted(), 'rejected', { reason: '資料不符' });
  for (const body of [{ status: 'approved' }, { status: 'approved', reason: '' }, { status: 'approved', reason: null }]) {
    const r = await call(sa, 'POST', `${A}/${rej.id}/status`, body);
    assert.ok(isProblem(r, 422), `${JSON.stringify(body)}: ${r.text}`);
    assert.deepEqual(fields(r), ['reason'], r.text);
  }
  assert.equal((await get(sa, rej.id)).status, 'rejected');
  const forced = await move(sa, rej, 'approved', { reason: '申覆成立' });
  assert.deepEqual(hist(forced).slice(-2), [['submitted', 'rejected', admin.id, '資料不符'], ['rejected', 'approved', sa.id, '申覆成立']]);
  // A returned one pushed back to submitted by force.
  const ret = await move(admin, await submitted(), 'returned');
  await move(sa, ret, 'submitted', { reason: '學生已補件，代為送出' });
  // Allowed moves need no reason from a super admin either.
  await move(sa, await submitted(), 'under_review');
});

test('history rows carry from, to, actor and reason in GET for the owner and staff', async () => {
  const s = await submitted();
  const u = await move(admin, s, 'under_review', { reason: '開始審查' });
  const pd = await move(admin, u, 'pending_documents', { reason: '缺成績單' });
  await move(sa, pd, 'under_review');
  const want = [[null, 'draft', s1.id, null], ['draft', 'submitted', s1.id, null],
    ['submitted', 'under_review', admin.id, '開始審查'], ['under_review', 'pending_documents', admin.id, '缺成績單'],
    ['pending_documents', 'under_review', sa.id, null]];
  for (const who of [s1, admin, sa]) {
    const g = await get(who, s.id);
    assert.deepEqual(hist(g), want);
    const at = g.status_history.map((h) => Date.parse(h.at));
    assert.ok(at.every((x, i) => Number.isFinite(x) && (i === 0 || x >= at[i - 1])), 'in time order');
  }
});

/* ---- returned, due_on, resubmission ------------------------------------ */

test('due_on: only with returned, a real date (422 "due_on" otherwise); returned sets stage student and resubmit_until', async () => {
  const s = await submitted();
  for (const body of [{ status: 'under_review', due_on: day(3) }, { status: 'returned', due_on: '2026-02-30' },
    { status: 'returned', due_on: 'tomorrow' }, { status: 'returned', due_on: 20260101 }]) {
    const r = await call(admin, 'POST', `${A}/${s.id}/status`, body);
    assert.ok(isProblem(r, 422), `${JSON.stringify(body)}: ${r.text}`);
    assert.deepEqual(fields(r), ['due_on'], r.text);
  }
  assert.equal((await get(s1, s.id)).status, 'submitted');
  const due = day(3);
  const ret = await move(admin, s, 'returned', { reason: '請補充自傳', due_on: due });
  assert.equal(ret.stage, 'student');
  // The end of that day in INSTITUTION_TIMEZONE (UTC on this stack).
  const until = Date.parse(ret.resubmit_until);
  assert.ok(until > Date.parse(`${due}T12:00:00Z`) && until <= Date.parse(`${due}T00:00:00Z`) + 86400000,
    `resubmit_until ${ret.resubmit_until} ends ${due}`);
  assert.equal((await get(s1, s.id)).resubmit_until, ret.resubmit_until);
});

test('a returned application: PATCH allowed; resubmitted after closes_at until its due day (200), not after (409)', async () => {
  // Returned with a due date; the window closes; the student fixes and resubmits.
  const pA = await period({ form_fields: FORM });
  let a = await draft(s1, pA);
  let r = await call(s1, 'PATCH', `${A}/${a.id}`, { answers: GOOD }, ifMatch(1));
  assert.equal(r.status, 200, r.text);
  a = await move(admin, await submit(s1, r.json), 'returned', { reason: '請補充', due_on: day(3) });
  sql1(`UPDATE periods SET opens_at = now() - interval '2 days', closes_at = now() - interval '1 minute' WHERE id = '${pA.id}'`);
  r = await call(s1, 'PATCH', `${A}/${a.id}`, { answers: { bio: '補充說明' } }, ifMatch(a.version));
  assert.equal(r.status, 200, r.text);
  r = await call(s1, 'POST', `${A}/${a.id}/submit`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'submitted');
  assert.equal(r.json.stage, 'admin');
  assert.equal(r.json.answers.bio, '補充說明');
  assert.deepEqual(hist(r.json).at(-1), ['returned', 'submitted', s1.id, null]);
  // Past the due day: 409.
  const pB = await period();
  const b = await move(admin, await submit(s1, await draft(s1, pB)), 'returned', { due_on: day(3) });
  sql1(`UPDATE periods SET opens_at = now() - interval '3 days', closes_at = now() - interval '2 days' WHERE id = '${pB.id}'`);
  sql1(`UPDATE applications SET resubmit_until = now() - interval '1 minute' WHERE id = '${b.id}'`);
  r = await call(s1, 'POST', `${A}/${b.id}/submit`);
  assert.ok(isProblem(r, 409), r.text);
  assert.equal((await get(s1, b.id)).status, 'returned');
  // Returned without a due date: until closes_at only.
  const pC = await period();
  const c = await move(admin, await submit(s1, await draft(s1, pC)), 'returned');
  assert.equal(c.resubmit_until, null);
  sql1(`UPDATE periods SET opens_at = now() - interval '2 days', closes_at = now() - interval '1 minute' WHERE id = '${pC.id}'`);
  r = await call(s1, 'POST', `${A}/${c.id}/submit`);
  assert.ok(isProblem(r, 409), r.text);
  assert.equal((await get(s1, c.id)).status, 'returned');
  // ... and inside the window it is fine.
  const d = await move(admin, await submitted(), 'returned');
  r = await call(s1, 'POST', `${A}/${d.id}/submit`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(hist(r.json).at(-1), ['returned', 'submitted', s1.id, null]);
});

/* ---- withdraw --------------------------------------------------------- */

test('withdraw a submitted application, then a new one for the same period is 201; after a decision 409', async () => {
  const p = await period();
  const s = await submit(s1, await draft(s1, p));
  const w = await call(s1, 'POST', `${A}/${s.id}/withdraw`, { reason: '已獲他項獎學金' });
  assert.equal(w.status, 200, w.text);
  assert.equal(w.json.status, 'withdrawn');
  assert.deepEqual(hist(w.json).at(-1), ['submitted', 'withdrawn', s1.id, '已獲他項獎學金']);
  const again = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(again.status, 201, again.text);
  assert.equal(again.json.status, 'draft');
  assert.notEqual(again.json.id, s.id);
  assert.equal((await get(s1, s.id)).status, 'withdrawn');
  // Staff cannot revive the withdrawn one.
  assert.ok(isProblem(await call(admin, 'POST', `${A}/${s.id}/status`, { status: 'under_review' }), 409));
  const appr = await move(admin, await move(admin, await submitted(), 'under_review'), 'approved');
  const r = await call(s1, 'POST', `${A}/${appr.id}/withdraw`);
  assert.ok(isProblem(r, 409), r.text);
  assert.equal((await get(s1, appr.id)).status, 'approved');
});

/* ---- reviewers -------------------------------------------------------- */

test('PUT reviewers: If-Match (428/412), 422 reviewer_ids.<i> for non-reviewers and repeats, replaces the set', async () => {
  const s = await submitted();
  const url = `${A}/${s.id}/reviewers`;
  let v = s.version;
  assert.ok(isProblem(await call(admin, 'PUT', url, { reviewer_ids: [r1.id] }), 428));
  assert.ok(isProblem(await call(admin, 'PUT', url, { reviewer_ids: [r1.id] }, ifMatch(v + 5)), 412));
  // A student, an admin, nobody and an inactive reviewer are no reviewers.
  let r = await call(admin, 'PUT', url, { reviewer_ids: [r1.id, s2.id, admin.id, NOBODY, rOff.id] }, ifMatch(v));
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(fields(r), ['reviewer_ids.1', 'reviewer_ids.2', 'reviewer_ids.3', 'reviewer_ids.4'], r.text);
  r = await call(admin, 'PUT', url, { reviewer_ids: [r1.id, r2.id, r1.id] }, ifMatch(v));
  assert.ok(isProblem(r, 422), r.text);
  assert.ok(fields(r).length >= 1 && fields(r).every((f) => f.startsWith('reviewer_ids')), r.text);
  for (const body of [{ reviewer_ids: 'x' }, { reviewer_ids: ['not-a-uuid'] }, {}]) {
    r = await call(admin, 'PUT', url, body, ifMatch(v));
    assert.ok(isProblem(r, 422), `${JSON.stringify(body)}: ${r.text}`);
  }
  assert.deepEqual((await get(admin, s.id)).reviewers, []);
  assert.equal(audits(s.id), '2');
  const ids = (x) => x.reviewers.map((y) => y.id).sort();
  r = await call(admin, 'PUT', url, { reviewer_ids: [r1.id, r2.id] }, ifMatch(v));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, ++v);
  assert.equal(r.headers.get('etag'), `"${v}"`);
  assert.deepEqual(ids(r.json), [r1.id, r2.id].sort());
  const one = r.json.reviewers.find((x) => x.id === r1.id);
  assert.equal(one.email, r1.email);
  assert.match(one.full_name, /^Workflow reviewer/);
  assert.equal(audits(s.id), '3');
  assert.equal(lastAudit(s.id)[1], admin.id);
  r = await call(sa, 'PUT', url, { reviewer_ids: [r2.id] }, ifMatch(v));
  assert.equal(r.status, 200, r.text);
  v++;
  assert.deepEqual(ids(r.json), [r2.id], 'the set is replaced, not added to');
  assert.deepEqual(ids(await get(admin, s.id)), [r2.id]);
  assert.equal(sql1(`SELECT string_agg(reviewer_id::text, ',') FROM application_reviewers WHERE application_id = '${s.id}'`), r2.id);
  r = await call(admin, 'PUT', url, { reviewer_ids: [] }, ifMatch(v));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.reviewers, []);
  assert.equal(audits(s.id), '5');
  // Students cannot assign.
  assert.ok(isProblem(await call(s1, 'PUT', url, { reviewer_ids: [r1.id] }, ifMatch(v + 1)), 403));
});

/* ---- audit ------------------------------------------------------------ */

test('a whole life leaves one audit row per change, each with its actor and request id', async () => {
  const p = await period({ form_fields: FORM });
  const steps = [];
  const step = (r, who) => { steps.push([who.id, r.headers.get('x-request-id')]); return r.json; };
  let r = await call(s1, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(r.status, 201);
  let app = step(r, s1);
  r = await call(s1, 'PATCH', `${A}/${app.id}`, { answers: GOOD }, ifMatch(1));
  assert.equal(r.status, 200);
  app = step(r, s1);
  r = await call(s1, 'POST', `${A}/${app.id}/submit`);
  assert.equal(r.status, 200);
  app = step(r, s1);
  r = await call(admin, 'PUT', `${A}/${app.id}/reviewers`, { reviewer_ids: [r1.id] }, ifMatch(app.version));
  assert.equal(r.status, 200, r.text);
  app = step(r, admin);
  r = await call(admin, 'POST', `${A}/${app.id}/status`, { status: 'under_review' });
  assert.equal(r.status, 200);
  app = step(r, admin);
  // Refusals in between write nothing.
  assert.equal((await call(admin, 'POST', `${A}/${app.id}/status`, { status: 'draft' })).status, 409);
  assert.equal((await call(s1, 'PATCH', `${A}/${app.id}`, { answers: GOOD }, ifMatch(app.version))).status, 409);
  r = await call(s1, 'POST', `${A}/${app.id}/withdraw`);
  assert.equal(r.status, 200, r.text);
  app = step(r, s1);
  const rows = sql1(`SELECT coalesce(actor_id::text, '') || '|' || coalesce(request_id, '') || '|' || action || '|' ||
      coalesce(after->>'status', '') FROM audit_log WHERE entity_type = 'application' AND entity_id = '${app.id}' ORDER BY id`)
    .split('\n').map((l) => l.split('|'));
  assert.deepEqual(rows.map((x) => [x[0], x[1]]), steps);
  assert.ok(rows.every((x) => x[2].startsWith('application.')), rows.map((x) => x[2]).join(' '));
  assert.deepEqual(rows.map((x) => x[3]), ['draft', 'draft', 'submitted', 'submitted', 'under_review', 'withdrawn']);
});
