// browser.mjs -- what the headless-browser suites share: Chromium,
// sessions that record console errors, uncaught exceptions, CSP
// violations and responses, paced page loads (refreshes are rate
// limited), the checks every page must pass, and small helpers that set
// up users and data through scholarshipctl, psql and the API.
// Environment (from tests/with-stack.sh): BASE_URL, STACK_BINDIR and the
// psql settings.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.BASE_URL;
const BINDIR = process.env.STACK_BINDIR;
if (!BASE_URL || !BINDIR) throw new Error('BASE_URL or STACK_BINDIR is not set (run under tests/with-stack.sh)');
export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/* The password of every user these helpers add. */
export const PW = 'browser suite password';

let browser;
export async function launch() {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  return browser;
}
export const closeBrowser = () => browser?.close();

/* Every signed-in page load refreshes the session, and refreshes are
 * rate limited per IP (RATE_LIMIT_REFRESH_IP, 60 a minute): this file loads
 * at most LOADS_PER_MINUTE pages a minute, leaving room for other suites. */
const LOADS_PER_MINUTE = 40;
const loads = [];
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function pace() {
  for (;;) {
    const now = Date.now();
    while (loads.length && now - loads[0] > 60000) loads.shift();
    if (loads.length < LOADS_PER_MINUTE) break;
    await sleep(60000 - (now - loads[0]) + 100);
  }
  loads.push(Date.now());
}

/* A browser context whose page records console errors, uncaught exceptions, CSP violations and responses. */
export async function session({ viewport = { width: 1280, height: 800 }, lang = 'en' } = {}) {
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
  // A suite run just before may have spent the refresh budget: a signed-in
  // load whose refresh is answered 429 waits Retry-After and loads again.
  const go = async (p) => {
    for (let attempt = 0; ; attempt++) {
      await pace();
      const signedIn = await page.evaluate(() => localStorage.getItem('scholarship.signedIn') === '1').catch(() => false);
      const refreshed = signedIn ? page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/refresh',
        { timeout: 10000 }).catch(() => null) : null;
      const res = await page.goto(new URL(p, BASE_URL).href, { waitUntil: 'load' });
      assert.equal(res.status(), 200, `${p}: HTTP ${res.status()}`);
      const r = await refreshed;
      if (!r || r.status() !== 429 || attempt > 0) return;
      await sleep((Number(r.headers()['retry-after']) || 60) * 1000 + 500);
      log.responses = log.responses.filter((x) => x !== r);
      log.consoleErrors = log.consoleErrors.filter((m) => !/status of 429/.test(m));
    }
  };
  return { page, log, go, close: () => context.close() };
}

/* No CSP violation, console error, uncaught exception or failed response but those allowed. */
export async function assertClean(page, log, { allowFailed = [] } = {}) {
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
  const failed = log.responses.filter((r) => r.status() >= 400)
    .map((r) => `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`)
    .filter((f) => !allowFailed.some((a) => (a instanceof RegExp ? a.test(f) : a === f)));
  assert.deepEqual(failed, [], 'failed responses');
  const errors = log.consoleErrors.filter((m) =>
    !(allowFailed.length > 0 && /Failed to load resource: the server responded with a status of 4\d\d/.test(m)));
  assert.deepEqual(errors, [], 'console errors');
  assert.deepEqual(log.pageErrors, [], 'uncaught page errors');
}

export function sql(text) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'scholarship', '-c', text],
    { cwd: TOP, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function addUser(email, name, role) {
  execFileSync(path.join(BINDIR, 'scholarshipctl'), ['user-add', '--email', email, '--name', name, '--role', role],
    { cwd: TOP, input: `${PW}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
}

export async function api(method, p, { token, body, headers = {} } = {}) {
  const res = await fetch(new URL(p, BASE_URL), {
    method,
    headers: {
      Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

export async function token(email) {
  const r = await api('POST', '/api/v1/auth/login', { body: { email, password: PW } });
  assert.equal(r.status, 200, r.text);
  return r.json.access_token;
}

/* Signs in on login.html and waits for the account page (and its session refresh) to settle. */
export async function signIn(s, email) {
  await s.go('/login.html');
  await s.page.getByLabel('Email').fill(email);
  await s.page.getByLabel('Password').fill(PW);
  await s.page.getByRole('button', { name: 'Sign in' }).click();
  await s.page.waitForURL('**/account.html', { timeout: 5000 });
  await s.page.locator('#profile-email').filter({ hasText: email }).waitFor({ timeout: 5000 });
}

/* The response has this status (its body, if still readable, in the message otherwise). */
export async function expectStatus(res, status) {
  if (res.status() === status) return;
  const body = await res.text().catch(() => '');
  assert.fail(`${res.request().method()} ${res.url()} answered ${res.status()}, not ${status}: ${body}`);
}

export const iso = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * An active scholarship with one open period, made through the API by
 * token's user (a super admin); returns {scholarship, period}. The
 * scholarship has sub-type "a" unless `scholarship` says otherwise; the
 * period (term 1 of `year`) is open from yesterday for 30 days with no
 * reviewer stage, extended by `period`.
 */
export async function openScholarship(token, { code, name, name_en, year, label, scholarship = {}, period = {} }) {
  const s = await api('POST', '/api/v1/scholarships', {
    token,
    body: {
      code: code.slice(0, 32), name, name_en, status: 'active',
      sub_types: [{ code: 'a', name: '甲類', name_en: 'Type A', amount_cents: 2000000 }],
      sub_type_selection: 'single', ...scholarship,
    },
  });
  assert.equal(s.status, 201, s.text);
  const p = await api('POST', `/api/v1/scholarships/${s.json.id}/periods`, {
    token,
    body: {
      academic_year: year, term: 1, label, opens_at: iso(-1), closes_at: iso(30),
      requires_reviewer_review: false, ...period,
    },
  });
  assert.equal(p.status, 201, p.text);
  const o = await api('POST', `/api/v1/periods/${p.json.id}/status`, { token, body: { status: 'open' } });
  assert.equal(o.status, 200, o.text);
  return { scholarship: s.json, period: o.json };
}
export const waitApi = (page, method, re) => page.waitForResponse((r) => r.request().method() === method && re.test(new URL(r.url()).pathname));

/* Every visible form control has a label getByLabel finds it by; every button and link a name. */
export async function assertLabelled(page, where) {
  const controls = await page.$$eval('input, select, textarea', (els) => els
    .filter((el) => el.type !== 'hidden' && !el.hidden && el.getClientRects().length > 0)
    .map((el, i) => {
      el.dataset.a11y = String(i);
      const label = el.labels?.[0]?.innerText.trim() || el.getAttribute('aria-label') || '';
      return { i: String(i), id: el.id, label };
    }));
  for (const c of controls) {
    assert.ok(c.label, `${where}: #${c.id} has no label`);
    const found = await page.getByLabel(c.label).evaluateAll((els, i) => els.some((e) => e.dataset.a11y === i), c.i);
    assert.ok(found, `${where}: getByLabel(${JSON.stringify(c.label)}) does not find #${c.id}`);
  }
  const unnamed = await page.$$eval('button, a[href]', (els) => els
    .filter((el) => el.getClientRects().length > 0)
    .filter((el) => !(el.innerText.trim() || el.getAttribute('aria-label') || el.getAttribute('title')))
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, [], `${where}: buttons or links without a name`);
}
