// mail_admin.test.mjs -- the mail administration API (DESIGN §8
// "Notifications", lib/mail_admin.h) against the real stack: the keys and
// their placeholders; an admin edits the override of a scholarship in
// scope (201, then 200) but not one out of scope (404) nor a default
// (403), a super admin edits a default; unknown placeholders and unclosed
// braces are 422 naming each field and write nothing; a stale If-Match is
// 412; the preview escapes a hostile value in HTML; deleting an override
// leaves the default; the email test mode round trip, audited, with its
// validation; the email history with filters, keyset pages, the admin's
// scope and no body; retrying a failed mail; hostile bodies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'mailadm-test-password';
const RUN = Date.now().toString(36).toLowerCase();
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const count = (s) => Number(sql1(s));
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const iso = (ms) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const DAY = 86400000;
let n = 0;

async function signedIn(role) {
  const email = `mailadm-${role}-${RUN}-${n++}@mailadm.example.edu`.replace(/_/g, '-');
  const r = ctl(['user-add', '--email', email, '--name', `Mailadm ${role}`, '--role', role], `${PW}\n`);
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

const KEY = 'document_requested';
const TPL = `/api/v1/mail-templates/${KEY}`;
const put = (who, locale, body, headers) => call(who, 'PUT', `${TPL}/${locale}`, body, headers);
const templates = () => count('SELECT count(*) FROM mail_templates');
const tplRow = (locale, sid) => sql1(`SELECT coalesce(json_build_object('v', version, 's', subject)::text, '') FROM mail_templates
  WHERE key = '${KEY}' AND locale = '${locale}' AND scholarship_id ${sid ? `= '${sid}'` : 'IS NULL'}`);
const audits = (action, id) => count(`SELECT count(*) FROM audit_log WHERE action = '${action}'${id ? ` AND entity_id = '${id}'` : ''}`);
const BODY = (extra = {}) => ({
  subject: '請補件：{{ app_no }}',
  body_text: '{{name}} 您好，\n\n請於 {{due_on}} 前補上：{{kinds}}。\n{{reason}}\n\n{{link}}',
  ...extra,
});

let sa, admin, other, student, reviewer, college, schA, schB;

before(async () => {
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
  other = await signedIn('admin');
  student = await signedIn('student');
  reviewer = await signedIn('reviewer');
  college = await signedIn('college');
  const a = await call(admin, 'POST', '/api/v1/scholarships', { code: `MLA${RUN}`.toUpperCase().slice(0, 32), name: '通知測試', status: 'active' });
  assert.equal(a.status, 201, a.text);
  schA = a.json.id;
  const b = await call(other, 'POST', '/api/v1/scholarships', { code: `MLB${RUN}`.toUpperCase().slice(0, 32), name: '他人', status: 'active' });
  assert.equal(b.status, 201, b.text);
  schB = b.json.id;
  // Defaults are seeded by a later migration; make sure these two exist.
  for (const loc of ['en', 'zh-TW'])
    sql1(`INSERT INTO mail_templates (key, locale, subject, body_text) VALUES
          ('${KEY}', '${loc}', 'Documents requested for {{app_no}}', 'Dear {{name}},\n\nplease upload {{kinds}} by {{due_on}}.\n{{link}}')
          ON CONFLICT DO NOTHING`);
});

after(() => {
  psql("UPDATE mail_test_mode SET addresses = '{}', expires_at = NULL");
});

// ---- templates -------------------------------------------------------------

test('keys: every key with its purpose and placeholders; staff other than admins 403', async () => {
  const r = await call(admin, 'GET', '/api/v1/mail-templates/keys');
  assert.equal(r.status, 200, r.text);
  const k = r.json.items.find((i) => i.key === KEY);
  assert.ok(k, r.text);
  assert.equal(typeof k.purpose, 'string');
  for (const v of ['name', 'app_no', 'kinds', 'reason', 'due_on', 'link']) assert.ok(k.placeholders.includes(v), v);
  assert.ok(r.json.items.some((i) => i.key === 'verify_email'));
  for (const who of [student, reviewer, college]) assert.ok(isProblem(await call(who, 'GET', '/api/v1/mail-templates/keys'), 403));
  assert.ok(isProblem(await call(null, 'GET', '/api/v1/mail-templates/keys'), 401));
});

test('put: an admin creates (201) then replaces (200) the override of a scholarship in scope; audited before and after', async () => {
  const r = await put(admin, 'zh-TW', BODY({ scholarship_id: schA }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.match(r.headers.get('location'), new RegExp(`/api/v1/mail-templates\\?key=${KEY}&locale=zh-TW&scholarship_id=${schA}`));
  assert.equal(r.json.key, KEY);
  assert.equal(r.json.locale, 'zh-TW');
  assert.equal(r.json.scholarship_id, schA);
  assert.equal(r.json.subject, BODY().subject);
  assert.equal(r.json.body_html, null);
  assert.equal(r.json.version, 1);
  assert.equal(r.json.updated_by, admin.id);
  assert.match(r.json.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const r2 = await put(admin, 'zh-TW', BODY({ scholarship_id: schA, subject: '補件 {{app_no}}', body_html: '<p>{{name}}</p>' }));
  assert.equal(r2.status, 200, r2.text);
  assert.equal(r2.json.id, r.json.id);
  assert.equal(r2.json.version, 2);
  assert.equal(r2.json.body_html, '<p>{{name}}</p>');
  assert.equal(r2.headers.get('etag'), '"2"');
  const a = JSON.parse(sql1(`SELECT json_agg(json_build_object('b', before, 'a', after, 'actor', actor_id) ORDER BY id)
    FROM audit_log WHERE action = 'mail_template.updated' AND entity_id = '${r.json.id}'`));
  assert.equal(a.length, 2);
  assert.equal(a[0].b, null);
  assert.equal(a[0].a.version, 1);
  assert.equal(a[1].b.subject, BODY().subject);
  assert.equal(a[1].a.subject, '補件 {{app_no}}');
  assert.equal(a[1].actor, admin.id);
  // The super admin may edit any override.
  const r3 = await put(sa, 'zh-TW', BODY({ scholarship_id: schA, body_html: null }));
  assert.equal(r3.status, 200, r3.text);
  assert.equal(r3.json.body_html, null);
  assert.equal(r3.json.version, 3);
});

test('put: an admin out of scope gets 404, and 403 on a default; nothing written', async () => {
  const before = templates();
  const r = await put(other, 'en', BODY({ scholarship_id: schA }));
  assert.ok(isProblem(r, 404), r.text);
  const nx = await put(admin, 'en', BODY({ scholarship_id: '00000000-0000-4000-8000-000000000000' }));
  assert.ok(isProblem(nx, 404), nx.text);
  const d = await put(admin, 'en', BODY());
  assert.ok(isProblem(d, 403), d.text);
  const dn = await put(admin, 'en', BODY({ scholarship_id: null }));
  assert.ok(isProblem(dn, 403), dn.text);
  assert.equal(templates(), before);
  assert.equal(tplRow('en', schA), '');
});

test('put: a super admin edits a default (200, version + 1, audited)', async () => {
  const was = JSON.parse(tplRow('en'));
  const r = await put(sa, 'en', BODY({ subject: 'Documents for {{app_no}} ({{ name }})', body_html: '<p>Hello {{name}}, {{site_url}}</p>' }));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.scholarship_id, null);
  assert.equal(r.json.version, was.v + 1);
  assert.equal(r.json.subject, 'Documents for {{app_no}} ({{ name }})');
  assert.equal(audits('mail_template.updated', r.json.id) >= 1, true);
});

test('put: unknown placeholders and unclosed braces are 422 naming each field; nothing written', async () => {
  const was = tplRow('en');
  const before = templates();
  let r = await put(sa, 'en', BODY({ body_text: 'Hi {{foo}}' }));
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors, [{ field: 'body_text', message: 'unknown placeholder {{foo}}' }]);
  r = await put(sa, 'en', { subject: 'Hi {{name', body_text: 'ok {{ role }}', body_html: '<b>{{app_no}}</b> {{ }}' });
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['body_html', 'body_text', 'subject']);
  assert.match(r.json.errors.find((e) => e.field === 'body_text').message, /role/);
  r = await put(sa, 'en', BODY({ subject: 'two\nlines' }));
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field), ['subject']);
  r = await put(sa, 'en', BODY({ subject: 'x'.repeat(301), body_text: '' }));
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['body_text', 'subject']);
  r = await put(admin, 'zh-TW', BODY({ scholarship_id: schA, body_text: '{{password}}' }));
  assert.ok(isProblem(r, 422), r.text);
  assert.equal(tplRow('en'), was);
  assert.equal(templates(), before);
});

