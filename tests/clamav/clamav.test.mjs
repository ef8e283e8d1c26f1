// clamav.test.mjs -- virus scanning of uploads (issue 5, item 4; DESIGN §8
// "Documents") against a real clamd: tests/clamav/run.sh starts one with a
// database of its own that detects the EICAR test file, and the API streams
// every upload to it (zINSTREAM) before any other check. Here: the EICAR
// file is 422 naming the signature, audited (document.infected), nothing
// stored; clean PDFs of one and of many 64 KiB chunks are stored; a file
// over clamd's StreamMaxLength (2M in run.sh) is 503; and with clamd
// stopped (the last test) an upload is 503. After every refusal: no row,
// no object under STORAGE_DIR/applications, no temporary file.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR, until, alive } from '../lib/stack.mjs';

const PW = 'clamav-test-password';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const STORAGE = process.env.STORAGE_DIR;
const SIGNATURE = process.env.CLAMAV_SIGNATURE;
// Split, so that this file is not itself detected by a scanner.
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR' + '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');
const MiB = 1048576;
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const sha = (buf) => createHash('sha256').update(buf).digest('hex');
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const PDF = (size) => {
  const b = Buffer.alloc(size, 0x20);
  Buffer.from('%PDF-1.7\n').copy(b);
  for (let i = 9; i < size; i += 4096) b[i] = i % 251; // not all blanks
  return b;
};
let n = 0;
let admin, student, app;

async function signedIn(role) {
  const email = `clam-${role}-${RUN}-${n++}@clamav.example.edu`.toLowerCase();
  const r = run(path.join(BINDIR, 'scholarshipctl'), ['user-add', '--email', email, '--name', `Clam ${role}`, '--role', role], { cwd: TOP, input: `${PW}\n` });
  assert.equal(r.status, 0, r.stderr);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return { email, id: l.json.user.id, token: l.json.access_token };
}
const call = (who, method, p, body) => http(p, {
  method, headers: { Authorization: `Bearer ${who.token}`, ...json }, body: JSON.stringify(body),
});
function upload(who, appId, kind, bytes, filename = 'file.pdf', type = 'application/pdf') {
  const form = new FormData();
  form.append('kind', kind);
  form.append('file', new Blob([bytes], { type }), filename);
  return http(`/api/v1/applications/${appId}/documents`, {
    method: 'POST', headers: { Authorization: `Bearer ${who.token}` }, body: form,
  });
}
function objects() {
  const root = path.join(STORAGE, 'applications');
  const out = [];
  if (existsSync(root)) for (const a of readdirSync(root)) for (const d of readdirSync(path.join(root, a))) out.push(`${a}/${d}`);
  return out.sort();
}
const tmpFiles = () => (existsSync(path.join(STORAGE, 'tmp')) ? readdirSync(path.join(STORAGE, 'tmp')) : []);
const rows = () => Number(sql1('SELECT count(*) FROM documents'));
const stored = () => [rows(), objects().length];

