// accounts.test.mjs -- headless-browser tests of the account pages against
// the whole local stack (NGINX, the FastCGI pool, PostgreSQL, Redis and the
// mail worker, which writes every mail as an .eml file into MAIL_DIR):
//   (a) register -> the mailed verify.html#token link -> sign in -> the
//       linked student record (inserted with psql), its advisor email
//       edited -> edit the profile, kept after a reload (the refresh cookie
//       restores the session) -> sign out -> the account page sends you to
//       sign in;
//   (b) a super admin invites a reviewer on admin-users.html -> the mailed
//       accept.html link -> the reviewer sets a password and signs in
//       (skipped while POST /api/v1/users is not implemented);
//   (b2) a super admin grants an admin two scholarships in the edit dialog
//       of admin-users.html (checked with GET /api/v1/users/{id}), sees the
//       API's error for a malformed id next to the field, and finds no
//       scholarship scope for a student;
//   (c) forgot password -> the mailed reset.html link -> sign in with the
//       new password -> change it on the account page (the session
//       survives) -> sign out everywhere;
//   (d) accessibility smoke: every form control of every page has a label,
//       every button a name; no console error, CSP violation or sideways
//       scrolling on a 375px phone, in English and Chinese.
// Environment (from tests/with-stack.sh): BASE_URL, MAIL_DIR, STACK_BINDIR
// (scholarshipctl creates users), PGHOST and PGUSER (psql adds a student
// record) and the database settings scholarshipctl needs.
// SCREENSHOT_DIR, if set, receives a screenshot of every page in (d).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { assertLabelled, launch } from '../lib/browser.mjs';

const BASE_URL = process.env.BASE_URL;
const MAIL_DIR = process.env.MAIL_DIR;
const BINDIR = process.env.STACK_BINDIR;
if (!BASE_URL || !MAIL_DIR || !BINDIR) throw new Error('BASE_URL, MAIL_DIR or STACK_BINDIR is not set (run under tests/with-stack.sh)');
const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const RUN = Date.now().toString(36);

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/* A browser context (own cookies and storage) whose pages record console
 * errors, uncaught exceptions, CSP violations and every response. */
async function session({ viewport = { width: 1280, height: 800 }, lang = 'en' } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  const page = await context.newPage();
  const log = { consoleErrors: [], pageErrors: [], responses: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => log.pageErrors.push(String(e)));
  page.on('response', (r) => log.responses.push(r));
  await page.addInitScript((saved) => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    try { if (!localStorage.getItem('scholarship.lang')) localStorage.setItem('scholarship.lang', saved); } catch { /* about:blank */ }
  }, lang);
  const go = async (p) => {
    let res = await page.goto(new URL(p, BASE_URL).href, { waitUntil: 'load' });
    // Only the fragment changed: the browser stays in the document; load it anew.
    if (res === null) res = await page.reload({ waitUntil: 'load' });
    assert.equal(res.status(), 200, `${p}: HTTP ${res.status()}`);
  };
  const close = () => context.close();
  return { page, log, go, close, context };
}

/* No CSP violation, console error, uncaught exception or failed response
 * but those allowed (Chromium logs every 4xx answer as a console error). */
async function assertClean(page, log, { allowFailed = [] } = {}) {
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], 'CSP violations');
  const failed = log.responses.filter((r) => r.status() >= 400)
    .map((r) => `${r.status()} ${new URL(r.url()).pathname}`)
    .filter((f) => !allowFailed.includes(f));
  assert.deepEqual(failed, [], 'failed responses');
  const errors = log.consoleErrors.filter((m) =>
    !(allowFailed.length > 0 && /Failed to load resource: the server responded with a status of 4\d\d/.test(m)));
  assert.deepEqual(errors, [], 'console errors');
  assert.deepEqual(log.pageErrors, [], 'uncaught page errors');
}

