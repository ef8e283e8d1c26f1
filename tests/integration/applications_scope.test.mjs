// applications_scope.test.mjs -- who sees which application (DESIGN §7
// scopes, §8 "Applications") and the scoped list GET /applications
// against the real stack: another student, an unassigned reviewer, college
// staff of another college and an admin of another scholarship get 404 on
// GET /applications/{id} and on every action their role may call, and
// never find it in their lists; an assigned reviewer (until unassigned),
// college staff of the student's college, a granted admin and a super
// admin see it in both; the list filters (period_id, scholarship_id,
// status, stage, college_code, q on app_no, student number, name, name_en
// and email) narrow exactly; bad queries (unknown key, bad uuid, status,
// stage, limit, cursor) are 400 problems; keyset pages of 5 walked while
// new applications are being created show every existing row once, newest
// first, and none twice.
//
// The stack runs with STACK_SEED=none: the reference seed is loaded here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'scope-test-password';
const A = '/api/v1/applications';
const S = '/api/v1/scholarships';
const P = '/api/v1/periods';
const RUN = Date.now().toString(36).toUpperCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
let n = 0;

async function signedIn(role, college) {
  const email = `scope-${role}-${RUN}-${n++}@scope.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Scope ${role}`, '--role', role,
    ...(college ? ['--college', college] : [])], `${PW}\n`);
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
const ifMatch = (v) => ({ 'If-Match': `"${v}"` });

// Students: two of college EE, one of SCI, each with a name unique to this run.
let sa, adminIn, adminOther, s1, s2, s3, revIn, revOut, colEE, colSCI;
const who = {};
const YEAR0 = 2200 + Math.floor(Math.random() * 60);
let k = 0;

function record(st, number, name, nameEn, college, dept) {
  sql1(`INSERT INTO students (student_number, name, name_en, email, college_code, department_code, degree,
          enrollment_status, gpa, year_of_study, terms_enrolled, nationality, gender, identity_category)
        VALUES ('${number}', '${name}', '${nameEn}', '${st.email}', '${college}', '${dept}', 'bachelor',
          'enrolled', 3.9, 2, 4, 'TW', 'M', 'general')`);
  Object.assign(st, { number, name, nameEn });
}

