// students.test.mjs -- student records (DESIGN §8 "Students") against the
// real stack: the CSV import (dry run and real, per-row per-field errors,
// all or nothing, idempotent, limits, hostile files), /students/me linked
// by email and its PATCH of self-reported fields, college scoping (404 out
// of scope), keyset pages, personal data sealed at rest and masked in
// every answer, the audited clear read, and scholarshipctl
// import-students / reencrypt-pii with a key rotation.
//
// The stack runs with STACK_SEED=none: the reference seed is loaded here.
// When the stack has no PII_ENCRYPTION_KEYS yet, one is added to its
// stack.env and the API restarted with it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { http, isProblem, psql, run, stackCmd, until, TOP, BINDIR, DIR } from '../lib/stack.mjs';

const PW = 'students-test-password';
const API = '/api/v1/students';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const csvType = { 'Content-Type': 'text/csv' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const count = (s) => Number(sql1(s));
const esc = (s) => s.replace(/'/g, "''");
const ctl = (args, input, env = {}) => run(path.join(BINDIR, 'scholarshipctl'), args,
  { cwd: TOP, input, env: { ...process.env, ...env } });
const bearer = (t) => (t ? { Authorization: `Bearer ${t}` } : {});
const call = (token, method, p, body, headers = {}) => http(p, {
  method, headers: { ...bearer(token), ...(body !== undefined ? json : {}), ...headers },
  body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
});
const importCsv = (token, body, qs = '', headers = csvType) =>
  http(`${API}/import${qs}`, { method: 'POST', headers: { ...bearer(token), ...headers }, body });

/* ---- data ------------------------------------------------------------ */

const LETTER = { A: 10, B: 11, C: 12, D: 13, E: 14, F: 15, G: 16, H: 17, I: 34, J: 18, K: 19, L: 20, M: 21,
  N: 22, O: 35, P: 23, Q: 24, R: 25, S: 26, T: 27, U: 28, V: 29, W: 32, X: 30, Y: 31, Z: 33 };
/** A Taiwanese national id with a valid checksum. */
function twId(seed) {
  const l = 'ABCDEFGHJKLMNPQRSTUVXYWZIO'[seed % 26];
  const body = `${1 + (seed % 2)}${String((seed * 7919) % 10000000).padStart(7, '0')}`;
  let sum = Math.floor(LETTER[l] / 10) + (LETTER[l] % 10) * 9;
  for (let i = 0; i < 8; i++) sum += Number(body[i]) * (8 - i);
  return `${l}${body}${(10 - (sum % 10)) % 10}`;
}
const cell = (v) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
const toCsv = (rows, eol = '\r\n') => rows.map((r) => r.map(cell).join(',')).join(eol) + eol;

const HEADER = ['student_number', 'name', 'name_en', 'email', 'national_id', 'birth_date', 'bank_account',
  'gender', 'nationality', 'college_code', 'department_code', 'degree', 'year_of_study', 'terms_enrolled',
  'enrollment_status', 'identity_category', 'gpa', 'class_rank_percent', 'advisor_email'];
let seq = 0;
/** A good record (as an object keyed by HEADER). */
function student(over = {}) {
  const i = ++seq;
  const sn = `T${RUN}${String(i).padStart(3, '0')}`;
  return { student_number: sn, name: `陳怡君${i}`, name_en: `Chen, Yi-Chun ${i}`, email: `${sn.toLowerCase()}@stu.example.edu`,
    national_id: twId(i + 1000 * (RUN.charCodeAt(0) % 7)), birth_date: `200${i % 10}-0${1 + (i % 9)}-1${i % 10}`,
    bank_account: `700-${String(1000 + i).padStart(4, '0')}-${String(5000 + i)}`, gender: i % 2 ? 'F' : 'M',
    nationality: 'TW', college_code: 'EE', department_code: 'CSIE', degree: 'bachelor', year_of_study: 1 + (i % 4),
    terms_enrolled: 2, enrollment_status: 'enrolled', identity_category: 'general', gpa: '3.85',
    class_rank_percent: '12.5', advisor_email: 'advisor@stu.example.edu', ...over };
}
const fileOf = (recs, header = HEADER) => toCsv([header, ...recs.map((r) => header.map((h) => r[h] ?? ''))]);
const ours = () => count(`SELECT count(*) FROM students WHERE student_number LIKE 'T${RUN}%'`);
const idOf = (sn) => sql1(`SELECT id FROM students WHERE student_number = '${esc(sn)}'`);

/* ---- users and keys -------------------------------------------------- */

let keySpec;
async function ensureKeys() {
  keySpec = process.env.PII_ENCRYPTION_KEYS;
  if (keySpec) return;
  keySpec = `1:${crypto.randomBytes(32).toString('base64')}`;
  appendFileSync(path.join(DIR, 'stack.env'), `export PII_ENCRYPTION_KEYS='${keySpec}'\n`);
  process.env.PII_ENCRYPTION_KEYS = keySpec;
  await restartApi();
}
async function restartApi() {
  stackCmd('stop-api');
  stackCmd('start-api');
  assert.ok(await until(async () => (await http('/health')).status === 200, 15000), 'API back');
}

let n = 0;
function ctlUser(role, extra = [], email = `st-${role}-${RUN}-${n++}@users.example.edu`) {
  const r = ctl(['user-add', '--email', email, '--name', `Students ${role}`, '--role', role, ...extra], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  return email;
}
async function signedIn(role, extra, email) {
  const e = ctlUser(role, extra, email);
  const r = await call(null, 'POST', '/api/v1/auth/login', { email: e, password: PW });
  assert.equal(r.status, 200, r.text);
  return { email: e, token: r.json.access_token, id: r.json.user.id };
}

let admin, sa, collegeEE, collegeLAW, reviewer, linked, unlinked;
let linkedRec; // the record of `linked`, imported in before()
const good = [];
before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  await ensureKeys();
  admin = await signedIn('admin');
  sa = await signedIn('super_admin');
  collegeEE = await signedIn('college', ['--college', 'EE']);
  collegeLAW = await signedIn('college', ['--college', 'LAW']);
  reviewer = await signedIn('reviewer');
  linked = await signedIn('student', [], `Linked.${RUN}@Stu.Example.edu`);
  unlinked = await signedIn('student');
  for (let i = 0; i < 6; i++) good.push(student(i >= 4 ? { college_code: 'LAW', department_code: 'LAW' } : {}));
  linkedRec = student({ email: linked.email.toUpperCase() });
});

/* ---- the import ------------------------------------------------------ */

test('import: 401 without a token, 403 for other roles, 415 for another media type', async () => {
  const body = fileOf([student()]);
  assert.ok(isProblem(await importCsv(null, body), 401));
  for (const u of [collegeEE, reviewer, linked])
    assert.ok(isProblem(await importCsv(u.token, body), 403), u.email);
  assert.ok(isProblem(await importCsv(admin.token, body, '', json), 415));
  assert.ok(isProblem(await importCsv(admin.token, body, '', { 'Content-Type': 'text/plain' }), 415));
  assert.ok(isProblem(await importCsv(admin.token, body, '?dry_run=maybe'), 400));
  assert.equal(ours(), 0);
});

/** A file where every row is wrong in a known way: [row, field]. */
function badFile() {
  const b = (over) => HEADER.map((h) => ({ ...student(), ...over })[h] ?? '');
  const rows = [HEADER];
  const expect = [];
  const add = (over, field) => { rows.push(b(over)); expect.push([rows.length, field]); };
  add({ gpa: '4.5' }, 'gpa');
  add({ degree: 'postdoc' }, 'degree');
  add({ name: '' }, 'name');
  add({ email: 'not-an-email' }, 'email');
  add({ national_id: 'A123456788' }, 'national_id');
  add({ birth_date: '2999-01-01' }, 'birth_date');
  add({ birth_date: '2001-02-30' }, 'birth_date');
  add({ year_of_study: '0' }, 'year_of_study');
  add({ class_rank_percent: '100.01' }, 'class_rank_percent');
  add({ bank_account: 'IBAN?' }, 'bank_account');
  add({ enrollment_status: 'expelled' }, 'enrollment_status');
  add({ college_code: 'ZZZ' }, 'college_code');
  add({ department_code: 'LAW' }, 'department_code'); // not a department of EE
  add({ student_number: "X'; DROP TABLE students;--" }, 'student_number');
  add({ gender: 'male' }, 'gender');
  const dup = student();
  rows.push(HEADER.map((h) => dup[h])); // fine on its own ...
  rows.push(HEADER.map((h) => ({ ...dup, email: 'other@stu.example.edu' })[h])); // ... repeated number
  expect.push([rows.length, 'student_number']);
  let text = toCsv(rows);
  text += 'T1,too,few\r\n';
  expect.push([rows.length + 1, null]);
  text += `${student().student_number},a"b,x\r\n`;
  expect.push([rows.length + 2, null]);
  return { text, expect };
}

test('dry run of a file full of bad rows: every error reported per row and field, nothing written', async () => {
  const { text, expect } = badFile();
  const before1 = count('SELECT count(*) FROM students');
  const r = await importCsv(admin.token, text, '?dry_run=true');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.dry_run, true);
  assert.equal(r.json.valid, false);
  assert.equal(r.json.inserted + r.json.updated + r.json.unchanged, 0);
  for (const [row, field] of expect)
    assert.ok(r.json.errors.some((e) => e.row === row && e.field === field), `row ${row} ${field}: ${JSON.stringify(r.json.errors)}`);
  assert.equal(r.json.error_count, r.json.errors.length);
  for (const e of r.json.errors) assert.ok(!/DROP TABLE|A123456788/.test(e.message), 'no cell values echoed');
  assert.equal(count('SELECT count(*) FROM students'), before1);
});

