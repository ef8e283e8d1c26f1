// period_terms.test.mjs -- a period's regulations PDF (issue 5, item 6):
// the scholarship's admin uploads it (a PDF by content only, 415 else;
// another admin 404; a student 403), the period's terms_document takes
// its name, anyone who can see the period downloads the same bytes (a
// draft period's file is 404 to the public), a new upload replaces the
// old object, and submit then asks for the terms to be accepted.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { BASE, http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'terms-test-password';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sha = (b) => createHash('sha256').update(b).digest('hex');
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const pdf = (text) => Buffer.from(`%PDF-1.4\n${text}\n%%EOF\n`);
let n = 0, admin, other, student, period;

async function signedIn(role) {
  const email = `terms-${role}-${RUN}-${n++}@terms.example.edu`.toLowerCase();
  const r = run(path.join(BINDIR, 'scholarshipctl'), ['user-add', '--email', email, '--name', `Terms ${role}`, '--role', role], { cwd: TOP, input: `${PW}\n` });
  assert.equal(r.status, 0, r.stderr);
  // The suite before this one may have restarted PostgreSQL: a worker can
  // still be in its reconnect backoff (503) for a moment.
  let l;
  for (let i = 0; i < 50; i++) {
    l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
    if (l.status !== 503) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(l.status, 200, l.text);
  return { email, id: l.json.user.id, token: l.json.access_token };
}
const call = (who, method, p, body) => http(p, { method, headers: { Authorization: `Bearer ${who.token}`, ...(body ? json : {}) }, body: body && JSON.stringify(body) });
function upload(who, id, bytes, name = 'regulations.pdf') {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), name);
  return http(`/api/v1/periods/${id}/terms-document`, { method: 'POST', headers: { Authorization: `Bearer ${who.token}` }, body: form });
}
async function download(id, who) {
  const res = await fetch(`${BASE}/api/v1/periods/${id}/terms-document`, { headers: who ? { Authorization: `Bearer ${who.token}` } : {} });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
const objects = () => {
  const root = path.join(process.env.STORAGE_DIR, 'periods', period.id);
  return existsSync(root) ? readdirSync(root) : [];
};

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  admin = await signedIn('admin');
  other = await signedIn('admin');
  student = await signedIn('student');
  assert.equal(psql(`INSERT INTO students (student_number, name, email, college_code, department_code, degree, enrollment_status)
    VALUES ('${`T${RUN}`.slice(0, 12)}', '規章', '${student.email}', 'EE', 'CSIE', 'bachelor', 'enrolled')`).status, 0);
  const s = await call(admin, 'POST', '/api/v1/scholarships', { code: `TERMS${RUN}`.slice(0, 32), name: '規章測試', status: 'active' });
  assert.equal(s.status, 201, s.text);
  const p = await call(admin, 'POST', `/api/v1/scholarships/${s.json.id}/periods`, {
    academic_year: 2600 + Math.floor(Math.random() * 300), term: 2, label: 'terms', opens_at: iso(-1), closes_at: iso(20), requires_reviewer_review: false,
  });
  assert.equal(p.status, 201, p.text);
  period = p.json;
});

test('upload: admins in scope only, PDFs only; the period names it; drafts stay private', async () => {
  assert.ok(isProblem(await upload(student, period.id, pdf('x')), 403));
  assert.ok(isProblem(await upload(other, period.id, pdf('x')), 404));
  assert.ok(isProblem(await upload(admin, period.id, Buffer.from('MZ not a pdf')), 415));
  assert.deepEqual(objects(), [], 'nothing stored');
  const bytes = pdf('獎學金辦法 第一版');
  const r = await upload(admin, period.id, bytes, 'C:\\docs\\辦法.pdf');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.filename, '辦法.pdf');
  assert.equal(r.json.sha256, sha(bytes));
  const g = await call(admin, 'GET', `/api/v1/periods/${period.id}`);
  assert.equal(g.json.terms_document, '辦法.pdf');
  assert.equal((await download(period.id)).status, 404, 'a draft period is not public');
  const mine = await download(period.id, admin);
  assert.equal(mine.status, 200);
  assert.equal(sha(mine.body), sha(bytes));
});

test('open period: anyone downloads it; a new upload replaces the old object; submit asks for acceptance', async () => {
  assert.equal((await call(admin, 'POST', `/api/v1/periods/${period.id}/status`, { status: 'open' })).status, 200);
  const first = objects();
  assert.equal(first.length, 1);
  const bytes = pdf('獎學金辦法 第二版');
  const r = await upload(admin, period.id, bytes, 'rules-v2.pdf');
  assert.equal(r.status, 201, r.text);
  const now = objects();
  assert.equal(now.length, 1, 'the old object is gone');
  assert.notDeepEqual(now, first);
  const d = await download(period.id);
  assert.equal(d.status, 200);
  assert.equal(d.headers.get('content-type'), 'application/pdf');
  assert.match(d.headers.get('content-disposition'), /^attachment; filename="rules-v2\.pdf"/);
  assert.equal(sha(d.body), sha(bytes));
  const a = await call(student, 'POST', '/api/v1/applications', { period_id: period.id });
  assert.equal(a.status, 201, a.text);
  const s = await call(student, 'POST', `/api/v1/applications/${a.json.id}/submit`);
  assert.ok(isProblem(s, 422), s.text);
  assert.deepEqual(s.json.errors.map((e) => e.field), ['accept_terms']);
  const ok = await call(student, 'POST', `/api/v1/applications/${a.json.id}/submit`, { accept_terms: true });
  assert.equal(ok.status, 200, ok.text);
  assert.ok(ok.json.terms_accepted_at);
});
