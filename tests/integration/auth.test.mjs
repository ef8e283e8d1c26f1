// auth.test.mjs -- sign-in and sessions against the real stack: login,
// the user object, refresh rotation and reuse detection, logout and the
// denylist, sign out everywhere, forged tokens of every kind, deactivation
// and role changes taking effect at once, the failed-login limit, Redis
// going away, and hostile bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { http, isProblem, psql, run, metrics, sleep, stackCmd, until, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'correct-horse-battery';
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const post = (p, body, headers = {}) => http(p, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const bearer = (t) => ({ Authorization: `Bearer ${t}` });
const me = (t) => http('/api/v1/auth/me', { headers: bearer(t) });

let n = 0;
function user(role = 'student', extra = []) {
  const email = `u${Date.now()}-${n++}@test.example.edu`;
  const r = ctl(['user-add', '--email', email, '--name', 'Test User', '--role', role, ...extra], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  return email;
}
const login = (email, password = PW) => post('/api/v1/auth/login', { email, password });

// -- forging helpers --------------------------------------------------------
const b64u = (b) => Buffer.from(b).toString('base64url');
function sign(header, payload, key = process.env.SECRET_KEY, algo = 'sha256') {
  const h = b64u(JSON.stringify(header)), p = b64u(JSON.stringify(payload));
  const s = crypto.createHmac(algo, key).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${s}`;
}
const claimsOf = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());

test('login answers tokens, the user and an HttpOnly refresh cookie', async () => {
  const email = user();
  const r = await login(email);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.token_type, 'bearer');
  assert.equal(r.json.expires_in, 1800);
  assert.match(r.json.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(r.json.user.email, email);
  assert.equal(r.json.user.role, 'student');
  assert.deepEqual(Object.keys(r.json.user).sort(), ['active', 'college_code', 'created_at', 'email',
    'email_verified', 'full_name', 'id', 'locale', 'phone', 'role']);
  assert.equal('password_hash' in r.json.user, false);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^refresh_token=[A-Za-z0-9_-]{43}; Path=\/api\/v1\/auth; HttpOnly; SameSite=Strict; Max-Age=604800/);
  const c = claimsOf(r.json.access_token);
  assert.equal(c.typ, 'access');
  assert.equal(c.sub, r.json.user.id);
  assert.ok(c.exp - c.iat === 1800);
  const m = await me(r.json.access_token);
  assert.equal(m.status, 200);
  assert.deepEqual(m.json, r.json.user);
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND actor_id = '${r.json.user.id}'`).stdout.trim(), '1');
});

test('an unknown email and a wrong password get the same 401', async () => {
  const email = user();
  const wrong = await login(email, 'not-the-password');
  const unknown = await login(`nobody-${Date.now()}@test.example.edu`, PW);
  for (const r of [wrong, unknown]) {
    assert.ok(isProblem(r, 401), r.text);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  }
  assert.equal(wrong.json.detail, unknown.json.detail);
  assert.equal(psql("SELECT count(*) > 0 FROM audit_log WHERE action = 'auth.login_failed'").stdout.trim(), 't');
});

test('an unverified account gets 403 only after the right password', async () => {
  const email = user('student', ['--unverified']);
  assert.ok(isProblem(await login(email, 'wrong-password-here'), 401));
  const r = await login(email);
  assert.ok(isProblem(r, 403));
  assert.match(r.json.detail, /verify your email/);
});

test('protected routes need a token: 401 with WWW-Authenticate', async () => {
  for (const headers of [{}, { Authorization: 'Basic abc' }, { Authorization: 'Bearer' }, bearer('x.y.z'), bearer('a'.repeat(5000))]) {
    const r = await http('/api/v1/auth/me', { headers });
    assert.ok(isProblem(r, 401), `${JSON.stringify(headers).slice(0, 40)} → ${r.status}`);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  }
});

