// outbox.test.mjs -- the email outbox end to end: rows inserted into
// mail_outbox (as the app role) become RFC 5322 files in MAIL_DIR within
// 5 s through the stack's scholarship-worker (LISTEN/NOTIFY, not polling),
// are marked sent, survive a PostgreSQL restart, are retried after a
// transient failure, are refused (CHECK) or given up (worker) when they
// try header injection, and are picked up again when a worker died while
// sending them. Extra workers started here also check the start-up rules
// and SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { DIR, BINDIR, http, psql, run, stackCmd, until, alive, sleep } from '../lib/stack.mjs';

const MAIL_DIR = process.env.MAIL_DIR;
const WORKER = path.join(BINDIR, 'scholarship-worker');

/** SQL string literal (standard_conforming_strings). */
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** Queue a mail as the app role; returns its id. */
function enqueue({ to = 'student@uni.example.edu', subject = 'Hello', text = 'Body', html = null } = {}) {
  const r = psql(`INSERT INTO mail_outbox (to_address, subject, body_text, body_html)
    VALUES (${lit(to)}, ${lit(subject)}, ${lit(text)}, ${html === null ? 'NULL' : lit(html)}) RETURNING id`,
  'scholarship_app');
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const row = (id) => {
  const r = psql(`SELECT status, attempts, coalesce(last_error, ''), sent_at IS NOT NULL,
    next_attempt_at > now() FROM mail_outbox WHERE id = ${lit(id)}`);
  const [status, attempts, lastError, sent, later] = r.stdout.trim().split('|');
  return { status, attempts: Number(attempts), lastError, sent: sent === 't', later: later === 't' };
};

const mailFiles = () => readdirSync(MAIL_DIR);
const fileFor = (id) => mailFiles().find((f) => f.endsWith(`-${id}.eml`));

/** Wait for the .eml of id; returns {name, text, headers, body, ms}. */
async function waitMail(id, ms = 5000) {
  const t0 = Date.now();
  const name = await until(() => fileFor(id), ms, 20);
  assert.ok(name, `no .eml for ${id} in ${MAIL_DIR} after ${ms} ms`);
  const text = readFileSync(path.join(MAIL_DIR, name), 'utf8');
  const i = text.indexOf('\r\n\r\n');
  assert.ok(i > 0, 'header block ends with CRLF CRLF');
  const headers = {};
  for (const line of text.slice(0, i).replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const c = line.indexOf(':');
    headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
  }
  return { name, text, headers, body: text.slice(i + 4), ms: Date.now() - t0 };
}

/** RFC 2047 B words (UTF-8) decoded; white space between words dropped. */
const decodeWords = (v) => v.replace(/\?=\s+=\?/g, '?==?')
  .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_, b) => Buffer.from(b, 'base64').toString('utf8'));

const workerLog = () => readFileSync(path.join(DIR, 'worker.log'), 'utf8').split('\n').filter(Boolean)
  .map((l) => { try { return JSON.parse(l); } catch { return { unparsed: l }; } });
const workerPid = () => Number(readFileSync(path.join(DIR, 'run/worker.pid'), 'utf8'));

