// login-timing.test.mjs -- a sign-in with an unknown email costs what a
// wrong password costs (DESIGN §7: no account enumeration by timing).
// Runs on its own stack with a noticeable argon2id cost (run-all.sh sets
// PASSWORD_HASH_MEMLIMIT_KIB=16384), so a path that skipped the hash would
// answer several times faster and fail the comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { run, TOP, BINDIR } from '../lib/stack.mjs';

const post = async (body) => {
  const t0 = process.hrtime.bigint();
  const r = await fetch(`${process.env.BASE_URL}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  await r.text();
  return { status: r.status, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
};
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

test('unknown email and wrong password take the same time', async () => {
  assert.ok(Number(process.env.PASSWORD_HASH_MEMLIMIT_KIB) >= 16384, 'a measurable hashing cost');
  const N = 9, known = [], unknown = [], wrong = [];
  for (let i = 0; i < N; i++) {
    const email = `timing${Date.now()}-${i}@test.example.edu`;
    const r = run(path.join(BINDIR, 'scholarshipctl'), ['user-add', '--email', email, '--name', 'T', '--role', 'student'],
      { cwd: TOP, input: 'the-right-password\n' });
    assert.equal(r.status, 0, r.stderr);
    known.push(email);
  }
  for (let i = 0; i < N; i++) { // interleaved, so load drifts hit both alike
    const w = await post({ email: known[i], password: 'a-wrong-password' });
    const u = await post({ email: `nobody${Date.now()}-${i}@test.example.edu`, password: 'a-wrong-password' });
    assert.equal(w.status, 401);
    assert.equal(u.status, 401);
    wrong.push(w.ms);
    unknown.push(u.ms);
  }
  const ratio = median(unknown) / median(wrong);
  assert.ok(median(wrong) > 5, `a wrong password costs a hash (${median(wrong).toFixed(1)} ms)`);
  assert.ok(ratio > 0.6 && ratio < 1.6,
    `unknown ${median(unknown).toFixed(1)} ms vs wrong ${median(wrong).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`);
});