test('forged and expired tokens are refused', async () => {
  const r = await login(user());
  const good = r.json.access_token;
  const c = claimsOf(good);
  const now = Math.floor(Date.now() / 1000);
  const [h, p] = good.split('.');
  const forged = {
    'alg none': `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.`,
    'HS512 with the same secret': sign({ alg: 'HS512', typ: 'JWT' }, c, process.env.SECRET_KEY, 'sha512'),
    'another key': sign({ alg: 'HS256', typ: 'JWT' }, c, 'another-key-another-key-another-key!'),
    'tampered payload': `${h}.${b64u(JSON.stringify({ ...c, role: 'super_admin' }))}.${good.split('.')[2]}`,
    'expired': sign({ alg: 'HS256', typ: 'JWT' }, { ...c, exp: now - 1 }),
    'future iat': sign({ alg: 'HS256', typ: 'JWT' }, { ...c, iat: now + 3600, iat_ms: (now + 3600) * 1000 }),
    'typ refresh': sign({ alg: 'HS256', typ: 'JWT' }, { ...c, typ: 'refresh' }),
    'no typ': sign({ alg: 'HS256', typ: 'JWT' }, { ...c, typ: undefined }),
    'no exp': sign({ alg: 'HS256', typ: 'JWT' }, { ...c, exp: undefined }),
    'unknown user': sign({ alg: 'HS256', typ: 'JWT' }, { ...c, sub: crypto.randomUUID() }),
    'refresh token as access': r.json.refresh_token,
    'extra segment': `${good}.x`,
  };
  assert.equal((await me(sign({ alg: 'HS256', typ: 'JWT' }, c))).status, 200, 'the forging helper is right');
  for (const [what, tok] of Object.entries(forged)) {
    const a = await me(tok);
    assert.ok(isProblem(a, 401), `${what} → ${a.status}`);
  }
});

const GRACE = Number(process.env.REFRESH_REUSE_GRACE_SECONDS ?? 10);

test('a used refresh token presented again within the grace window still rotates', async () => {
  assert.ok(GRACE >= 1 && GRACE <= 2, 'run-all.sh sets REFRESH_REUSE_GRACE_SECONDS=1');
  const r = await login(user());
  const first = r.json.refresh_token;
  const a = await post('/api/v1/auth/refresh', { refresh_token: first });
  const b = await post('/api/v1/auth/refresh', { refresh_token: first });
  assert.equal(a.status, 200);
  assert.equal(b.status, 200, 'a page left mid-refresh does not lose the session');
  assert.notEqual(a.json.refresh_token, b.json.refresh_token);
  assert.equal((await post('/api/v1/auth/refresh', { refresh_token: a.json.refresh_token })).status, 200);
});

test('refresh rotates; reusing a used refresh token revokes the whole family', async () => {
  const r = await login(user());
  const first = r.json.refresh_token;
  const r2 = await post('/api/v1/auth/refresh', { refresh_token: first });
  assert.equal(r2.status, 200, r2.text);
  assert.notEqual(r2.json.refresh_token, first);
  assert.equal((await me(r2.json.access_token)).status, 200);
  await sleep(GRACE * 1000 + 300);
  const reuse = await post('/api/v1/auth/refresh', { refresh_token: first });
  assert.ok(isProblem(reuse, 401));
  const second = await post('/api/v1/auth/refresh', { refresh_token: r2.json.refresh_token });
  assert.ok(isProblem(second, 401), 'the successor died with its family');
  assert.ok(isProblem(await post('/api/v1/auth/refresh', { refresh_token: 'x'.repeat(43) }), 401));
});

test('refresh reads the HttpOnly cookie when the body has no token', async () => {
  const r = await login(user());
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const r2 = await http('/api/v1/auth/refresh', { method: 'POST', headers: { Cookie: cookie } });
  assert.equal(r2.status, 200, r2.text);
  assert.ok(isProblem(await http('/api/v1/auth/refresh', { method: 'POST' }), 401));
});

test('logout denies the access token and revokes the refresh token', async () => {
  const r = await login(user());
  const out = await post('/api/v1/auth/logout', { refresh_token: r.json.refresh_token }, bearer(r.json.access_token));
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie'), /refresh_token=; .*Max-Age=0/);
  assert.ok(isProblem(await me(r.json.access_token), 401));
  assert.ok(isProblem(await post('/api/v1/auth/refresh', { refresh_token: r.json.refresh_token }), 401));
});

test('sign out everywhere ends every session at once; a new sign-in works', async () => {
  const email = user();
  const a = await login(email), b = await login(email);
  const out = await http('/api/v1/auth/me/sessions/revoke', { method: 'POST', headers: bearer(a.json.access_token) });
  assert.equal(out.status, 204);
  assert.ok(isProblem(await me(a.json.access_token), 401));
  assert.ok(isProblem(await me(b.json.access_token), 401), 'the other session too');
  assert.ok(isProblem(await post('/api/v1/auth/refresh', { refresh_token: b.json.refresh_token }), 401));
  const c = await login(email);
  assert.equal((await me(c.json.access_token)).status, 200);
});

