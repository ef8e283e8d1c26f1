// document_requests.test.mjs -- document requests (補件, DESIGN §8
// "Applications") against the real stack: an admin in scope asks for
// kinds of the period's required_documents (201; the application moves
// to pending_documents with a history row; both audited); unknown or
// repeated kinds and a past due date are 422 and a draft is 409; a
// student may not ask (403), an admin of another scholarship and another
// student see 404; the student fulfils only after uploading every kind
// since the request (422 kinds.<kind> before, uploads allowed after
// closes_at), and the application goes back to under_review once no
// request of it is open; cancel; the overdue filter, scoped lists and
// keyset pages.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'docreq-test-password';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const day = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
const YEAR0 = 2400 + Math.floor(Math.random() * 500);
let n = 0, k = 0;

async function signedIn(role) {
  const email = `docreq-${role}-${RUN}-${n++}@docreq.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Docreq ${role}`, '--role', role], `${PW}\n`);
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
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(300, 0x20)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]);
function upload(who, appId, kind, bytes, type) {
  const form = new FormData();
  form.append('kind', kind);
  form.append('file', new Blob([bytes], { type }), kind === 'photo' ? 'me.png' : 'file.pdf');
  return http(`/api/v1/applications/${appId}/documents`, {
    method: 'POST', headers: { Authorization: `Bearer ${who.token}` }, body: form,
  });
}
const audits = (type, id, action) => Number(sql1(
  `SELECT count(*) FROM audit_log WHERE entity_type = '${type}' AND entity_id = '${id}' AND action = '${action}'`));
const nrequests = () => Number(sql1('SELECT count(*) FROM document_requests'));
const ask = (who, appId, body) => call(who, 'POST', `/api/v1/applications/${appId}/document-requests`, body);
const fulfil = (who, id) => call(who, 'POST', `/api/v1/document-requests/${id}/fulfil`);
const cancel = (who, id, body) => call(who, 'POST', `/api/v1/document-requests/${id}/cancel`, body);
const list = (who, q = '') => call(who, 'GET', `/api/v1/document-requests${q}`);
const getApp = async (who, id) => { const r = await call(who, 'GET', `/api/v1/applications/${id}`); assert.equal(r.status, 200, r.text); return r.json; };
const lastMove = (a) => { const h = a.status_history.at(-1); return [h.from_status, h.to_status, h.actor_id, h.reason]; };

let sa, admin, other, reviewer, student, stranger, sch;

