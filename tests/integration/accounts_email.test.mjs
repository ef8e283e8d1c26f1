// accounts_email.test.mjs -- the flows that go through a mailed link:
// register and verify, resend, forgot and reset, invitation acceptance;
// the caller's profile and password. Links are read from the outbox (the
// mail the worker writes), and the token travels in the URL fragment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { http, isProblem, psql, until } from '../lib/stack.mjs';

const PW = 'a-fine-long-password';
const post = (p, body, headers = {}) => http(p, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const bearer = (t) => ({ Authorization: `Bearer ${t}` });
let n = 0;
const fresh = () => `mail${Date.now()}-${n++}@uni.example.edu`;
const count = (sql) => Number(psql(sql).stdout.trim());
const q = (s) => s.replace(/'/g, "''");

/** The newest queued mail to `to` (subject and text). */
function lastMail(to) {
  const out = psql(`SELECT subject || E'\\x1f' || body_text FROM mail_outbox WHERE to_address = '${q(to)}' ORDER BY created_at DESC LIMIT 1`).stdout;
  if (!out.trim()) return null;
  const [subject, body] = out.replace(/\n$/, '').split('\x1f');
  return { subject, body };
}
const tokenIn = (mail, page) => {
  const m = new RegExp(`/${page}#token=([A-Za-z0-9_-]{43})`).exec(mail.body);
  return m && m[1];
};

async function registered(email = fresh()) {
  const r = await post('/api/v1/auth/register', { email, password: PW, full_name: 'Mei Lin', locale: 'en' });
  assert.equal(r.status, 202, r.text);
  return email;
}
async function verifiedLogin(email) {
  const tok = tokenIn(lastMail(email), 'verify.html');
  assert.equal((await post('/api/v1/auth/verify-email', { token: tok })).status, 204);
  const l = await post('/api/v1/auth/login', { email, password: PW });
  assert.equal(l.status, 200, l.text);
  return l.json;
}

test('register → mail with a verification link in the fragment → verify → sign in', async () => {
  const email = await registered();
  const mail = lastMail(email);
  assert.ok(mail, 'a mail was queued');
  assert.match(mail.subject, /Verify your email/);
  const tok = tokenIn(mail, 'verify.html');
  assert.ok(tok, mail.body);
  assert.equal(count(`SELECT count(*) FROM email_tokens WHERE token_hash = '${crypto.createHash('sha256').update(tok).digest('hex')}'`), 1, 'only the hash is stored');
  assert.equal(count(`SELECT count(*) FROM email_tokens WHERE token_hash = '${tok}'`), 0);
  const early = await post('/api/v1/auth/login', { email, password: PW });
  assert.ok(isProblem(early, 403));
  assert.equal((await post('/api/v1/auth/verify-email', { token: tok })).status, 204);
  const again = await post('/api/v1/auth/verify-email', { token: tok });
  assert.ok(isProblem(again, 422), 'single use');
  assert.equal(again.json.errors[0].field, 'token');
  const l = await post('/api/v1/auth/login', { email, password: PW });
  assert.equal(l.status, 200);
  assert.equal(l.json.user.email_verified, true);
  assert.equal(l.json.user.role, 'student');
});

test('the worker writes the mail to MAIL_DIR within 5 seconds', async () => {
  const email = await registered();
  const dir = process.env.MAIL_DIR;
  const file = await until(() => readdirSync(dir).filter((f) => f.endsWith('.eml'))
    .map((f) => path.join(dir, f)).find((f) => readFileSync(f, 'utf8').includes(email)), 5000);
  assert.ok(file, 'an .eml file names the address');
  assert.match(readFileSync(file, 'utf8'), /verify\.html#token=/);
});

test('registering a taken email answers exactly the same, and mails the owner instead', async () => {
  const email = await registered();
  const users = count('SELECT count(*) FROM users');
  const a = await post('/api/v1/auth/register', { email: email.toUpperCase(), password: PW, full_name: 'Someone Else' });
  const b = await post('/api/v1/auth/register', { email: fresh(), password: PW, full_name: 'New Person' });
  assert.equal(a.status, 202);
  assert.equal(a.text, b.text);
  assert.equal(count('SELECT count(*) FROM users'), users + 1);
  assert.match(lastMail(email.toUpperCase())?.subject || lastMail(email).subject, /already exists/);
});

test('registration reports every bad field at once and writes nothing', async () => {
  const users = count('SELECT count(*) FROM users');
  const r = await post('/api/v1/auth/register', { email: 'not-an-email', password: 'short', full_name: '', locale: 'fr' });
  assert.ok(isProblem(r, 422));
  assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['email', 'full_name', 'locale', 'password']);
  assert.equal(count('SELECT count(*) FROM users'), users);
});

test('forgot → reset: the old password and every old session die, the token is single-use', async () => {
  const email = await registered();
  const session = await verifiedLogin(email);
  const f = await post('/api/v1/auth/password/forgot', { email });
  assert.equal(f.status, 202);
  const tok = tokenIn(lastMail(email), 'reset.html');
  assert.ok(tok);
  const weak = await post('/api/v1/auth/password/reset', { token: tok, password: 'short' });
  assert.ok(isProblem(weak, 422));
  const r = await post('/api/v1/auth/password/reset', { token: tok, password: 'a-brand-new-password' });
  assert.equal(r.status, 204, r.text);
  assert.ok(isProblem(await http('/api/v1/auth/me', { headers: bearer(session.access_token) }), 401));
  assert.ok(isProblem(await post('/api/v1/auth/refresh', { refresh_token: session.refresh_token }), 401));
  assert.ok(isProblem(await post('/api/v1/auth/login', { email, password: PW }), 401));
  assert.equal((await post('/api/v1/auth/login', { email, password: 'a-brand-new-password' })).status, 200);
  assert.ok(isProblem(await post('/api/v1/auth/password/reset', { token: tok, password: 'yet-another-password' }), 422));
});

test('forgot and resend answer 202 for unknown addresses and queue nothing', async () => {
  const mails = count('SELECT count(*) FROM mail_outbox');
  const ghost = fresh();
  for (const p of ['/api/v1/auth/password/forgot', '/api/v1/auth/verify-email/resend']) {
    const r = await post(p, { email: ghost });
    assert.equal(r.status, 202);
  }
  assert.equal(count('SELECT count(*) FROM mail_outbox'), mails);
});

test('resend mails a new link to an unverified account only', async () => {
  const email = await registered();
  const first = tokenIn(lastMail(email), 'verify.html');
  assert.equal((await post('/api/v1/auth/verify-email/resend', { email })).status, 202);
  const second = tokenIn(lastMail(email), 'verify.html');
  assert.notEqual(first, second);
  assert.equal((await post('/api/v1/auth/verify-email', { token: second })).status, 204);
  const before = count(`SELECT count(*) FROM mail_outbox WHERE to_address = '${q(email)}'`);
  assert.equal((await post('/api/v1/auth/verify-email/resend', { email })).status, 202);
  assert.equal(count(`SELECT count(*) FROM mail_outbox WHERE to_address = '${q(email)}'`), before);
});

test('an invitation is accepted once with a password and name', async () => {
  const email = fresh();
  const id = psql(`INSERT INTO users (email, full_name, role) VALUES ('${email}', 'Invited', 'reviewer') RETURNING id`).stdout.trim().split('\n')[0];
  const tok = crypto.randomBytes(32).toString('base64url');
  const hash = crypto.createHash('sha256').update(tok).digest('hex');
  psql(`INSERT INTO email_tokens (user_id, kind, token_hash, expires_at) VALUES ('${id}', 'invite', '${hash}', now() + interval '7 days')`);
  const r = await post('/api/v1/auth/invitations/accept', { token: tok, password: PW, full_name: 'Prof. Chen' });
  assert.equal(r.status, 204, r.text);
  const l = await post('/api/v1/auth/login', { email, password: PW });
  assert.equal(l.status, 200);
  assert.equal(l.json.user.full_name, 'Prof. Chen');
  assert.equal(l.json.user.role, 'reviewer');
  assert.ok(isProblem(await post('/api/v1/auth/invitations/accept', { token: tok, password: PW }), 422));
  const expired = crypto.randomBytes(32).toString('base64url');
  psql(`INSERT INTO email_tokens (user_id, kind, token_hash, expires_at, created_at) VALUES ('${id}', 'invite', '${crypto.createHash('sha256').update(expired).digest('hex')}', now() - interval '1 minute', now() - interval '8 days')`);
  assert.ok(isProblem(await post('/api/v1/auth/invitations/accept', { token: expired, password: PW }), 422));
  const wrongKind = tokenIn({ body: '' }, 'x');
  assert.equal(wrongKind, null);
});

test('PATCH /auth/me merges the profile; null removes the phone; bad input changes nothing', async () => {
  const s = await verifiedLogin(await registered());
  const h = { ...bearer(s.access_token), 'Content-Type': 'application/json' };
  const patch = (b) => http('/api/v1/auth/me', { method: 'PATCH', headers: h, body: JSON.stringify(b) });
  let r = await patch({ phone: '+886 2 1234 5678', locale: 'zh-TW' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.phone, '+886 2 1234 5678');
  assert.equal(r.json.locale, 'zh-TW');
  assert.equal(r.json.full_name, 'Mei Lin');
  r = await patch({ phone: null });
  assert.equal(r.json.phone, null);
  assert.equal(r.json.locale, 'zh-TW');
  const letters = await patch({ phone: 'call me maybe' });
  assert.ok(isProblem(letters, 422));
  assert.equal(letters.json.errors[0].field, 'phone');
  const bad = await patch({ locale: 'xx', full_name: '', role: 'super_admin' });
  assert.ok(isProblem(bad, 422));
  assert.deepEqual(bad.json.errors.map((e) => e.field).sort(), ['full_name', 'locale', 'role']);
  assert.equal((await http('/api/v1/auth/me', { headers: h })).json.role, 'student');
});

test('changing the password ends other sessions; this one goes on through the new cookie', async () => {
  const email = await registered();
  const a = await verifiedLogin(email);
  const b = await post('/api/v1/auth/login', { email, password: PW });
  const change = (body) => post('/api/v1/auth/me/password', body, bearer(a.access_token));
  const wrong = await change({ current_password: 'not-my-password', password: 'next-password-123' });
  assert.ok(isProblem(wrong, 422));
  assert.equal(wrong.json.errors[0].field, 'current_password');
  const ok = await change({ current_password: PW, password: 'next-password-123' });
  assert.equal(ok.status, 204, ok.text);
  const cookie = ok.headers.get('set-cookie').split(';')[0];
  assert.ok(isProblem(await http('/api/v1/auth/me', { headers: bearer(b.json.access_token) }), 401));
  assert.ok(isProblem(await post('/api/v1/auth/refresh', { refresh_token: b.json.refresh_token }), 401));
  const cont = await http('/api/v1/auth/refresh', { method: 'POST', headers: { Cookie: cookie } });
  assert.equal(cont.status, 200, 'this session continues');
  assert.equal((await post('/api/v1/auth/login', { email, password: 'next-password-123' })).status, 200);
});

test('hostile bodies on every account route: 400/422, nothing written', async () => {
  const s = await verifiedLogin(await registered());
  const routes = [
    ['POST', '/api/v1/auth/register'], ['POST', '/api/v1/auth/verify-email'],
    ['POST', '/api/v1/auth/verify-email/resend'], ['POST', '/api/v1/auth/password/forgot'],
    ['POST', '/api/v1/auth/password/reset'], ['POST', '/api/v1/auth/invitations/accept'],
    ['PATCH', '/api/v1/auth/me'], ['POST', '/api/v1/auth/me/password'], ['POST', '/api/v1/auth/login'],
  ];
  const bodies = [
    ['{"email":', 400], ['{"token":"a\\u0000b"}', 400], ['"just a string"', 422], ['[1,2]', 422],
    ['{"email":42,"password":[],"token":{},"full_name":false}', 422],
    [JSON.stringify({ email: `${'x'.repeat(100000)}@x.y`, token: 'y'.repeat(100000), password: 'z'.repeat(100000), full_name: 'n'.repeat(100000) }), 422],
    [JSON.stringify({ email: "x'); DROP TABLE users;--@x.y", token: "' OR 1=1 --", surprise: 1 }), 422],
  ];
  const snapshot = () => ['users', 'email_tokens', 'mail_outbox'].map((t) => count(`SELECT count(*) FROM ${t}`)).join();
  const before = snapshot();
  for (const [method, p] of routes) {
    for (const [body, status] of bodies) {
      const r = await http(p, { method, headers: { 'Content-Type': 'application/json', ...bearer(s.access_token) }, body });
      assert.ok(isProblem(r, status), `${method} ${p} ${body.slice(0, 30)} → ${r.status} ${r.text.slice(0, 120)}`);
    }
    const big = await http(p, { method, headers: { 'Content-Type': 'application/json', ...bearer(s.access_token) }, body: `{"email":"${'x'.repeat(1100000)}"}` });
    assert.ok(isProblem(big, 413), `${p} 1.1 MB → ${big.status}`);
  }
  assert.equal(snapshot(), before);
});
