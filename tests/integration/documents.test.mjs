// documents.test.mjs -- uploads and downloads of application files (DESIGN
// §8 "Documents") against the real stack with the fs storage: a round trip
// keeps every byte (SHA-256 of the upload, the answer and the download
// agree) and NGINX sends the file (X-Accel-Redirect) as an attachment with
// the stored type; the type is decided by magic bytes (a PNG or an EXE
// named .pdf is 415); the kind's max_mb and max_count, exactly at the
// limit and one byte over; a 0-byte file; unknown kinds and missing
// files; malformed and truncated multipart bodies; scope (another
// student, an unassigned reviewer, an admin of another scholarship and
// college staff of another college get 404; the assigned reviewer, a super
// admin and the student's college download it); delete. After
// every refused upload, a client that disconnects halfway and a storage
// that cannot write, nothing is left: no row, no object, no temporary
// file; the worker sweeps objects without a row and old temporary files
// (STORAGE_SWEEP_EVERY_SECONDS=1 in tests/run-all.sh).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { readdirSync, existsSync, mkdirSync, writeFileSync, utimesSync, renameSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { BASE, http, isProblem, psql, raw, run, TOP, BINDIR, until } from '../lib/stack.mjs';

const PW = 'documents-test-password';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const STORAGE = process.env.STORAGE_DIR;
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const sha = (buf) => createHash('sha256').update(buf).digest('hex');
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
let n = 0;

async function signedIn(role, extra = []) {
  const email = `docs-${role}-${RUN}-${n++}@docs.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Docs ${role}`, '--role', role, ...extra], `${PW}\n`);
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

const PDF = (size) => {
  const b = Buffer.alloc(size, 0x20);
  Buffer.from('%PDF-1.7\n').copy(b);
  return b;
};
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 9)]);
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00'), Buffer.alloc(200, 1)]);
const MiB = 1048576;