test('put: If-Match is optional; a stale one is 412 and writes nothing', async () => {
  assert.ok([200, 201].includes((await put(admin, 'zh-TW', BODY({ scholarship_id: schA }))).status));
  const cur = JSON.parse(tplRow('zh-TW', schA));
  let r = await put(admin, 'zh-TW', BODY({ scholarship_id: schA, subject: 'stale' }), { 'If-Match': `"${cur.v - 1}"` });
  assert.ok(isProblem(r, 412), r.text);
  assert.equal(JSON.parse(tplRow('zh-TW', schA)).v, cur.v);
  r = await put(admin, 'zh-TW', BODY({ scholarship_id: schA, subject: 'fresh {{app_no}}' }), { 'If-Match': `"${cur.v}"` });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, cur.v + 1);
  // Nothing to match: an override that does not exist yet.
  r = await put(admin, 'en', BODY({ scholarship_id: schA }), { 'If-Match': '"1"' });
  assert.ok(isProblem(r, 412), r.text);
  assert.equal(tplRow('en', schA), '');
});

test('unknown key or locale is 404', async () => {
  for (const p of ['/api/v1/mail-templates/no_such_key/en', `${TPL}/fr`, `${TPL}/zh-tw`, '/api/v1/mail-templates/Bad.Key/en'])
    assert.ok(isProblem(await call(sa, 'PUT', p, BODY()), 404), p);
  assert.ok(isProblem(await call(sa, 'POST', `${TPL}/de/preview`, BODY()), 404));
  assert.ok(isProblem(await call(sa, 'DELETE', `/api/v1/mail-templates/nope/en?scholarship_id=${schA}`), 404));
});

