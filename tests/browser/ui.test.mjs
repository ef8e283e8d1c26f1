// ui.test.mjs -- headless-browser tests of the web UI served by NGINX
// (static files from nginx/html, /health and /api/ through the FastCGI
// pool): the landing page and its live status, vendored preact/htm
// modules under the CSP, the language switch, the sign-in page and its
// error handling, and a 375px phone layout. BASE_URL comes from
// tests/with-stack.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.BASE_URL;
if (!BASE_URL) throw new Error('BASE_URL is not set (run under tests/with-stack.sh)');

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
});

// A fresh context (own storage) and page that records console errors,
// uncaught exceptions, CSP violations and every response.
async function open(path, { viewport = { width: 1280, height: 800 }, lang, setup } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  const page = await context.newPage();
  const log = { consoleErrors: [], pageErrors: [], responses: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => log.pageErrors.push(String(e)));
  page.on('response', (r) => log.responses.push(r));
  // Runs before any page script and is not subject to the page's CSP.
  await page.addInitScript((saved) => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    if (saved) try { localStorage.setItem('scholarship.lang', saved); } catch { /* about:blank */ }
  }, lang ?? null);
  if (setup) await setup(page);
  const res = await page.goto(new URL(path, BASE_URL).href, { waitUntil: 'load' });
  assert.equal(res.status(), 200, `${path}: HTTP ${res.status()}`);
  const close = async () => { await page.close(); await context.close(); };
  return { page, log, close };
}

// No CSP violation, console error, uncaught exception, failed response
// (but those allowed) or broken image.
async function assertClean(page, log, { allowConsole = [], allowFailed = [] } = {}) {
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], 'CSP violations');
  const failed = log.responses.filter((r) => r.status() >= 400)
    .map((r) => `${r.status()} ${new URL(r.url()).pathname}`)
    .filter((f) => !allowFailed.includes(f));
  assert.deepEqual(failed, [], 'failed responses');
  const broken = await page.$$eval('img', (imgs) =>
    imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src));
  assert.deepEqual(broken, [], 'broken images');
  const errors = log.consoleErrors.filter((m) => !allowConsole.some((re) => re.test(m)));
  assert.deepEqual(errors, [], 'console errors');
  assert.deepEqual(log.pageErrors, [], 'uncaught page errors');
}

/* Wait until the element's whole text is `text`. A locator, not
 * waitForFunction: the page's CSP forbids the eval that the latter may use. */
function waitText(page, selector, text, timeout = 5000) {
  const exact = new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  return page.locator(selector).filter({ hasText: exact }).waitFor({ timeout });
}

test('landing page shows its heading and the system status from /health', async () => {
  const { page, log, close } = await open('/');
  try {
    await page.getByRole('heading', { level: 1, name: 'Scholarship Management System' }).waitFor();
    await waitText(page, '#health-status', 'ok');
    assert.match(await page.locator('#status-root').innerText(), /System status:\s*ok/);
    const health = log.responses.find((r) => new URL(r.url()).pathname === '/health');
    assert.ok(health, 'the page asked /health');
    assert.equal(health.status(), 200);
    assert.ok(await page.getByRole('link', { name: 'Sign in' }).first().isVisible());
    await assertClean(page, log);
  } finally {
    await close();
  }
});

test('vendored preact/htm modules load under the CSP with no console errors', async () => {
  const { page, log, close } = await open('/');
  try {
    // The language switch and the status are rendered by preact + htm + hooks.
    await page.locator('#lang-switch button#lang-toggle').waitFor({ timeout: 5000 });
    await page.locator('#status-root #health-status').waitFor();
    for (const name of ['preact.module.js', 'hooks.module.js', 'htm.module.js']) {
      const r = log.responses.find((x) => new URL(x.url()).pathname === `/vendor/${name}`);
      assert.ok(r, `${name} requested`);
      assert.equal(r.status(), 200, name);
      assert.match(r.headers()['content-type'] ?? '', /javascript/, name);
    }
    const csp = (await page.request.get(BASE_URL + '/')).headers()['content-security-policy'];
    assert.match(csp ?? '', /script-src 'self'/, 'NGINX sends the CSP');
    await assertClean(page, log);
  } finally {
    await close();
  }
});

test('the language switch shows Traditional Chinese and is remembered', async () => {
  const { page, log, close } = await open('/');
  try {
    await page.locator('#health-status[data-state="ok"]').waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: '繁體中文' }).click();
    await page.getByRole('heading', { level: 1, name: '獎學金管理系統' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-TW');
    assert.equal(await page.title(), '獎學金管理系統');
    await page.getByRole('link', { name: '登入' }).first().waitFor();
    await waitText(page, '#health-status', '正常');
    assert.match(await page.locator('#status-root').innerText(), /系統狀態/);
    assert.ok(await page.getByRole('button', { name: 'English' }).isVisible());

    await page.reload();
    await page.getByRole('heading', { level: 1, name: '獎學金管理系統' }).waitFor();
    await page.goto(new URL('/login.html', BASE_URL).href);
    await page.getByLabel('電子郵件').waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByLabel('Email').waitFor();
    await assertClean(page, log);
  } finally {
    await close();
  }
});