/** Start one more worker with extra environment; resolves on exit. */
function startWorker(extra = {}) {
  const child = spawn(WORKER, [], { env: { ...process.env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited, stderr: () => stderr };
}

test('a queued mail becomes an .eml file within 5 s and is marked sent', async () => {
  const secret = `verify-${Date.now()}`;
  const id = enqueue({ subject: 'Verify your email', text: `Hello,\nopen ${secret}\n` });
  const m = await waitMail(id);
  assert.ok(m.ms < 5000, `took ${m.ms} ms`);
  assert.match(m.name, /^\d{8}T\d{6}\.\d{6}Z-[0-9a-f-]{36}\.eml$/);
  assert.equal(m.headers.from, 'Scholarships <no-reply@localhost>');
  assert.equal(m.headers.to, 'student@uni.example.edu');
  assert.equal(m.headers.subject, 'Verify your email');
  assert.ok(Math.abs(Date.parse(m.headers.date) - Date.now()) < 60000, `Date: ${m.headers.date}`);
  assert.match(m.headers.date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  assert.equal(m.headers['message-id'], `<${id}@localhost>`);
  assert.equal(m.headers['mime-version'], '1.0');
  assert.equal(m.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(m.headers['content-transfer-encoding'], '8bit');
  assert.equal(m.body, `Hello,\r\nopen ${secret}\r\n`);
  assert.equal(m.text.replace(/\r\n/g, '').includes('\n'), false, 'CRLF line ends only');
  const r = await until(() => row(id).status === 'sent' && row(id), 3000);
  assert.deepEqual(r, { status: 'sent', attempts: 1, lastError: '', sent: true, later: false });
  // One JSON log line for the message, without its body or subject.
  const line = await until(() => workerLog().find((l) => l.msg === 'mail' && l.id === id), 3000);
  assert.equal(line.status, 'sent');
  assert.equal(line.attempt, '1');
  const log = readFileSync(path.join(DIR, 'worker.log'), 'utf8');
  assert.equal(log.includes(secret), false, 'the body is never logged');
  assert.equal(log.includes('Verify your email'), false, 'the subject is never logged');
  // No temporary file is left behind.
  assert.deepEqual(mailFiles().filter((f) => !f.endsWith('.eml')), []);
});

test('delivery is woken by NOTIFY, not by the 1 s timer', async () => {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const id = enqueue({ subject: `latency ${i}` });
    times.push((await waitMail(id, 5000)).ms);
    await sleep(137); // land at different points of the timer
  }
  times.sort((a, b) => a - b);
  assert.ok(times[2] < 500, `median ${times[2]} ms (${times.join(', ')})`);
});

test('a Chinese subject is RFC 2047-encoded; a UTF-8 body stays readable', async () => {
  const subject = '獎學金申請已收到：請確認您的電子郵件地址，並於期限前完成所有必要的步驟';
  const id = enqueue({ subject, text: '您好，\n您的申請已收到。' });
  const m = await waitMail(id);
  assert.match(m.headers.subject, /^=\?UTF-8\?B\?/);
  assert.equal(decodeWords(m.headers.subject), subject);
  const head = m.text.slice(0, m.text.indexOf('\r\n\r\n'));
  assert.ok(/^[\x20-\x7e\r\n\t]*$/.test(head), 'headers are ASCII');
  for (const l of head.split('\r\n')) assert.ok(l.length <= 76, `header line of ${l.length}: ${l}`);
  assert.equal(m.body, '您好，\r\n您的申請已收到。\r\n');
});

test('an HTML body makes a multipart/alternative mail', async () => {
  const id = enqueue({ subject: 'Award', text: 'You won.', html: '<p>You <b>won</b>.</p>' });
  const m = await waitMail(id);
  assert.equal(m.headers['content-type'], `multipart/alternative; boundary="=_${id}"`);
  assert.match(m.body, /Content-Type: text\/plain; charset=utf-8\r\n[^]*You won\.\r\n/);
  assert.match(m.body, /Content-Type: text\/html; charset=utf-8\r\n[^]*<p>You <b>won<\/b>\.<\/p>\r\n/);
  assert.ok(m.body.endsWith(`--=_${id}--\r\n`));
});

test('a burst bigger than one batch is delivered in full', async () => {
  const r = psql(`INSERT INTO mail_outbox (to_address, subject, body_text)
    SELECT 'bulk' || g || '@uni.example.edu', 'Bulk ' || g, 'Body ' || g
    FROM generate_series(1, 40) g RETURNING id`, 'scholarship_app');
  assert.equal(r.status, 0, r.stderr);
  const ids = r.stdout.trim().split('\n');
  assert.equal(ids.length, 40);
  const done = await until(() => ids.every((id) => fileFor(id)), 5000, 50);
  assert.ok(done, `${ids.filter((id) => !fileFor(id)).length} of 40 missing after 5 s`);
  const sent = await until(() => psql(`SELECT count(*) FROM mail_outbox WHERE status = 'sent'
    AND id IN (${ids.map(lit).join(',')})`).stdout.trim() === '40', 3000);
  assert.ok(sent, 'all 40 marked sent');
});

test('header injection: CR/LF in an address or subject is refused by the table', () => {
  const before = mailFiles().length;
  for (const [to, subject] of [
    ["E'victim@uni.example.edu\\r\\nBcc: evil@x.example'", "'Hi'"],
    ["E'victim@uni.example.edu\\nBcc: evil@x.example'", "'Hi'"],
    ["'victim@uni.example.edu, evil@x.example'", "'Hi'"],
    ["'Evil <evil@x.example>'", "'Hi'"],
    ["'victim@uni.example.edu'", "E'Hi\\r\\nBcc: evil@x.example'"],
    ["'victim@uni.example.edu'", "E'Hi\\nBcc: evil@x.example'"],
  ]) {
    const r = psql(`INSERT INTO mail_outbox (to_address, subject, body_text) VALUES (${to}, ${subject}, 'x')`,
      'scholarship_app');
    assert.notEqual(r.status, 0, `accepted ${to} / ${subject}`);
    assert.match(r.stderr, /violates check constraint "mail_outbox_(to_address|subject)_check"/);
  }
  assert.equal(mailFiles().length, before);
});

test('an address the worker cannot write is marked failed without a file', async () => {
  const id = enqueue({ to: '學生@uni.example.edu' }); // passes the CHECK; not ASCII
  const r = await until(() => row(id).status === 'failed' && row(id), 5000);
  assert.ok(r, `status ${row(id).status}`);
  assert.equal(r.attempts, 1, 'a permanent failure is not retried');
  assert.match(r.lastError, /recipient/);
  assert.equal(fileFor(id), undefined);
  const line = await until(() => workerLog().find((l) => l.msg === 'mail' && l.id === id), 3000);
  assert.equal(line.status, 'failed');
  assert.equal(line.level, 'warn');
});

test('a transient failure is retried after the backoff', async () => {
  const away = `${MAIL_DIR}.away`;
  renameSync(MAIL_DIR, away);
  let id;
  try {
    id = enqueue({ subject: 'Retry me' });
    const r = await until(() => row(id).attempts === 1 && row(id).status === 'pending' && row(id), 5000);
    assert.ok(r, `row: ${JSON.stringify(row(id))}`);
    assert.match(r.lastError, /No such file or directory/);
    assert.equal(r.later, true, 'next attempt scheduled in the future');
  } finally {
    renameSync(away, MAIL_DIR);
  }
  // Pretend the backoff ran out: the 1 s timer (no NOTIFY on UPDATE) picks it up.
  assert.equal(psql(`UPDATE mail_outbox SET next_attempt_at = now() WHERE id = ${lit(id)}`).status, 0);
  await waitMail(id, 5000);
  const r = await until(() => row(id).status === 'sent' && row(id), 3000);
  assert.equal(r.attempts, 2);
  assert.equal(r.lastError, '');
});

test('a row a dead worker left in "sending" is delivered by the next worker', async () => {
  const r = psql(`INSERT INTO mail_outbox (to_address, subject, body_text, status, attempts, claimed_at)
    VALUES ('stale@uni.example.edu', 'Stale', 'x', 'sending', 1, now() - interval '2 minutes') RETURNING id`);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const w = startWorker(); // re-queues stale rows at start; two workers share the queue
  try {
    await waitMail(id, 5000);
    const s = await until(() => row(id).status === 'sent' && row(id), 3000);
    assert.equal(s.attempts, 2);
    // Both workers drain the queue without sending anything twice.
    const ids = Array.from({ length: 10 }, (_, i) => enqueue({ subject: `shared ${i}` }));
    assert.ok(await until(() => ids.every((x) => row(x).status === 'sent'), 5000));
    assert.equal(psql(`SELECT max(attempts) FROM mail_outbox WHERE id IN (${ids.map(lit).join(',')})`).stdout.trim(), '1');
  } finally {
    w.child.kill('SIGTERM');
  }
  const e = await w.exited;
  assert.deepEqual([e.code, e.signal], [0, null], e.stderr);
  assert.match(e.stderr, /re-queued 1 mail/);
  assert.match(e.stderr, /worker: stopped/);
});

test('the worker survives PostgreSQL going away and delivers after it returns', async () => {
  const pid = workerPid();
  stackCmd('stop-pg');
  try {
    await sleep(3000);
    assert.ok(alive(pid), 'worker still running while PostgreSQL is down');
  } finally {
    stackCmd('start-pg');
  }
  assert.ok(alive(pid), 'worker still running after PostgreSQL returned');
  // Every API worker's connection died with the server; the first request
  // that opens a transaction on each must reconnect, not answer 503.
  assert.ok(await until(() => psql('SELECT 1').status === 0, 20000), 'PostgreSQL is back');
  for (let i = 0; i < 12; i++) {
    const r = await http('/api/v1/auth/register', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: `after-restart-${Date.now()}-${i}@uni.example.edu`, password: 'after-restart-pw', full_name: 'After Restart' }),
    });
    assert.equal(r.status, 202, `request ${i} after the restart: ${r.text}`);
  }
  // The API's workers reconnect with a backoff too: the suites after this
  // one need them all back (20 ready answers in a row).
  assert.ok(await until(async () => {
    for (let i = 0; i < 20; i++) if ((await http('/health/ready')).status !== 200) return false;
    return true;
  }, 20000), 'the API reconnected to PostgreSQL');
  const id = enqueue({ subject: 'After the outage' });
  const m = await waitMail(id, 5000);
  assert.equal(m.headers.subject, 'After the outage');
  assert.ok(await until(() => row(id).status === 'sent', 3000));
  assert.equal(workerPid(), pid);
});