function upload(who, appId, kind, bytes, filename = 'file.pdf', type = 'application/pdf') {
  const form = new FormData();
  if (kind !== null) form.append('kind', kind);
  if (bytes !== null) form.append('file', new Blob([bytes], { type }), filename);
  return http(`/api/v1/applications/${appId}/documents`, {
    method: 'POST', headers: { Authorization: `Bearer ${who.token}` }, body: form,
  });
}
function rawUpload(who, appId, contentType, body) {
  return http(`/api/v1/applications/${appId}/documents`, {
    method: 'POST', headers: { Authorization: `Bearer ${who.token}`, 'Content-Type': contentType }, body,
  });
}
async function download(who, docId) {
  const res = await fetch(`${BASE}/api/v1/documents/${docId}/content`, { headers: { Authorization: `Bearer ${who.token}` } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
/** Every object file under STORAGE_DIR/applications, and the temporary files. */
function objects() {
  const root = path.join(STORAGE, 'applications');
  const out = [];
  if (existsSync(root)) for (const a of readdirSync(root)) for (const d of readdirSync(path.join(root, a))) out.push(`${a}/${d}`);
  return out.sort();
}
const tmpFiles = () => (existsSync(path.join(STORAGE, 'tmp')) ? readdirSync(path.join(STORAGE, 'tmp')) : []);
const rows = () => Number(sql1('SELECT count(*) FROM documents'));

let sa, admin, other, student, stranger, reviewer, collegeEE, collegeSCI, sch, period, app;

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
  other = await signedIn('admin');
  student = await signedIn('student');
  stranger = await signedIn('student');
  reviewer = await signedIn('reviewer');
  collegeEE = await signedIn('college', ['--college', 'EE']);
  collegeSCI = await signedIn('college', ['--college', 'SCI']);
  for (const [who, num] of [[student, 'D1'], [stranger, 'D2']])
    sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree, enrollment_status, gpa, year_of_study)
          VALUES ('${`${num}${RUN}`.slice(0, 12)}', '文件', '${who.email}', 'EE', 'CSIE', 'bachelor', 'enrolled', 3.9, 3)`);
  const s = await call(admin, 'POST', '/api/v1/scholarships', { code: `DOC${RUN}`.slice(0, 32), name: '文件測試', status: 'active' });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
  const p = await call(admin, 'POST', `/api/v1/scholarships/${sch.id}/periods`, {
    academic_year: 2400 + Math.floor(Math.random() * 500), term: 1, label: 'docs', opens_at: iso(-1), closes_at: iso(30),
    requires_reviewer_review: false,
    required_documents: [
      { kind: 'transcript', label: '成績單', required: true, accepted_types: ['application/pdf'], max_mb: 1, max_count: 3 },
      { kind: 'photo', label: '照片', required: false, accepted_types: ['image/png', 'image/jpeg'], max_mb: 1, max_count: 1 },
    ],
  });
  assert.equal(p.status, 201, p.text);
  period = p.json;
  assert.equal((await call(admin, 'POST', `/api/v1/periods/${period.id}/status`, { status: 'open' })).status, 200);
  const a = await call(student, 'POST', '/api/v1/applications', { period_id: period.id });
  assert.equal(a.status, 201, a.text);
  app = a.json;
});

test('round trip: upload a PDF, list it, download the same bytes as an attachment sent by NGINX', async () => {
  const bytes = PDF(200 * 1024);
  const r = await upload(student, app.id, 'transcript', bytes, '../..\\成績單 2026.pdf');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.kind, 'transcript');
  assert.equal(r.json.filename, '成績單 2026.pdf', 'the basename only');
  assert.equal(r.json.content_type, 'application/pdf');
  assert.equal(r.json.size, bytes.length);
  assert.equal(r.json.sha256, sha(bytes));
  assert.equal(r.headers.get('location'), `/api/v1/documents/${r.json.id}`);
  const list = await call(student, 'GET', `/api/v1/applications/${app.id}/documents`);
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((d) => d.id), [r.json.id]);
  const d = await download(student, r.json.id);
  assert.equal(d.status, 200);
  assert.equal(sha(d.body), sha(bytes), 'the downloaded bytes are the uploaded ones');
  assert.equal(d.headers.get('content-type'), 'application/pdf');
  assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
  const disp = d.headers.get('content-disposition');
  assert.match(disp, /^attachment; filename="[^"]*\.pdf"; filename\*=UTF-8''%E6%88%90/);
  assert.ok(!disp.includes('/') && !disp.includes('\\'));
  assert.equal(d.headers.get('x-accel-redirect'), null, 'the internal URI never reaches the client');
  assert.equal(Number(sql1(`SELECT count(*) FROM audit_log WHERE action = 'document.downloaded' AND entity_id = '${r.json.id}'`)), 1);
  assert.ok(objects().includes(`${app.id}/${r.json.id}`));
  // The internal location is not reachable from outside.
  assert.equal((await fetch(`${BASE}/_protected/applications/${app.id}/${r.json.id}`)).status, 404);
});

test('the type comes from the content: a PNG or an EXE named .pdf is 415, a JPEG photo is fine', async () => {
  const before = [rows(), objects().length];
  const png = await upload(student, app.id, 'transcript', PNG, 'scan.pdf', 'application/pdf');
  assert.ok(isProblem(png, 415), png.text);
  const exe = await upload(student, app.id, 'transcript', EXE, 'report.pdf', 'application/pdf');
  assert.ok(isProblem(exe, 415), exe.text);
  const pdfAsPhoto = await upload(student, app.id, 'photo', PDF(1000), 'me.png', 'image/png');
  assert.ok(isProblem(pdfAsPhoto, 415), pdfAsPhoto.text);
  assert.deepEqual([rows(), objects().length], before, 'nothing stored');
  const jpg = await upload(student, app.id, 'photo', JPEG, 'me.txt', 'text/plain');
  assert.equal(jpg.status, 201, jpg.text);
  assert.equal(jpg.json.content_type, 'image/jpeg');
  // max_count 1 for photos.
  const again = await upload(student, app.id, 'photo', PNG, 'me2.png', 'image/png');
  assert.ok(isProblem(again, 409), again.text);
  assert.deepEqual(tmpFiles(), [], 'no temporary file left');
});

test('size: exactly max_mb is stored, one byte more is 413; a 0-byte file is refused', async () => {
  const a2 = await call(stranger, 'POST', '/api/v1/applications', { period_id: period.id });
  assert.equal(a2.status, 201, a2.text);
  const exact = await upload(stranger, a2.json.id, 'transcript', PDF(MiB));
  assert.equal(exact.status, 201, exact.text);
  assert.equal(exact.json.size, MiB);
  const before = [rows(), objects().length];
  const over = await upload(stranger, a2.json.id, 'transcript', PDF(MiB + 1));
  assert.ok(isProblem(over, 413), over.text);
  const empty = await upload(stranger, a2.json.id, 'transcript', Buffer.alloc(0));
  assert.ok(isProblem(empty, 415), empty.text);
  assert.match(empty.json.detail, /empty/);
  assert.deepEqual([rows(), objects().length], before);
  assert.deepEqual(tmpFiles(), []);
});

test('bad input: unknown kind, no file, unknown field, bad boundary, truncated and garbage bodies', async () => {
  const before = [rows(), objects().length];
  const kind = await upload(student, app.id, 'passport', PDF(100));
  assert.ok(isProblem(kind, 422), kind.text);
  assert.deepEqual(kind.json.errors.map((e) => e.field), ['kind']);
  const nofile = await upload(student, app.id, 'transcript', null);
  assert.ok(isProblem(nofile, 422), nofile.text);
  assert.deepEqual(nofile.json.errors.map((e) => e.field), ['file']);
  const form = new FormData();
  form.append('kind', 'transcript');
  form.append('extra', 'x');
  const extra = await http(`/api/v1/applications/${app.id}/documents`, { method: 'POST', headers: { Authorization: `Bearer ${student.token}` }, body: form });
  assert.ok(isProblem(extra, 422), extra.text);
  assert.ok(isProblem(await rawUpload(student, app.id, 'multipart/form-data', 'x'), 400));
  const b = 'XyZ123';
  const head = `--${b}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntranscript\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 truncated`;
  const truncated = await rawUpload(student, app.id, `multipart/form-data; boundary=${b}`, head);
  assert.ok(isProblem(truncated, 400), truncated.text);
  const garbage = await rawUpload(student, app.id, `multipart/form-data; boundary=${b}`, 'no boundary anywhere in here');
  assert.ok(isProblem(garbage, 400), garbage.text);
  assert.ok(isProblem(await rawUpload(student, app.id, 'application/json', '{}'), 415));
  assert.deepEqual([rows(), objects().length], before);
  assert.deepEqual(tmpFiles(), []);
});

test('scope: strangers get 404; the assigned reviewer and a super admin download; admins in scope list', async () => {
  const bytes = PDF(5000);
  const up = await upload(student, app.id, 'transcript', bytes, 't2.pdf');
  assert.equal(up.status, 201, up.text);
  const id = up.json.id;
  assert.ok(isProblem(await upload(stranger, app.id, 'transcript', PDF(100)), 404));
  for (const who of [stranger, reviewer, other, collegeSCI]) {
    assert.ok(isProblem(await call(who, 'GET', `/api/v1/applications/${app.id}/documents`), 404));
    assert.equal((await download(who, id)).status, 404);
  }
  assert.ok(isProblem(await call(stranger, 'DELETE', `/api/v1/documents/${id}`), 404));
  const a = await call(admin, 'GET', `/api/v1/applications/${app.id}`);
  const assign = await http(`/api/v1/applications/${app.id}/reviewers`, {
    method: 'PUT', headers: { Authorization: `Bearer ${admin.token}`, 'If-Match': a.headers.get('etag'), ...json },
    body: JSON.stringify({ reviewer_ids: [reviewer.id] }),
  });
  assert.equal(assign.status, 200, assign.text);
  for (const who of [reviewer, sa, admin, collegeEE]) {
    const d = await download(who, id);
    assert.equal(d.status, 200);
    assert.equal(sha(d.body), sha(bytes));
  }
  const l = await call(admin, 'GET', `/api/v1/applications/${app.id}/documents`);
  assert.equal(l.status, 200);
  assert.ok(l.json.items.some((d) => d.id === id));
});

test('delete: the owner removes row and object while editable; after submit uploads are 409', async () => {
  const up = await upload(student, app.id, 'transcript', PDF(3000), 'gone.pdf');
  assert.equal(up.status, 201, up.text);
  const key = `${app.id}/${up.json.id}`;
  assert.ok(objects().includes(key));
  const del = await call(student, 'DELETE', `/api/v1/documents/${up.json.id}`);
  assert.equal(del.status, 204, del.text);
  assert.ok(!objects().includes(key));
  assert.equal((await download(student, up.json.id)).status, 404);
  assert.equal(Number(sql1(`SELECT count(*) FROM documents WHERE id = '${up.json.id}'`)), 0);
  const sub = await call(student, 'POST', `/api/v1/applications/${app.id}/submit`);
  assert.equal(sub.status, 200, sub.text);
  assert.ok(isProblem(await upload(student, app.id, 'transcript', PDF(100)), 409));
  const some = JSON.parse(sql1(`SELECT json_agg(id) FROM documents WHERE application_id = '${app.id}'`));
  assert.ok(isProblem(await call(student, 'DELETE', `/api/v1/documents/${some[0]}`), 404));
});

test('sweep: scholarship-worker removes old objects without a row and old temporary files, nothing else', async () => {
  const mine = await call(stranger, 'GET', '/api/v1/applications');
  const kept = await upload(stranger, mine.json.items[0].id, 'transcript', PDF(500), 'kept.pdf');
  assert.equal(kept.status, 201, kept.text);
  const old = (Date.now() - 2 * 3600e3) / 1000;
  const keptPath = path.join(STORAGE, 'applications', kept.json.application_id, kept.json.id);
  utimesSync(keptPath, old, old);
  const orphanDir = path.join(STORAGE, 'applications', randomUUID());
  mkdirSync(orphanDir, { recursive: true });
  const orphan = path.join(orphanDir, randomUUID());
  const fresh = path.join(orphanDir, randomUUID());
  writeFileSync(orphan, 'left by a worker killed between object and row');
  writeFileSync(fresh, 'an upload that is writing its row right now');
  utimesSync(orphan, old, old);
  mkdirSync(path.join(STORAGE, 'tmp'), { recursive: true });
  const tmp = path.join(STORAGE, 'tmp', 'upload.OLD123');
  writeFileSync(tmp, 'x');
  utimesSync(tmp, old, old);
  assert.ok(await until(() => !existsSync(orphan) && !existsSync(tmp), 15000), 'the orphan and the old temporary file are swept');
  assert.ok(existsSync(keptPath), 'an object with a row stays, however old');
  assert.ok(existsSync(fresh), 'a recent object without a row stays (its row may be on the way)');
  const d = await download(stranger, kept.json.id);
  assert.equal(d.status, 200);
});

test('a client that disconnects halfway and a storage that cannot write leave nothing behind', async () => {
  const before = [rows(), objects().length];
  const b = 'HalfWay42';
  const head = `--${b}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntranscript\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="half.pdf"\r\n\r\n%PDF-1.4\n`;
  const { port, hostname } = new URL(BASE);
  await new Promise((resolve) => {
    const sock = net.connect(Number(port), hostname, () => {
      sock.write(`POST /api/v1/applications/${app.id}/documents HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${student.token}\r\n` +
        `Content-Type: multipart/form-data; boundary=${b}\r\nContent-Length: ${head.length + 500000}\r\n\r\n${head}${'x'.repeat(100000)}`);
      setTimeout(() => { sock.destroy(); resolve(); }, 300);
    });
    sock.on('error', resolve);
  });
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual([rows(), objects().length], before, 'no row, no object');
  assert.deepEqual(tmpFiles(), [], 'no temporary file');
  // The storage cannot write: its temporary directory is a file now.
  const tmpDir = path.join(STORAGE, 'tmp');
  renameSync(tmpDir, `${tmpDir}.away`);
  writeFileSync(tmpDir, 'not a directory');
  try {
    const r = await upload(stranger, (await call(stranger, 'GET', '/api/v1/applications')).json.items[0].id, 'transcript', PDF(1000));
    assert.ok(isProblem(r, 503), r.text);
    assert.ok(r.headers.get('retry-after'));
  } finally {
    rmSync(tmpDir);
    renameSync(`${tmpDir}.away`, tmpDir);
  }
  assert.deepEqual([rows(), objects().length], before, 'nothing written');
});