test('the same bad file imported for real: 422 naming rows.N.field, nothing written', async () => {
  const { text, expect } = badFile();
  const before1 = count('SELECT count(*) FROM students');
  const audits = count("SELECT count(*) FROM audit_log WHERE action = 'student.import'");
  const r = await importCsv(admin.token, text);
  assert.ok(isProblem(r, 422), r.text);
  const fields = r.json.errors.map((e) => e.field);
  for (const [row, field] of expect) assert.ok(fields.includes(field ? `rows.${row}.${field}` : `rows.${row}`), `${row} ${field}`);
  assert.equal(count('SELECT count(*) FROM students'), before1);
  assert.equal(count("SELECT count(*) FROM audit_log WHERE action = 'student.import'"), audits);
});

test('one bad row spoils the file: all or nothing', async () => {
  const recs = [student(), student(), student({ gpa: 'four' })];
  const r = await importCsv(admin.token, fileOf(recs));
  assert.ok(isProblem(r, 422));
  assert.deepEqual(r.json.errors.map((e) => e.field), ['rows.4.gpa']);
  assert.equal(ours(), 0);
});

test('header errors: unknown, repeated, system and missing columns', async () => {
  const r = await importCsv(admin.token, 'student_number,name,Name,name,source,bogus\r\nB1234,x,y,z,import,q\r\n', '?dry_run=1');
  assert.equal(r.status, 200);
  const got = r.json.errors.map((e) => `${e.row}:${e.field}`);
  for (const want of ['1:column_3', '1:name', '1:source', '1:bogus', '1:email', '1:college_code', '1:degree', '1:enrollment_status'])
    assert.ok(got.includes(want), `${want} in ${got}`);
  const empty = await importCsv(admin.token, '\uFEFF', '?dry_run=true');
  assert.equal(empty.json.valid, false);
});

