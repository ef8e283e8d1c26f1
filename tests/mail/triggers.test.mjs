// triggers.test.mjs -- every notification trigger of issue 6 (DESIGN §8
// "Notifications") against the real stack and a real SMTP server (npm
// smtp-server, tests/lib/smtp-sink.mjs) that the stack's scholarship-worker
// delivers to: registration (verification), invitation, password reset,
// an attempt to register an existing address, application submitted
// (student and every assigned reviewer), documents requested, a status
// decided, and the daily draft-deadline reminder (once per application).
// Each produces exactly one message, to the right address, in the
// recipient's locale (en or zh-TW), a scholarship's override before the
// default; the in-app notification is written with the mail. A hostile
// value (HTML, CR/LF) reaches the HTML part escaped and never a header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, psql, run, until, TOP, BINDIR } from '../lib/stack.mjs';
import { startSink } from '../lib/smtp-sink.mjs';

const PW = 'trigger-test-password';
const RUN = Date.now().toString(36);
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const day = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
let sink, n = 0, sch, sa, admin;

const call = (who, method, p, body) => http(p, {
  method,
  headers: { ...(who ? { Authorization: `Bearer ${who.token}` } : {}), ...(body !== undefined ? json : {}) },
  body: body === undefined ? undefined : JSON.stringify(body),
});

