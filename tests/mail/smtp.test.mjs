// smtp.test.mjs -- mail delivery by SMTP end to end (tests/mail/run.sh):
// the stack's scholarship-worker sends the outbox to a relay this file
// starts itself (tests/lib/smtp-sink.mjs on SMTP_SINK_PORT, with AUTH),
// which can go down and come back, and refuse chosen recipients. Covered:
// the message on the wire (multipart/alternative, UTF-8 subject, Message-ID,
// Date, 7bit-clean), one connection for many mails, retries with backoff
// and jitter until MAIL_MAX_ATTEMPTS (3 here, 1 s base), 'failed' with the
// relay's reply, two workers never sending a mail twice, the email test
// mode, header and SMTP-command injection attempts, and /metrics (also
// while PostgreSQL is down).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DIR, BINDIR, alive, http, metrics, psql, run, stackCmd, until, sleep } from '../lib/stack.mjs';
import { startSink } from '../lib/smtp-sink.mjs';

const PORT = Number(process.env.SMTP_SINK_PORT);
const AUTH = { user: process.env.SMTP_USERNAME, pass: process.env.SMTP_PASSWORD };
const FROM_ADDR = 'scholarships@uni.example.edu';
const WORKER = path.join(BINDIR, 'scholarship-worker');
const refuse = new Map(); // recipient -> SMTP code (or a function returning one)
let sink;
let metrics0;