test('a good file: dry run counts, then imported twice with no duplicates and equal counts', async () => {
  const text = fileOf([...good, linkedRec]);
  const total = good.length + 1;
  const dry = await importCsv(admin.token, text, '?dry_run=true');
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual([dry.json.valid, dry.json.rows, dry.json.inserted, dry.json.updated], [true, total, total, 0]);
  assert.equal(ours(), 0, 'a dry run writes nothing');
  const first = await importCsv(admin.token, `\uFEFF${text}`);
  assert.equal(first.status, 200, first.text);
  assert.deepEqual([first.json.rows, first.json.inserted, first.json.updated, first.json.unchanged], [total, total, 0, 0]);
  assert.equal(ours(), total);
  const snapshot = sql1(`SELECT string_agg(s::text, '|' ORDER BY student_number) FROM students s WHERE student_number LIKE 'T${RUN}%'`);
  const second = await importCsv(admin.token, text.replace(/\r\n/g, '\n'));
  assert.equal(second.status, 200, second.text);
  assert.deepEqual([second.json.rows, second.json.inserted, second.json.updated, second.json.unchanged], [total, 0, 0, total]);
  assert.equal(ours(), total);
  assert.equal(sql1(`SELECT string_agg(s::text, '|' ORDER BY student_number) FROM students s WHERE student_number LIKE 'T${RUN}%'`), snapshot,
    'an unchanged import touches nothing, sealed values included');
  const a = sql1("SELECT after::text FROM audit_log WHERE action = 'student.import' ORDER BY id DESC LIMIT 1");
  assert.deepEqual(JSON.parse(a), { rows: total, inserted: 0, updated: 0, unchanged: total });
  assert.equal(sql1(`SELECT source || ' ' || (verified_at IS NOT NULL) FROM students WHERE student_number = '${good[0].student_number}'`), 'import true');
});

