// seed_load.test.mjs -- `scholarshipctl seed-load` (lib/seed_load.c), the
// benchmark loader, against the real stack: bad arguments are refused with
// a usage line; without reference data it says so and writes nothing; a
// batch of 200 students and 1000 applications lands whole (accounts,
// records, open periods of a LOAD scholarship, every status, history rows,
// an audit row, the admin grant), with app_no values unique, consecutive
// per period and covered by app_no_sequences; a loaded student signs in
// with the printed password, the written tokens authenticate, and GET
// /applications lists the student's applications (once that route exists
// in the binary under test). Running again adds a batch after the last.
//
// The stack is shared with the other suites: every check is scoped to the
// batches made here, and their periods are closed at the end so that no
// later suite sees extra open periods.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { http, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'load-password-2026';
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const count = (s) => Number(sql1(s));
const ctl = (args, input = '') => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const json = { 'Content-Type': 'application/json' };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'seed-load-'));
const batches = []; // scholarship ids made here
const RUN = Date.now().toString(36);
const ADMIN = `seed-admin-${RUN}@load-test.example.edu`;

// The batch of the newest seed.load audit row: {id, code, first, last, ...}.
function lastBatch() {
  const row = JSON.parse(sql1(`SELECT json_build_object('id', entity_id, 'after', after) FROM audit_log
                               WHERE action = 'seed.load' ORDER BY id DESC LIMIT 1`));
  return { id: row.id, ...row.after };
}
const emailNo = (e) => Number(/^load-(\d+)@/.exec(e)[1]);
const inBatch = (id) => `(SELECT p.id FROM periods p WHERE p.scholarship_id = '${id}')`;
const hasListRoute = () => {
  const r = run(path.join(BINDIR, 'scholarship-api'), ['--routes']);
  return r.status === 0 && r.stdout.split('\n').some((l) => l.startsWith('GET /api/v1/applications '));
};

before(() => {
  const r = ctl(['user-add', '--email', ADMIN, '--name', 'Seed Admin', '--role', 'admin'], 'seed-admin-password\n');
  assert.ok(r.status === 0 || /already exists/.test(r.stderr), r.stderr);
});
after(() => {
  if (batches.length) {
    sql1(`UPDATE periods SET status = 'closed' WHERE scholarship_id IN (${batches.map((b) => `'${b}'`).join(', ')})`);
  }
  rmSync(tmp, { recursive: true, force: true });
});