test('list: a super admin sees every override, an admin defaults and overrides in scope; filters', async () => {
  const b = await put(other, 'en', BODY({ scholarship_id: schB }));
  assert.ok([200, 201].includes(b.status), b.text);
  const a = await put(admin, 'zh-TW', BODY({ scholarship_id: schA }));
  assert.equal(a.status, 200, a.text);
  let r = await call(sa, 'GET', `/api/v1/mail-templates?key=${KEY}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.next_cursor, null);
  const sids = (x) => x.json.items.map((i) => i.scholarship_id);
  assert.ok(sids(r).includes(null) && sids(r).includes(schA) && sids(r).includes(schB));
  assert.ok(r.json.items.every((i) => i.key === KEY));
  const item = r.json.items.find((i) => i.scholarship_id === schA);
  assert.deepEqual(Object.keys(item).sort(), ['body_html', 'body_text', 'id', 'key', 'locale', 'scholarship_id', 'subject', 'updated_at', 'updated_by', 'version']);
  r = await call(admin, 'GET', `/api/v1/mail-templates?key=${KEY}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(sids(r).includes(null) && sids(r).includes(schA));
  assert.ok(!sids(r).includes(schB));
  r = await call(admin, 'GET', `/api/v1/mail-templates?scholarship_id=${schA}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.items.length >= 1 && r.json.items.every((i) => i.scholarship_id === schA));
  r = await call(admin, 'GET', `/api/v1/mail-templates?locale=en&key=${KEY}`);
  assert.ok(r.json.items.every((i) => i.locale === 'en'));
  assert.ok(isProblem(await call(admin, 'GET', `/api/v1/mail-templates?scholarship_id=${schB}`), 404));
  for (const q of ['locale=fr', 'key=nope', 'scholarship_id=xyz', 'limit=5', 'q=a', '%zz=1'])
    assert.ok(isProblem(await call(sa, 'GET', `/api/v1/mail-templates?${q}`), 400), q);
});

test('preview: example values, hostile values escaped in HTML, control characters out of the subject', async () => {
  const evil = '<script>alert("x")</script>';
  let r = await call(admin, 'POST', `${TPL}/en/preview`, {
    subject: 'Docs {{app_no}} for {{name}}',
    body_text: 'Dear {{name}}, upload {{kinds}}. <b>literal</b>\n\n{{link}}',
    values: { name: `${evil}\r\nBcc: x@evil.example` },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['body_html', 'body_text', 'subject']);
  assert.ok(!/[\r\n]/.test(r.json.subject), r.json.subject);
  assert.match(r.json.subject, /^Docs APP-\d{4}-\d-\d{5} for <script>/);
  assert.ok(r.json.body_text.includes(evil), r.json.body_text);
  assert.ok(!r.json.body_html.includes('<script>'), r.json.body_html);
  assert.ok(!r.json.body_html.includes('<b>literal'), r.json.body_html);
  assert.ok(r.json.body_html.includes('&lt;script&gt;'), r.json.body_html);
  assert.match(r.json.body_html, /<a href="https?:\/\//);
  assert.ok(!r.json.body_text.includes('{{'), r.json.body_text);
  // An HTML part of the template's own is kept, and values are escaped into it.
  r = await call(sa, 'POST', `${TPL}/zh-TW/preview`, {
    subject: '補件', body_text: '{{name}}', body_html: '<p class="x">{{name}} / {{reason}}</p>', values: { reason: '"&\'<>' },
  });
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.body_html, /^<p class="x">.+ \/ &quot;&amp;(&#39;|&apos;)&lt;&gt;<\/p>$/);
  // Bad placeholders and values are 422, as for PUT.
  r = await call(admin, 'POST', `${TPL}/en/preview`, { subject: '{{nope}}', body_text: 'x {{', values: { password: 'x', name: 5 } });
  assert.ok(isProblem(r, 422), r.text);
  assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['body_text', 'subject', 'values.name', 'values.password']);
  assert.ok(isProblem(await call(student, 'POST', `${TPL}/en/preview`, BODY()), 403));
});

test('delete: an override goes (204, audited) and the default is what remains; a default cannot be deleted (409)', async () => {
  const c = await put(admin, 'en', BODY({ scholarship_id: schA, subject: 'override {{app_no}}' }));
  assert.ok([200, 201].includes(c.status), c.text);
  assert.ok(isProblem(await call(other, 'DELETE', `${TPL}/en?scholarship_id=${schA}`), 404));
  assert.ok(isProblem(await call(admin, 'DELETE', `${TPL}/en?scholarship_id=${schA}`, undefined, { 'If-Match': '"999"' }), 412));
  const d = await call(admin, 'DELETE', `${TPL}/en?scholarship_id=${schA}`);
  assert.equal(d.status, 204, d.text);
  assert.equal(tplRow('en', schA), '');
  assert.equal(audits('mail_template.deleted', c.json.id), 1);
  const l = await call(admin, 'GET', `/api/v1/mail-templates?key=${KEY}&locale=en`);
  assert.deepEqual(l.json.items.map((i) => i.scholarship_id), [null]);
  assert.ok(isProblem(await call(admin, 'DELETE', `${TPL}/en?scholarship_id=${schA}`), 404));
  const before = templates();
  assert.ok(isProblem(await call(sa, 'DELETE', `${TPL}/en`), 409));
  assert.ok(isProblem(await call(admin, 'DELETE', `${TPL}/en`), 409));
  assert.ok(isProblem(await call(sa, 'DELETE', `${TPL}/en?scholarship_id=nope`), 400));
  assert.ok(isProblem(await call(sa, 'DELETE', `${TPL}/en?scholarship_id=${schA}&x=1`), 400));
  assert.equal(templates(), before);
});

test('templates: malformed, oversized and wrong-typed bodies get 400/413/415/422 and write nothing', async () => {
  const before = templates(), was = tplRow('en');
  const cases = [
    [await call(sa, 'PUT', `${TPL}/en`, '{"subject": "x",'), 400],
    [await call(sa, 'PUT', `${TPL}/en`), 415],
    [await call(sa, 'PUT', `${TPL}/en`, undefined, json), 400],
    [await http(`${TPL}/en`, { method: 'PUT', headers: { Authorization: `Bearer ${sa.token}`, 'Content-Type': 'text/plain' }, body: '{}' }), 415],
    [await put(sa, 'en', { subject: 'x', body_text: 'y'.repeat(3 << 20) }), 413],
    [await put(sa, 'en', BODY({ subject: 5 })), 422],
    [await put(sa, 'en', BODY({ body_html: [] })), 422],
    [await put(sa, 'en', BODY({ scholarship_id: 'nope' })), 422],
    [await put(sa, 'en', BODY({ scholarship_id: 42 })), 422],
    [await put(sa, 'en', BODY({ extra: 1 })), 422],
    [await put(sa, 'en', BODY({ body_text: 'x'.repeat(100001) })), 422],
    [await put(sa, 'en', BODY({ body_html: '' })), 422],
    [await put(sa, 'en', [BODY()]), 422],
    [await put(admin, 'en', BODY({ scholarship_id: 42 })), 422],
  ];
  for (const [r, status] of cases) assert.ok(isProblem(r, status), `${status}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(templates(), before);
  assert.equal(tplRow('en'), was);
});

// ---- test mode -------------------------------------------------------------

const tm = (who, method, body) => call(who, method, '/api/v1/mail/test-mode', body);

test('test mode: on and off, audited with before and after', async () => {
  let r = await tm(sa, 'DELETE');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active, false);
  assert.deepEqual(r.json.addresses, []);
  assert.equal(r.json.expires_at, null);
  const until = iso(2 * DAY);
  const on0 = audits('mail_test_mode.enabled'), off0 = audits('mail_test_mode.disabled');
  r = await tm(sa, 'PUT', { addresses: ['qa@mailadm.example.edu', 'lead@mailadm.example.edu'], expires_at: until });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { active: true, addresses: ['qa@mailadm.example.edu', 'lead@mailadm.example.edu'], expires_at: until, updated_by: sa.id, updated_at: r.json.updated_at });
  const g = await tm(sa, 'GET');
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(g.json, r.json);
  assert.equal(audits('mail_test_mode.enabled'), on0 + 1);
  const a = JSON.parse(sql1(`SELECT json_build_object('b', before, 'a', after, 'actor', actor_id) FROM audit_log
    WHERE action = 'mail_test_mode.enabled' ORDER BY id DESC LIMIT 1`));
  assert.equal(a.b.active, false);
  assert.equal(a.a.active, true);
  assert.deepEqual(a.a.addresses, r.json.addresses);
  assert.equal(a.actor, sa.id);
  r = await tm(sa, 'DELETE');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active, false);
  assert.deepEqual(r.json.addresses, []);
  assert.equal(r.json.expires_at, null);
  assert.equal(audits('mail_test_mode.disabled'), off0 + 1);
  const b = JSON.parse(sql1(`SELECT json_build_object('b', before, 'a', after) FROM audit_log
    WHERE action = 'mail_test_mode.disabled' ORDER BY id DESC LIMIT 1`));
  assert.equal(b.b.active, true);
  assert.equal(b.a.active, false);
  assert.equal(sql1('SELECT cardinality(addresses) FROM mail_test_mode'), '0');
});

