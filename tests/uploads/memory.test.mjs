// memory.test.mjs -- an upload is streamed, never held whole in memory
// (DESIGN §8 "Documents"): with one worker and MAX_UPLOAD_MB raised to 60
// (tests/run-all.sh), a 50 MB PDF is uploaded and the worker's resident
// memory is read from /proc before and after; it must grow by less than
// 2 MB, and the upload must come back with the right SHA-256. Printed:
// the growth and the peak.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { http, psql, run, TOP, BINDIR, workerPids } from '../lib/stack.mjs';

const PW = 'uploads-memory-password';
const json = { 'Content-Type': 'application/json' };
const MB = 1048576;
const kib = (pid, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
let token, appId;

async function login(email) {
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return l.json.access_token;
}
const call = (tok, method, p, body) => http(p, { method, headers: { Authorization: `Bearer ${tok}`, ...json }, body: JSON.stringify(body) });

before(async () => {
  assert.equal(Number(process.env.MAX_UPLOAD_MB), 60, 'run with MAX_UPLOAD_MB=60');
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  for (const [email, role] of [['mem-admin@test.example.edu', 'admin'], ['mem-student@test.example.edu', 'student']]) {
    const u = run(path.join(BINDIR, 'scholarshipctl'), ['user-add', '--email', email, '--name', 'Mem', '--role', role], { cwd: TOP, input: `${PW}\n` });
    assert.equal(u.status, 0, u.stderr);
  }
  assert.equal(psql(`INSERT INTO students (student_number, name, email, college_code, department_code, degree, enrollment_status)
    VALUES ('M0000001', 'Mem', 'mem-student@test.example.edu', 'EE', 'CSIE', 'bachelor', 'enrolled')`).status, 0);
  const admin = await login('mem-admin@test.example.edu');
  token = await login('mem-student@test.example.edu');
  const s = await call(admin, 'POST', '/api/v1/scholarships', { code: 'MEM', name: 'Mem', status: 'active' });
  assert.equal(s.status, 201, s.text);
  const now = Date.now();
  const p = await call(admin, 'POST', `/api/v1/scholarships/${s.json.id}/periods`, {
    academic_year: 2500, term: 1, label: 'mem', requires_reviewer_review: false,
    opens_at: new Date(now - 864e5).toISOString(), closes_at: new Date(now + 864e5).toISOString(),
    required_documents: [{ kind: 'big', label: 'Big', accepted_types: ['application/pdf'], max_mb: 60, max_count: 1 }],
  });
  assert.equal(p.status, 201, p.text);
  assert.equal((await call(admin, 'POST', `/api/v1/periods/${p.json.id}/status`, { status: 'open' })).status, 200);
  const a = await call(token, 'POST', '/api/v1/applications', { period_id: p.json.id });
  assert.equal(a.status, 201, a.text);
  appId = a.json.id;
});

test('a 50 MB upload grows the worker by less than 2 MB', async () => {
  const [worker] = workerPids();
  assert.ok(worker, 'one worker');
  const bytes = Buffer.alloc(50 * MB, 0x41);
  Buffer.from('%PDF-1.7\n').copy(bytes);
  const form = new FormData();
  form.append('kind', 'big');
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'big.pdf');
  // Warm the worker's connections and arena with a small request first.
  assert.equal((await http('/api/v1/auth/me', { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  const before = kib(worker, 'VmRSS');
  const r = await http(`/api/v1/applications/${appId}/documents`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(workerPids()[0], worker, 'the same worker served it');
  const after = kib(worker, 'VmRSS');
  const growth = after - before;
  console.log(`upload 50 MB: worker RSS ${before} kB -> ${after} kB (growth ${growth} kB), peak ${kib(worker, 'VmHWM')} kB`);
  assert.ok(growth < 2048, `RSS grew by ${growth} kB`);
});