async function user(role, locale = 'en', name = `Trigger ${role} ${n}`) {
  const email = `tr-${role}-${RUN}-${n++}@tr.example.edu`;
  const r = ctl(['user-add', '--email', email, '--name', name, '--role', role], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  sql1(`UPDATE users SET locale = '${locale}' WHERE email = '${email}'`);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  return { email, id: l.json.user.id, token: l.json.access_token };
}

/** Messages the sink received for address (envelope recipient). */
const to = (address) => sink.messages.filter((m) => m.envelope.to.includes(address));

/** Waits until address has count messages, lets the worker settle, checks it stays so. */
async function exactly(address, count, ms = 15000) {
  await until(() => to(address).length >= count, ms);
  await new Promise((r) => setTimeout(r, 1500));
  const got = to(address);
  assert.equal(got.length, count, `${address}: ${got.map((m) => m.subject).join(' | ')}`);
  return got;
}

/** The newest message to address carrying a link to page, with its token. */
const linkIn = (m, page) => new RegExp(`/${page.replace('.', '\\.')}#token=[A-Za-z0-9_-]{43}`).test(m.text);

before(async () => {
  sink = await startSink({
    port: Number(process.env.SMTP_SINK_PORT),
    auth: process.env.SMTP_USERNAME ? { user: process.env.SMTP_USERNAME, pass: process.env.SMTP_PASSWORD } : null,
  });
  const r = run('psql', ['-h', process.env.PGHOST, '-U', 'scholarship_owner', '-d', 'scholarship', '-qX',
    '-v', 'ON_ERROR_STOP=1', '-f', path.join(TOP, 'schema/seed/reference.sql')]);
  assert.equal(r.status, 0, r.stderr);
  sa = await user('super_admin');
  admin = await user('admin');
  const s = await call(sa, 'POST', '/api/v1/scholarships', {
    code: `TR${RUN}`.toUpperCase().slice(0, 32), name: '通知測試獎學金', name_en: 'Trigger Test Award', status: 'active',
    sub_types: [{ code: 'a', name: '甲', name_en: 'A', amount_cents: 100000 }],
  });
  assert.equal(s.status, 201, s.text);
  sch = s.json;
  sql1(`INSERT INTO scholarship_admins (scholarship_id, user_id) VALUES ('${sch.id}', '${admin.id}')`);
});

after(async () => { await sink?.close(); });

let k = 0;
async function openPeriod(closesInDays = 30, extra = {}) {
  const i = k++;
  const r = await call(sa, 'POST', `/api/v1/scholarships/${sch.id}/periods`, {
    academic_year: 2400 + i, term: 1, label: `trigger ${i}`, opens_at: iso(-1), closes_at: iso(closesInDays),
    requires_reviewer_review: true, reviewer_review_ends_at: iso(closesInDays + 30), ...extra,
  });
  assert.equal(r.status, 201, r.text);
  assert.equal((await call(sa, 'POST', `/api/v1/periods/${r.json.id}/status`, { status: 'open' })).status, 200);
  return r.json;
}

async function student(locale, name) {
  const s = await user('student', locale, name);
  sql1(`INSERT INTO students (student_number, name, email, college_code, department_code, degree,
          enrollment_status, gpa, year_of_study, terms_enrolled, nationality, gender, identity_category)
        VALUES ('${`T${RUN}${n}`.toUpperCase()}', '通知測試', '${s.email}', 'EE', 'CSIE', 'bachelor',
          'enrolled', 3.9, 2, 4, 'TW', 'F', 'general')`);
  return s;
}

async function draft(who, p) {
  const r = await call(who, 'POST', '/api/v1/applications', { period_id: p.id, sub_types: ['a'] });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function submitted(who, p) {
  const app = await draft(who, p);
  const r = await call(who, 'POST', `/api/v1/applications/${app.id}/submit`, {});
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test('registration: one verification mail in the chosen locale; a second attempt tells the owner', async () => {
  const en = `tr-reg-en-${RUN}@tr.example.edu`, zh = `tr-reg-zh-${RUN}@tr.example.edu`;
  for (const [email, locale] of [[en, 'en'], [zh, 'zh-TW']]) {
    const r = await http('/api/v1/auth/register', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW, full_name: 'Reg Tester', locale }) });
    assert.equal(r.status, 202, r.text);
  }
  const [m] = await exactly(en, 1);
  assert.equal(m.subject, 'Verify your email address');
  assert.ok(linkIn(m, 'verify.html'), m.text);
  assert.match(m.text, /Dear Reg Tester/);
  const [z] = await exactly(zh, 1);
  assert.equal(z.subject, '驗證您的電子郵件地址');
  assert.ok(linkIn(z, 'verify.html'));
  // Again with the same address (other case): the owner is told, in the owner's locale.
  const r = await http('/api/v1/auth/register', { method: 'POST', headers: json, body: JSON.stringify({ email: en.toUpperCase(), password: PW, full_name: 'Someone Else', locale: 'zh-TW' }) });
  assert.equal(r.status, 202);
  const both = await exactly(en, 2);
  assert.equal(both[1].subject, 'Account already exists');
  assert.match(both[1].text, /\/forgot\.html/);
  assert.doesNotMatch(both[1].text, /#token=/);
});

test('invitation and password reset: one mail each, addressed and localised', async () => {
  const email = `tr-inv-${RUN}@tr.example.edu`;
  const r = await call(sa, 'POST', '/api/v1/users', { email, full_name: '受邀者', role: 'reviewer' });
  assert.equal(r.status, 201, r.text);
  const [inv] = await exactly(email, 1);
  assert.equal(inv.subject, '獎學金管理系統邀請您加入', 'a new account gets the default locale zh-TW');
  assert.ok(linkIn(inv, 'accept.html'));
  assert.match(inv.text, /受邀者 您好/);

  const u = await user('student', 'en', 'Forgetful');
  const f = await http('/api/v1/auth/password/forgot', { method: 'POST', headers: json, body: JSON.stringify({ email: u.email }) });
  assert.equal(f.status, 202);
  const [reset] = await exactly(u.email, 1);
  assert.equal(reset.subject, 'Reset your password');
  assert.ok(linkIn(reset, 'reset.html'));
  assert.equal(sql1(`SELECT count(*) FROM notifications WHERE user_id = '${u.id}'`), '0', 'a link with a token never goes to the in-app list');
});

test('submitted: the student and each assigned reviewer get one message and one in-app notification', async () => {
  const p = await openPeriod();
  const s = await student('zh-TW', '王小明');
  const r1 = await user('reviewer', 'en', 'Reviewer One'), r2 = await user('reviewer', 'zh-TW', '審查二');
  const app = await draft(s, p);
  sql1(`INSERT INTO application_reviewers (application_id, reviewer_id) VALUES ('${app.id}', '${r1.id}'), ('${app.id}', '${r2.id}')`);
  const done = await call(s, 'POST', `/api/v1/applications/${app.id}/submit`, {});
  assert.equal(done.status, 200, done.text);
  const [m] = await exactly(s.email, 1);
  assert.equal(m.subject, `申請 ${app.app_no} 已送出`);
  assert.match(m.text, /王小明 您好/);
  assert.match(m.text, /通知測試獎學金/);
  assert.ok(m.text.includes(`/application.html?id=${app.id}`));
  assert.match(m.html, /<a href="http[^"]+\/application\.html\?id=/);
  const [a] = await exactly(r1.email, 1);
  assert.equal(a.subject, `Application ${app.app_no} is ready for your review`);
  assert.match(a.text, /Dear Reviewer One/);
  assert.match(a.text, /Trigger Test Award/, 'the English name of the scholarship in an English mail');
  const [b] = await exactly(r2.email, 1);
  assert.equal(b.subject, `申請案 ${app.app_no} 待您審查`);
  for (const who of [s, r1, r2]) {
    const c = await call(who, 'GET', '/api/v1/notifications/unread-count');
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.count, 1, who.email);
  }
  assert.equal(sql1(`SELECT link FROM notifications WHERE user_id = '${s.id}'`), `/application.html?id=${app.id}`);
});