test('test mode: validation errors are 422 and change nothing; only a super admin (403)', async () => {
  const state = () => sql1('SELECT row(addresses, expires_at, updated_at)::text FROM mail_test_mode');
  const was = state();
  const n0 = audits('mail_test_mode.enabled');
  const ok = { addresses: ['qa@mailadm.example.edu'], expires_at: iso(DAY) };
  const cases = [
    [{ ...ok, addresses: [] }, ['addresses']],
    [{ ...ok, addresses: ['not-an-address'] }, ['addresses.0']],
    [{ ...ok, addresses: ['qa@mailadm.example.edu', 'a b@x.example'] }, ['addresses.1']],
    [{ ...ok, addresses: ['qa@mailadm.example.edu', 'QA@mailadm.example.edu'] }, ['addresses.1']],
    [{ ...ok, addresses: Array.from({ length: 21 }, (_, i) => `q${i}@mailadm.example.edu`) }, ['addresses']],
    [{ ...ok, addresses: 'qa@mailadm.example.edu' }, ['addresses']],
    [{ ...ok, expires_at: iso(-60000) }, ['expires_at']],
    [{ ...ok, expires_at: iso(31 * DAY) }, ['expires_at']],
    [{ ...ok, expires_at: 'tomorrow' }, ['expires_at']],
    [{ ...ok, expires_at: 12 }, ['expires_at']],
    [{ addresses: ok.addresses }, ['expires_at']],
    [{ ...ok, extra: true }, ['extra']],
  ];
  for (const [body, fields] of cases) {
    const r = await tm(sa, 'PUT', body);
    assert.ok(isProblem(r, 422), `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
    assert.deepEqual(r.json.errors.map((e) => e.field), fields, JSON.stringify(body).slice(0, 80));
  }
  assert.ok(isProblem(await call(sa, 'PUT', '/api/v1/mail/test-mode', '[1,'), 400));
  for (const who of [admin, student, reviewer, college]) {
    assert.ok(isProblem(await tm(who, 'GET'), 403));
    assert.ok(isProblem(await tm(who, 'PUT', ok), 403));
    assert.ok(isProblem(await tm(who, 'DELETE'), 403));
  }
  assert.equal(state(), was);
  assert.equal(audits('mail_test_mode.enabled'), n0);
});

// ---- history ---------------------------------------------------------------

/** Insert a mail directly; minutes: how long ago it was created. */
function mail({ to, status = 'sent', key = KEY, sid = null, minutes = 1, error = null }) {
  return sql1(`INSERT INTO mail_outbox (to_address, subject, body_text, template_key, locale, status, attempts,
      next_attempt_at, last_error, sent_at, created_at, scholarship_id)
    VALUES ('${to}', 'Subject ${to}', 'SECRET-BODY token=abc', '${key}', 'en', '${status}',
      ${status === 'failed' ? 5 : status === 'sent' ? 1 : 0},
      now() + interval '1 day', ${error ? `'${error}'` : 'NULL'}, ${status === 'sent' ? 'now()' : 'NULL'},
      now() - interval '${minutes} minutes', ${sid ? `'${sid}'` : 'NULL'})
    RETURNING id`);
}
const hist = (who, q) => call(who, 'GET', `/api/v1/mail/outbox?${q}`);
let H;

test('history: newest first with filters; no body', async () => {
  const d = `h-${RUN}.example.edu`;
  H = {
    a1: mail({ to: `one@a.${d}`, sid: schA, minutes: 50 }),
    a2: mail({ to: `two@a.${d}`, sid: schA, minutes: 40, status: 'failed', error: 'smtp: 550 no such user' }),
    b1: mail({ to: `one@b.${d}`, sid: schB, minutes: 30, key: 'status_decided' }),
    n1: mail({ to: `one@n.${d}`, minutes: 20, key: 'verify_email' }),
    a3: mail({ to: `three@a.${d}`, sid: schA, minutes: 10, status: 'pending' }),
  };
  let r = await hist(sa, `recipient=${d}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((i) => i.id), [H.a3, H.n1, H.b1, H.a2, H.a1]);
  assert.equal(r.json.next_cursor, null);
  const it = r.json.items.find((i) => i.id === H.a2);
  assert.deepEqual(Object.keys(it).sort(), ['attempts', 'created_at', 'id', 'last_error', 'locale', 'next_attempt_at',
    'redirected_to', 'scholarship_id', 'sent_at', 'status', 'subject', 'template_key', 'to'].sort());
  assert.equal(it.to, `two@a.${d}`);
  assert.equal(it.status, 'failed');
  assert.equal(it.last_error, 'smtp: 550 no such user');
  assert.equal(it.scholarship_id, schA);
  assert.ok(!r.text.includes('SECRET-BODY'), 'no body in the history');
  const ids = async (q, who = sa) => { const x = await hist(who, q); assert.equal(x.status, 200, x.text); return x.json.items.map((i) => i.id); };
  assert.deepEqual(await ids(`recipient=${d}&status=failed`), [H.a2]);
  assert.deepEqual(await ids(`recipient=${d}&template_key=status_decided`), [H.b1]);
  assert.deepEqual(await ids(`recipient=ONE@B.${d.toUpperCase()}`), [H.b1]);
  assert.deepEqual(await ids(`recipient=${d}&since=${iso(-35 * 60000)}&until=${iso(-15 * 60000)}`), [H.n1, H.b1]);
  assert.deepEqual(await ids(`recipient=${d}&until=${iso(-45 * 60000)}`), [H.a1]);
  assert.deepEqual(await ids(`recipient=%25_${d}`), []); // LIKE metacharacters are literal
});

test('history: keyset pages without duplicates; an admin sees only the scholarships in scope', async () => {
  const d = `p-${RUN}.example.edu`;
  const made = [];
  for (let i = 0; i < 7; i++) made.push(mail({ to: `m${i}@${d}`, sid: i % 2 ? schB : schA, minutes: 100 + i }));
  const pages = async (who, q) => {
    const seen = [];
    let cursor = null, rounds = 0;
    do {
      const r = await hist(who, `recipient=${d}&limit=2${q || ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.length <= 2);
      seen.push(...r.json.items.map((i) => i.id));
      cursor = r.json.next_cursor;
    } while (cursor && ++rounds < 20);
    return seen;
  };
  const all = await pages(sa);
  assert.deepEqual(all, made);
  assert.equal(new Set(all).size, all.length);
  assert.deepEqual(await pages(admin), made.filter((_, i) => i % 2 === 0));
  assert.deepEqual(await pages(other), made.filter((_, i) => i % 2 === 1));
  const mine = await hist(admin, `recipient=h-${RUN}`);
  assert.ok(mine.json.items.every((i) => i.scholarship_id === schA), mine.text);
  assert.ok(!mine.json.items.some((i) => i.id === H.n1 || i.id === H.b1));
  for (const who of [student, reviewer, college]) assert.ok(isProblem(await hist(who, ''), 403));
});

test('history: bad filters are 400', async () => {
  for (const q of ['status=lost', 'since=yesterday', 'until=2026-13-01T00:00:00Z', 'limit=0', 'limit=101', 'limit=x',
    'cursor=garbage', 'template_key=Bad-Key', 'recipient=' + 'x'.repeat(300), 'nope=1', '%zz=1'])
    assert.ok(isProblem(await hist(sa, q), 400), q);
});

test('retry: a failed mail goes back to pending (attempts 0, last_error kept), audited; 409 unless failed; 404 unknown', async () => {
  const id = mail({ to: `retry@r-${RUN}.example.edu`, status: 'failed', error: 'smtp: timeout', sid: schA });
  const r = await call(sa, 'POST', `/api/v1/mail/outbox/${id}/retry`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, id);
  assert.equal(r.json.status, 'pending');
  assert.equal(r.json.attempts, 0);
  assert.equal(r.json.last_error, 'smtp: timeout');
  assert.ok(Date.parse(r.json.next_attempt_at) <= Date.now() + 2000);
  assert.ok(!('body_text' in r.json));
  assert.equal(audits('mail_outbox.retried', id), 1);
  const a = JSON.parse(sql1(`SELECT json_build_object('b', before->>'status', 'a', after->>'status') FROM audit_log WHERE action = 'mail_outbox.retried' AND entity_id = '${id}'`));
  assert.deepEqual(a, { b: 'failed', a: 'pending' });
  assert.ok(isProblem(await call(sa, 'POST', `/api/v1/mail/outbox/${id}/retry`), 409));
  const sent = mail({ to: `sent@r-${RUN}.example.edu` });
  assert.ok(isProblem(await call(sa, 'POST', `/api/v1/mail/outbox/${sent}/retry`), 409));
  assert.ok(isProblem(await call(sa, 'POST', '/api/v1/mail/outbox/00000000-0000-4000-8000-000000000000/retry'), 404));
  const f = mail({ to: `again@r-${RUN}.example.edu`, status: 'failed', sid: schA });
  assert.ok(isProblem(await call(admin, 'POST', `/api/v1/mail/outbox/${f}/retry`), 403));
  assert.equal(sql1(`SELECT status FROM mail_outbox WHERE id = '${f}'`), 'failed');
});