/* Runs SQL as the database owner (PGHOST, PGUSER from the harness). */
function sql(text) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'scholarship', '-c', text],
    { cwd: TOP, stdio: ['ignore', 'pipe', 'pipe'] });
}

/* An imported student record for email (the account links to it by email). */
function addStudentRecord(email, number) {
  const q = (v) => `'${String(v).replace(/'/g, "''")}'`;
  sql(`INSERT INTO colleges (code, name, name_en) VALUES ('TST', '測試學院', 'College of Testing') ON CONFLICT DO NOTHING;
    INSERT INTO degrees (code, name, name_en) VALUES ('bachelor', '學士', 'Bachelor''s') ON CONFLICT DO NOTHING;
    INSERT INTO students (student_number, name, name_en, email, college_code, degree, enrollment_status,
      year_of_study, gpa, class_rank_percent, source, verified_at)
    VALUES (${q(number)}, '陳美', 'Chen Mei', ${q(email)}, 'TST', 'bachelor', 'enrolled', 2, 3.91, 4.5, 'import', now())`);
}

/* Creates a verified user with scholarshipctl (password on stdin). */
function addUser(email, name, role, password) {
  execFileSync(path.join(BINDIR, 'scholarshipctl'), ['user-add', '--email', email, '--name', name, '--role', role],
    { cwd: TOP, input: `${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
}

/* The body of an .eml file as text: 8bit, or quoted-printable decoded. */
function mailBody(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  let body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  if (/^Content-Transfer-Encoding:\s*quoted-printable/im.test(head)) {
    const bytes = [];
    const text = body.replace(/=\r?\n/g, '');
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(text[i], 'utf8'));
      }
    }
    body = Buffer.from(bytes).toString('utf8');
  }
  return { head, body };
}

/* Waits for a mail to `to` carrying a PUBLIC_URL/<page>#token=... link; returns the newest such link. */
async function mailedLink(to, page, timeout = 10000) {
  const deadline = Date.now() + timeout;
  const re = new RegExp(`https?://[^\\s"<>]+/${page.replace('.', '\\.')}#token=[A-Za-z0-9_\\-%.~]+`);
  for (;;) {
    const names = (await readdir(MAIL_DIR)).filter((n) => n.endsWith('.eml') && !n.startsWith('.')).sort().reverse();
    for (const name of names) {
      const { head, body } = mailBody(await readFile(path.join(MAIL_DIR, name), 'utf8'));
      const rcpt = /^To:\s*(.*)$/im.exec(head);
      if (!rcpt || !rcpt[1].toLowerCase().includes(to.toLowerCase())) continue;
      const m = re.exec(body);
      if (m) return m[0];
    }
    if (Date.now() > deadline) throw new Error(`no mail with a ${page} link to ${to} in ${MAIL_DIR} after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/* Signs in on login.html and waits for the account page to show the user.
 * Every signed-in page load rotates the refresh token (POST /auth/refresh);
 * a test must let that finish before it navigates again, or the browser may
 * never receive the new cookie and present the old one, which revokes the
 * whole session (reuse detection). */
async function signIn(s, email, password) {
  await s.go('/login.html');
  await s.page.getByLabel('Email').fill(email);
  await s.page.getByLabel('Password').fill(password);
  await s.page.getByRole('button', { name: 'Sign in' }).click();
  await s.page.waitForURL('**/account.html', { timeout: 5000 });
  await s.page.locator('#profile-email').filter({ hasText: email }).waitFor({ timeout: 5000 });
}

/* The access token must never be stored where scripts or other pages could read it. */
async function assertNoStoredToken(page) {
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.doesNotMatch(stored, /eyJ|token/i, `web storage holds ${stored}`);
  assert.doesNotMatch(page.url(), /token=|access_token/, 'no token in the URL');
}

test('register, verify by the mailed link, edit the profile, sign out', async () => {
  const s = await session();
  const { page } = s;
  const email = `student.${RUN}@example.edu`;
  const number = `T${RUN.toUpperCase().slice(-8)}`;
  const password = 'correct horse battery';
  addStudentRecord(email, number);
  try {
    await s.go('/register.html');
    await page.getByRole('heading', { level: 1, name: 'Create an account' }).waitFor();
    await page.getByLabel('Full name').fill('Chen Mei');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Confirm new password').fill(password);
    const [reg] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/register'),
      page.getByRole('button', { name: 'Create account' }).click(),
    ]);
    assert.equal(reg.status(), 202);
    assert.deepEqual(reg.request().postDataJSON(), { full_name: 'Chen Mei', email, password, locale: 'en' });
    await page.locator('#register-done').getByText('Check your email').waitFor();

    // The mailed link: the page posts the token and removes it from the address bar.
    const link = await mailedLink(email, 'verify.html');
    assert.equal(new URL(link).origin, new URL(BASE_URL).origin, 'the link points at PUBLIC_URL');
    const [verify] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/verify-email'),
      page.goto(link),
    ]);
    assert.equal(verify.status(), 204);
    assert.equal(verify.request().postDataJSON().token, new URL(link).hash.slice('#token='.length));
    await page.locator('#verify-done').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address bar');

    await page.getByRole('link', { name: 'Go to sign in' }).click();
    await page.waitForURL('**/login.html');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/account.html');
    await page.locator('#profile-email').filter({ hasText: email }).waitFor();
    await page.locator('#nav-user').filter({ hasText: 'Chen Mei' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'no Users link for a student');
    // The verified account is linked to the imported record with its email.
    await page.locator('#student-facts').filter({ hasText: number }).waitFor();
    assert.match(await page.locator('#student-facts').innerText(), /3\.91/);
    await page.getByLabel('Advisor\u2019s email').fill('advisor@example.edu');
    const [student] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/students/me' && r.request().method() === 'PATCH'),
      page.getByRole('button', { name: 'Save details' }).click(),
    ]);
    assert.equal(student.status(), 200);
    assert.deepEqual(student.request().postDataJSON(), { advisor_email: 'advisor@example.edu' });
    await page.locator('#student-saved').waitFor();

    await page.getByLabel('Full name').fill('Chen Mei-Ling');
    await page.getByLabel('Phone').fill('+886 912 345 678');
    const [patch] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/me' && r.request().method() === 'PATCH'),
      page.getByRole('button', { name: 'Save profile' }).click(),
    ]);
    assert.equal(patch.status(), 200);
    await page.locator('#profile-saved').waitFor();
    await page.locator('#nav-user').filter({ hasText: 'Chen Mei-Ling' }).waitFor();

    // A reload starts without the access token: the refresh cookie restores the session.
    const [refresh] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/refresh'),
      page.reload(),
    ]);
    assert.equal(refresh.status(), 200);
    await page.locator('#profile-email').filter({ hasText: email }).waitFor();
    assert.equal(await page.getByLabel('Full name').inputValue(), 'Chen Mei-Ling');
    assert.equal(await page.getByLabel('Phone').inputValue(), '+886 912 345 678');
    await page.locator('#student-facts').waitFor();
    assert.equal(await page.getByLabel('Advisor\u2019s email').inputValue(), 'advisor@example.edu');
    await assertNoStoredToken(page);

    await page.locator('#sign-out').click();
    await page.waitForURL('**/login.html?signed_out=1');
    await page.locator('#signed-out').waitFor();
    await s.go('/account.html');
    await page.waitForURL('**/login.html?next=%2Faccount.html');
    await page.locator('#login-needed').waitFor();
    await assertClean(page, s.log);
  } finally {
    await s.close();
  }
});

test('a super admin invites a reviewer, who accepts and signs in', async (t) => {
  const admin = await session();
  const adminEmail = `root.${RUN}@example.edu`;
  const reviewerEmail = `reviewer.${RUN}@example.edu`;
  addUser(adminEmail, 'Ada Root', 'super_admin', 'admin password 1');
  // Enough users for a second page of the list (20 a page).
  sql(`INSERT INTO users (email, full_name, role, locale, email_verified)
    SELECT 'filler' || n || '.${RUN}@example.edu', 'Filler ' || n, 'reviewer', 'en', true
    FROM generate_series(1, 22) AS n`);
  let reviewer;
  try {
    await signIn(admin, adminEmail, 'admin password 1');
    await admin.page.getByRole('link', { name: 'Users' }).click();
    await admin.page.waitForURL('**/admin-users.html');

    // The list pages with "Load more" (keyset cursor), without duplicates.
    const rows = admin.page.locator('#users-table tbody tr');
    await admin.page.locator('#load-more').waitFor();
    assert.equal(await rows.count(), 20);
    const [more] = await Promise.all([
      admin.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/users'),
      admin.page.locator('#load-more').click(),
    ]);
    assert.ok(new URL(more.url()).searchParams.get('cursor'), 'the second page asks with the cursor');
    await admin.page.locator('#users-table tbody tr:nth-child(21)').waitFor();
    const emails = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.email));
    assert.equal(new Set(emails).size, emails.length, 'no user listed twice');
    // Filters: the search goes to the API as q.
    await admin.page.getByLabel('Name or email').fill(`filler1.${RUN}`);
    const [filtered] = await Promise.all([
      admin.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/users'),
      admin.page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    assert.equal(new URL(filtered.url()).searchParams.get('q'), `filler1.${RUN}`);
    await admin.page.locator(`#users-table tr[data-email="filler1.${RUN}@example.edu"]`).waitFor();
    await admin.page.getByRole('button', { name: 'Clear' }).click();
    const form = admin.page.locator('#invite-form');
    await form.getByLabel('Email').fill(reviewerEmail);
    await form.getByLabel('Full name').fill('Lin Wei');
    await form.getByLabel('Role').selectOption('reviewer');
    const [created] = await Promise.all([
      admin.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/users' && r.request().method() === 'POST'),
      form.getByRole('button', { name: 'Send invitation' }).click(),
    ]);
    if (created.status() === 404 || created.status() === 405) {
      t.skip(`POST /api/v1/users is not implemented yet (answered ${created.status()}): invitation flow not tested`);
      return;
    }
    assert.equal(created.status(), 201, `POST /users answered ${created.status()}`);
    assert.deepEqual(created.request().postDataJSON(), { email: reviewerEmail, full_name: 'Lin Wei', role: 'reviewer' });
    await admin.page.locator('#invite-sent').waitFor();
    await admin.page.locator(`#users-table tr[data-email="${reviewerEmail}"]`).waitFor();
    await assertClean(admin.page, admin.log);

    reviewer = await session();
    const link = await mailedLink(reviewerEmail, 'accept.html');
    await reviewer.page.goto(link);
    await reviewer.page.getByRole('heading', { level: 1, name: 'Accept your invitation' }).waitFor();
    assert.equal(new URL(reviewer.page.url()).hash, '', 'the token is gone from the address bar');
    await reviewer.page.getByLabel('New password', { exact: true }).fill('reviewer password 1');
    await reviewer.page.getByLabel('Confirm new password').fill('reviewer password 1');
    const [accepted] = await Promise.all([
      reviewer.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/invitations/accept'),
      reviewer.page.getByRole('button', { name: 'Activate account' }).click(),
    ]);
    assert.equal(accepted.status(), 204);
    await reviewer.page.locator('#accept-done').waitFor();
    await signIn(reviewer, reviewerEmail, 'reviewer password 1');
    await reviewer.page.locator('#profile-role').filter({ hasText: 'Reviewer' }).waitFor();
    await reviewer.go('/admin-users.html');
    await reviewer.page.locator('#no-access').waitFor();
    await assertClean(reviewer.page, reviewer.log);
  } finally {
    await reviewer?.close();
    await admin.close();
  }
});

/* An access token for email from POST /api/v1/auth/login (outside the browser). */
async function apiToken(email, password) {
  const res = await fetch(new URL('/api/v1/auth/login', BASE_URL), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(res.status, 200, `POST /auth/login answered ${res.status}`);
  return (await res.json()).access_token;
}

/* Finds the user by email in the list (search filter) and opens their edit dialog. */
async function openEditDialog(page, email) {
  await page.getByLabel('Name or email').fill(email);
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/users'
      && new URL(r.url()).searchParams.get('q') === email),
    page.getByRole('button', { name: 'Filter' }).click(),
  ]);
  const row = page.locator(`#users-table tr[data-email="${email}"]`);
  await row.waitFor();
  await row.getByRole('button', { name: /^Edit/ }).click();
  const dialog = page.locator('#edit-dialog');
  await dialog.waitFor();
  return dialog;
}