const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** Queue a mail as the app role; returns its id. */
function enqueue({ id = randomUUID(), to = 'student@uni.example.edu', subject = 'Hello', text = 'Body', html = null } = {}) {
  const r = psql(`INSERT INTO mail_outbox (id, to_address, subject, body_text, body_html)
    VALUES (${lit(id)}, ${lit(to)}, ${lit(subject)}, ${lit(text)}, ${html === null ? 'NULL' : lit(html)}) RETURNING id`,
  'scholarship_app');
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const row = (id) => {
  const r = psql(`SELECT status, attempts, coalesce(last_error, ''), coalesce(array_to_string(redirected_to, ','), '')
    FROM mail_outbox WHERE id = ${lit(id)}`);
  const [status, attempts, lastError, redirected] = r.stdout.trim().split('|');
  return { status, attempts: Number(attempts), lastError, redirected };
};

const mid = (id) => `<${id}@uni.example.edu>`;
const delivered = (id) => sink.messages.filter((m) => m.messageId === mid(id));
const waitMail = async (id, ms = 10000) => {
  const ok = await sink.waitFor(() => delivered(id).length > 0, ms);
  assert.ok(ok, `no message ${id} at the relay after ${ms} ms: ${JSON.stringify(row(id))}`);
  return delivered(id)[0];
};

const parseLines = (text) => text.split('\n').filter(Boolean)
  .map((l) => { try { return JSON.parse(l); } catch { return { unparsed: l }; } });
const workerLogText = () => readFileSync(path.join(DIR, 'worker.log'), 'utf8');
const workerLog = () => parseLines(workerLogText());

/** Start one more worker; resolves on exit. */
function startWorker(extra = {}) {
  const child = spawn(WORKER, [], { env: { ...process.env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited, stderr: () => stderr };
}

/** Stop the stack's worker (it flushes and exits 0); resolves when it is gone. */
async function stopStackWorker() {
  const pid = Number(readFileSync(path.join(DIR, 'run/worker.pid'), 'utf8'));
  process.kill(pid, 'SIGTERM');
  assert.ok(await until(() => !alive(pid), 15000), 'the stack worker stopped');
}

/** Start the stack's worker again as tests/stack.sh does (its log, its pid file). */
function restartStackWorker() {
  const fd = openSync(path.join(DIR, 'worker.log'), 'a');
  const child = spawn(WORKER, [], { env: process.env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  writeFileSync(path.join(DIR, 'run/worker.pid'), `${child.pid}\n`);
}

function setTestMode(addresses, expires = "now() + interval '1 hour'") {
  const arr = `ARRAY[${addresses.map(lit).join(',')}]::text[]`;
  const r = psql(`UPDATE mail_test_mode SET addresses = ${addresses.length ? arr : "'{}'"}, expires_at = ${expires}`);
  assert.equal(r.status, 0, r.stderr);
}

const sinkOptions = () => ({
  port: PORT,
  auth: AUTH.user ? AUTH : null,
  reject: (rcpt) => {
    const c = refuse.get(rcpt);
    return typeof c === 'function' ? c() : c || null;
  },
});

before(async () => {
  assert.ok(PORT > 0, 'SMTP_SINK_PORT is set (run through tests/mail/run.sh)');
  sink = await startSink(sinkOptions());
  metrics0 = await metrics();
});

after(async () => {
  setTestMode([], 'NULL');
  if (sink) await sink.close();
});

test('a mail goes out by SMTP: multipart/alternative, UTF-8 subject, Message-ID, Date', async () => {
  const subject = '獎學金申請已收到：請確認您的電子郵件地址 — Application received ✓';
  const html = '<p>您好，<b>王小明</b>：</p><p>Your application <a href="https://x.example/a">APP-2026-1-00042</a> was received.</p>';
  const id = enqueue({ to: 'wang@uni.example.edu', subject, text: '您好，王小明：\n您的申請已收到。\nYour application was received.', html });
  const m = await waitMail(id);
  assert.deepEqual(m.envelope, { from: FROM_ADDR, to: ['wang@uni.example.edu'] });
  assert.equal(m.subject, subject);
  assert.equal(m.headers.get('content-type').value, 'multipart/alternative');
  assert.equal(m.text.trim(), '您好，王小明：\n您的申請已收到。\nYour application was received.');
  assert.equal(m.html.trim(), html);
  assert.equal(m.messageId, mid(id));
  assert.ok(m.date instanceof Date && Math.abs(m.date - Date.now()) < 120000, `Date: ${m.date}`);
  assert.equal(m.headers.get('from').value[0].address, FROM_ADDR);
  assert.equal(m.headers.get('from').value[0].name, 'Scholarship Office 獎學金');
  assert.equal(m.headers.get('to').value[0].address, 'wang@uni.example.edu');
  assert.equal(m.headers.get('auto-submitted'), 'auto-generated');
  assert.equal(m.headers.has('x-original-to'), false);
  // No BODY=8BITMIME from libcurl: what goes on the wire is 7-bit clean.
  assert.ok(/^[\x00-\x7f]*$/.test(m.raw), 'only ASCII on the wire');
  assert.ok(await until(() => row(id).status === 'sent', 3000));
  assert.deepEqual(row(id), { status: 'sent', attempts: 1, lastError: '', redirected: '' });
  const line = await until(() => workerLog().find((l) => l.msg === 'mail' && l.id === id), 3000);
  assert.equal(line.status, 'sent');
  assert.equal(line.test_mode, 'off');
});

test('AUTH with SMTP_USERNAME and SMTP_PASSWORD; the password is never logged', { skip: !AUTH.user }, async () => {
  assert.ok(sink.logins.includes(AUTH.user), `the relay saw AUTH as ${AUTH.user}`);
  const log = workerLogText();
  assert.equal(log.includes(AUTH.pass), false, 'password in worker.log');
  assert.equal(log.includes(Buffer.from(`\0${AUTH.user}\0${AUTH.pass}`).toString('base64')), false);
});

test('--test-mail reaches the relay', async () => {
  const r = run(WORKER, ['--test-mail', 'ops@uni.example.edu'], { timeout: 10000 });
  assert.equal(r.status, 0, r.stderr);
  const m = await waitMail(r.stdout.trim());
  assert.equal(m.subject, 'Scholarship system test mail / 獎學金系統測試郵件');
  assert.match(m.text, /這是獎學金系統的測試郵件/);
  assert.equal(r.stderr.includes(AUTH.pass || '\u0000none'), false);
});

test('a burst goes over one kept connection', async () => {
  const c0 = sink.connections();
  const r = psql(`INSERT INTO mail_outbox (to_address, subject, body_text)
    SELECT 'burst' || g || '@uni.example.edu', 'Burst ' || g, 'Body ' || g
    FROM generate_series(1, 30) g RETURNING id`, 'scholarship_app');
  assert.equal(r.status, 0, r.stderr);
  const ids = r.stdout.trim().split('\n');
  assert.ok(await sink.waitFor(() => ids.every((id) => delivered(id).length === 1), 20000), 'all 30 delivered');
  assert.ok(sink.connections() - c0 <= 2, `${sink.connections() - c0} connections for 30 mails`);
});

test('relay down, then up: the mail is retried and delivered exactly once', async () => {
  await sink.close(); // drops the kept connection too
  let id;
  try {
    id = enqueue({ to: 'outage@uni.example.edu', subject: 'During the outage' });
    const r = await until(() => row(id).attempts === 1 && row(id).status === 'pending' && row(id), 5000, 20);
    assert.ok(r, `row: ${JSON.stringify(row(id))}`);
    assert.match(r.lastError, /connect|refused/i);
  } finally {
    sink = await startSink(sinkOptions());
  }
  const m = await waitMail(id, 10000);
  assert.equal(m.subject, 'During the outage');
  assert.ok(await until(() => row(id).status === 'sent', 3000));
  const r = row(id);
  assert.equal(r.attempts, 2, JSON.stringify(r));
  assert.equal(r.lastError, '');
  await sleep(1500); // a second delivery would come within a retry delay
  assert.equal(delivered(id).length, 1, 'delivered once');
});

test('a permanent 550 is retried with backoff, then failed with the reply in last_error', async () => {
  const to = 'gone@uni.example.edu';
  refuse.set(to, 550);
  try {
    const id = enqueue({ to, subject: 'To nobody' });
    const r = await until(() => row(id).status === 'failed' && row(id), 20000, 50);
    assert.ok(r, `row: ${JSON.stringify(row(id))}`);
    assert.equal(r.attempts, 3, 'MAIL_MAX_ATTEMPTS attempts');
    assert.match(r.lastError, /^550 5\.1\.1 mailbox unavailable/);
    assert.equal(delivered(id).length, 0);
    const tries = sink.refused.filter((x) => x.to === to).map((x) => x.at);
    assert.equal(tries.length, 3);
    // Backoff 1 s then 2 s, each plus up to 25 % jitter (and the 1 s tick).
    const gaps = [tries[1] - tries[0], tries[2] - tries[1]];
    assert.ok(gaps[0] >= 950 && gaps[0] < 1250 + 1600, `first gap ${gaps[0]} ms`);
    assert.ok(gaps[1] >= 1950 && gaps[1] < 2500 + 1600, `second gap ${gaps[1]} ms`);
    const lines = workerLog().filter((l) => l.msg === 'mail' && l.id === id);
    assert.deepEqual(lines.map((l) => l.status), ['retry', 'retry', 'failed']);
    assert.match(lines[2].error, /^550 /);
  } finally {
    refuse.delete(to);
  }
});

test('a 4xx is transient: delivered once the relay accepts', async () => {
  const to = 'busy@uni.example.edu';
  let n = 0;
  refuse.set(to, () => (n++ === 0 ? 450 : null));
  try {
    const id = enqueue({ to, subject: 'Busy mailbox' });
    await waitMail(id, 10000);
    assert.ok(await until(() => row(id).status === 'sent', 3000));
    assert.equal(row(id).attempts, 2);
  } finally {
    refuse.delete(to);
  }
});

test('two workers never send the same mail: 500 messages, each exactly once', async () => {
  const w = startWorker({ LOG_LEVEL: 'info' });
  let ids;
  try {
    await until(() => /listening on mail_outbox/.test(w.stderr()), 10000);
    const r = psql(`INSERT INTO mail_outbox (to_address, subject, body_text)
      SELECT 'pair' || g || '@uni.example.edu', 'Pair ' || g, 'Body ' || g
      FROM generate_series(1, 500) g RETURNING id`, 'scholarship_app');
    assert.equal(r.status, 0, r.stderr);
    ids = r.stdout.trim().split('\n');
    assert.equal(ids.length, 500);
    const want = new Set(ids.map(mid));
    const all = await sink.waitFor((msgs) => msgs.filter((m) => want.has(m.messageId)).length >= 500, 120000);
    assert.ok(all, `${sink.messages.filter((m) => want.has(m.messageId)).length} of 500 delivered`);
    await sleep(1000); // let a duplicate, if any, arrive
  } finally {
    w.child.kill('SIGTERM');
  }
  const e = await w.exited;
  assert.deepEqual([e.code, e.signal], [0, null], e.stderr.slice(-2000));
  assert.match(e.stderr, /worker: stopped/);
  const counts = new Map();
  const want = new Set(ids.map(mid));
  for (const m of sink.messages) if (want.has(m.messageId)) counts.set(m.messageId, (counts.get(m.messageId) || 0) + 1);
  assert.equal(counts.size, 500);
  assert.deepEqual([...counts.values()].filter((c) => c !== 1), [], 'a message arrived twice');
  const idSet = new Set(ids);
  const sentBy = (lines) => new Set(lines.filter((l) => l.msg === 'mail' && l.status === 'sent' && idSet.has(l.id)).map((l) => l.id));
  const mine = sentBy(parseLines(e.stderr));
  const stacks = sentBy(workerLog());
  assert.ok(mine.size > 0 && stacks.size > 0, `both workers sent: extra ${mine.size}, stack's ${stacks.size}`);
  assert.equal(mine.size + stacks.size, 500);
  assert.equal([...mine].filter((id) => stacks.has(id)).length, 0);
  assert.equal(psql(`SELECT count(*) FILTER (WHERE status = 'sent' AND attempts = 1) FROM mail_outbox
    WHERE id IN (${ids.map(lit).join(',')})`).stdout.trim(), '500');
});

test('the email test mode sends every mail to the test addresses, marked', async () => {
  const qa = ['qa1@test.example.edu', 'qa2@test.example.edu'];
  setTestMode(qa);
  let ids;
  try {
    ids = [
      enqueue({ to: 'alice@uni.example.edu', subject: 'Result decided' }),
      enqueue({ to: 'bob@uni.example.edu', subject: '審查結果通知', html: '<p>結果</p>' }),
      enqueue({ to: 'carol@uni.example.edu', subject: 'Award offered' }),
    ];
    const want = { [ids[0]]: ['alice@uni.example.edu', 'Result decided'], [ids[1]]: ['bob@uni.example.edu', '審查結果通知'],
      [ids[2]]: ['carol@uni.example.edu', 'Award offered'] };
    for (const id of ids) {
      const m = await waitMail(id);
      const [orig, subject] = want[id];
      assert.deepEqual(m.envelope.to, qa, 'delivered to the test addresses only');
      assert.deepEqual(m.headers.get('to').value.map((a) => a.address), qa);
      assert.equal(m.headers.get('x-original-to'), orig);
      assert.equal(m.headers.get('x-test-mode'), 'on');
      assert.equal(m.subject, `[TEST] ${subject}`);
      assert.ok(await until(() => row(id).status === 'sent', 3000));
      assert.equal(row(id).redirected, qa.join(','));
    }
    for (const orig of ['alice@uni.example.edu', 'bob@uni.example.edu', 'carol@uni.example.edu'])
      assert.equal(sink.messages.some((m) => m.envelope.to.includes(orig)), false, `${orig} got mail`);
    // An expired test mode is off.
    setTestMode(qa, "now() - interval '1 second'");
    const id = enqueue({ to: 'dave@uni.example.edu', subject: 'After expiry' });
    const m = await waitMail(id);
    assert.deepEqual(m.envelope.to, ['dave@uni.example.edu']);
  } finally {
    setTestMode([], 'NULL');
  }
  const id = enqueue({ to: 'erin@uni.example.edu', subject: 'Back to normal' });
  const m = await waitMail(id);
  assert.deepEqual(m.envelope.to, ['erin@uni.example.edu']);
  assert.equal(m.subject, 'Back to normal');
  assert.equal(m.headers.has('x-original-to'), false);
  assert.equal(m.headers.has('x-test-mode'), false);
  assert.ok(await until(() => row(id).status === 'sent', 3000));
  assert.equal(row(id).redirected, '');
});

test('hostile text cannot add headers, recipients or a second message', async () => {
  const sneaky = 'Hi =?UTF-8?B?DQpCY2M6IGV2aWxAeC5leGFtcGxl?= <script>alert(1)</script> Bcc: evil@x.example';
  const smuggle = 'Hello\r\n.\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@x.example>\r\nDATA\r\n'
    + 'Subject: smuggled\r\n\r\nowned\r\n.\r\n'
    + 'bare LF\n.\nMAIL FROM:<evil@x.example>\n'
    + 'CR LF then LF\r\n.\nRCPT TO:<victim@x.example>\n'
    + '.leading dot\r\n..two dots\r\nend';
  // The id is chosen here so that the HTML can carry the real MIME boundary.
  const id = randomUUID();
  const html = `<p>x</p>\r\n--=_${id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfake part\r\n--=_${id}--\r\n</html>`;
  enqueue({ id, to: 'target@uni.example.edu', subject: sneaky, text: smuggle, html });
  const m = await waitMail(id);
  await sleep(1000);
  assert.equal(m.subject, sneaky, 'the subject arrives as the literal text');
  assert.equal(m.headers.has('bcc'), false);
  assert.equal(m.headers.has('cc'), false);
  assert.deepEqual(m.envelope.to, ['target@uni.example.edu']);
  assert.equal(delivered(id).length, 1);
  assert.equal(sink.messages.some((x) => x.envelope.to.includes('victim@x.example') || x.subject === 'smuggled'), false);
  assert.equal(m.text.replace(/\r\n/g, '\n').trim(), smuggle.replace(/\r\n/g, '\n').replace(/\r/g, '\n').trim());
  assert.equal(m.html.replace(/\r\n/g, '\n').trim(), html.replace(/\r\n/g, '\n').trim(), 'the HTML part stays one part');
  assert.equal(m.text.includes('fake part'), false);
  // What never reaches the wire: CR/LF in a subject or an address (the table refuses it).
  for (const [to, subject] of [["'x@uni.example.edu'", "E'Hi\\r\\nBcc: evil@x.example'"],
    ["E'x@uni.example.edu\\r\\nBcc: evil@x.example'", "'Hi'"]]) {
    const r = psql(`INSERT INTO mail_outbox (to_address, subject, body_text) VALUES (${to}, ${subject}, 'x')`, 'scholarship_app');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /violates check constraint/);
  }
});

test('SMTP_USE_TLS=true never sends in clear; a refused AUTH is retried; neither leaks the password', async () => {
  await stopStackWorker(); // the workers below are the only ones
  let id;
  try {
    // The relay offers no STARTTLS: nothing may be sent.
    const tls = startWorker({ SMTP_USE_TLS: 'true' });
    id = enqueue({ to: 'secret@uni.example.edu', subject: 'Needs TLS' });
    const r = await until(() => row(id).attempts >= 1 && row(id).status === 'pending' && row(id), 10000, 50);
    tls.child.kill('SIGTERM');
    const e = await tls.exited;
    assert.ok(r, `row: ${JSON.stringify(row(id))}\n${e.stderr}`);
    assert.match(r.lastError, /STARTTLS|SSL|TLS/i);
    assert.equal(delivered(id).length, 0, 'sent without TLS');
    assert.deepEqual([e.code, e.signal], [0, null], e.stderr);
    assert.match(e.stderr, /STARTTLS required/);
    // A wrong password: the relay's 535 is recorded, the password is not.
    const wrong = `wrong-${Date.now()}-pw`;
    const bad = startWorker({ SMTP_PASSWORD: wrong });
    psql(`UPDATE mail_outbox SET next_attempt_at = now() WHERE id = ${lit(id)}`);
    const r2 = await until(() => row(id).attempts >= 2 && row(id).status !== 'sending' && row(id), 10000, 50);
    bad.child.kill('SIGTERM');
    const e2 = await bad.exited;
    assert.ok(r2, `row: ${JSON.stringify(row(id))}\n${e2.stderr}`);
    assert.match(r2.lastError, /^535 /);
    assert.equal(e2.stderr.includes(wrong), false, 'password in the log');
    assert.equal(JSON.stringify(r2).includes(wrong), false, 'password in last_error');
    assert.equal(delivered(id).length, 0);
  } finally {
    restartStackWorker();
  }
  // The stack's worker, with the right settings, delivers it on its last attempt.
  psql(`UPDATE mail_outbox SET next_attempt_at = now() WHERE id = ${lit(id)} AND status = 'pending'`);
  await waitMail(id, 10000);
  assert.ok(await until(() => row(id).status === 'sent', 3000), JSON.stringify(row(id)));
  assert.equal(row(id).attempts, 3);
});

test('/metrics shows the mail counters moving and passes promtool', async () => {
  const key = (n) => `scholarship_mail_${n}`;
  const id = enqueue({ to: 'metrics@uni.example.edu', subject: 'Counted' });
  await waitMail(id);
  // The worker adds its counts every 5 s.
  const m = await until(async () => {
    const v = await metrics();
    return v[key('sent_total')] > (metrics0[key('sent_total')] || 0) + 500 && v;
  }, 15000, 500);
  assert.ok(m, 'scholarship_mail_sent_total grew by the mails sent here');
  assert.ok(m[key('failed_total')] >= (metrics0[key('failed_total')] || 0) + 1, 'the 550 mail counts as failed');
  assert.ok(m[key('retries_total')] >= (metrics0[key('retries_total')] || 0) + 4, 'retries counted');
  assert.ok(key('outbox_depth') in m);
  const h = 'scholarship_mail_send_duration_seconds';
  assert.equal(m[`${h}_bucket{le="+Inf"}`], m[`${h}_count`]);
  assert.equal(m[`${h}_count`], m[key('sent_total')] + m[key('failed_total')] + m[key('retries_total')],
    'one observation per attempt');
  assert.ok(m[`${h}_bucket{le="0.05"}`] <= m[`${h}_bucket{le="10"}`]);
  const text = (await http('/metrics')).text;
  assert.match(text, /# TYPE scholarship_mail_send_duration_seconds histogram/);
  const p = run('promtool', ['check', 'metrics'], { input: text });
  assert.equal(p.status, 0, `promtool: ${p.stdout}${p.stderr}`);
  // A queue that waits shows in the depth gauge.
  const q = psql(`INSERT INTO mail_outbox (to_address, subject, body_text, next_attempt_at)
    SELECT 'later' || g || '@uni.example.edu', 'Later', 'x', now() + interval '1 hour'
    FROM generate_series(1, 7) g`, 'scholarship_app');
  assert.equal(q.status, 0, q.stderr);
  assert.ok((await metrics())[key('outbox_depth')] >= 7);
  psql("DELETE FROM mail_outbox WHERE subject = 'Later'");
});

test('/metrics still answers while PostgreSQL is down, without the mail counters', async () => {
  stackCmd('stop-pg');
  try {
    const r = await http('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.text, /scholarship_http_requests_total/);
    assert.doesNotMatch(r.text, /scholarship_mail_/);
  } finally {
    stackCmd('start-pg');
  }
  // Everyone reconnects: the API's workers (the next test file needs them all) and the mail worker.
  assert.ok(await until(async () => {
    for (let i = 0; i < 20; i++) if ((await http('/health/ready')).status !== 200) return false;
    return true;
  }, 20000), 'the API reconnected to PostgreSQL');
  const id = enqueue({ to: 'after@uni.example.edu', subject: 'After the database outage' });
  await waitMail(id, 10000);
  assert.match((await http('/metrics')).text, /scholarship_mail_sent_total \d+/);
});