test('documents requested and a status decided: one message each to the student', async () => {
  const p = await openPeriod(30, { required_documents: [{ kind: 'transcript', label: '成績單', label_en: 'Transcript', required: false, accepted_types: ['application/pdf'], max_mb: 5, max_count: 2 }] });
  const s = await student('en', 'Doc Student');
  const app = await submitted(s, p);
  await exactly(s.email, 1);
  const d = await call(admin, 'POST', `/api/v1/applications/${app.id}/document-requests`, { kinds: ['transcript'], reason: 'Page 2 is missing', due_on: day(7) });
  assert.equal(d.status, 201, d.text);
  const two = await exactly(s.email, 2);
  assert.equal(two[1].subject, `More documents needed for ${app.app_no}`);
  assert.match(two[1].text, /needs more documents .*: Transcript\./, 'the kind by its English label');
  assert.match(two[1].text, /Page 2 is missing/);
  assert.ok(two[1].text.includes(day(7)));

  const c = await call(admin, 'POST', `/api/v1/document-requests/${d.json.id}/cancel`, {});
  assert.equal(c.status, 200, c.text);
  const st = await call(admin, 'POST', `/api/v1/applications/${app.id}/status`, { status: 'rejected', reason: 'Quota reached' });
  assert.equal(st.status, 200, st.text);
  const three = await exactly(s.email, 3);
  assert.equal(three[2].subject, `Your application ${app.app_no}: not approved`);
  assert.match(three[2].text, /Quota reached/);
});

test('a scholarship override replaces the default for its own mail only', async () => {
  sql1(`INSERT INTO mail_templates (key, locale, scholarship_id, subject, body_text)
        VALUES ('application_submitted', 'en', '${sch.id}', 'Override {{app_no}}', 'Custom text for {{applicant_name}}')`);
  try {
    const s = await student('en', 'Override Student');
    const app = await submitted(s, await openPeriod());
    const [m] = await exactly(s.email, 1);
    assert.equal(m.subject, `Override ${app.app_no}`);
    assert.equal(m.text.trim(), 'Custom text for Override Student');
  } finally {
    sql1(`DELETE FROM mail_templates WHERE scholarship_id = '${sch.id}'`);
  }
});

test('a hostile name is escaped in HTML and cannot add a header or a recipient', async () => {
  const evil = '<img src=x onerror=alert(1)>\r\nBcc: evil@attacker.example';
  const s = await student('en', 'placeholder');
  sql1(`UPDATE users SET full_name = E'${evil.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}' WHERE id = '${s.id}'`);
  sql1(`INSERT INTO mail_templates (key, locale, scholarship_id, subject, body_text, body_html)
        VALUES ('application_submitted', 'en', '${sch.id}', 'For {{applicant_name}}', 'Hello {{applicant_name}}', '<p>Hello {{applicant_name}}</p>')`);
  try {
    const app = await submitted(s, await openPeriod());
    const [m] = await exactly(s.email, 1);
    assert.ok(m.html.includes('&lt;img src=x onerror=alert(1)&gt;'), m.html);
    assert.ok(!m.html.includes('<img'), 'no live markup from a value');
    assert.equal(m.headers.get('bcc'), undefined);
    assert.deepEqual(m.envelope.to, [s.email]);
    assert.ok(!/\r|\n/.test(m.subject));
    assert.ok(m.subject.startsWith('For <img src=x onerror=alert(1)>'), m.subject);
    assert.equal(to('evil@attacker.example').length, 0);
    assert.ok(app.id);
  } finally {
    sql1(`DELETE FROM mail_templates WHERE scholarship_id = '${sch.id}'`);
  }
});