test('a super admin edits the scholarship scope of an admin', async () => {
  const s = await session();
  const { page } = s;
  const rootEmail = `scope.root.${RUN}@example.edu`;
  const adminEmail = `scope.admin.${RUN}@example.edu`;
  const studentEmail = `scope.student.${RUN}@example.edu`;
  addUser(rootEmail, 'Scope Root', 'super_admin', 'root password 12');
  addUser(adminEmail, 'Scope Admin', 'admin', 'admin password 12');
  addUser(studentEmail, 'Scope Student', 'student', 'student password 1');
  const ids = [crypto.randomUUID(), crypto.randomUUID()];
  // Grants name existing scholarships (a foreign key since migration 0008).
  sql(`INSERT INTO scholarships (id, code, name) VALUES ${ids.map((id, i) =>
    `('${id}', 'SCOPE-${RUN.toUpperCase()}-${i}', 'Scope test ${i}')`).join(', ')}`);
  let adminPath = '';
  try {
    await signIn(s, rootEmail, 'root password 12');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.waitForURL('**/admin-users.html');
    await page.locator('#users-table').waitFor();

    // The admin's dialog reads the grants (none yet) and shows them one a line.
    const [read] = await Promise.all([
      page.waitForResponse((r) => /^\/api\/v1\/users\/[0-9a-f-]{36}$/.test(new URL(r.url()).pathname)
        && r.request().method() === 'GET'),
      openEditDialog(page, adminEmail),
    ]);
    assert.equal(read.status(), 200);
    adminPath = new URL(read.url()).pathname;
    assert.deepEqual((await read.json()).scholarship_ids, []);
    const dialog = page.locator('#edit-dialog');
    await dialog.getByRole('heading', { name: 'Scholarship scope' }).waitFor();
    const field = dialog.getByLabel('Scholarships this admin manages');
    await page.locator('#edit-scholarships:not([disabled])').waitFor();
    assert.equal(await field.inputValue(), '');
    assert.match(await dialog.locator('#edit-scholarships-hint').innerText(),
      /one scholarship id per line; the scholarship list arrives with the scholarships module/i);

    await field.fill(`${ids[0]}\n\n${ids[1]}\n`);
    const [put] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === `${adminPath}/scholarships`),
      dialog.getByRole('button', { name: 'Save' }).click(),
    ]);
    assert.equal(put.status(), 200, `PUT scholarships answered ${put.status()}`);
    assert.equal(put.request().method(), 'PUT');
    assert.deepEqual(put.request().postDataJSON(), { scholarship_ids: ids });
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('#user-saved').waitFor();

    // The API holds exactly those two.
    const token = await apiToken(rootEmail, 'root password 12');
    const res = await fetch(new URL(adminPath, BASE_URL), {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
    assert.equal(res.status, 200);
    const admin = await res.json();
    assert.equal(admin.email, adminEmail);
    assert.deepEqual([...admin.scholarship_ids].sort(), [...ids].sort());
    await assertClean(page, s.log);

    // Reopened, the dialog shows the grants; a malformed id gets the API's error by the field.
    await openEditDialog(page, adminEmail);
    await page.locator('#edit-scholarships:not([disabled])').waitFor();
    assert.deepEqual((await field.inputValue()).split('\n').sort(), [...ids].sort());
    await field.fill(`${ids[0]}\nnot-a-scholarship-id`);
    const [bad] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === `${adminPath}/scholarships`),
      dialog.getByRole('button', { name: 'Save' }).click(),
    ]);
    assert.equal(bad.status(), 422);
    assert.ok((await bad.json()).errors.some((e) => e.field === 'scholarship_ids.1'), 'the error names the item');
    const error = dialog.locator('#edit-scholarships-error');
    await error.waitFor();
    assert.match(await error.innerText(), /not-a-scholarship-id/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await field.getAttribute('aria-describedby'), /edit-scholarships-error/);
    await dialog.locator('#edit-alert .alert-title').waitFor();
    if (SCREENSHOT_DIR) {
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'admin-users-scope-error-en-1280.png') });
    }
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Nothing was changed by the refused request.
    const again = await (await fetch(new URL(adminPath, BASE_URL), {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    })).json();
    assert.deepEqual([...again.scholarship_ids].sort(), [...ids].sort());

    // A student has no scholarship scope.
    await openEditDialog(page, studentEmail);
    await dialog.getByLabel('Role').waitFor();
    assert.equal(await dialog.locator('#edit-scope').count(), 0, 'no scope section for a student');
    assert.equal(await dialog.getByLabel('Scholarships this admin manages').count(), 0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await assertClean(page, s.log, { allowFailed: [`422 ${adminPath}/scholarships`] });
  } finally {
    await s.close();
  }
});

