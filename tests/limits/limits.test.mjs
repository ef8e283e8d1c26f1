// limits.test.mjs -- every rate limit of DESIGN §7 and its Retry-After,
// against a stack started with small limits (tests/run-all.sh sets
// RATE_LIMIT_LOGIN_IP=6, RATE_LIMIT_REGISTER_IP=3, RATE_LIMIT_EMAIL_IP=2,
// RATE_LIMIT_REFRESH_IP=3). The failed-logins-per-email limit is tested
// with the others in tests/integration/auth.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, run, stackCmd, TOP, BINDIR } from '../lib/stack.mjs';

const post = (p, body) => http(p, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
});
const limit = (name) => Number(process.env[name]);
let n = 0;
const email = () => `limits${Date.now()}-${n++}@test.example.edu`;

/** Hit `fn` limit times (all allowed), then once more: 429 with Retry-After ≤ window. */
async function exhaust(fn, count, window) {
  for (let i = 0; i < count; i++) {
    const r = await fn();
    assert.notEqual(r.status, 429, `attempt ${i + 1} of ${count} was limited`);
  }
  const over = await fn();
  assert.ok(isProblem(over, 429), `attempt ${count + 1} → ${over.status}`);
  const after = Number(over.headers.get('retry-after'));
  assert.ok(after >= 1 && after <= window, `Retry-After ${after}`);
}

test('the stack runs with small limits', () => {
  for (const v of ['RATE_LIMIT_LOGIN_IP', 'RATE_LIMIT_REGISTER_IP', 'RATE_LIMIT_EMAIL_IP', 'RATE_LIMIT_REFRESH_IP'])
    assert.ok(limit(v) > 0 && limit(v) < 10, `${v}=${process.env[v]}`);
});

test('registration is limited to ALLOWED_EMAIL_DOMAINS when set', async () => {
  assert.equal(process.env.ALLOWED_EMAIL_DOMAINS, 'test.example.edu');
  const r = await post('/api/v1/auth/register', { email: 'someone@elsewhere.example.com', password: 'long-enough-pw', full_name: 'R' });
  assert.ok(isProblem(r, 422));
  assert.equal(r.json.errors[0].field, 'email');
});

test('registrations per address', async () => {
  await exhaust(() => post('/api/v1/auth/register', { email: email(), password: 'long-enough-pw', full_name: 'R' }),
    limit('RATE_LIMIT_REGISTER_IP'), 3600);
});

test('verification re-sends and reset mails per address', async () => {
  await exhaust(() => post('/api/v1/auth/password/forgot', { email: email() }), limit('RATE_LIMIT_EMAIL_IP'), 3600);
  const again = await post('/api/v1/auth/verify-email/resend', { email: email() });
  assert.ok(isProblem(again, 429), 'resend shares the mail budget');
});

test('refreshes per address', async () => {
  await exhaust(() => post('/api/v1/auth/refresh', { refresh_token: 'x'.repeat(43) }), limit('RATE_LIMIT_REFRESH_IP'), 60);
});

test('sign-ins per address', async () => {
  await exhaust(() => post('/api/v1/auth/login', { email: email(), password: 'whatever-password' }), limit('RATE_LIMIT_LOGIN_IP'), 60);
});

test('Redis down: limits fail open, token endpoints answer 503', async () => {
  stackCmd('stop-redis');
  try {
    const reg = await post('/api/v1/auth/register', { email: email(), password: 'long-enough-pw', full_name: 'R' });
    assert.equal(reg.status, 202, 'registration still works (limit skipped)');
    const login = await post('/api/v1/auth/login', { email: email(), password: 'whatever-password' });
    assert.ok(isProblem(login, 401) || isProblem(login, 503), `${login.status}`);
    const u = `limits-ok-${Date.now()}@test.example.edu`;
    run(path.join(BINDIR, 'scholarshipctl'), ['user-add', '--email', u, '--name', 'U', '--role', 'student'], { cwd: TOP, input: 'long-enough-pw\n' });
    const good = await post('/api/v1/auth/login', { email: u, password: 'long-enough-pw' });
    assert.ok(isProblem(good, 503), `a correct sign-in cannot store its refresh token: ${good.status}`);
  } finally { stackCmd('start-redis'); }
});
