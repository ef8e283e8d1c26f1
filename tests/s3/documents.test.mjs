// documents.test.mjs -- documents with STORAGE_BACKEND=s3 (DESIGN §8
// "Documents", §10) against npm s3rver behind tests/s3/server.mjs, a proxy
// that verifies every request's SigV4 signature with @smithy/signature-v4
// and refuses a mismatch (run by tests/s3/run.sh, which starts it before
// the stack). Covered: the bucket is created at start; an upload is a
// streamed, signed PUT whose x-amz-content-sha256 is the file's SHA-256;
// the download is a 302 to a 60-second presigned URL on
// MINIO_PUBLIC_ENDPOINT with response-content-disposition and
// response-content-type, and following it gives the same bytes; delete
// removes the object; storage down → 503 with no row, no object and no
// temporary file, and uploads work again once it is back; a client that
// disconnects halfway leaves no row and no object; the proxy refuses a
// wrong secret and a tampered URL (so its verdicts mean something), and
// it refused nothing the API sent; a bucket lost after start is created
// again by the next upload; the worker's sweep lists the bucket
// (ListObjectsV2) and removes an old object no row names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import nodeHttp from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { BASE, http, isProblem, psql, run, sleep, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 's3-suite-password';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const { S3_DIR, S3_LOG, S3_PID_FILE, MINIO_BUCKET_NAME: BUCKET, MINIO_ENDPOINT, MINIO_PUBLIC_ENDPOINT } = process.env;
const S3_PORT = Number(MINIO_ENDPOINT.split(':')[1]);
const sha = (buf) => createHash('sha256').update(buf).digest('hex');
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const rows = () => Number(sql1('SELECT count(*) FROM documents'));
const tmpFiles = () => { const d = path.join(process.env.STORAGE_DIR, 'tmp'); return existsSync(d) ? readdirSync(d) : []; };
const PDF = (size, fill = 0x20) => { const b = Buffer.alloc(size, fill); Buffer.from('%PDF-1.7\n').copy(b); return b; };

