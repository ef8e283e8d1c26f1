// scholarships.test.mjs -- scholarships and periods (DESIGN §8
// "Scholarships and periods") against the real stack: roles and admin
// scopes (out of scope is 404; the public sees active scholarships and
// their periods past draft), create with Location and ETag, If-Match
// (428/412) and merge semantics, validation that lists every bad field
// with its dotted path, the period status table, duplication to another
// academic year and term, keyset pages, audit rows, and hostile bodies
// that change nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'scholarships-test-password';
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => psql(s).stdout.trim();
const count = (s) => Number(sql1(s));
const RUN = Date.now().toString(36).toUpperCase();
let n = 0;

async function signedIn(role) {
  const email = `sch-${role}-${RUN}-${n++}@sch.example.edu`.toLowerCase();
  const r = ctl(['user-add', '--email', email, '--name', `Sch ${role}`, '--role', role], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return { email, id: l.json.user.id, token: l.json.access_token };
}
const call = (who, method, p, body, headers = {}) => http(p, {
  method,
  headers: { ...(who ? { Authorization: `Bearer ${who.token}` } : {}), ...(body !== undefined ? json : {}), ...headers },
  body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
});
const S = '/api/v1/scholarships';
const P = '/api/v1/periods';
const code = () => `T${RUN}-${n++}`;
const scholarship = (extra = {}) => ({
  code: code(), name: '測試獎學金', name_en: 'Test scholarship', description: '說明',
  sub_types: [{ code: 'a', name: '甲', name_en: 'A', amount_cents: 100000 }, { code: 'b', name: '乙', amount_cents: 0 }],
  sub_type_selection: 'multiple', ...extra,
});
const period = (extra = {}) => ({
  academic_year: 2026, term: 1, label: '2026 fall',
  opens_at: '2026-09-01T00:00:00Z', closes_at: '2026-10-01T00:00:00Z',
  reviewer_review_ends_at: '2026-10-15T00:00:00Z', college_review_ends_at: '2026-11-01T08:00:00+08:00',
  requires_reviewer_review: true, requires_college_review: true,
  quota_mode: 'total', quotas: { a: { total: 5 }, b: { total: 3 } }, budget_cents: 1000000,
  disbursement_cycle: 'monthly', whitelist: null,
  eligibility_rules: [
    { field: 'gpa', operator: '>=', value: 3.5, hard: true, message: '成績', message_en: 'GPA' },
    { field: 'degree', operator: 'in', value: ['bachelor', 'master'], hard: false, sub_type: 'a', message: '學位' },
  ],
  form_fields: [
    { key: 'phone', label: '電話', type: 'text', required: true, max_length: 20, pattern: '^[0-9+-]+$' },
    { key: 'plan', label: '計畫', type: 'select', options: ['x', 'y'] },
    { key: 'hours', label: '時數', type: 'number', min: 0, max: 40 },
  ],
  required_documents: [{ kind: 'transcript', label: '成績單', required: true, accepted_types: ['application/pdf', 'image/png'], max_mb: 5, max_count: 1 }],
  rubric: [{ key: 'academic', label: '學業', weight: 60, max_score: 100 }, { key: 'essay', label: '自傳', weight: 40, max_score: 100 }],
  terms_document: 'regulations-2026.pdf', ...extra,
});
const fields = (r) => (r.json.errors || []).map((e) => e.field).sort();

let sa; let adm; let other; let student;
before(async () => {
  sa = await signedIn('super_admin');
  adm = await signedIn('admin');
  other = await signedIn('admin');
  student = await signedIn('student');
});

async function created(who, body = scholarship()) {
  const r = await call(who, 'POST', S, body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function createdPeriod(who, sid, body = period()) {
  const r = await call(who, 'POST', `${S}/${sid}/periods`, body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

test('create: 201 with Location and ETag; the creating admin is granted it; audited', async () => {
  const body = scholarship();
  const r = await call(adm, 'POST', S, body);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('location'), `${S}/${r.json.id}`);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.equal(r.json.code, body.code);
  assert.equal(r.json.status, 'draft');
  assert.equal(r.json.currency, 'TWD');
  assert.deepEqual(r.json.sub_types, body.sub_types);
  assert.equal(count(`SELECT count(*) FROM scholarship_admins WHERE user_id = '${adm.id}' AND scholarship_id = '${r.json.id}'`), 1);
  const a = JSON.parse(sql1(`SELECT json_build_object('actor', actor_id, 'after', after) FROM audit_log WHERE action = 'scholarship.created' AND entity_id = '${r.json.id}'`));
  assert.equal(a.actor, adm.id);
  assert.equal(a.after.code, body.code);
  // A super admin's creation grants nobody.
  const s = await created(sa);
  assert.equal(count(`SELECT count(*) FROM scholarship_admins WHERE scholarship_id = '${s.id}'`), 0);
  // Same code again → 409.
  assert.ok(isProblem(await call(sa, 'POST', S, { ...scholarship(), code: body.code }), 409));
});

test('roles: no token 401, student 403 on changes; public reads need no token', async () => {
  const s = await created(sa, scholarship({ status: 'active' }));
  assert.ok(isProblem(await call(null, 'POST', S, scholarship()), 401));
  assert.ok(isProblem(await call(student, 'POST', S, scholarship()), 403));
  assert.ok(isProblem(await call(student, 'PATCH', `${S}/${s.id}`, { name: 'x' }, { 'If-Match': '"1"' }), 403));
  assert.ok(isProblem(await call(student, 'POST', `${S}/${s.id}/periods`, period()), 403));
  assert.equal((await call(null, 'GET', `${S}/${s.id}`)).status, 200);
  assert.equal((await call(student, 'GET', `${S}/${s.id}`)).status, 200);
  assert.ok(isProblem(await http(`${S}/${s.id}`, { headers: { Authorization: 'Bearer nonsense' } }), 401), 'a bad token is refused, not ignored');
});

test('scopes: another admin and the public get 404 for a draft; the owner and super admins see it', async () => {
  const s = await created(adm);
  const p = await createdPeriod(adm, s.id);
  for (const who of [null, student, other]) {
    assert.ok(isProblem(await call(who, 'GET', `${S}/${s.id}`), 404), `${who ? who.email : 'anonymous'} GET`);
    assert.ok(isProblem(await call(who, 'GET', `${S}/${s.id}/periods`), 404));
    assert.ok(isProblem(await call(who, 'GET', `${P}/${p.id}`), 404));
  }
  assert.ok(isProblem(await call(other, 'PATCH', `${S}/${s.id}`, { name: 'x' }, { 'If-Match': '"1"' }), 404));
  assert.ok(isProblem(await call(other, 'POST', `${S}/${s.id}/periods`, period()), 404));
  assert.ok(isProblem(await call(other, 'PATCH', `${P}/${p.id}`, { label: 'x' }, { 'If-Match': '"1"' }), 404));
  assert.ok(isProblem(await call(other, 'POST', `${P}/${p.id}/status`, { status: 'open' }), 404));
  assert.ok(isProblem(await call(other, 'POST', `${P}/${p.id}/duplicate`, { academic_year: 2030, term: 1 }), 404));
  for (const who of [adm, sa]) {
    assert.equal((await call(who, 'GET', `${S}/${s.id}`)).status, 200);
    assert.equal((await call(who, 'GET', `${P}/${p.id}`)).status, 200);
  }
  const list = async (who) => {
    const ids = [];
    let cursor = null;
    do {
      const r = await call(who, 'GET', `${S}?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      ids.push(...r.json.items.map((x) => x.id));
      cursor = r.json.next_cursor;
    } while (cursor);
    return ids;
  };
  assert.ok((await list(adm)).includes(s.id));
  assert.ok((await list(sa)).includes(s.id));
  assert.ok(!(await list(other)).includes(s.id));
  assert.ok(!(await list(null)).includes(s.id));
  // Granting it to the other admin (PUT /users/{id}/scholarships) brings it into scope.
  const g = await call(sa, 'PUT', `/api/v1/users/${other.id}/scholarships`, { scholarship_ids: [s.id] });
  assert.equal(g.status, 200, g.text);
  assert.equal((await call(other, 'GET', `${S}/${s.id}`)).status, 200);
  // A grant must name a scholarship (the foreign key of migration 0008).
  const ghost = await call(sa, 'PUT', `/api/v1/users/${other.id}/scholarships`, { scholarship_ids: [s.id, '00000000-0000-4000-8000-000000000000'] });
  assert.ok(isProblem(ghost, 422), ghost.text);
  assert.equal(count(`SELECT count(*) FROM scholarship_admins WHERE user_id = '${other.id}'`), 1);
  // Activating makes the scholarship public, but not its draft period.
  const a = await call(adm, 'PATCH', `${S}/${s.id}`, { status: 'active' }, { 'If-Match': '"1"' });
  assert.equal(a.status, 200, a.text);
  assert.equal((await call(null, 'GET', `${S}/${s.id}`)).status, 200);
  assert.ok((await list(null)).includes(s.id));
  assert.deepEqual((await call(null, 'GET', `${S}/${s.id}/periods`)).json.items, []);
  assert.ok(isProblem(await call(null, 'GET', `${P}/${p.id}`), 404));
  assert.equal((await call(adm, 'POST', `${P}/${p.id}/status`, { status: 'open' })).status, 200);
  const pub = await call(null, 'GET', `${S}/${s.id}/periods`);
  assert.deepEqual(pub.json.items.map((x) => x.id), [p.id]);
  assert.equal((await call(student, 'GET', `${P}/${p.id}`)).status, 200);
  // Unknown ids are 404 too.
  assert.ok(isProblem(await call(sa, 'GET', `${S}/00000000-0000-4000-8000-000000000000`), 404));
  assert.ok(isProblem(await call(sa, 'GET', `${P}/00000000-0000-4000-8000-000000000000`), 404));
});

test('PATCH: If-Match missing 428, stale or weak 412, nothing changed; merge semantics', async () => {
  const s = await created(adm);
  const u = `${S}/${s.id}`;
  assert.ok(isProblem(await call(adm, 'PATCH', u, { name: 'x' }), 428));
  assert.ok(isProblem(await call(adm, 'PATCH', u, { name: 'x' }, { 'If-Match': '"7"' }), 412));
  assert.ok(isProblem(await call(adm, 'PATCH', u, { name: 'x' }, { 'If-Match': 'W/"1"' }), 412));
  assert.equal(sql1(`SELECT name || version FROM scholarships WHERE id = '${s.id}'`), `${s.name}1`);
  const r = await call(adm, 'PATCH', u, { name_en: 'Renamed', description: null }, { 'If-Match': '"1"' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('etag'), '"2"');
  assert.equal(r.json.name_en, 'Renamed');
  assert.equal(r.json.description, null);
  assert.equal(r.json.name, s.name, 'keys not given stay');
  assert.deepEqual(r.json.sub_types, s.sub_types);
  const g = await call(adm, 'GET', u);
  assert.equal(g.headers.get('etag'), '"2"');
  assert.deepEqual(g.json, r.json);
  const bad = await call(adm, 'PATCH', u, { name: null, sub_types: [{ code: 'a', name: 'A', amount_cents: 1 }, { code: 'a', name: 'B', amount_cents: 2 }] }, { 'If-Match': '"2"' });
  assert.ok(isProblem(bad, 422));
  assert.deepEqual(fields(bad), ['name', 'sub_types.1.code']);
  const a = JSON.parse(sql1(`SELECT json_build_object('b', before, 'a', after) FROM audit_log WHERE action = 'scholarship.updated' AND entity_id = '${s.id}'`));
  assert.equal(a.b.name_en, s.name_en);
  assert.equal(a.a.name_en, 'Renamed');
  // Periods need If-Match as well.
  const p = await createdPeriod(adm, s.id);
  assert.ok(isProblem(await call(adm, 'PATCH', `${P}/${p.id}`, { label: 'x' }), 428));
  assert.ok(isProblem(await call(adm, 'PATCH', `${P}/${p.id}`, { label: 'x' }, { 'If-Match': '"2"' }), 412));
  const pr = await call(adm, 'PATCH', `${P}/${p.id}`, { label: 'renamed', whitelist: ['A1234567'], quota_mode: 'none', quotas: null }, { 'If-Match': '"1"' });
  assert.equal(pr.status, 200, pr.text);
  assert.equal(pr.json.label, 'renamed');
  assert.deepEqual(pr.json.whitelist, ['A1234567']);
  assert.equal(pr.json.quota_mode, 'none');
  assert.deepEqual(pr.json.rubric, p.rubric, 'keys not given stay');
  assert.equal(pr.headers.get('etag'), '"2"');
  assert.equal(count(`SELECT count(*) FROM audit_log WHERE action = 'period.updated' AND entity_id = '${p.id}'`), 1);
});

test('scholarship validation lists every bad field at once', async () => {
  const r = await call(sa, 'POST', S, {
    code: 'bad code', name: '', currency: 'usd', status: 'live', sub_type_selection: 'some', extra: 1,
    sub_types: [{ code: 'a', name: 'A', amount_cents: 1 }, { code: 'a', name: 'B', amount_cents: -5 }, { code: 'C!', name: 'C', amount_cents: 1.5, x: 1 }],
  });
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(fields(r), ['code', 'currency', 'extra', 'name', 'status', 'sub_type_selection',
    'sub_types.1.amount_cents', 'sub_types.1.code', 'sub_types.2.amount_cents', 'sub_types.2.code', 'sub_types.2.x']);
  const missing = await call(sa, 'POST', S, {});
  assert.deepEqual(fields(missing), ['code', 'name']);
});

test('period: created as a draft with every nested field kept; validation lists every bad field', async () => {
  const s = await created(adm);
  const body = period();
  const p = await call(adm, 'POST', `${S}/${s.id}/periods`, body);
  assert.equal(p.status, 201, p.text);
  assert.equal(p.headers.get('location'), `${P}/${p.json.id}`);
  assert.equal(p.headers.get('etag'), '"1"');
  assert.equal(p.json.status, 'draft');
  assert.equal(p.json.scholarship_id, s.id);
  for (const k of ['quotas', 'eligibility_rules', 'form_fields', 'required_documents', 'rubric', 'budget_cents', 'terms_document'])
    assert.deepEqual(p.json[k], body[k], k);
  assert.equal(p.json.college_review_ends_at, '2026-11-01T00:00:00Z', 'times answer in UTC');
  assert.equal(count(`SELECT count(*) FROM audit_log WHERE action = 'period.created' AND entity_id = '${p.json.id}'`), 1);
  // Same academic year and term → 409.
  assert.ok(isProblem(await call(adm, 'POST', `${S}/${s.id}/periods`, period({ label: 'again' })), 409));

  const before = count('SELECT count(*) FROM periods');
  const bad = await call(adm, 'POST', `${S}/${s.id}/periods`, period({
    academic_year: 2027, term: 3, opens_at: '2026-10-02T00:00:00Z', reviewer_review_ends_at: '2026-09-01T00:00:00Z',
    quotas: { a: { total: -1 }, zzz: { total: 1 } }, budget_cents: -1, disbursement_cycle: 'weekly',
    whitelist: ['a1234567', 'B1234567'],
    eligibility_rules: [
      { field: 'gpa', operator: '=~', value: 3, hard: true, message: 'm' },
      { field: 'degree', operator: 'in', value: 'bachelor', hard: 'yes', message: 'm', sub_type: 'zzz' },
      { field: 'shoe_size', operator: '>', value: 'big', hard: true, message: '' },
    ],
    form_fields: [
      { key: 'phone', label: 'p', type: 'color' },
      { key: 'phone', label: 'q', type: 'select' },
      { key: 'n', label: 'n', type: 'number', min: 5, max: 1, pattern: '([' },
      { key: 'slow', label: 's', type: 'text', pattern: '((a{1,255}){1,255}){1,255}' },
    ],
    required_documents: [{ kind: 'Transcript', label: 't', accepted_types: ['text/html'], max_mb: 0, max_count: 0 }],
    rubric: [{ key: 'a', label: 'a', weight: 50, max_score: 10 }, { key: 'b', label: 'b', weight: 0, max_score: 10 }],
  }));
  assert.ok(isProblem(bad, 422), bad.text);
  assert.deepEqual(fields(bad), [
    'budget_cents', 'closes_at', 'disbursement_cycle',
    'eligibility_rules.0.operator', 'eligibility_rules.1.hard', 'eligibility_rules.1.sub_type', 'eligibility_rules.1.value',
    'eligibility_rules.2.field', 'eligibility_rules.2.message', 'eligibility_rules.2.value',
    'form_fields.0.type', 'form_fields.1.key', 'form_fields.1.options', 'form_fields.2.max', 'form_fields.2.pattern',
    'form_fields.3.pattern',
    'quotas.a.total', 'quotas.b', 'quotas.zzz',
    'required_documents.0.accepted_types.0', 'required_documents.0.kind', 'required_documents.0.max_count', 'required_documents.0.max_mb',
    'reviewer_review_ends_at', 'rubric', 'rubric.1.weight', 'term', 'whitelist.0',
  ]);
  // quota_mode and quotas must agree; review deadlines follow the flags.
  const q = await call(adm, 'POST', `${S}/${s.id}/periods`, period({ academic_year: 2028, quota_mode: 'none', reviewer_review_ends_at: null, college_review_ends_at: null }));
  assert.deepEqual(fields(q), ['college_review_ends_at', 'quotas', 'reviewer_review_ends_at']);
  const pc = await call(adm, 'POST', `${S}/${s.id}/periods`, period({ academic_year: 2028, quota_mode: 'per_college', quotas: { a: { colleges: { ENG: 2, 'bad code': 1 } }, b: { total: 1 } } }));
  assert.deepEqual(fields(pc), ['quotas.a.colleges.bad code', 'quotas.b.colleges', 'quotas.b.total']);
  assert.equal(count('SELECT count(*) FROM periods'), before);
  const ok = await call(adm, 'POST', `${S}/${s.id}/periods`, period({ academic_year: 2028, quota_mode: 'per_college', quotas: { a: { colleges: { ENG: 2 } }, b: { colleges: { SCI: 0 } } } }));
  assert.equal(ok.status, 201, ok.text);
});

test('period status: one step at a time along draft → open → closed → finalized → archived', async () => {
  const s = await created(adm);
  const p = await createdPeriod(adm, s.id);
  const move = (status) => call(adm, 'POST', `${P}/${p.id}/status`, { status });
  for (const bad of ['closed', 'finalized', 'archived', 'draft']) assert.ok(isProblem(await move(bad), 409), `draft → ${bad}`);
  assert.ok(isProblem(await move('gone'), 422));
  assert.ok(isProblem(await call(adm, 'POST', `${P}/${p.id}/status`), 400), 'no body');
  let version = 1;
  for (const [to, illegal] of [['open', 'draft'], ['closed', 'open'], ['finalized', 'closed'], ['archived', 'finalized']]) {
    const r = await move(to);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, to);
    assert.equal(r.headers.get('etag'), `"${++version}"`);
    assert.ok(isProblem(await move(illegal), 409), `${to} → ${illegal}`);
    assert.ok(isProblem(await move(to), 409), `${to} → ${to}`);
    if (to === 'finalized')
      assert.ok(isProblem(await call(adm, 'PATCH', `${P}/${p.id}`, { label: 'late' }, { 'If-Match': `"${version}"` }), 409), 'a finalized period does not change');
  }
  const rows = sql1(`SELECT string_agg((before->>'status') || '>' || (after->>'status'), ',' ORDER BY id) FROM audit_log WHERE action = 'period.status_changed' AND entity_id = '${p.id}'`);
  assert.equal(rows, 'draft>open,open>closed,closed>finalized,finalized>archived');
});

test('date-only windows are days in INSTITUTION_TIMEZONE: opens at its start, ends at its end', async () => {
  const tz = process.env.INSTITUTION_TIMEZONE || 'UTC';
  const s = await created(adm);
  const r = await call(adm, 'POST', `${S}/${s.id}/periods`, {
    ...period(), opens_at: '2027-03-01', closes_at: '2027-03-31', reviewer_review_ends_at: '2027-04-15',
    college_review_ends_at: '2027-04-20',
  });
  assert.equal(r.status, 201, r.text);
  // The instant of `day` 00:00 in tz (the suites run in Asia/Taipei, +08:00 all year, or UTC).
  const hours = { 'Asia/Taipei': 8, UTC: 0 }[tz];
  assert.notEqual(hours, undefined, `no test offset for ${tz}`);
  const midnight = (day) => new Date(Date.parse(`${day}T00:00:00Z`) - hours * 3600e3).toISOString().replace('.000Z', 'Z');
  assert.equal(r.json.opens_at, midnight('2027-03-01'));
  assert.equal(r.json.closes_at, midnight('2027-04-01'), 'the end of March 31');
  assert.equal(r.json.reviewer_review_ends_at, midnight('2027-04-16'));
  if (tz === 'Asia/Taipei') assert.equal(r.json.opens_at, '2027-02-28T16:00:00Z');
  const u = await call(adm, 'PATCH', `${P}/${r.json.id}`, { closes_at: '2027-04-10', reviewer_review_ends_at: '2027-04-15' }, { 'If-Match': r.headers.get('etag') });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.json.closes_at, midnight('2027-04-11'));
  assert.ok(isProblem(await call(adm, 'POST', `${S}/${s.id}/periods`, { ...period(), opens_at: '2027-02-30' }), 422));
});

test('duplicate: copies every setting to a new year and term as a draft; 409 when it exists', async () => {
  const s = await created(adm);
  const p = await createdPeriod(adm, s.id);
  await call(adm, 'POST', `${P}/${p.id}/status`, { status: 'open' });
  const r = await call(adm, 'POST', `${P}/${p.id}/duplicate`, { academic_year: 2027, term: 1 });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('location'), `${P}/${r.json.id}`);
  assert.notEqual(r.json.id, p.id);
  assert.equal(r.json.status, 'draft');
  assert.equal(r.json.academic_year, 2027);
  assert.equal(r.json.term, 1);
  assert.equal(r.json.label, p.label);
  assert.equal(r.json.opens_at, '2027-09-01T00:00:00Z', 'windows move by a year');
  for (const k of ['eligibility_rules', 'form_fields', 'required_documents', 'rubric', 'quotas', 'quota_mode', 'budget_cents', 'whitelist'])
    assert.deepEqual(r.json[k], p[k], k);
  assert.equal(count(`SELECT count(*) FROM audit_log WHERE action = 'period.duplicated' AND entity_id = '${r.json.id}'`), 1);
  const spring = await call(adm, 'POST', `${P}/${p.id}/duplicate`, { academic_year: 2026, term: 2, label: 'spring' });
  assert.equal(spring.status, 201, spring.text);
  assert.equal(spring.json.label, 'spring');
  const n0 = count(`SELECT count(*) FROM periods WHERE scholarship_id = '${s.id}'`);
  assert.ok(isProblem(await call(adm, 'POST', `${P}/${p.id}/duplicate`, { academic_year: 2027, term: 1 }), 409));
  assert.ok(isProblem(await call(adm, 'POST', `${P}/${p.id}/duplicate`, { academic_year: 2026, term: 1 }), 409));
  const bad = await call(adm, 'POST', `${P}/${p.id}/duplicate`, { academic_year: 1999, term: 5, x: 1 });
  assert.deepEqual(fields(bad), ['academic_year', 'term', 'x']);
  assert.equal(count(`SELECT count(*) FROM periods WHERE scholarship_id = '${s.id}'`), n0);
  // Keyset pages of the periods: newest year and term first.
  const seen = [];
  let cursor = null;
  do {
    const l = await call(adm, 'GET', `${S}/${s.id}/periods?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(l.status, 200, l.text);
    seen.push(...l.json.items.map((x) => `${x.academic_year}-${x.term}`));
    cursor = l.json.next_cursor;
  } while (cursor);
  assert.deepEqual(seen, ['2027-1', '2026-2', '2026-1']);
});

test('lists: keyset pages by code, limit 1–100, unknown parameters and bad cursors 400', async () => {
  const mine = [];
  for (let i = 0; i < 3; i++) mine.push((await created(sa, scholarship({ code: `PAGE${RUN}-${i}` }))).code);
  const seen = [];
  let cursor = null;
  do {
    const r = await call(sa, 'GET', `${S}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.items.length <= 2);
    seen.push(...r.json.items.map((x) => x.code));
    cursor = r.json.next_cursor;
  } while (cursor);
  assert.deepEqual(seen, [...seen].sort(), 'ordered by code');
  assert.equal(new Set(seen).size, seen.length, 'no row twice');
  for (const c of mine) assert.ok(seen.includes(c));
  const drafts = await call(sa, 'GET', `${S}?status=draft&limit=100`);
  assert.ok(drafts.json.items.every((x) => x.status === 'draft'));
  for (const qs of ['limit=0', 'limit=101', 'limit=abc', 'cursor=%%%', 'cursor=bm9wZQ', 'status=live', 'sort=name', 'cursor=%00'])
    assert.ok(isProblem(await call(sa, 'GET', `${S}?${qs}`), 400), qs);
  const s = await created(sa);
  assert.ok(isProblem(await call(sa, 'GET', `${S}/${s.id}/periods?cursor=bm9wZQ`), 400));
});

test('hostile bodies: 400/422 and nothing written', async () => {
  const s = await created(adm);
  const p = await createdPeriod(adm, s.id);
  const big = 'x'.repeat(100000);
  const routes = [['POST', S], ['PATCH', `${S}/${s.id}`], ['POST', `${S}/${s.id}/periods`], ['PATCH', `${P}/${p.id}`],
    ['POST', `${P}/${p.id}/status`], ['POST', `${P}/${p.id}/duplicate`]];
  const bodies = [
    ['{"name":', 400], ['{"name":"a\\u0000b"}', 400], ['"just a string"', 422], ['[1,2]', 422],
    ['{"code":42,"name":[],"sub_types":"x","academic_year":"2026","term":{},"opens_at":7,"eligibility_rules":{},"status":3}', 422],
    [JSON.stringify({ code: big, name: big, description: big, label: big, status: big, academic_year: 2026, term: 1, sub_types: [{ code: big, name: big, amount_cents: 1 }], eligibility_rules: [{ field: big, operator: '==', value: big, hard: true, message: big }] }), 422],
    [JSON.stringify({ code: "X'); DROP TABLE scholarships;--", name: "' OR 1=1 --", label: "'; --", status: "open'--", academic_year: 2026, term: 1 }), 422],
    ['{"name":"a","name":"b","status":"open","status":"closed"}', 422],
  ];
  const snapshot = () => ['scholarships', 'periods', 'scholarship_admins', 'audit_log'].map((t) => count(`SELECT count(*) FROM ${t}`)).join() +
    sql1(`SELECT s.version || '/' || p.version || p.status FROM scholarships s, periods p WHERE s.id = '${s.id}' AND p.id = '${p.id}'`);
  const before = snapshot();
  for (const [method, u] of routes) {
    for (const [body, status] of bodies) {
      const r = await call(adm, method, u, body, method === 'PATCH' ? { 'If-Match': '"1"' } : {});
      assert.ok(isProblem(r, status), `${method} ${u} ${body.slice(0, 60)} → ${r.status} ${r.text.slice(0, 200)}`);
    }
  }
  assert.equal(snapshot(), before);
});