test('--test-mail queues through outbox_enqueue; the mail arrives encoded', async () => {
  const r = run(WORKER, ['--test-mail', 'ops@uni.example.edu'], { timeout: 10000 });
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(id, /^[0-9a-f-]{36}$/);
  const m = await waitMail(id);
  assert.equal(m.headers.to, 'ops@uni.example.edu');
  assert.equal(decodeWords(m.headers.subject), 'Scholarship system test mail / 獎學金系統測試郵件');
  assert.match(m.body, /mail delivery works\.\r\n\r\n這是獎學金系統的測試郵件/);
  for (const bad of ['ops@uni.example.edu\r\nBcc: evil@x.example', 'not-an-address']) {
    const b = run(WORKER, ['--test-mail', bad], { timeout: 10000 });
    assert.equal(b.status, 1, b.stderr);
    assert.match(b.stderr, /test mail not queued: not a valid address/);
  }
  assert.equal(run(WORKER, ['--bogus']).status, 2);
});

test('SMTP_HOST switches the worker to SMTP (STARTTLS required by default)', async () => {
  const w = startWorker({ SMTP_HOST: 'smtp.invalid', LOG_LEVEL: 'info' });
  const said = await until(() => /smtp: relay smtp\.invalid:587, STARTTLS required/.test(w.stderr()), 5000);
  w.child.kill('SIGTERM');
  const e = await w.exited;
  assert.ok(said, e.stderr);
  assert.deepEqual([e.code, e.signal], [0, null], e.stderr);
});

test('bad worker settings stop it at start with a message naming the variable', () => {
  for (const [k, v] of [['MAIL_MAX_ATTEMPTS', 'lots'], ['MAIL_RETRY_BASE_SECONDS', '0'],
    ['MAIL_FROM', 'Office <not an address>'], ['SMTP_PORT', '99999'],
    ['SMTP_HOST', 'smtp.example.edu/evil'], ['REMINDER_HOUR', '24'], ['SMTP_USERNAME', 'only-a-name']]) {
    const r = run(WORKER, [], { env: { ...process.env, [k]: v }, timeout: 10000 });
    assert.equal(r.status, 1, `${k}=${v}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(k));
  }
  assert.ok(existsSync(MAIL_DIR));
});