test('draft reminder: once per application, only for drafts closing within the period\'s days', async () => {
  const soon = await openPeriod(2, { reminder_days_before: 3 });
  const later = await openPeriod(10, { reminder_days_before: 3 });
  const off = await openPeriod(2, { reminder_days_before: null });
  assert.equal(soon.reminder_days_before, 3);
  assert.equal(off.reminder_days_before, null);
  const s = await student('zh-TW', '拖延同學');
  const s2 = await student('en', 'Later Student');
  const s3 = await student('en', 'Done Student');
  const s4 = await student('en', 'Off Student');
  const d = await draft(s, soon);
  await draft(s2, later);
  await submitted(s3, soon);
  await draft(s4, off);
  await exactly(s3.email, 1); // its submission mail
  sql1(`UPDATE worker_jobs SET last_run_on = NULL WHERE name = 'draft_reminders'`);
  const [m] = await exactly(s.email, 1);
  assert.match(m.subject, /^提醒：「通知測試獎學金」將於 2 天內截止$/);
  assert.ok(m.text.includes(d.app_no));
  // closes_at in INSTITUTION_TIMEZONE, named.
  const tz = process.env.INSTITUTION_TIMEZONE || 'UTC';
  const local = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, dateStyle: 'short', timeStyle: 'short' }).format(new Date(soon.closes_at));
  assert.ok(m.text.includes(`${local} (${tz})`), `${local} (${tz}) in ${m.text}`);
  // The day's run is done: running it again (as after a restart) sends nothing new.
  sql1(`UPDATE worker_jobs SET last_run_on = NULL WHERE name = 'draft_reminders'`);
  await until(() => sql1(`SELECT last_run_on IS NOT NULL FROM worker_jobs WHERE name = 'draft_reminders'`) === 't');
  await exactly(s.email, 1);
  await exactly(s2.email, 0);
  await exactly(s3.email, 1);
  await exactly(s4.email, 0);
  assert.equal(sql1(`SELECT count(*) FROM application_reminders WHERE application_id = '${d.id}'`), '1');
  assert.equal(sql1(`SELECT count(*) FROM notifications WHERE user_id = '${s.id}' AND kind = 'draft_reminder'`), '1');
});

test('an address that cannot receive mail does not block the change: in-app only', async () => {
  const s = await student('en', 'Odd Address');
  const odd = `odd name ${RUN}@tr.example.edu`;
  sql1(`UPDATE students SET email = '${odd}' WHERE email = '${s.email}'`);
  sql1(`UPDATE users SET email = '${odd}' WHERE id = '${s.id}'`);
  const app = await submitted(s, await openPeriod());
  assert.equal(app.status, 'submitted');
  assert.equal(sql1(`SELECT count(*) FROM notifications WHERE user_id = '${s.id}' AND kind = 'application_submitted'`), '1');
  assert.equal(sql1(`SELECT count(*) FROM mail_outbox WHERE user_id = '${s.id}'`), '0');
});

test('a subject whose placeholders are all empty still gives a mail a subject', async () => {
  sql1(`INSERT INTO mail_templates (key, locale, scholarship_id, subject, body_text)
        VALUES ('status_decided', 'en', '${sch.id}', '{{reason}}', 'Now {{status}}.')`);
  try {
    const s = await student('en', 'No Reason');
    const app = await submitted(s, await openPeriod());
    await exactly(s.email, 1);
    const r = await call(admin, 'POST', `/api/v1/applications/${app.id}/status`, { status: 'under_review' });
    assert.equal(r.status, 200, r.text);
    const two = await exactly(s.email, 2);
    assert.equal(two[1].subject, 'status_decided');
    assert.equal(two[1].text.trim(), 'Now under review.');
  } finally {
    sql1(`DELETE FROM mail_templates WHERE scholarship_id = '${sch.id}'`);
  }
});
