// applications_race.test.mjs -- concurrency of the application workflow
// (DESIGN §8 "Applications") against the real stack, each race repeated
// ten times: two simultaneous submits of one draft give exactly one 200
// and one 409, one draft->submitted history row and one submit audit row;
// two simultaneous creates for the same student and period give exactly
// one 201 and one 409 and leave exactly one live application (and one
// app_no taken); two simultaneous staff moves from submitted give one 200
// and one 409 and one history row.
//
// The stack runs with STACK_SEED=none: the reference seed is loaded here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'race-test-password';
const A = '/api/v1/applications';
const S = '/api/v1/scholarships';
const P = '/api/v1/periods';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const ROUNDS = 10;
let n = 0;

async function signedIn(role) {
  const email = `race-${role}-${RUN}-${n++}@race.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Race ${role}`, '--role', role], `${PW}\n`);
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

let sa, admin, student, sch;
const YEAR0 = 2900 + Math.floor(Math.random() * 80);
let k = 0;

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
  student = await signedIn('student');
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree,
          enrollment_status, gpa, year_of_study, terms_enrolled, nationality, gender, identity_category)
        VALUES ('${`R${RUN}`.slice(0, 20)}', '競賽測試', '${student.email}', 'EE', 'CSIE', 'bachelor',
          'enrolled', 3.9, 2, 4, 'TW', 'M', 'general')`);
  const s = await call(sa, 'POST', S, {
    code: `RC${RUN}`.slice(0, 32), name: '競賽測試獎學金', name_en: 'Race test', status: 'active',
    sub_types: [{ code: 'b', name: '乙', name_en: 'B', amount_cents: 50000 }], sub_type_selection: 'single',
  });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
  sql1(`INSERT INTO scholarship_admins (scholarship_id, user_id) VALUES ('${sch.id}', '${admin.id}')`);
});

async function period() {
  const i = k++;
  const r = await call(sa, 'POST', `${S}/${sch.id}/periods`, {
    academic_year: YEAR0 + Math.floor(i / 3), term: i % 3, label: `race ${i}`,
    opens_at: iso(-1), closes_at: iso(30), requires_reviewer_review: false, eligibility_rules: [], whitelist: null,
  });
  assert.equal(r.status, 201, r.text);
  const o = await call(sa, 'POST', `${P}/${r.json.id}/status`, { status: 'open' });
  assert.equal(o.status, 200, o.text);
  return r.json;
}
const statuses = (rs) => rs.map((r) => r.status).sort((a, b) => a - b);

test(`two concurrent submits of one draft: one 200, one 409, one history row (x${ROUNDS})`, async () => {
  for (let i = 0; i < ROUNDS; i++) {
    const p = await period();
    const d = await call(student, 'POST', A, { period_id: p.id, sub_types: ['b'] });
    assert.equal(d.status, 201, d.text);
    const id = d.json.id;
    const rs = await Promise.all([call(student, 'POST', `${A}/${id}/submit`), call(student, 'POST', `${A}/${id}/submit`)]);
    assert.deepEqual(statuses(rs), [200, 409], `round ${i}: ${rs.map((r) => r.text).join(' | ')}`);
    assert.ok(isProblem(rs.find((r) => r.status === 409), 409));
    assert.equal(rs.find((r) => r.status === 200).json.version, 2);
    assert.equal(sql1(`SELECT count(*) FROM application_status_history WHERE application_id = '${id}'
      AND from_status = 'draft' AND to_status = 'submitted'`), '1', `round ${i}`);
    assert.equal(sql1(`SELECT status || ' ' || version FROM applications WHERE id = '${id}'`), 'submitted 2');
    assert.equal(sql1(`SELECT count(*) FROM audit_log WHERE entity_type = 'application' AND entity_id = '${id}'`), '2',
      `round ${i}: create and one submit audited`);
  }
});

test(`two concurrent creates for one student and period: one 201, one 409, one live row (x${ROUNDS})`, async () => {
  for (let i = 0; i < ROUNDS; i++) {
    const p = await period();
    const body = { period_id: p.id, sub_types: ['b'] };
    const rs = await Promise.all([call(student, 'POST', A, body), call(student, 'POST', A, body)]);
    assert.deepEqual(statuses(rs), [201, 409], `round ${i}: ${rs.map((r) => r.text).join(' | ')}`);
    assert.ok(isProblem(rs.find((r) => r.status === 409), 409));
    const made = rs.find((r) => r.status === 201).json;
    assert.equal(sql1(`SELECT count(*) FROM applications WHERE period_id = '${p.id}'`), '1', `round ${i}: one row at all`);
    assert.equal(sql1(`SELECT id FROM applications WHERE period_id = '${p.id}' AND status NOT IN ('withdrawn', 'cancelled')`), made.id);
    const g = await call(student, 'GET', `${A}/${made.id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.status_history.length, 1);
  }
});

test(`two concurrent staff moves from submitted: one 200, one 409, one history row (x${ROUNDS})`, async () => {
  for (let i = 0; i < ROUNDS; i++) {
    const p = await period();
    const d = await call(student, 'POST', A, { period_id: p.id, sub_types: ['b'] });
    assert.equal(d.status, 201, d.text);
    const id = d.json.id;
    assert.equal((await call(student, 'POST', `${A}/${id}/submit`)).status, 200);
    // Either move is allowed from submitted; neither from where the other leads.
    const rs = await Promise.all([call(admin, 'POST', `${A}/${id}/status`, { status: 'rejected' }),
      call(admin, 'POST', `${A}/${id}/status`, { status: 'returned' })]);
    assert.deepEqual(statuses(rs), [200, 409], `round ${i}: ${rs.map((r) => r.text).join(' | ')}`);
    const won = rs.find((r) => r.status === 200).json.status;
    assert.equal(sql1(`SELECT count(*) FROM application_status_history WHERE application_id = '${id}'
      AND from_status = 'submitted'`), '1', `round ${i}`);
    assert.equal(sql1(`SELECT status FROM applications WHERE id = '${id}'`), won);
  }
});