test('bad arguments: a usage line, exit 2, nothing written', () => {
  const before1 = count("SELECT count(*) FROM audit_log WHERE action = 'seed.load'");
  for (const args of [[], ['--students', '10'], ['--students', '0', '--applications', '1'],
    ['--students', 'ten', '--applications', '1'], ['--students', '100000', '--applications', '1'],
    ['--students', '5', '--applications', '-1']]) {
    const r = ctl(['seed-load', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /give --students N/);
  }
  // More than 60 applications per student: refused by the loader.
  const r = ctl(['seed-load', '--students', '2', '--applications', '121']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /--applications must be from 0 to 60 times --students/);
  assert.equal(count("SELECT count(*) FROM audit_log WHERE action = 'seed.load'"), before1);
});

test('without reference data: a clear error and nothing written', (t) => {
  if (count('SELECT count(*) FROM departments WHERE active') > 0) {
    t.skip('another suite loaded the reference data into this stack');
    return;
  }
  const users = count('SELECT count(*) FROM users');
  const r = ctl(['seed-load', '--students', '5', '--applications', '5']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /load the reference data \(schema\/seed\/reference\.sql\) first/);
  assert.equal(count('SELECT count(*) FROM users'), users);
  assert.equal(count("SELECT count(*) FROM scholarships WHERE code ~ '^LOAD'"), 0);
});

let batch;
let tokens;
let userIds;
test('200 students and 1000 applications: counts, statuses, history, audit, grant', () => {
  const ref = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(ref.status, 0, ref.stderr);
  const tokFile = path.join(tmp, 'tokens.txt');
  const t0 = Date.now();
  const r = ctl(['seed-load', '--students', '200', '--applications', '1000', '--admin', ADMIN, '--tokens', tokFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Date.now() - t0 < 30000, 'a small batch takes seconds');
  assert.match(r.stdout, /loaded 200 students \(load-\d+\.\.load-\d+@load\.example\.edu, password load-password-2026\) and 1000 applications over 5 open period\(s\) of scholarship LOAD(-\d+)? /);
  assert.match(r.stdout, / in \d+\.\d\d s /);
  batch = lastBatch();
  batches.push(batch.id);
  assert.equal(batch.students, 200);
  assert.equal(batch.applications, 1000);
  assert.equal(batch.periods, 5);
  assert.equal(batch.granted_to, ADMIN);
  assert.equal(emailNo(batch.last_email) - emailNo(batch.first_email), 199);
  const lines = readFileSync(tokFile, 'utf8').trim().split('\n').map((l) => l.split(' '));
  assert.equal(lines.length, 200);
  assert.ok(lines.every((l) => l.length === 2 && /^[0-9a-f-]{36}$/.test(l[0])));
  tokens = lines.map((l) => l[1]);
  userIds = lines.map((l) => l[0]);

  const lo = emailNo(batch.first_email), hi = emailNo(batch.last_email);
  const ours = `u.email LIKE 'load-%@load.example.edu'
    AND substring(u.email FROM '^load-([0-9]+)@')::int BETWEEN ${lo} AND ${hi}`;
  assert.equal(count(`SELECT count(*) FROM users u WHERE ${ours} AND u.role = 'student' AND u.email_verified AND u.active`), 200);
  assert.equal(count(`SELECT count(*) FROM users u JOIN students s ON lower(s.email) = lower(u.email) WHERE ${ours}`), 200);
  assert.equal(count(`SELECT count(*) FROM scholarships WHERE id = '${batch.id}' AND status = 'active' AND code = '${batch.code}'`), 1);
  assert.equal(count(`SELECT count(*) FROM periods WHERE scholarship_id = '${batch.id}' AND status = 'open'
                      AND opens_at <= now() AND now() < closes_at`), 5);
  assert.equal(count(`SELECT count(*) FROM applications WHERE period_id IN ${inBatch(batch.id)}`), 1000);
  // Only this batch's students, one application per student and period.
  assert.equal(count(`SELECT count(*) FROM applications a JOIN users u ON u.id = a.user_id
                      JOIN students s ON s.id = a.student_id AND lower(s.email) = lower(u.email)
                      WHERE a.period_id IN ${inBatch(batch.id)} AND ${ours}`), 1000);
  assert.equal(count(`SELECT count(*) FROM (SELECT 1 FROM applications WHERE period_id IN ${inBatch(batch.id)}
                      GROUP BY period_id, student_id HAVING count(*) > 1) d`), 0);
  assert.equal(count(`SELECT count(*) FROM (SELECT user_id FROM applications WHERE period_id IN ${inBatch(batch.id)}
                      GROUP BY user_id HAVING count(*) <> 5) d`), 0);
  // Every status, with a consistent stage and submitted_at.
  const statuses = sql1(`SELECT string_agg(DISTINCT status, ',' ORDER BY status) FROM applications
                         WHERE period_id IN ${inBatch(batch.id)}`).split(',');
  assert.deepEqual(statuses, ['approved', 'cancelled', 'draft', 'partially_approved', 'pending_documents',
    'rejected', 'returned', 'submitted', 'under_review', 'withdrawn']);
  const mostly = count(`SELECT count(*) FROM applications WHERE period_id IN ${inBatch(batch.id)}
                        AND status IN ('submitted', 'under_review')`);
  assert.ok(mostly >= 600, `submitted + under_review: ${mostly}`);
  assert.equal(count(`SELECT count(*) FROM applications WHERE period_id IN ${inBatch(batch.id)} AND (
      (status = 'draft') <> (submitted_at IS NULL)
      OR (status IN ('draft', 'returned') AND stage <> 'student')
      OR (status IN ('approved', 'partially_approved') AND stage <> 'distribution')
      OR created_at > updated_at OR updated_at > now() OR submitted_at < created_at)`), 0);
  // History: a creation row for each, as many rows as versions, legal steps.
  assert.equal(count(`SELECT count(*) FROM applications a WHERE a.period_id IN ${inBatch(batch.id)} AND NOT EXISTS
                      (SELECT 1 FROM application_status_history h WHERE h.application_id = a.id
                       AND h.from_status IS NULL AND h.to_status = 'draft' AND h.at = a.created_at)`), 0);
  assert.equal(count(`SELECT count(*) FROM applications a WHERE a.period_id IN ${inBatch(batch.id)} AND a.version <>
                      (SELECT count(*) FROM application_status_history h WHERE h.application_id = a.id)`), 0);
  assert.equal(count(`SELECT count(*) FROM applications a WHERE a.period_id IN ${inBatch(batch.id)} AND a.status <>
                      (SELECT h.to_status FROM application_status_history h WHERE h.application_id = a.id
                       ORDER BY h.at DESC, h.id DESC LIMIT 1)`), 0);
  // The admin named by --admin administers the scholarship.
  assert.equal(count(`SELECT count(*) FROM scholarship_admins g JOIN users u ON u.id = g.user_id
                      WHERE g.scholarship_id = '${batch.id}' AND lower(u.email) = lower('${ADMIN}')`), 1);
});

test('app_no: unique, consecutive per period, below app_no_sequences.last', () => {
  assert.equal(count('SELECT count(*) - count(DISTINCT app_no) FROM applications'), 0);
  const rows = sql1(`SELECT p.academic_year || ' ' || p.term || ' ' || count(*) || ' ' ||
                      min(split_part(a.app_no, '-', 4)::int) || ' ' || max(split_part(a.app_no, '-', 4)::int) || ' ' ||
                      bool_and(a.app_no LIKE 'APP-' || p.academic_year || '-' || p.term || '-%')
                    FROM applications a JOIN periods p ON p.id = a.period_id
                    WHERE p.scholarship_id = '${batch.id}' GROUP BY p.academic_year, p.term`).split('\n');
  assert.equal(rows.length, 5);
  for (const line of rows) {
    const [year, term, n, lo, hi, prefixOk] = line.split(' ');
    assert.equal(Number(n), 200, line);
    assert.equal(Number(hi) - Number(lo) + 1, 200, line);
    assert.equal(prefixOk, 'true', line);
    const last = count(`SELECT last FROM app_no_sequences WHERE academic_year = ${year} AND term = ${term}`);
    assert.ok(last >= Number(hi), `${line}: sequence at ${last}`);
  }
  // Every sequence is at or above the highest number used in its year and term.
  assert.equal(count(`SELECT count(*) FROM (SELECT split_part(app_no, '-', 2)::int y, split_part(app_no, '-', 3)::int t,
                        max(split_part(app_no, '-', 4)::int) m FROM applications GROUP BY 1, 2) u
                      LEFT JOIN app_no_sequences q ON q.academic_year = u.y AND q.term = u.t
                      WHERE q.last IS NULL OR q.last < u.m`), 0);
});

let student;
test('a loaded student signs in with the printed password; the written tokens work', async () => {
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json,
    body: JSON.stringify({ email: batch.first_email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  assert.equal(l.json.user.role, 'student');
  student = { id: l.json.user.id, token: l.json.access_token };
  const me = await http('/api/v1/auth/me', { headers: { Authorization: `Bearer ${tokens[0]}` } });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.email, batch.first_email);
  assert.equal(me.json.id, userIds[0]);
  const last = await http('/api/v1/auth/me', { headers: { Authorization: `Bearer ${tokens[199]}` } });
  assert.equal(last.json.email, batch.last_email);
  const rec = await http('/api/v1/students/me', { headers: { Authorization: `Bearer ${student.token}` } });
  assert.equal(rec.status, 200, rec.text);
  assert.match(rec.json.student_number, /^L\d{9}$/);
});

test('GET /applications as a loaded student lists their five applications', async (t) => {
  if (!hasListRoute()) {
    t.skip(`${BINDIR}/scholarship-api has no GET /api/v1/applications yet`);
    return;
  }
  const r = await http('/api/v1/applications?limit=100', { headers: { Authorization: `Bearer ${student.token}` } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 5);
  assert.ok(r.json.items.every((a) => a.scholarship_id === batch.id && a.student_id));
  const want = sql1(`SELECT string_agg(app_no, ',' ORDER BY created_at DESC, id DESC) FROM applications
                     WHERE user_id = '${student.id}'`);
  assert.equal(r.json.items.map((a) => a.app_no).join(','), want);
  const one = await http(`/api/v1/applications/${r.json.items[0].id}`, { headers: { Authorization: `Bearer ${student.token}` } });
  assert.equal(one.status, 200, one.text);
  assert.ok(one.json.status_history.length >= 1);
});

test('running again adds a batch after the last one', () => {
  const prev = lastBatch();
  const r = ctl(['seed-load', '--students', '3', '--applications', '7', '--admin', ADMIN]);
  assert.equal(r.status, 0, r.stderr);
  const next = lastBatch();
  batches.push(next.id);
  assert.notEqual(next.id, prev.id);
  assert.notEqual(next.code, prev.code);
  assert.match(next.code, /^LOAD-\d+$/);
  assert.equal(next.periods, 3);
  assert.ok(emailNo(next.first_email) > emailNo(prev.last_email));
  assert.equal(count(`SELECT count(*) FROM applications WHERE period_id IN ${inBatch(next.id)}`), 7);
  assert.equal(count('SELECT count(*) - count(DISTINCT app_no) FROM applications'), 0);
});