test('an update changes what changed; absent columns stay; an empty cell clears', async () => {
  const g = good[0];
  const changed = { ...g, gpa: '3.10', national_id: twId(424242) };
  const r = await importCsv(admin.token, fileOf([changed]));
  assert.deepEqual([r.json.inserted, r.json.updated], [0, 1], r.text);
  const row = JSON.parse(sql1(`SELECT row_to_json(s) FROM students s WHERE student_number = '${g.student_number}'`));
  assert.equal(Number(row.gpa), 3.1);
  assert.equal(row.national_id_masked, `${changed.national_id.slice(0, 3)}****${changed.national_id.slice(-3)}`);
  const partial = await importCsv(admin.token, toCsv([['student_number', 'name', 'email', 'college_code', 'degree', 'enrollment_status', 'advisor_email'],
    [g.student_number, g.name, g.email, 'EE', 'bachelor', 'leave', '']]));
  assert.deepEqual([partial.json.updated], [1], partial.text);
  const after = JSON.parse(sql1(`SELECT row_to_json(s) FROM students s WHERE student_number = '${g.student_number}'`));
  assert.equal(after.enrollment_status, 'leave');
  assert.equal(after.advisor_email, null, 'an empty cell clears');
  assert.equal(Number(after.gpa), 3.1, 'an absent column stays');
  assert.equal(after.national_id_enc, row.national_id_enc, 'an absent column stays (sealed)');
  good[0] = { ...changed, enrollment_status: 'leave', advisor_email: '' };
});

/* ---- personal data ----------------------------------------------------- */

const clearValues = () => [...good, linkedRec].flatMap((g) => [g.national_id, g.bank_account, g.birth_date]);

test('personal data is sealed at rest: no clear value in any column', () => {
  for (const v of clearValues()) {
    assert.equal(count(`SELECT count(*) FROM students s WHERE s::text LIKE '%${esc(v)}%'`), 0, `${v} stored in clear`);
    assert.equal(count(`SELECT count(*) FROM audit_log a WHERE a::text LIKE '%${esc(v)}%'`), 0, `${v} in the audit log`);
  }
  const enc = sql1(`SELECT national_id_enc FROM students WHERE student_number = '${good[1].student_number}'`);
  const version = keySpec.split(',').map((k) => Number(k.split(':')[0])).sort((x, y) => y - x)[0];
  assert.match(enc, new RegExp(`^v${version}:[A-Za-z0-9+/=]+$`));
});

test('masked in every answer: list, detail, /students/me', async () => {
  const g = good[1];
  const list = await call(admin.token, 'GET', `${API}?q=${encodeURIComponent(`T${RUN}`)}&limit=100`);
  const one = await call(admin.token, 'GET', `${API}/${idOf(g.student_number)}`);
  const me = await call(linked.token, 'GET', `${API}/me`);
  for (const r of [list, one, me]) {
    assert.equal(r.status, 200, r.text);
    for (const v of clearValues()) assert.ok(!r.text.includes(v), `clear ${v} in ${r.text.slice(0, 200)}`);
  }
  assert.equal(one.json.national_id, `${g.national_id.slice(0, 3)}****${g.national_id.slice(-3)}`);
  assert.equal(one.json.bank_account, `****${g.bank_account.replace(/\D/g, '').slice(-4)}`);
  assert.equal(one.json.birth_date, '****-**-**');
  assert.equal(one.json.gpa, 3.85);
  assert.equal(one.json.source, 'import');
});