test('forgot password, reset by the mailed link, sign in with the new password', async () => {
  const s = await session();
  const { page } = s;
  const email = `forgetful.${RUN}@example.edu`;
  addUser(email, 'Wang Forgetful', 'student', 'old password 123');
  try {
    await s.go('/login.html');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL('**/forgot.html');
    await page.getByLabel('Email').fill(email);
    const [forgot] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/password/forgot'),
      page.getByRole('button', { name: 'Send reset link' }).click(),
    ]);
    assert.equal(forgot.status(), 202);
    await page.locator('#forgot-done').waitFor();

    const link = await mailedLink(email, 'reset.html');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address bar');
    await page.getByLabel('New password', { exact: true }).fill('new password 456');
    await page.getByLabel('Confirm new password').fill('new password 45');
    await page.getByRole('button', { name: 'Set new password' }).click();
    // The browser refuses mismatched passwords before anything is sent.
    assert.equal(await page.getByLabel('Confirm new password').evaluate((el) => el.matches(':invalid')), true);
    await page.getByLabel('Confirm new password').fill('new password 456');
    const [reset] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/password/reset'),
      page.getByRole('button', { name: 'Set new password' }).click(),
    ]);
    assert.equal(reset.status(), 204);
    await page.locator('#reset-done').waitFor();
    await assertClean(page, s.log);

    // The old password no longer works; the new one does.
    await s.go('/login.html');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('old password 123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Sign-in failed.' }).waitFor();
    await page.getByLabel('Password').fill('new password 456');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/account.html');
    await page.locator('#profile-email').filter({ hasText: email }).waitFor();
    // No imported record has this email: the page says so plainly.
    await page.locator('#no-student-record').waitFor();

    // Changing the password ends other sessions; this one is renewed and survives a reload.
    await page.getByLabel('Current password').fill('new password 456');
    await page.getByLabel('New password', { exact: true }).fill('third password 789');
    await page.getByLabel('Confirm new password').fill('third password 789');
    const [changed] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/me/password'),
      page.getByRole('button', { name: 'Change password' }).click(),
    ]);
    assert.equal(changed.status(), 204);
    await page.locator('#password-changed').waitFor();
    await page.reload();
    await page.locator('#profile-email').filter({ hasText: email }).waitFor();
    await assertClean(page, s.log, {
      allowFailed: ['401 /api/v1/auth/login', '404 /api/v1/students/me'],
    });

    // Sign out everywhere: this browser too.
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('button', { name: 'Yes, sign out everywhere' }).click();
    await page.waitForURL('**/login.html?signed_out=1');
    await s.go('/account.html');
    await page.waitForURL('**/login.html?next=%2Faccount.html');
  } finally {
    await s.close();
  }
});

