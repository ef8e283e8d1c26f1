// roles.test.mjs -- the route × role table (DESIGN §7): every route of
// the running build is called without a token and with a token of every
// role. A protected route answers 401 without a token; a role the route
// does not list gets 403; a listed role is let through to the handler
// (anything but 401/403). {id} segments get a random UUID, bodies are
// "{}" for JSON routes. The table comes from `scholarship-api --routes`,
// so a new route is covered the day it is added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { http, isProblem, run, TOP, BINDIR } from '../lib/stack.mjs';

const ROLES = ['student', 'reviewer', 'college', 'admin', 'super_admin'];
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const routes = run(path.join(BINDIR, 'scholarship-api'), ['--routes']).stdout.trim().split('\n')
  .map((l) => l.split(' ')).map(([method, pattern, roles]) => ({ method, pattern, roles: roles.split(',') }))
  .filter((r) => !r.pattern.startsWith('/api/v1/_test/'));

/* Public routes that check a credential of their own (a refresh token). */
const OWN_CREDENTIAL = new Set(['POST /api/v1/auth/refresh']);

const emails = {};
for (const role of ROLES) {
  emails[role] = `roles-${role}-${Date.now()}@test.example.edu`;
  const r = ctl(['user-add', '--email', emails[role], '--name', `Role ${role}`, '--role', role], 'a-long-password-1\n');
  assert.equal(r.status, 0, r.stderr);
}
/* A fresh token per call: some routes end the session (logout, revoke). */
const tokenFor = (role) => ctl(['mint-token', '--email', emails[role]]).stdout.trim();

function call(route, token) {
  const p = route.pattern.replace(/\{[a-z_]+\}/g, () => crypto.randomUUID());
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const opts = { method: route.method, headers };
  if (!['GET', 'DELETE'].includes(route.method)) {
    headers['Content-Type'] = 'application/json';
    opts.body = '{}';
  }
  return http(p, opts);
}

test('the route table is walked', () => {
  assert.ok(routes.length >= 20, `${routes.length} routes`);
  assert.ok(routes.some((r) => r.roles[0] !== 'public'), 'some routes are protected');
});

for (const route of routes) {
  test(`${route.method} ${route.pattern} (${route.roles.join(',')})`, async () => {
    const anon = await call(route);
    if (route.roles[0] === 'public') {
      if (!OWN_CREDENTIAL.has(`${route.method} ${route.pattern}`))
        assert.notEqual(anon.status, 401, 'public routes need no token');
      assert.notEqual(anon.status, 403);
      return;
    }
    assert.ok(isProblem(anon, 401), `no token → ${anon.status}`);
    assert.equal(anon.headers.get('www-authenticate'), 'Bearer');
    for (const role of ROLES) {
      const r = await call(route, tokenFor(role));
      if (route.roles.includes(role)) {
        assert.ok(![401, 403].includes(r.status), `${role} is listed but got ${r.status} ${r.text.slice(0, 120)}`);
        assert.ok(r.status < 500, `${role} → ${r.status} ${r.text.slice(0, 120)}`);
      } else {
        assert.ok(isProblem(r, 403), `${role} is not listed but got ${r.status}`);
      }
    }
  });
}