test('deactivation and role changes take effect on the next request', async () => {
  const email = user();
  const r = await login(email);
  psql(`UPDATE users SET role = 'reviewer' WHERE email = '${email}'`);
  assert.equal((await me(r.json.access_token)).json.role, 'reviewer');
  psql(`UPDATE users SET active = false WHERE email = '${email}'`);
  assert.ok(isProblem(await me(r.json.access_token), 401));
  assert.ok(isProblem(await post('/api/v1/auth/refresh', { refresh_token: r.json.refresh_token }), 401));
  const again = await login(email);
  assert.ok(isProblem(again, 403));
  assert.match(again.json.detail, /deactivated/);
});

test('five failed logins for an email: the sixth attempt is 429 with Retry-After', async () => {
  const email = user();
  for (let i = 0; i < 5; i++) assert.equal((await login(email, `wrong-${i}-password`)).status, 401);
  const r = await login(email);
  assert.ok(isProblem(r, 429), `${r.status}`);
  const after = Number(r.headers.get('retry-after'));
  assert.ok(after > 0 && after <= 900, `Retry-After ${after}`);
  const other = await login(user());
  assert.equal(other.status, 200, 'the limit is per email');
});

test('hostile login bodies get 400/422 and change nothing', async () => {
  const before = psql('SELECT count(*) FROM audit_log').stdout.trim();
  const cases = [
    ['{"email":', 400], ['[]', 422], ['{"email":1,"password":true}', 422], ['{}', 422],
    [JSON.stringify({ email: 'a@b.c', password: 'x', admin: true }), 422],
    [JSON.stringify({ email: 'x'.repeat(100000), password: 'y' }), 422],
    ['{"email":"a\\u0000@b.c","password":"xxxxxxxxxxxx"}', 400],
  ];
  for (const [body, status] of cases) {
    const r = await post('/api/v1/auth/login', body);
    assert.ok(isProblem(r, status), `${body.slice(0, 40)} → ${r.status} ${r.text.slice(0, 200)}`);
  }
  const wrongTypes = await post('/api/v1/auth/login', '{"email":1,"password":true}');
  assert.deepEqual(wrongTypes.json.errors.map((e) => e.field).sort(), ['email', 'password']);
  assert.equal(psql('SELECT count(*) FROM audit_log').stdout.trim(), before);
  const sqlish = await login("' OR 1=1; --@x.y", "' OR '1'='1");
  assert.ok(isProblem(sqlish, 401));
  assert.equal((await http('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' })).status, 415);
});

test('Redis down: sign-in answers 503, signed-in users keep working (fail open)', async () => {
  const r = await login(user());
  stackCmd('stop-redis');
  try {
    const l = await login(user());
    assert.ok(isProblem(l, 503), `${l.status}`);
    assert.ok(l.headers.get('retry-after'));
    assert.equal((await me(r.json.access_token)).status, 200);
    assert.ok((await metrics()).scholarship_redis_fail_open_total > 0);
  } finally { stackCmd('start-redis'); }
  assert.ok(await until(async () => (await login(user())).status === 200, 8000));
});

test('scholarshipctl mint-token gives a working token and refuses production', () => {
  const email = user('admin');
  const t = ctl(['mint-token', '--email', email]);
  assert.equal(t.status, 0, t.stderr);
  const prod = run(path.join(BINDIR, 'scholarshipctl'), ['mint-token', '--email', email],
    { cwd: TOP, env: { ...process.env, ENVIRONMENT: 'production' } });
  assert.notEqual(prod.status, 0);
  return me(t.stdout.trim()).then((m) => assert.equal(m.json.role, 'admin'));
});

test('a password hashed at another cost is rehashed at the configured cost on sign-in', async () => {
  const email = user();
  // The demo accounts' hash: libsodium's interactive cost (m=65536, t=2).
  const demo = '$argon2id$v=19$m=65536,t=2,p=1$P5L8c/0HCEN8pY06qFZLvQ$ZATW3XdoUY5KY0NMSQTCXvWQ/L6cYkTfyOb0eWsxIGY';
  psql(`UPDATE users SET password_hash = '${demo}' WHERE email = '${email}'`);
  assert.equal((await login(email, 'demo-password-2026')).status, 200);
  const hash = psql(`SELECT password_hash FROM users WHERE email = '${email}'`).stdout.trim();
  const kib = Number(process.env.PASSWORD_HASH_MEMLIMIT_KIB);
  assert.match(hash, new RegExp(`^\\$argon2id\\$v=19\\$m=${kib},t=${process.env.PASSWORD_HASH_OPSLIMIT},`));
  assert.equal((await login(email, 'demo-password-2026')).status, 200, 'the new hash verifies');
});