test('accessibility smoke: labelled controls, clean console, phone width, both languages', async () => {
  const adminEmail = `smoke.${RUN}@example.edu`;
  addUser(adminEmail, 'Smoke Admin', 'super_admin', 'smoke password 1');
  if (SCREENSHOT_DIR) await mkdir(SCREENSHOT_DIR, { recursive: true });
  const pages = [
    // [path, selector that shows the page is ready, answers that may fail]
    ['/', '#health-status[data-state="ok"]', []],
    ['/login.html', '#email', []],
    ['/register.html', '#full_name', []],
    ['/verify.html', '#email', []],
    ['/verify.html#token=not-a-real-token-0000000000', '#verify-alert .alert-title', ['422 /api/v1/auth/verify-email']],
    ['/forgot.html', '#email', []],
    ['/reset.html#token=not-a-real-token-0000000000', '#password', []],
    ['/reset.html', '#reset-no-token', []],
    ['/accept.html#token=not-a-real-token-0000000000', '#password', []],
    ['/account.html', '#profile-email', [], true],
    // GET /users may not exist yet: its failure is shown in the page.
    ['/admin-users.html', '#invite-form', ['404 /api/v1/users'], true],
    ['/admin-scholarships.html', '#scholarships-table, #no-scholarships', [], true],
    ['/admin-scholarship.html', '#scholarship-form', [], true],
    ['/admin-applications.html', '#applications-table, #no-applications', [], true],
  ];
  for (const [viewport, langs] of [[{ width: 1280, height: 800 }, ['en']], [{ width: 375, height: 740 }, ['en', 'zh-TW']]]) {
    for (const lang of langs) {
      const s = await session({ viewport, lang });
      try {
        let signedIn = false;
        for (const [p, ready, allowFailed, needsUser] of pages) {
          if (needsUser && !signedIn) {
            await s.go('/login.html');
            await s.page.locator('#email').fill(adminEmail);
            await s.page.locator('#password').fill('smoke password 1');
            await s.page.locator('form button[type="submit"]').click();
            await s.page.waitForURL('**/account.html');
            // Leaving a page while its refresh is in flight can lose the
            // session (see signIn): wait for it.
            await s.page.locator('#profile-email').waitFor();
            signedIn = true;
          }
          s.log.responses.length = 0;
          s.log.consoleErrors.length = 0;
          await s.go(p);
          await s.page.locator(ready).first().waitFor({ timeout: 5000 });
          if (p === '/admin-users.html') {
            await s.page.locator('#users-table, #list-alert:not(:empty)').first().waitFor({ timeout: 5000 });
          }
          const where = `${p} (${lang}, ${viewport.width}px)`;
          assert.equal(await s.page.getAttribute('html', 'lang'), lang, where);
          if (lang === 'en') await assertLabelled(s.page, where);
          const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(width <= viewport.width, `${where} is ${width}px wide`);
          if (SCREENSHOT_DIR) {
            const name = `${p.replace(/[^a-z]+/gi, '-').replace(/^-|-$/g, '') || 'index'}${p.includes('#') ? '-token' : ''}`;
            await s.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${lang}-${viewport.width}.png`), fullPage: true });
          }
          await assertClean(s.page, s.log, { allowFailed });
        }
      } finally {
        await s.close();
      }
    }
  }
});