async function scholarship(by, tag) {
  const s = await call(by, 'POST', S, {
    code: `${tag}${RUN}`.slice(0, 32), name: `範圍測試 ${tag}`, name_en: `Scope test ${tag}`, status: 'active',
    sub_types: [{ code: 'b', name: '乙', name_en: 'B', amount_cents: 50000 }], sub_type_selection: 'single',
  });
  assert.equal(s.status, 201, s.text);
  return s.json;
}
async function period(sch) {
  const i = k++;
  const r = await call(sa, 'POST', `${S}/${sch.id}/periods`, {
    academic_year: YEAR0 + Math.floor(i / 3), term: i % 3, label: `scope ${i}`,
    opens_at: iso(-1), closes_at: iso(30), requires_reviewer_review: false, eligibility_rules: [], whitelist: null,
  });
  assert.equal(r.status, 201, r.text);
  const o = await call(sa, 'POST', `${P}/${r.json.id}/status`, { status: 'open' });
  assert.equal(o.status, 200, o.text);
  return r.json;
}
async function create(st, p) {
  const r = await call(st, 'POST', A, { period_id: p.id, sub_types: ['b'] });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function submit(st, app) {
  const r = await call(st, 'POST', `${A}/${app.id}/submit`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}
/** Every id of a scoped list (all pages, limit 100). */
async function listAll(viewer, query = '') {
  const ids = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const r = await call(viewer, 'GET', `${A}?limit=100${query ? `&${query}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    ids.push(...r.json.items.map((x) => x.id));
    cursor = r.json.next_cursor;
    if (!cursor) return ids;
  }
  assert.fail('the list never ends');
}

let sch, other, app; // app: s1's submitted application in sch, reviewer revIn assigned
before(async () => {
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await signedIn('super_admin');
  adminIn = await signedIn('admin');
  adminOther = await signedIn('admin');
  s1 = await signedIn('student');
  s2 = await signedIn('student');
  s3 = await signedIn('student');
  revIn = await signedIn('reviewer');
  revOut = await signedIn('reviewer');
  colEE = await signedIn('college', 'EE');
  colSCI = await signedIn('college', 'SCI');
  record(s1, `SA${RUN}`.slice(0, 20), `甲${RUN}同學`, `Alpha ${RUN} Chen`, 'EE', 'CSIE');
  record(s2, `SB${RUN}`.slice(0, 20), `乙${RUN}同學`, `Beta ${RUN} Lin`, 'EE', 'EE');
  record(s3, `SC${RUN}`.slice(0, 20), `丙${RUN}同學`, `Gamma ${RUN} Wu`, 'SCI', 'MATH');
  Object.assign(who, { sa, adminIn, adminOther, s1, s2, s3, revIn, revOut, colEE, colSCI });
  sch = await scholarship(sa, 'SC');
  sql1(`INSERT INTO scholarship_admins (scholarship_id, user_id) VALUES ('${sch.id}', '${adminIn.id}')`);
  other = await scholarship(adminOther, 'SO'); // adminOther is granted only this one
  app = await submit(s1, await create(s1, await period(sch)));
  const a = await call(sa, 'PUT', `${A}/${app.id}/reviewers`, { reviewer_ids: [revIn.id] }, ifMatch(app.version));
  assert.equal(a.status, 200, a.text);
  app = a.json;
});

test('outsiders get 404 on the application and on every action their role may call', async () => {
  const url = `${A}/${app.id}`;
  for (const name of ['s2', 's3', 'revOut', 'colSCI', 'adminOther']) {
    const r = await call(who[name], 'GET', url);
    assert.ok(isProblem(r, 404), `${name}: ${r.status} ${r.text}`);
  }
  // Student actions: another student.
  for (const [m, p, body, h] of [
    ['PATCH', url, { sub_types: ['b'] }, ifMatch(app.version)], ['POST', `${url}/submit`], ['POST', `${url}/withdraw`],
    ['DELETE', url]]) {
    const r = await call(s2, m, p, body, h);
    assert.ok(isProblem(r, 404), `s2 ${m} ${p}: ${r.status} ${r.text}`);
  }
  // Staff actions: an admin of another scholarship.
  for (const [m, p, body, h] of [
    ['POST', `${url}/status`, { status: 'under_review' }], ['PUT', `${url}/reviewers`, { reviewer_ids: [] }, ifMatch(app.version)]]) {
    const r = await call(adminOther, m, p, body, h);
    assert.ok(isProblem(r, 404), `adminOther ${m} ${p}: ${r.status} ${r.text}`);
  }
  // Roles the action routes do not admit: 403 whether or not it exists.
  for (const name of ['revIn', 'revOut', 'colEE', 'colSCI']) {
    const r = await call(who[name], 'POST', `${url}/status`, { status: 'under_review' });
    assert.ok(isProblem(r, 403), `${name}: ${r.status} ${r.text}`);
  }
  const now = await call(sa, 'GET', url);
  assert.equal(now.json.status, 'submitted');
  assert.equal(now.json.version, app.version, 'nothing changed');
});

test('insiders see it: owner, assigned reviewer, college staff of its college, a granted admin, a super admin', async () => {
  const url = `${A}/${app.id}`;
  for (const name of ['s1', 'revIn', 'colEE', 'adminIn', 'sa']) {
    const r = await call(who[name], 'GET', url);
    assert.equal(r.status, 200, `${name}: ${r.text}`);
    assert.equal(r.json.id, app.id);
    assert.equal(r.headers.get('etag'), `"${app.version}"`);
    assert.equal(r.json.student.student_number, s1.number);
    assert.equal(r.json.student.college_code, 'EE');
    assert.equal(r.json.scholarship.code, sch.code);
    assert.deepEqual(r.json.reviewers.map((x) => x.id), [revIn.id]);
  }
  for (const name of ['s1', 'revIn', 'colEE', 'adminIn', 'sa'])
    assert.ok((await listAll(who[name])).includes(app.id), `${name} finds it in the list`);
  for (const name of ['s2', 's3', 'revOut', 'colSCI', 'adminOther']) {
    assert.ok(!(await listAll(who[name])).includes(app.id), `${name} does not find it`);
    assert.ok(!(await listAll(who[name], `scholarship_id=${sch.id}`)).includes(app.id), `${name} filtered`);
    assert.ok(!(await listAll(who[name], `q=${s1.number}`)).includes(app.id), `${name} by q`);
  }
});

test('lists stay in scope: a student sees only their own, college staff only their college, an admin only granted', async () => {
  const p = await period(sch);
  const a2 = await create(s2, p);
  const a3 = await create(s3, p);
  const mine = await create(s1, p);
  const ids = async (viewer) => listAll(viewer, `period_id=${p.id}`);
  assert.deepEqual(await ids(s1), [mine.id]);
  assert.deepEqual(await ids(s2), [a2.id]);
  assert.deepEqual((await ids(colEE)).sort(), [a2.id, mine.id].sort());
  assert.deepEqual(await ids(colSCI), [a3.id]);
  assert.deepEqual((await ids(adminIn)).sort(), [a2.id, a3.id, mine.id].sort());
  assert.deepEqual(await ids(adminOther), []);
  assert.deepEqual(await ids(revOut), []);
  assert.deepEqual((await ids(sa)).sort(), [a2.id, a3.id, mine.id].sort());
  // A reviewer loses it when unassigned, in the detail and in the list.
  const got = await call(sa, 'GET', `${A}/${a3.id}`);
  const put = await call(adminIn, 'PUT', `${A}/${a3.id}/reviewers`, { reviewer_ids: [revOut.id] }, ifMatch(got.json.version));
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(await ids(revOut), [a3.id]);
  assert.equal((await call(revOut, 'GET', `${A}/${a3.id}`)).status, 200);
  const un = await call(adminIn, 'PUT', `${A}/${a3.id}/reviewers`, { reviewer_ids: [] }, ifMatch(put.json.version));
  assert.equal(un.status, 200, un.text);
  assert.deepEqual(await ids(revOut), []);
  assert.ok(isProblem(await call(revOut, 'GET', `${A}/${a3.id}`), 404));
  // College staff follow the student's college when the record moves.
  sql1(`UPDATE students SET college_code = 'SCI', department_code = 'MATH' WHERE student_number = '${s2.number}'`);
  try {
    assert.deepEqual((await ids(colSCI)).sort(), [a2.id, a3.id].sort());
    assert.ok(isProblem(await call(colEE, 'GET', `${A}/${a2.id}`), 404));
  } finally {
    sql1(`UPDATE students SET college_code = 'EE', department_code = 'EE' WHERE student_number = '${s2.number}'`);
  }
});

test('filters: period_id, scholarship_id, status, stage, college_code and q narrow exactly', async () => {
  const f = await scholarship(sa, 'SF');
  const p1 = await period(f);
  const p2 = await period(f);
  const a1 = await submit(s1, await create(s1, p1)); // submitted, stage admin
  const a2 = await create(s1, p2); // draft
  const a3 = await create(s3, p1); // draft, SCI
  let a4 = await submit(s2, await create(s2, p2));
  const mv = await call(sa, 'POST', `${A}/${a4.id}/status`, { status: 'under_review' });
  assert.equal(mv.status, 200, mv.text);
  a4 = mv.json;
  const q = async (query) => (await listAll(sa, query)).sort();
  const ids = (...xs) => xs.map((x) => x.id).sort();
  const sf = `scholarship_id=${f.id}`;
  assert.deepEqual(await q(sf), ids(a1, a2, a3, a4));
  assert.deepEqual(await q(`period_id=${p1.id}`), ids(a1, a3));
  assert.deepEqual(await q(`period_id=${p2.id}&status=draft`), ids(a2));
  assert.deepEqual(await q(`${sf}&status=draft`), ids(a2, a3));
  assert.deepEqual(await q(`${sf}&status=under_review`), ids(a4));
  assert.deepEqual(await q(`${sf}&status=approved`), []);
  assert.deepEqual(await q(`${sf}&stage=student`), ids(a2, a3));
  assert.ok((await q(`${sf}&stage=admin`)).includes(a1.id));
  assert.deepEqual(await q(`${sf}&college_code=SCI`), ids(a3));
  assert.deepEqual(await q(`${sf}&college_code=EE`), ids(a1, a2, a4));
  assert.deepEqual(await q(`scholarship_id=${other.id}&period_id=${p1.id}`), [], 'filters combine with AND');
  // q: app_no, student number, name, name_en, email (the search may be broader than exact, never off-target).
  assert.deepEqual(await q(`q=${encodeURIComponent(a3.app_no)}`), ids(a3));
  assert.deepEqual(await q(`${sf}&q=${s1.number}`), ids(a1, a2));
  assert.deepEqual(await q(`${sf}&q=${encodeURIComponent(s3.name)}`), ids(a3));
  assert.deepEqual(await q(`${sf}&q=${encodeURIComponent(s2.nameEn)}`), ids(a4));
  assert.deepEqual(await q(`${sf}&q=${encodeURIComponent(s1.email)}`), ids(a1, a2));
  assert.deepEqual(await q(`${sf}&q=${encodeURIComponent(s1.email.toUpperCase())}`), ids(a1, a2), 'case-insensitive');
  assert.deepEqual(await q(`${sf}&q=${encodeURIComponent('%')}`), [], 'LIKE metacharacters are literal');
  assert.deepEqual(await q(`${sf}&q=nobody-${RUN}`), []);
  // The summary.
  const r = await call(sa, 'GET', `${A}?${sf}&q=${encodeURIComponent(a1.app_no)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 1);
  const it = r.json.items[0];
  for (const key of ['id', 'app_no', 'period_id', 'scholarship_id', 'scholarship_code', 'scholarship_name', 'scholarship_name_en',
    'period_label', 'student_id', 'student_number', 'student_name', 'college_code', 'sub_types', 'status', 'stage', 'version',
    'created_at', 'updated_at', 'submitted_at'])
    assert.ok(key in it, `summary has ${key}`);
  assert.equal(it.app_no, a1.app_no);
  assert.equal(it.scholarship_code, f.code);
  assert.equal(it.period_label, p1.label);
  assert.equal(it.student_number, s1.number);
  assert.equal(it.student_name, s1.name);
  assert.equal(it.college_code, 'EE');
  assert.equal(it.status, 'submitted');
  assert.equal(it.submitted_at, a1.submitted_at);
  assert.equal(r.json.next_cursor, null);
});

test('bad queries are 400 problems', async () => {
  for (const query of ['foo=1', 'period_id=not-a-uuid', 'scholarship_id=123', 'status=bogus', 'stage=bogus',
    'status=DRAFT', 'limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=1.5', 'cursor=garbage',
    `cursor=${encodeURIComponent(Buffer.from('{"x":1}').toString('base64url'))}`]) {
    const r = await call(sa, 'GET', `${A}?${query}`);
    assert.ok(isProblem(r, 400), `${query}: ${r.status} ${r.text}`);
  }
  for (const query of ['limit=1', 'limit=100', '']) {
    const r = await call(s1, 'GET', `${A}?${query}`);
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    assert.ok(Array.isArray(r.json.items));
  }
  assert.ok(isProblem(await call(null, 'GET', A), 401));
});

test('keyset pages of 5 walked while new applications arrive: every existing row once, newest first', async () => {
  const kp = await scholarship(sa, 'SK');
  const periods = [];
  for (let i = 0; i < 12; i++) periods.push(await period(kp));
  for (const p of periods) { await create(s1, p); await create(s2, p); }
  const expected = sql1(`SELECT a.id FROM applications a JOIN periods p ON p.id = a.period_id
    WHERE p.scholarship_id = '${kp.id}' ORDER BY a.created_at DESC, a.id DESC`).split('\n');
  assert.equal(expected.length, 24);
  const walk = async (viewer, during) => {
    const seen = [];
    let cursor = null, pages = 0, created = [];
    for (;;) {
      const url = `${A}?scholarship_id=${kp.id}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const [r, more] = await Promise.all([call(viewer, 'GET', url), pages > 0 && during ? during(pages) : null]);
      if (more) created = created.concat(more);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.length <= 5);
      seen.push(...r.json.items);
      pages++;
      cursor = r.json.next_cursor;
      if (!cursor) break;
      assert.equal(r.json.items.length, 5, 'a page with a next cursor is full');
      assert.ok(pages < 50);
    }
    return { seen, created };
  };
  // s3 creates applications in other periods while the walk goes on.
  const { seen, created } = await walk(sa, async (page) => {
    const p = periods[page - 1];
    if (!p) return [];
    const r = await call(s3, 'POST', A, { period_id: p.id, sub_types: ['b'] });
    assert.equal(r.status, 201, r.text);
    return [r.json.id];
  });
  assert.ok(created.length >= 4, `${created.length} created during the walk`);
  const ids = seen.map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  const pre = ids.filter((id) => expected.includes(id));
  assert.deepEqual(pre, expected, 'every existing row, in order');
  assert.deepEqual(ids.filter((id) => !expected.includes(id)), [], 'rows newer than the first page stay out of this walk');
  const at = seen.map((x) => x.created_at);
  assert.deepEqual(at, [...at].sort().reverse(), 'newest first');
  // A fresh walk (a college viewer too) sees the new ones first, then the rest.
  const again = await walk(sa);
  const ids2 = again.seen.map((x) => x.id);
  assert.equal(new Set(ids2).size, 24 + created.length);
  assert.deepEqual(ids2.slice(created.length), expected);
  assert.deepEqual(ids2.slice(0, created.length).sort(), [...created].sort());
  // No limit: 20 a page.
  const dflt = await call(sa, 'GET', `${A}?scholarship_id=${kp.id}`);
  assert.equal(dflt.status, 200, dflt.text);
  assert.deepEqual(dflt.json.items.map((x) => x.id), ids2.slice(0, 20));
  assert.equal(typeof dflt.json.next_cursor, 'string');
  const col = await walk(colSCI);
  assert.deepEqual(col.seen.map((x) => x.id).sort(), [...created].sort(), 'SCI staff see only the SCI student');
});