test('the clear read: admins only, audited with the field name and never the value', async () => {
  const g = good[2];
  const id = idOf(g.student_number);
  const before1 = count(`SELECT count(*) FROM audit_log WHERE action = 'student.pii_read' AND entity_id = '${id}'`);
  for (const [field, want] of [['national_id', g.national_id], ['bank_account', g.bank_account], ['birth_date', g.birth_date]]) {
    const r = await call(sa.token, 'GET', `${API}/${id}/pii?field=${field}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id, field, value: want });
  }
  const r = await call(admin.token, 'GET', `${API}/${id}/pii?field=national_id`);
  assert.equal(r.json.value, g.national_id);
  const rows = sql1(`SELECT json_agg(json_build_object('actor', actor_id, 'after', after)) FROM audit_log
    WHERE action = 'student.pii_read' AND entity_id = '${id}' AND entity_type = 'student'`);
  const audit = JSON.parse(rows);
  assert.equal(audit.length, before1 + 4);
  assert.ok(audit.some((a) => a.actor === admin.id && a.after.field === 'national_id'));
  assert.ok(!rows.includes(g.national_id) && !rows.includes(g.bank_account));
  assert.ok(isProblem(await call(collegeEE.token, 'GET', `${API}/${id}/pii?field=national_id`), 403));
  assert.ok(isProblem(await call(admin.token, 'GET', `${API}/${id}/pii?field=name`), 400));
  assert.ok(isProblem(await call(admin.token, 'GET', `${API}/${id}/pii`), 400));
  assert.ok(isProblem(await call(admin.token, 'GET', `${API}/${crypto.randomUUID()}/pii?field=national_id`), 404));
});

/* ---- /students/me ------------------------------------------------------ */

test('/students/me: linked by email case-insensitively; 404 without a record', async () => {
  const me = await call(linked.token, 'GET', `${API}/me`);
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.student_number, linkedRec.student_number);
  assert.equal(me.json.source, 'import');
  assert.ok(me.json.verified_at);
  const none = await call(unlinked.token, 'GET', `${API}/me`);
  assert.ok(isProblem(none, 404));
  assert.ok(isProblem(await call(unlinked.token, 'PATCH', `${API}/me`, { advisor_email: 'a@b.edu' }), 404));
  assert.ok(isProblem(await call(admin.token, 'GET', `${API}/me`), 403));
});

test('PATCH /students/me: only advisor_email and bank_account, bank account sealed', async () => {
  const bad = await call(linked.token, 'PATCH', `${API}/me`, { name: 'Mallory', gpa: 4.3, advisor_email: 'x@y.edu' });
  assert.ok(isProblem(bad, 422));
  assert.deepEqual(bad.json.errors.map((e) => e.field).sort(), ['gpa', 'name']);
  const badBank = await call(linked.token, 'PATCH', `${API}/me`, { bank_account: 'DROP TABLE' });
  assert.ok(isProblem(badBank, 422));
  assert.equal(badBank.json.errors[0].field, 'bank_account');
  const v0 = count(`SELECT version FROM students WHERE student_number = '${linkedRec.student_number}'`);
  const r = await call(linked.token, 'PATCH', `${API}/me`, { advisor_email: 'prof.lin@ntu.example.edu', bank_account: '012-3456-7890123' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.advisor_email, 'prof.lin@ntu.example.edu');
  assert.equal(r.json.bank_account, '****0123');
  assert.equal(r.json.name, linkedRec.name);
  assert.ok(r.json.self_updated_at);
  assert.equal(r.json.version, v0 + 1);
  assert.ok(!r.text.includes('012-3456-7890123'));
  assert.equal(count("SELECT count(*) FROM students s WHERE s::text LIKE '%7890123%'"), 0);
  const id = idOf(linkedRec.student_number);
  const read = await call(admin.token, 'GET', `${API}/${id}/pii?field=bank_account`);
  assert.equal(read.json.value, '012-3456-7890123');
  assert.equal(count(`SELECT count(*) FROM audit_log WHERE action = 'student.self_update' AND entity_id = '${id}'`), 1);
  const cleared = await call(linked.token, 'PATCH', `${API}/me`, { bank_account: null });
  assert.equal(cleared.json.bank_account, null);
  assert.equal(cleared.json.advisor_email, 'prof.lin@ntu.example.edu', 'keys not given are kept');
  linkedRec.bank_account = '';
});

/* ---- scope and lists --------------------------------------------------- */

test('scope: college staff see their college only (404 otherwise); admins see all', async () => {
  const ee = good[1], law = good[4];
  const eeId = idOf(ee.student_number), lawId = idOf(law.student_number);
  assert.equal((await call(collegeEE.token, 'GET', `${API}/${eeId}`)).status, 200);
  assert.ok(isProblem(await call(collegeEE.token, 'GET', `${API}/${lawId}`), 404));
  assert.ok(isProblem(await call(collegeLAW.token, 'GET', `${API}/${eeId}`), 404));
  assert.equal((await call(collegeLAW.token, 'GET', `${API}/${lawId}`)).status, 200);
  for (const u of [admin, sa]) {
    assert.equal((await call(u.token, 'GET', `${API}/${lawId}`)).status, 200);
    assert.equal((await call(u.token, 'GET', `${API}/${eeId}`)).status, 200);
  }
  const q = `q=${encodeURIComponent(`T${RUN}`)}&limit=100`;
  const eeList = await call(collegeEE.token, 'GET', `${API}?${q}`);
  assert.ok(eeList.json.items.length >= 4);
  assert.ok(eeList.json.items.every((s) => s.college_code === 'EE'));
  assert.ok(!eeList.json.items.some((s) => s.student_number === law.student_number));
  const sneaky = await call(collegeEE.token, 'GET', `${API}?${q}&college_code=LAW`);
  assert.deepEqual(sneaky.json.items, []);
  const all = await call(admin.token, 'GET', `${API}?${q}`);
  assert.equal(all.json.items.length, good.length + 1);
  assert.ok(isProblem(await call(reviewer.token, 'GET', API), 403));
  assert.ok(isProblem(await call(linked.token, 'GET', `${API}/${eeId}`), 403));
  assert.ok(isProblem(await call(admin.token, 'GET', `${API}/${crypto.randomUUID()}`), 404));
});

test('keyset pages: every record once, in order; bad cursors and limits are 400', async () => {
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 20; i++) {
    const r = await call(admin.token, 'GET', `${API}?q=T${RUN}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    seen.push(...r.json.items.map((s) => s.student_number));
    cursor = r.json.next_cursor;
    if (!cursor) break;
  }
  assert.deepEqual(seen, [...good, linkedRec].map((g) => g.student_number).sort());
  const filtered = await call(admin.token, 'GET', `${API}?q=T${RUN}&college_code=LAW&degree=bachelor`);
  assert.deepEqual(filtered.json.items.map((s) => s.student_number), [good[4].student_number, good[5].student_number]);
  for (const qs of ['limit=0', 'limit=101', 'limit=x', 'cursor=bogus!', 'cursor=AAAA', 'degree=postdoc',
    'college_code=ee;', 'unknown=1', 'q=%ZZ'])
    assert.ok(isProblem(await call(admin.token, 'GET', `${API}?${qs}`), 400), qs);
});

test('search is literal: LIKE and SQL metacharacters match nothing extra', async () => {
  for (const q of ['%', '_', "'; DROP TABLE students;--", '\\', 'T%25']) {
    const r = await call(admin.token, 'GET', `${API}?q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, `${q}: ${r.text}`);
    assert.deepEqual(r.json.items, [], q);
  }
  const byName = await call(admin.token, 'GET', `${API}?q=${encodeURIComponent(good[3].name)}`);
  assert.deepEqual(byName.json.items.map((s) => s.student_number), [good[3].student_number]);
  assert.ok(count('SELECT count(*) FROM students') > 0);
});

/* ---- hostile files ----------------------------------------------------- */

test('hostile files: malformed CSV, NUL bytes, bad UTF-8, SQL metacharacters, over-size, too many rows', async () => {
  const before1 = count('SELECT count(*) FROM students');
  const unclosed = await importCsv(admin.token, `${HEADER.join(',')}\r\n"never closed,${'x,'.repeat(17)}\r\n`);
  assert.ok(isProblem(unclosed, 422));
  assert.deepEqual(unclosed.json.errors.map((e) => e.field), ['rows.2']);
  const s1 = student();
  const nul = Buffer.from(fileOf([{ ...s1, name: 'a\u0000b' }]), 'utf8');
  const nulR = await importCsv(admin.token, nul);
  assert.ok(isProblem(nulR, 422));
  assert.ok(nulR.json.errors.some((e) => e.field === 'rows.2' && /NUL/.test(e.message)));
  const latin1 = Buffer.concat([Buffer.from(`${HEADER.join(',')}\n`), Buffer.from(HEADER.map((h) => (h === 'name' ? 'Jos\xe9' : student()[h])).join(','), 'latin1')]);
  const latinR = await importCsv(admin.token, latin1);
  assert.ok(isProblem(latinR, 422));
  assert.ok(/UTF-8/.test(latinR.json.errors[0].message));
  const sqlish = await importCsv(admin.token, fileOf([
    student({ name: "Robert'); DROP TABLE students;--" }),
    student({ college_code: "EE' OR '1'='1" }),
    student({ email: "x' OR '1'='1@y.edu" }),
  ]));
  assert.ok(isProblem(sqlish, 422), sqlish.text);
  assert.deepEqual(sqlish.json.errors.map((e) => e.field).sort(), ['rows.3.college_code', 'rows.4.email']);
  const ok = await importCsv(admin.token, fileOf([student({ name: "O'Brien, \"Bob\"; DROP TABLE students;--" })]));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(count(`SELECT count(*) FROM students WHERE name = 'O''Brien, "Bob"; DROP TABLE students;--'`), 1);
  const huge = await importCsv(admin.token, Buffer.alloc(21 * 1024 * 1024, 'a'));
  assert.equal(huge.status, 413);
  const many = `student_number,name,email,college_code,degree,enrollment_status\n${
    Array.from({ length: 100001 }, (_, i) => `M${String(i).padStart(7, '0')},n,m${i}@x.edu,EE,bachelor,enrolled`).join('\n')}\n`;
  const manyR = await importCsv(admin.token, many, '?dry_run=true');
  assert.ok(isProblem(manyR, 422), manyR.text.slice(0, 300));
  assert.equal(manyR.json.errors[0].field, 'rows');
  assert.equal(count('SELECT count(*) FROM students'), before1 + 1);
  assert.equal((await http('/health/ready')).status, 200, 'the pool survived');
});

/* ---- scholarshipctl ---------------------------------------------------- */

test('scholarshipctl import-students: dry run writes nothing, then imports', () => {
  const recs = [student(), student()];
  const file = path.join(DIR, `students-${RUN}.csv`);
  appendFileSync(file, fileOf(recs));
  const before1 = ours();
  const dry = ctl(['import-students', file, '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /dry run .*2 rows: 2 inserted/);
  assert.equal(ours(), before1);
  const real = ctl(['import-students', file]);
  assert.equal(real.status, 0, real.stderr);
  assert.equal(ours(), before1 + 2);
  assert.match(ctl(['import-students', file]).stdout, /2 unchanged/);
  const badFileName = path.join(DIR, `bad-${RUN}.csv`);
  appendFileSync(badFileName, fileOf([student({ gpa: '9' })]));
  const bad = ctl(['import-students', badFileName]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /row 2, gpa: /);
  assert.equal(ctl(['import-students']).status, 2);
  good.push(...recs);
});

test('key rotation: reencrypt-pii re-seals with the new version; old values still read', async () => {
  const versions = keySpec.split(',').map((k) => Number(k.split(':')[0]));
  const next = Math.max(...versions) + 1;
  const rotated = `${keySpec},${next}:${crypto.randomBytes(32).toString('base64')}`;
  const g = good[3];
  const id = idOf(g.student_number);
  const r = ctl(['reencrypt-pii'], undefined, { PII_ENCRYPTION_KEYS: rotated });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /re-sealed \d+ record\(s\) with key version/);
  assert.equal(count(`SELECT count(*) FROM students WHERE national_id_enc NOT LIKE 'v${next}:%'
    OR birth_date_enc NOT LIKE 'v${next}:%' OR bank_account_enc NOT LIKE 'v${next}:%'`), 0);
  assert.equal(count("SELECT count(*) FROM audit_log WHERE action = 'student.pii_reencrypted'"), 1);
  // The API still has only the old keys: the re-sealed value does not open.
  const stale = await call(admin.token, 'GET', `${API}/${id}/pii?field=national_id`);
  assert.equal(stale.status, 500);
  appendFileSync(path.join(DIR, 'stack.env'), `export PII_ENCRYPTION_KEYS='${rotated}'\n`);
  process.env.PII_ENCRYPTION_KEYS = keySpec = rotated;
  await restartApi();
  const tok = (await call(null, 'POST', '/api/v1/auth/login', { email: admin.email, password: PW })).json.access_token;
  const fresh = await call(tok, 'GET', `${API}/${id}/pii?field=national_id`);
  assert.equal(fresh.status, 200, fresh.text);
  assert.equal(fresh.json.value, g.national_id);
  const again = ctl(['reencrypt-pii']);
  assert.match(again.stdout, /re-sealed 0 record/);
});