before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
  other = await signedIn('admin');
  reviewer = await signedIn('reviewer');
  student = await signedIn('student');
  stranger = await signedIn('student');
  for (const [who, num] of [[student, 'R1'], [stranger, 'R2']])
    sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree, enrollment_status, gpa, year_of_study)
          VALUES ('${`${num}${RUN}`.slice(0, 12)}', '補件', '${who.email}', 'EE', 'CSIE', 'bachelor', 'enrolled', 3.9, 3)`);
  const s = await call(admin, 'POST', '/api/v1/scholarships', { code: `DRQ${RUN}`.slice(0, 32), name: '補件測試', status: 'active' });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
  // The other admin administers a scholarship of their own.
  const o = await call(other, 'POST', '/api/v1/scholarships', { code: `DRO${RUN}`.slice(0, 32), name: '他人', status: 'active' });
  assert.equal(o.status, 201, o.text);
});

/** A fresh open period of sch. */
async function period() {
  const i = k++;
  const p = await call(admin, 'POST', `/api/v1/scholarships/${sch.id}/periods`, {
    academic_year: YEAR0 + Math.floor(i / 3), term: i % 3, label: `docreq ${i}`, opens_at: iso(-1), closes_at: iso(30),
    requires_reviewer_review: false,
    required_documents: [
      { kind: 'transcript', label: '成績單', required: false, accepted_types: ['application/pdf'], max_mb: 1, max_count: 5 },
      { kind: 'photo', label: '照片', required: false, accepted_types: ['image/png'], max_mb: 1, max_count: 5 },
    ],
  });
  assert.equal(p.status, 201, p.text);
  assert.equal((await call(admin, 'POST', `/api/v1/periods/${p.json.id}/status`, { status: 'open' })).status, 200);
  return p.json;
}
/** An application of who in a fresh period: a draft, or submitted. */
async function application(who = student, submit = true) {
  const p = await period();
  const a = await call(who, 'POST', '/api/v1/applications', { period_id: p.id });
  assert.equal(a.status, 201, a.text);
  if (!submit) return a.json;
  const s = await call(who, 'POST', `/api/v1/applications/${a.json.id}/submit`);
  assert.equal(s.status, 200, s.text);
  return s.json;
}
const REQ = (extra = {}) => ({ kinds: ['transcript'], reason: '請補成績單', due_on: day(7), ...extra });

test('create: 201 open request; the application is pending_documents with a history row; both audited', async () => {
  const a = await application();
  const r = await ask(admin, a.id, REQ({ kinds: ['transcript', 'photo'] }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('location'), `/api/v1/document-requests/${r.json.id}`);
  assert.equal(r.json.status, 'open');
  assert.equal(r.json.application_id, a.id);
  assert.deepEqual(r.json.kinds, ['transcript', 'photo']);
  assert.equal(r.json.reason, '請補成績單');
  assert.equal(r.json.due_on, day(7));
  assert.equal(r.json.overdue, false);
  assert.equal(r.json.requested_by, admin.id);
  assert.equal(r.json.application_status, 'pending_documents');
  const now = await getApp(student, a.id);
  assert.equal(now.status, 'pending_documents');
  assert.deepEqual(lastMove(now), ['submitted', 'pending_documents', admin.id, '請補成績單']);
  assert.equal(audits('document_request', r.json.id, 'document_request.created'), 1);
  assert.equal(audits('application', a.id, 'application.status_changed'), 1);
  // A second request of a waiting application: no second move.
  const r2 = await ask(sa, a.id, REQ());
  assert.equal(r2.status, 201, r2.text);
  const again = await getApp(student, a.id);
  assert.equal(again.status_history.length, now.status_history.length);
  assert.equal(audits('application', a.id, 'application.status_changed'), 1);
});

test('create: 422 unknown and repeated kinds, empty kinds, a past due date; nothing written', async () => {
  const a = await application();
  const before = nrequests();
  let r = await ask(admin, a.id, REQ({ kinds: ['transcript', 'passport', 'transcript'] }));
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['kinds.1', 'kinds.2']);
  r = await ask(admin, a.id, REQ({ kinds: [] }));
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field), ['kinds']);
  r = await ask(admin, a.id, REQ({ due_on: day(-3) }));
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field), ['due_on']);
  r = await ask(admin, a.id, { kinds: ['transcript'] });
  assert.ok(isProblem(r, 422), r.text);
  assert.equal(nrequests(), before);
  assert.equal((await getApp(student, a.id)).status, 'submitted');
});

test('create: 409 unless submitted, under_review or pending_documents', async () => {
  const d = await application(student, false);
  const r = await ask(admin, d.id, REQ());
  assert.ok(isProblem(r, 409), r.text);
  const a = await application();
  const u = await call(admin, 'POST', `/api/v1/applications/${a.id}/status`, { status: 'under_review' });
  assert.equal(u.status, 200, u.text);
  const ok = await ask(admin, a.id, REQ());
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(lastMove(await getApp(sa, a.id)), ['under_review', 'pending_documents', admin.id, '請補成績單']);
  const w = await application();
  assert.equal((await call(student, 'POST', `/api/v1/applications/${w.id}/withdraw`)).status, 200);
  assert.ok(isProblem(await ask(admin, w.id, REQ()), 409));
});

test('roles and scope: a student or a reviewer 403, an admin of another scholarship 404, another student 404', async () => {
  const a = await application();
  assert.ok(isProblem(await ask(student, a.id, REQ()), 403));
  assert.ok(isProblem(await ask(reviewer, a.id, REQ()), 403));
  assert.ok(isProblem(await ask(other, a.id, REQ()), 404));
  const r = await ask(admin, a.id, REQ());
  assert.equal(r.status, 201, r.text);
  assert.ok(isProblem(await fulfil(stranger, r.json.id), 404));
  assert.ok(isProblem(await fulfil(admin, r.json.id), 403));
  assert.ok(isProblem(await cancel(other, r.json.id), 404));
  assert.ok(isProblem(await cancel(student, r.json.id), 403));
  assert.ok(isProblem(await fulfil(student, '00000000-0000-4000-8000-000000000000'), 404));
  assert.equal((await getApp(sa, a.id)).status, 'pending_documents');
});

test('fulfil: 422 names each kind not uploaded since the request (also after closes_at), then 200 and under_review', async () => {
  const p = await period();
  const d = await call(student, 'POST', '/api/v1/applications', { period_id: p.id });
  assert.equal(d.status, 201, d.text);
  // A transcript uploaded before the request does not count.
  assert.equal((await upload(student, d.json.id, 'transcript', PDF, 'application/pdf')).status, 201);
  assert.equal((await call(student, 'POST', `/api/v1/applications/${d.json.id}/submit`)).status, 200);
  const r = await ask(admin, d.json.id, REQ({ kinds: ['transcript', 'photo'] }));
  assert.equal(r.status, 201, r.text);
  let f = await fulfil(student, r.json.id);
  assert.ok(isProblem(f, 422), f.text);
  assert.deepEqual(f.json.errors.map((e) => e.field), ['kinds.transcript', 'kinds.photo']);
  // The window closes; a waiting application still takes its files.
  sql1(`UPDATE periods SET opens_at = now() - interval '3 days', closes_at = now() - interval '1 day' WHERE id = '${p.id}'`);
  const up = await upload(student, d.json.id, 'photo', PNG, 'image/png');
  assert.equal(up.status, 201, up.text);
  f = await fulfil(student, r.json.id);
  assert.ok(isProblem(f, 422), f.text);
  assert.deepEqual(f.json.errors.map((e) => e.field), ['kinds.transcript']);
  assert.equal((await upload(student, d.json.id, 'transcript', PDF, 'application/pdf')).status, 201);
  f = await fulfil(student, r.json.id);
  assert.equal(f.status, 200, f.text);
  assert.equal(f.json.status, 'fulfilled');
  assert.ok(f.json.fulfilled_at);
  assert.equal(f.json.application_status, 'under_review');
  const a = await getApp(student, d.json.id);
  assert.equal(a.status, 'under_review');
  assert.deepEqual(lastMove(a), ['pending_documents', 'under_review', student.id, null]);
  assert.equal(audits('document_request', r.json.id, 'document_request.fulfilled'), 1);
  assert.equal(audits('application', d.json.id, 'application.status_changed'), 2);
  assert.ok(isProblem(await fulfil(student, r.json.id), 409), 'fulfilled once');
  assert.ok(isProblem(await cancel(admin, r.json.id), 409));
});

test('two open requests: the application waits until the last is closed; cancel', async () => {
  const a = await application();
  const r1 = await ask(admin, a.id, REQ({ kinds: ['photo'] }));
  const r2 = await ask(admin, a.id, REQ({ kinds: ['transcript'] }));
  assert.equal(r1.status, 201, r1.text);
  assert.equal(r2.status, 201, r2.text);
  assert.equal((await upload(student, a.id, 'photo', PNG, 'image/png')).status, 201);
  const f = await fulfil(student, r1.json.id);
  assert.equal(f.status, 200, f.text);
  assert.equal((await getApp(student, a.id)).status, 'pending_documents', 'r2 is still open');
  const c = await cancel(admin, r2.json.id, { reason: '不需要了' });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.status, 'cancelled');
  assert.equal(c.json.cancelled_by, admin.id);
  assert.ok(c.json.cancelled_at);
  const now = await getApp(student, a.id);
  assert.equal(now.status, 'under_review');
  assert.deepEqual(lastMove(now), ['pending_documents', 'under_review', admin.id, '不需要了']);
  assert.equal(audits('document_request', r2.json.id, 'document_request.cancelled'), 1);
  assert.ok(isProblem(await cancel(admin, r2.json.id), 409), 'cancelled once');
  assert.ok(isProblem(await fulfil(student, r2.json.id), 409));
  // A super admin cancels too; with no status left to release, the application stays.
  const r3 = await ask(admin, a.id, REQ());
  assert.equal(r3.status, 201, r3.text);
  const rej = await call(admin, 'POST', `/api/v1/applications/${a.id}/status`, { status: 'rejected', reason: 'no' });
  assert.equal(rej.status, 200, rej.text);
  const c3 = await cancel(sa, r3.json.id);
  assert.equal(c3.status, 200, c3.text);
  assert.equal((await getApp(sa, a.id)).status, 'rejected');
});

test('list: scoped, filtered by status and application, overdue, keyset pages; bad queries 400', async () => {
  const mine = await application();
  const theirs = await application(stranger);
  const r1 = await ask(admin, mine.id, REQ());
  const r2 = await ask(admin, theirs.id, REQ());
  assert.equal(r1.status, 201, r1.text);
  assert.equal(r2.status, 201, r2.text);
  sql1(`UPDATE document_requests SET due_on = current_date - 2 WHERE id = '${r1.json.id}'`);

  const own = await list(student);
  assert.equal(own.status, 200, own.text);
  const ownIds = own.json.items.map((i) => i.id);
  assert.ok(ownIds.includes(r1.json.id));
  assert.ok(!ownIds.includes(r2.json.id), 'not another student\'s');
  assert.ok(own.json.items.every((i) => i.student_id === own.json.items[0].student_id));

  const staff = await list(admin, `?application_id=${theirs.id}`);
  assert.equal(staff.status, 200, staff.text);
  assert.deepEqual(staff.json.items.map((i) => i.id), [r2.json.id]);
  assert.deepEqual((await list(other)).json.items, [], 'another scholarship\'s admin sees none');
  assert.deepEqual((await list(reviewer)).json.items, [], 'an unassigned reviewer sees none');

  const overdue = await list(admin, '?overdue=true');
  assert.equal(overdue.status, 200, overdue.text);
  const od = overdue.json.items.find((i) => i.id === r1.json.id);
  assert.ok(od, 'the overdue request is listed');
  assert.equal(od.overdue, true);
  assert.ok(!overdue.json.items.some((i) => i.id === r2.json.id));
  assert.ok(overdue.json.items.every((i) => i.status === 'open' && i.overdue));

  const open = await list(sa, `?status=open&application_id=${mine.id}`);
  assert.deepEqual(open.json.items.map((i) => i.id), [r1.json.id]);
  assert.deepEqual((await list(sa, `?status=fulfilled&application_id=${mine.id}`)).json.items, []);

  // Keyset pages, newest first, over everything the super admin sees.
  const all = (await list(sa, '?limit=100')).json.items.map((i) => i.id);
  assert.ok(all.length >= 3);
  const seen = [];
  let cursor = null;
  do {
    const pg = await list(sa, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(pg.status, 200, pg.text);
    seen.push(...pg.json.items.map((i) => i.id));
    cursor = pg.json.next_cursor;
  } while (cursor);
  assert.deepEqual(seen, all);
  const times = (await list(sa, '?limit=100')).json.items.map((i) => i.created_at);
  assert.deepEqual([...times].sort().reverse(), times);

  for (const q of ['?status=late', '?overdue=yes', '?application_id=x', '?nope=1', '?limit=0', '?cursor=zzz'])
    assert.ok(isProblem(await list(admin, q), 400), q);
  assert.equal((await list(admin, '?status=&overdue=')).status, 200, 'empty counts as absent');
});