test('the sign-in page has labelled email and password fields', async () => {
  const { page, log, close } = await open('/login.html');
  try {
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const email = page.getByLabel('Email');
    const password = page.getByLabel('Password');
    await email.waitFor({ timeout: 5000 });
    assert.equal(await email.getAttribute('type'), 'email');
    assert.equal(await email.getAttribute('autocomplete'), 'username');
    assert.equal(await email.evaluate((el) => el.required), true);
    assert.equal(await password.getAttribute('type'), 'password');
    assert.equal(await password.getAttribute('autocomplete'), 'current-password');
    assert.equal(await password.evaluate((el) => el.required), true);
    assert.equal(await page.locator('form').getAttribute('method'), 'post');
    assert.ok(await page.getByRole('button', { name: 'Sign in' }).isEnabled());
    // An empty form is stopped by the browser's validation: no request.
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await email.evaluate((el) => el.matches(':invalid')), true);
    assert.ok(!log.responses.some((r) => r.url().includes('/api/')), 'no request for an empty form');
    await assertClean(page, log);
  } finally {
    await close();
  }
});

test('a failed sign-in shows the API problem detail in an alert', async () => {
  const { page, log, close } = await open('/login.html');
  try {
    await page.getByLabel('Email').fill('nobody@example.edu');
    await page.getByLabel('Password').fill('not-the-password-1');
    const [res] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/login'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    // Today the route is not implemented (404); later an unknown user is 401.
    assert.ok(res.status() >= 400, `login answered ${res.status()}`);
    assert.equal(res.request().method(), 'POST');
    assert.deepEqual(res.request().postDataJSON(), { email: 'nobody@example.edu', password: 'not-the-password-1' });
    assert.match(res.headers()['content-type'] ?? '', /application\/problem\+json/);
    const problem = await res.json();

    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'Sign-in failed.' }).waitFor({ timeout: 5000 });
    const text = await alert.innerText();
    assert.ok(problem.detail && text.includes(problem.detail), `alert "${text}" shows "${problem.detail}"`);
    assert.ok(text.includes(problem.request_id), 'alert shows the request id');
    assert.equal(new URL(page.url()).pathname, '/login.html', 'still on the sign-in page');
    assert.equal(new URL(page.url()).search, '', 'nothing in the URL');
    assert.ok(await page.getByRole('button', { name: 'Sign in' }).isEnabled(), 'the form can be retried');
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
    // Chromium logs the failed request itself; nothing else may be logged.
    await assertClean(page, log, {
      allowConsole: [/Failed to load resource: .*status of 4\d\d/],
      allowFailed: [`${res.status()} /api/v1/auth/login`],
    });
  } finally {
    await close();
  }
});

test('failures are shown plainly: /health down, the API unreachable', async () => {
  const down = await open('/', {
    setup: (page) => page.route('**/health', (route) => route.fulfill({
      status: 503, contentType: 'text/html', body: '<h1>503 Service Unavailable</h1>',
    })),
  });
  try {
    await waitText(down.page, '#health-status', 'unavailable');
    await assertClean(down.page, down.log, {
      allowConsole: [/Failed to load resource: .*status of 503/], allowFailed: ['503 /health'],
    });
  } finally {
    await down.close();
  }

  const off = await open('/login.html', {
    setup: (page) => page.route('**/api/**', (route) => route.abort('connectionrefused')),
  });
  try {
    await off.page.getByLabel('Email').fill('nobody@example.edu');
    await off.page.getByLabel('Password').fill('not-the-password-1');
    await off.page.getByRole('button', { name: 'Sign in' }).click();
    await off.page.getByRole('alert').filter({ hasText: 'Cannot reach the server' }).waitFor({ timeout: 5000 });
    await assertClean(off.page, off.log, { allowConsole: [/net::ERR_CONNECTION_REFUSED/] });
  } finally {
    await off.close();
  }
});

test('pages fit a 375px-wide phone screen in both languages', async () => {
  for (const lang of ['en', 'zh-TW']) {
    for (const path of ['/', '/login.html']) {
      const { page, log, close } = await open(path, { viewport: { width: 375, height: 740 }, lang });
      try {
        await page.locator('#lang-toggle').waitFor({ timeout: 5000 });
        assert.equal(await page.getAttribute('html', 'lang'), lang);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 375, `${path} (${lang}) is ${width}px wide`);
        await assertClean(page, log);
      } finally {
        await close();
      }
    }
  }
});