before(async () => {
  assert.ok(process.env.CLAMAV_SOCKET && SIGNATURE, 'run me through tests/clamav/run.sh');
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  admin = await signedIn('admin');
  student = await signedIn('student');
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree, enrollment_status)
        VALUES ('${`C${RUN}`.slice(0, 12)}', 'Clam', '${student.email}', 'EE', 'CSIE', 'bachelor', 'enrolled')`);
  const s = await call(admin, 'POST', '/api/v1/scholarships', { code: `CLAM${RUN}`.slice(0, 32), name: 'Clam', status: 'active' });
  assert.equal(s.status, 201, s.text);
  const p = await call(admin, 'POST', `/api/v1/scholarships/${s.json.id}/periods`, {
    academic_year: 2400 + Math.floor(Math.random() * 500), term: 1, label: 'clamav', opens_at: iso(-1), closes_at: iso(30),
    requires_reviewer_review: false,
    required_documents: [{ kind: 'transcript', label: 'Transcript', accepted_types: ['application/pdf'], max_mb: 5, max_count: 10 }],
  });
  assert.equal(p.status, 201, p.text);
  assert.equal((await call(admin, 'POST', `/api/v1/periods/${p.json.id}/status`, { status: 'open' })).status, 200);
  const a = await call(student, 'POST', '/api/v1/applications', { period_id: p.json.id });
  assert.equal(a.status, 201, a.text);
  app = a.json;
});

test('the EICAR file is 422 naming the signature, audited, and nothing is stored', async () => {
  const before = stored();
  // Plain text named .pdf: the scan comes before the type check (else 415).
  const r = await upload(student, app.id, 'transcript', EICAR, 'report.pdf');
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field), ['file']);
  assert.equal(r.json.errors[0].message, `${SIGNATURE} found: the file was not stored`);
  assert.deepEqual(stored(), before, 'no row, no object');
  assert.deepEqual(tmpFiles(), [], 'no temporary file left');
  const audit = sql1(`SELECT actor_id, entity_type, after::text FROM audit_log
    WHERE action = 'document.infected' AND entity_id = '${app.id}' AND request_id = '${r.headers.get('x-request-id')}'`);
  const [actor, entity, after] = audit.split('|');
  assert.equal(actor, student.id);
  assert.equal(entity, 'application');
  assert.deepEqual(JSON.parse(after), { signature: SIGNATURE, filename: 'report.pdf' });
});

test('a hostile file name reaches the audit row as valid JSON', async () => {
  const b = 'ClamBoundary42';
  const body = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntranscript\r\n`
      + `--${b}\r\nContent-Disposition: form-data; name="file"; filename="dir\\\\say \\"hi\\" {} 中文.pdf"\r\n`
      + 'Content-Type: text/plain\r\n\r\n'),
    EICAR, Buffer.from(`\r\n--${b}--\r\n`)]);
  const r = await http(`/api/v1/applications/${app.id}/documents`, {
    method: 'POST', headers: { Authorization: `Bearer ${student.token}`, 'Content-Type': `multipart/form-data; boundary=${b}` }, body,
  });
  assert.ok(isProblem(r, 422), r.text);
  const after = JSON.parse(sql1(`SELECT after::text FROM audit_log WHERE action = 'document.infected'
    AND request_id = '${r.headers.get('x-request-id')}'`));
  assert.deepEqual(after, { signature: SIGNATURE, filename: 'say "hi" {} 中文.pdf' }, 'the basename, quotes kept');
  assert.deepEqual(tmpFiles(), []);
});

test('clean PDFs are scanned and stored: one chunk and many 64 KiB chunks', async () => {
  for (const size of [1000, 64 * 1024 - 4, 64 * 1024 - 3, MiB + 12345]) {
    const bytes = PDF(size);
    const r = await upload(student, app.id, 'transcript', bytes, `clean-${size}.pdf`);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.size, size);
    assert.equal(r.json.sha256, sha(bytes));
    assert.ok(objects().includes(`${app.id}/${r.json.id}`));
  }
  assert.deepEqual(tmpFiles(), []);
  // Every upload went to clamd: its log names each stream's verdict.
  const log = readFileSync(path.join(path.dirname(process.env.CLAMAV_SOCKET), 'clamd.log'), 'utf8');
  assert.ok((log.match(/: OK/g) || []).length >= 4, log);
});

test("a file over clamd's StreamMaxLength is 503 and not stored", async () => {
  const before = stored();
  const r = await upload(student, app.id, 'transcript', PDF(3 * MiB), 'big.pdf');
  assert.ok(isProblem(r, 503), r.text);
  assert.equal(r.json.detail, 'the virus scanner is unavailable; try again');
  assert.equal(r.headers.get('retry-after'), '5');
  assert.deepEqual(stored(), before);
  assert.deepEqual(tmpFiles(), []);
});

// Last: it stops clamd.
test('with clamd stopped an upload is 503 and nothing is stored', async () => {
  const pid = Number(readFileSync(process.env.CLAMD_PID_FILE, 'utf8'));
  process.kill(pid, 'SIGTERM');
  assert.ok(await until(() => !alive(pid), 10000), 'clamd stopped');
  const before = stored();
  const r = await upload(student, app.id, 'transcript', PDF(2000), 'clean.pdf');
  assert.ok(isProblem(r, 503), r.text);
  assert.equal(r.json.detail, 'the virus scanner is unavailable; try again');
  const eicar = await upload(student, app.id, 'transcript', EICAR, 'eicar.pdf');
  assert.ok(isProblem(eicar, 503), eicar.text);
  assert.deepEqual(stored(), before);
  assert.deepEqual(tmpFiles(), []);
});