/** Keys of the objects s3rver holds in the suite's bucket. */
function objects() {
  const out = [];
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else if (e.name.endsWith('._S3rver_object')) out.push(rel + e.name.slice(0, -'._S3rver_object'.length));
    }
  };
  const root = path.join(S3_DIR, BUCKET);
  if (existsSync(root)) walk(root, '');
  return out.sort();
}
/** The proxy's verdicts so far: [{method, url, ok, reason}]. */
const verdicts = () => (existsSync(S3_LOG) ? readFileSync(S3_LOG, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

/** A request straight to the proxy (at 127.0.0.1) under the Host header host. */
function s3Raw(method, pathAndQuery, headers = {}, body = null, host = `127.0.0.1:${S3_PORT}`) {
  return new Promise((resolve, reject) => {
    const req = nodeHttp.request({ host: '127.0.0.1', port: S3_PORT, method, path: pathAndQuery, headers: { host, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

async function signedIn(role) {
  const email = `s3-${role}-${RUN}-${randomUUID().slice(0, 8)}@s3.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `S3 ${role}`, '--role', role], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return { email, token: l.json.access_token };
}
const call = (who, method, p, body) => http(p, {
  method, headers: { Authorization: `Bearer ${who.token}`, ...(body !== undefined ? json : {}) },
  body: body === undefined ? undefined : JSON.stringify(body),
});
function upload(who, bytes, filename = 'file.pdf') {
  const form = new FormData();
  form.append('kind', 'transcript');
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), filename);
  return http(`/api/v1/applications/${app.id}/documents`, { method: 'POST', headers: { Authorization: `Bearer ${who.token}` }, body: form });
}
function signal(sig) { process.kill(Number(readFileSync(S3_PID_FILE, 'utf8')), sig); }
const canConnect = () => new Promise((resolve) => {
  const s = net.connect(S3_PORT, '127.0.0.1', () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});
async function waitConnect(want) {
  for (let i = 0; i < 100; i++) { if ((await canConnect()) === want) return; await sleep(50); }
  assert.fail(`the S3 proxy did not become ${want ? 'reachable' : 'unreachable'}`);
}

let admin, student, app;

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  admin = await signedIn('admin');
  student = await signedIn('student');
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree, enrollment_status)
        VALUES ('${`S3${RUN}`.slice(0, 12)}', 'S3', '${student.email}', 'EE', 'CSIE', 'bachelor', 'enrolled')`);
  const s = await call(admin, 'POST', '/api/v1/scholarships', { code: `S3${RUN}`.slice(0, 32), name: 'S3', status: 'active' });
  assert.equal(s.status, 201, s.text);
  const p = await call(admin, 'POST', `/api/v1/scholarships/${s.json.id}/periods`, {
    academic_year: 2400 + Math.floor(Math.random() * 500), term: 1, label: 's3', opens_at: iso(-1), closes_at: iso(30),
    requires_reviewer_review: false,
    required_documents: [{ kind: 'transcript', label: '成績單', accepted_types: ['application/pdf'], max_mb: 2, max_count: 10 }],
  });
  assert.equal(p.status, 201, p.text);
  assert.equal((await call(admin, 'POST', `/api/v1/periods/${p.json.id}/status`, { status: 'open' })).status, 200);
  const a = await call(student, 'POST', '/api/v1/applications', { period_id: p.json.id });
  assert.equal(a.status, 201, a.text);
  app = a.json;
});

after(async () => {
  // Whatever a test did, leave the storage up.
  signal('SIGUSR2');
});

test('the workers created the bucket at start, through verified requests', () => {
  assert.ok(existsSync(path.join(S3_DIR, BUCKET)), 'the bucket exists');
  assert.ok(verdicts().some((v) => v.ok && v.method === 'PUT' && v.url === `/${BUCKET}`), 'a signed PUT created it');
});

test('round trip: a signed streamed PUT, then a 302 to a 60-second presigned URL that gives the same bytes', async () => {
  const bytes = PDF(1536 * 1024, 0x41); // above curl's 1 MiB Expect threshold
  const r = await upload(student, bytes, '成績單 2026.pdf');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.sha256, sha(bytes));
  const key = `applications/${app.id}/${r.json.id}`;
  assert.ok(objects().includes(key), 'the object is in the bucket');
  assert.equal(sha(readFileSync(path.join(S3_DIR, BUCKET, `${key}._S3rver_object`))), sha(bytes), 's3rver holds the same bytes');
  const put = verdicts().filter((v) => v.method === 'PUT' && v.url === `/${BUCKET}/${key}`);
  assert.deepEqual(put.map((v) => v.ok), [true], 'one PUT, its signature verified');
  assert.deepEqual(tmpFiles(), [], 'no temporary file is left');

  const d = await http(`/api/v1/documents/${r.json.id}/content`, { headers: { Authorization: `Bearer ${student.token}` } });
  assert.equal(d.status, 302, d.text);
  const loc = new URL(d.headers.get('location'));
  assert.equal(`${loc.protocol}//${loc.host}`, MINIO_PUBLIC_ENDPOINT, 'signed for MINIO_PUBLIC_ENDPOINT');
  assert.equal(loc.pathname, `/${BUCKET}/${key}`);
  const q = loc.searchParams;
  assert.equal(q.get('X-Amz-Expires'), '60');
  assert.equal(q.get('X-Amz-SignedHeaders'), 'host');
  assert.equal(q.get('response-content-type'), 'application/pdf');
  assert.match(q.get('response-content-disposition'), /^attachment; filename="[^"]*\.pdf"; filename\*=UTF-8''%E6%88%90/);
  const signedAt = Date.parse(q.get('X-Amz-Date').replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  assert.ok(Math.abs(Date.now() - signedAt) < 60e3, 'signed now');

  // The same request presigned by smithy at the same time gives the same URL.
  const smithy = new SignatureV4({ service: 's3', region: process.env.MINIO_REGION, sha256: Sha256, uriEscapePath: false,
    credentials: { accessKeyId: process.env.MINIO_ACCESS_KEY, secretAccessKey: process.env.MINIO_SECRET_KEY } });
  const keep = new Set(['x-amz-content-sha256']);
  const p = await smithy.presign({ method: 'GET', protocol: 'http:', hostname: loc.host, path: loc.pathname,
    query: { 'response-content-disposition': q.get('response-content-disposition'), 'response-content-type': 'application/pdf' },
    headers: { host: loc.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
  { signingDate: new Date(signedAt), expiresIn: 60, unsignableHeaders: keep, unhoistableHeaders: keep });
  assert.equal(q.get('X-Amz-Signature'), p.query['X-Amz-Signature']);

  // A browser would go to MINIO_PUBLIC_ENDPOINT; that name is this proxy.
  const g = await s3Raw('GET', loc.pathname + loc.search, {}, null, loc.host);
  assert.equal(g.status, 200, g.body.toString());
  assert.equal(sha(g.body), sha(bytes), 'the downloaded bytes are the uploaded ones');
  assert.equal(g.headers['content-type'], 'application/pdf');
  assert.equal(g.headers['content-disposition'], q.get('response-content-disposition'));
});

test('the proxy refuses what is not signed right: a wrong secret, a tampered URL, another host', async () => {
  const bytes = PDF(1000);
  const r = await upload(student, bytes);
  assert.equal(r.status, 201, r.text);
  const key = `applications/${app.id}/${r.json.id}`;
  const d = await http(`/api/v1/documents/${r.json.id}/content`, { headers: { Authorization: `Bearer ${student.token}` } });
  const loc = new URL(d.headers.get('location'));
  assert.equal((await s3Raw('GET', loc.pathname + loc.search, {}, null, loc.host)).status, 200);
  const tampered = loc.search.replace('response-content-type=application%2Fpdf', 'response-content-type=text%2Fhtml');
  assert.notEqual(tampered, loc.search);
  assert.equal((await s3Raw('GET', loc.pathname + tampered, {}, null, loc.host)).status, 403);
  assert.equal((await s3Raw('GET', loc.pathname + loc.search, {}, null, `127.0.0.1:${S3_PORT}`)).status, 403, 'signed for another host');
  assert.equal((await s3Raw('GET', `/${BUCKET}/${key}`)).status, 403, 'unsigned');

  const wrong = new SignatureV4({ service: 's3', region: process.env.MINIO_REGION, sha256: Sha256, uriEscapePath: false,
    credentials: { accessKeyId: process.env.MINIO_ACCESS_KEY, secretAccessKey: 'not-the-secret' } });
  const host = `127.0.0.1:${S3_PORT}`;
  const s = await wrong.sign({ method: 'DELETE', protocol: 'http:', hostname: host, path: `/${BUCKET}/${key}`, query: {},
    headers: { host, 'x-amz-content-sha256': sha('') } });
  assert.equal((await s3Raw('DELETE', `/${BUCKET}/${key}`, s.headers)).status, 403);
  assert.ok(objects().includes(key), 'the refused DELETE did not reach s3rver');
});

test('delete: a verified DELETE removes the object', async () => {
  const r = await upload(student, PDF(2000));
  assert.equal(r.status, 201, r.text);
  const key = `applications/${app.id}/${r.json.id}`;
  assert.ok(objects().includes(key));
  const del = await call(student, 'DELETE', `/api/v1/documents/${r.json.id}`);
  assert.equal(del.status, 204, del.text);
  assert.ok(!objects().includes(key), 'the object is gone');
  assert.deepEqual(verdicts().filter((v) => v.method === 'DELETE' && v.url === `/${BUCKET}/${key}`).map((v) => v.ok), [true]);
});

test('storage down: the upload is 503 and nothing is written; it works again once storage is back', async () => {
  const rows0 = rows(), objs0 = objects();
  signal('SIGUSR1');
  await waitConnect(false);
  try {
    const r = await upload(student, PDF(5000));
    assert.ok(isProblem(r, 503), `${r.status} ${r.text}`);
    assert.equal(rows(), rows0, 'no row');
    assert.deepEqual(objects(), objs0, 'no object');
    assert.deepEqual(tmpFiles(), [], 'no temporary file');
  } finally {
    signal('SIGUSR2');
    await waitConnect(true);
  }
  const r = await upload(student, PDF(5000));
  assert.equal(r.status, 201, r.text);
  assert.equal(rows(), rows0 + 1);
});

test('a client that disconnects halfway leaves no row and no object', async () => {
  const rows0 = rows(), objs0 = objects();
  const boundary = '----s3suite' + RUN;
  const file = PDF(600 * 1024);
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntranscript\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const { hostname, port } = new URL(BASE);
  await new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname, () => {
      s.write(`POST /api/v1/applications/${app.id}/documents HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
        `Authorization: Bearer ${student.token}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`);
      s.write(body.subarray(0, body.length >> 1), () => setTimeout(() => { s.destroy(); resolve(); }, 200));
    });
    s.on('error', reject);
  });
  await sleep(1500);
  assert.equal(rows(), rows0, 'no row');
  assert.deepEqual(objects(), objs0, 'no object');
  assert.deepEqual(tmpFiles(), [], 'no temporary file');
  // The connection is usable afterwards.
  assert.equal((await upload(student, PDF(3000))).status, 201);
});

test('a bucket lost after start is created again by the next upload', async () => {
  rmSync(path.join(S3_DIR, BUCKET), { recursive: true, force: true });
  const r = await upload(student, PDF(4000));
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(objects(), [`applications/${app.id}/${r.json.id}`]);
});

test('the worker sweeps an object no row names out of the bucket (ListObjectsV2) and keeps the others', async () => {
  const kept = await upload(student, PDF(2500));
  assert.equal(kept.status, 201, kept.text);
  const keptKey = `applications/${app.id}/${kept.json.id}`;
  // An orphan, put straight into the bucket through the verifying proxy.
  const orphan = `applications/${randomUUID()}/${randomUUID()}`;
  const body = Buffer.from('orphan');
  const host = `127.0.0.1:${S3_PORT}`;
  const signer = new SignatureV4({ service: 's3', region: process.env.MINIO_REGION, sha256: Sha256, uriEscapePath: false,
    credentials: { accessKeyId: process.env.MINIO_ACCESS_KEY, secretAccessKey: process.env.MINIO_SECRET_KEY } });
  const s = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: host, path: `/${BUCKET}/${orphan}`, query: {},
    headers: { host, 'x-amz-content-sha256': sha(body), 'content-length': String(body.length) } });
  const put = await s3Raw('PUT', `/${BUCKET}/${orphan}`, s.headers, body);
  assert.equal(put.status, 200, put.body.toString());
  assert.ok(objects().includes(orphan), 'the orphan is in the bucket');
  // STORAGE_SWEEP_AGE_SECONDS=3, a sweep every second (run.sh).
  let gone = false;
  for (let i = 0; i < 150 && !gone; i++) { await sleep(100); gone = !objects().includes(orphan); }
  assert.ok(gone, 'the sweep removed the orphan');
  assert.ok(verdicts().some((v) => v.ok && v.method === 'GET' && v.url.startsWith(`/${BUCKET}?`) && v.url.includes('list-type=2')),
    'a verified ListObjectsV2');
  assert.deepEqual(verdicts().filter((v) => v.method === 'DELETE' && v.url === `/${BUCKET}/${orphan}`).map((v) => v.ok), [true]);
  await sleep(1500); // more sweeps: the document with a row stays
  assert.ok(objects().includes(keptKey), 'the object with a row stays');
  const d = await http(`/api/v1/documents/${kept.json.id}/content`, { headers: { Authorization: `Bearer ${student.token}` } });
  assert.equal(d.status, 302, d.text);
  const loc = new URL(d.headers.get('location'));
  const g = await s3Raw('GET', loc.pathname + loc.search, {}, null, loc.host);
  assert.equal(g.status, 200);
  assert.equal(g.body.length, 2500);
});

test('every request the API sent passed the proxy\'s signature check', () => {
  const v = verdicts().filter((e) => e.method);
  assert.ok(v.filter((e) => e.ok).length >= 10, `verified ${v.length} requests`);
  const refused = v.filter((e) => !e.ok);
  // The refusals are the ones the negative test provoked, nothing else.
  assert.equal(refused.length, 4, JSON.stringify(refused, null, 1));
  assert.ok(statSync(S3_LOG).size > 0);
});
