// notifications.test.mjs -- headless-browser tests of the notifications
// UI against the whole local stack:
//   (a) a student submits an application: the bell in the header counts
//       the new in-app notification (polled again when the window regains
//       the focus), the list shows it unread, following its link marks it
//       read and the count drops;
//   (b) an admin posts an announcement on the announcements page (a 422
//       shown by its field first), the student sees it in the list and
//       marks it read, then the admin deletes it and it is gone for the
//       student too; "Mark all as read" and the unread filter;
//   (c) a super admin on the email page: a template saved with an unknown
//       placeholder (422 by the field), previewed (the HTML in a sandboxed
//       frame), saved with If-Match, a scholarship's override created and
//       deleted; the test mode turned on (a warning banner) and off; the
//       history filtered by recipient and a failed mail retried;
//   (d) the pages at 1280px and on a 375px phone (English and Chinese):
//       labelled controls, no console error, CSP violation or sideways
//       scrolling.
// The set-up (users with scholarshipctl, the student record with psql, a
// scholarship and an open period through the API) is done here.
// Environment from tests/with-stack.sh: BASE_URL, STACK_BINDIR, PGHOST...
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  PW, addUser, api, assertClean, assertLabelled, closeBrowser, expectStatus, iso, launch,
  openScholarship, session, signIn, sleep, sql, token, waitApi,
} from '../lib/browser.mjs';

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const RUN = Date.now().toString(36).toUpperCase();
const YEAR = 2400 + Math.floor(Math.random() * 500);
const N = '/api/v1/notifications';

const ctx = {}; // what the tests share: users, the scholarship, the period, the application

/* A datetime-local value (the browser's local time) days from now. */
const localInput = (days) => {
  const d = new Date(Date.now() + days * 86400000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

/* The bell shows count (data-count is the count the page knows). */
async function bellShows(page, count) {
  await page.locator(`#nav-bell[data-count="${count}"]`).waitFor({ timeout: 10000 });
  const label = await page.locator('#nav-bell').getAttribute('aria-label');
  assert.equal(label, count > 0 ? `Notifications, ${count} unread` : 'Notifications');
  assert.equal(await page.locator('#nav-bell-count').count(), count > 0 ? 1 : 0);
  if (count > 0) assert.equal(await page.locator('#nav-bell-count').innerText(), String(count));
}

async function unreadCount(tok) {
  const r = await api('GET', `${N}/unread-count`, { token: tok });
  assert.equal(r.status, 200, r.text);
  return r.json.count;
}

before(async () => {
  await launch();
  ctx.student = `notif.student.${RUN}@example.edu`.toLowerCase();
  ctx.admin = `notif.admin.${RUN}@example.edu`.toLowerCase();
  ctx.root = `notif.root.${RUN}@example.edu`.toLowerCase();
  ctx.number = `N${RUN}`.slice(0, 12);
  addUser(ctx.student, 'Nora Student', 'student');
  addUser(ctx.admin, 'Notif Admin', 'admin');
  addUser(ctx.root, 'Notif Root', 'super_admin');
  sql(`INSERT INTO colleges (code, name, name_en) VALUES ('TST', '測試學院', 'College of Testing') ON CONFLICT DO NOTHING;
    INSERT INTO degrees (code, name, name_en) VALUES ('bachelor', '學士', 'Bachelor''s') ON CONFLICT DO NOTHING;
    INSERT INTO students (student_number, name, name_en, email, college_code, degree, enrollment_status,
      year_of_study, gpa, class_rank_percent, source, verified_at)
    VALUES ('${ctx.number}', '諾同學', 'Nora Student', '${ctx.student}', 'TST', 'bachelor', 'enrolled', 2, 3.9, 5, 'import', now())`);
  ctx.rootToken = await token(ctx.root);
  ctx.studentToken = await token(ctx.student);
  ({ scholarship: ctx.scholarship, period: ctx.period } = await openScholarship(ctx.rootToken, {
    code: `NT${RUN}`, name: '通知測試獎學金', name_en: `Notify Scholarship ${RUN}`, year: YEAR, label: `Notify ${YEAR}-1`,
  }));
});

after(async () => {
  // Never leave the test mode on for the suites that follow (they read the mail).
  if (ctx.rootToken) await api('DELETE', '/api/v1/mail/test-mode', { token: ctx.rootToken }).catch(() => {});
  await closeBrowser();
});

test('a student sees the notification of a submitted application: bell, list, read', async () => {
  const s = await session();
  const { page } = s;
  try {
    const before = await unreadCount(ctx.studentToken);
    await signIn(s, ctx.student);
    await bellShows(page, before);

    // The application is made and submitted through the API meanwhile.
    const a = await api('POST', '/api/v1/applications', {
      token: ctx.studentToken, body: { period_id: ctx.period.id, sub_types: ['a'] },
    });
    assert.equal(a.status, 201, a.text);
    const sub = await api('POST', `/api/v1/applications/${a.json.id}/submit`, { token: ctx.studentToken });
    assert.equal(sub.status, 200, sub.text);
    ctx.app = sub.json;
    const list = await api('GET', N, { token: ctx.studentToken });
    assert.equal(list.status, 200, list.text);
    const note = list.json.items.find((n) => n.kind === 'application_submitted');
    assert.ok(note, `no application_submitted notification in ${list.text}`);
    assert.equal(note.link, `/application.html?id=${ctx.app.id}`);
    assert.equal(note.read_at, null);

    // The bell asks again when the window regains the focus (not within 2 s of the last time).
    await sleep(2100);
    const [polled] = await Promise.all([
      waitApi(page, 'GET', /^\/api\/v1\/notifications\/unread-count$/),
      page.evaluate(() => window.dispatchEvent(new Event('focus'))),
    ]);
    await expectStatus(polled, 200);
    await bellShows(page, before + 1);

    await page.locator('#nav-bell').click();
    await page.waitForURL('**/notifications.html');
    const item = page.locator(`#notification-list li[data-id="${note.id}"]`);
    await item.waitFor();
    assert.match(await item.getAttribute('class'), /notif-unread/);
    assert.match(await item.innerText(), new RegExp(ctx.app.app_no));
    assert.equal(await item.locator('.notif-title .visually-hidden').innerText(), 'Unread:');
    assert.equal(await page.locator('#nav-bell').getAttribute('aria-current'), 'page');
    // Newest first.
    assert.equal(await page.locator('#notification-list li').first().getAttribute('data-id'), list.json.items[0].id);

    // Following the link marks it read first.
    const [read] = await Promise.all([
      waitApi(page, 'POST', new RegExp(`^/api/v1/notifications/${note.id}/read$`)),
      item.getByRole('link').click(),
    ]);
    await expectStatus(read, 200);
    await page.waitForURL(`**/application.html?id=${ctx.app.id}`);
    await page.locator('#app-status').waitFor();
    await bellShows(page, before);
    assert.equal(await unreadCount(ctx.studentToken), before);
    await assertClean(page, s.log);
  } finally {
    await s.close();
  }
});

test('an admin posts an announcement; the student reads it; the admin deletes it', async () => {
  const admin = await session();
  const student = await session();
  const title = `Library hours ${RUN}`;
  const titleZh = `圖書館開放時間 ${RUN}`;
  try {
    await signIn(admin, ctx.admin);
    const { page } = admin;
    await page.getByRole('link', { name: 'Announcements', exact: true }).click();
    await page.waitForURL('**/admin-announcements.html');
    await page.getByLabel('Title (Chinese)').fill(titleZh);
    await page.getByLabel('Title (English)').fill(title);
    await page.getByLabel('Message (Chinese)').fill('期末考週延長開放。');
    await page.getByLabel('Message (English)').fill('Open until midnight during the exam weeks.');
    await page.getByLabel('Audience').selectOption('students');
    // An expiry in the past: the server's 422 appears by the field.
    await page.getByLabel('Shown until').fill(localInput(-1));
    const [bad] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/announcements$/),
      page.getByRole('button', { name: 'Post announcement' }).click(),
    ]);
    await expectStatus(bad, 422);
    await page.locator('#ann-expires-error').waitFor();
    assert.equal(await page.getByLabel('Shown until').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Title (English)').getAttribute('aria-invalid'), null);

    const until = localInput(3);
    await page.getByLabel('Shown until').fill(until);
    const [posted] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/announcements$/),
      page.getByRole('button', { name: 'Post announcement' }).click(),
    ]);
    await expectStatus(posted, 201);
    assert.deepEqual(posted.request().postDataJSON(), {
      title: titleZh, title_en: title, body: '期末考週延長開放。', body_en: 'Open until midnight during the exam weeks.',
      audience: 'students', expires_at: new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    const ann = await posted.json();
    assert.ok(ann.recipients >= 1, `recipients: ${ann.recipients}`);
    await page.locator('#announcement-posted').filter({ hasText: `posted to ${ann.recipients} recipients` }).waitFor();
    const row = page.locator(`#announcements-table tr[data-id="${ann.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${title}[\\s\\S]*Students[\\s\\S]*Current`));
    assert.equal(await page.getByLabel('Title (English)').inputValue(), '', 'the form is cleared');

    // The student (locale zh-TW by default: the Chinese title) finds it unread and marks it read.
    await signIn(student, ctx.student);
    const before = await unreadCount(ctx.studentToken);
    assert.ok(before >= 1);
    await bellShows(student.page, before);
    await student.page.locator('#nav-bell').click();
    await student.page.waitForURL('**/notifications.html');
    const item = student.page.locator('#notification-list li[data-kind="announcement"]').filter({ hasText: RUN });
    await item.waitFor();
    assert.match(await item.innerText(), new RegExp(`(${titleZh}|${title})`));
    assert.match(await item.getAttribute('class'), /notif-unread/);
    assert.equal(await item.getByRole('link').count(), 0, 'an announcement links to this list: no link');
    const [read] = await Promise.all([
      waitApi(student.page, 'POST', /^\/api\/v1\/notifications\/[0-9a-f-]{36}\/read$/),
      item.getByRole('button', { name: /^Mark as read: / }).click(),
    ]);
    await expectStatus(read, 200);
    assert.notEqual((await read.json()).read_at, null);
    await student.page.locator(`#notification-list li[data-id="${(await read.json()).id}"]:not(.notif-unread)`).waitFor();
    await bellShows(student.page, before - 1);
    await assertClean(student.page, student.log);

    // The admin deletes it (after confirming): gone from the list and from the student's notifications.
    await row.getByRole('button', { name: `Delete: ${title}` }).click();
    const [gone] = await Promise.all([
      waitApi(page, 'DELETE', new RegExp(`^/api/v1/announcements/${ann.id}$`)),
      row.locator('.ann-confirm-delete').click(),
    ]);
    await expectStatus(gone, 204);
    await row.waitFor({ state: 'detached' });
    await page.locator('#announcement-deleted').waitFor();
    const left = await api('GET', `${N}?limit=100`, { token: ctx.studentToken });
    assert.equal(left.json.items.filter((n) => n.announcement_id === ann.id).length, 0);
    await assertClean(page, admin.log, { allowFailed: [/^422 POST \/api\/v1\/announcements$/] });
  } finally {
    await admin.close();
    await student.close();
  }
});

test('"Mark all as read" and the unread filter', async () => {
  for (const n of [1, 2]) {
    const r = await api('POST', '/api/v1/announcements', {
      token: ctx.rootToken,
      body: {
        title: `公告 ${n} ${RUN}`, title_en: `Notice ${n} ${RUN}`, body: '內容', body_en: 'Text',
        audience: 'all', expires_at: iso(2),
      },
    });
    assert.equal(r.status, 201, r.text);
  }
  const s = await session();
  const { page } = s;
  try {
    await signIn(s, ctx.student);
    const before = await unreadCount(ctx.studentToken);
    assert.ok(before >= 2);
    await s.go('/notifications.html');
    await page.locator('#notification-list').waitFor();
    await bellShows(page, before);
    const [filtered] = await Promise.all([
      waitApi(page, 'GET', /^\/api\/v1\/notifications$/),
      page.getByLabel('Show unread only').check(),
    ]);
    assert.equal(new URL(filtered.url()).searchParams.get('unread'), 'true');
    await page.locator('#notification-list li.notif-unread').first().waitFor();
    assert.equal(await page.locator('#notification-list li:not(.notif-unread)').count(), 0);

    const [all] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/notifications\/read-all$/),
      page.getByRole('button', { name: 'Mark all as read' }).click(),
    ]);
    await expectStatus(all, 200);
    assert.equal((await all.json()).count, before);
    await page.locator('#mark-all-done').waitFor();
    await bellShows(page, 0);
    assert.equal(await page.locator('#notification-list li.notif-unread').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Mark all as read' }).isDisabled(), true);
    assert.equal(await unreadCount(ctx.studentToken), 0);

    // Unread only, again from the server: nothing.
    await page.getByLabel('Show unread only').uncheck();
    await page.locator('#notification-list').waitFor();
    await page.getByLabel('Show unread only').check();
    await page.locator('#no-notifications').filter({ hasText: 'You have no unread notifications.' }).waitFor();
    await assertClean(page, s.log);
  } finally {
    await s.close();
  }
});

test('a super admin edits a template, overrides it, uses the test mode and the email history', async () => {
  const s = await session();
  const { page } = s;
  const failedTo = `bounce.${RUN}@example.edu`.toLowerCase();
  sql(`INSERT INTO mail_outbox (to_address, subject, body_text, template_key, locale, status, attempts, last_error)
    VALUES ('${failedTo}', 'Undeliverable ${RUN}', 'x', 'application_submitted', 'en', 'failed', 5, 'smtp: 550 mailbox unavailable')`);
  let original = null;
  try {
    await signIn(s, ctx.root);
    await page.getByRole('link', { name: 'Email', exact: true }).click();
    await page.waitForURL('**/admin-mail.html');
    assert.equal(await page.getByRole('tab', { name: 'Templates' }).getAttribute('aria-selected'), 'true');

    // The default English template of "application_submitted".
    const got = await api('GET', '/api/v1/mail-templates?key=application_submitted&locale=en', { token: ctx.rootToken });
    original = got.json.items.find((x) => !x.scholarship_id);
    assert.ok(original, got.text);
    await page.getByLabel('Template', { exact: true }).selectOption('application_submitted');
    await page.getByLabel('Language').selectOption('en');
    await page.locator('#template-placeholders').getByText('{{app_no}}', { exact: true }).waitFor();
    await page.locator('#template-state').filter({ hasText: `Version ${original.version},` }).waitFor();
    await page.waitForFunction((v) => document.querySelector('#tpl-subject')?.value === v, original.subject);

    // An unknown placeholder: the server's 422 by the field.
    await page.getByLabel('Subject').fill('Application {{app_no}} received {{nope}}');
    const [bad] = await Promise.all([
      waitApi(page, 'PUT', /^\/api\/v1\/mail-templates\/application_submitted\/en$/),
      page.getByRole('button', { name: 'Save template' }).click(),
    ]);
    await expectStatus(bad, 422);
    await page.locator('#tpl-subject-error').waitFor();
    assert.equal(await page.getByLabel('Subject').getAttribute('aria-invalid'), 'true');

    // Preview with example values: the subject, the text and the HTML in a sandboxed frame.
    // Without an HTML part the server makes one from the text (its inline style is applied
    // through the CSSOM: the CSP, which the frame inherits, refuses style attributes).
    await page.getByLabel('Subject').fill('Application {{app_no}} received');
    const preview = async () => {
      const [pv] = await Promise.all([
        waitApi(page, 'POST', /^\/api\/v1\/mail-templates\/application_submitted\/en\/preview$/),
        page.getByRole('button', { name: 'Preview' }).click(),
      ]);
      await expectStatus(pv, 200);
      const got = await pv.json();
      await page.locator('#preview-subject').filter({ hasText: got.subject }).waitFor();
      return { got, sent: pv.request().postDataJSON() };
    };
    const plain = await preview();
    assert.equal(plain.sent.body_html, undefined);
    assert.match(plain.got.subject, /^Application \S+ received$/);
    const appNo = plain.got.subject.split(' ')[1];
    assert.match(await page.locator('#preview-text').innerText(), new RegExp(appNo));
    const frame = page.frameLocator('#preview-html');
    await frame.locator('body p').first().waitFor();
    await page.waitForFunction(() => document.querySelector('#preview-html')?.contentDocument?.body?.style.fontFamily !== '');

    await page.getByLabel('HTML').fill('<style>p { margin: 3px; }</style><p>Dear {{applicant_name}}, we received'
      + ' <strong style="color: rgb(200, 0, 0)">{{app_no}}</strong>. <a href="https://example.org/x">More</a></p>'
      + '<script>parent.document.title = "owned"</script>');
    const rich = await preview();
    assert.match(rich.sent.body_html, /<strong style=/);
    const iframe = page.locator('#preview-html');
    assert.equal(await iframe.getAttribute('sandbox'), 'allow-same-origin');
    assert.match(await iframe.getAttribute('src'), /^blob:/);
    const strong = frame.locator('strong');
    await strong.waitFor();
    assert.equal(await strong.innerText(), appNo);
    await page.waitForFunction(() => {
      const d = document.querySelector('#preview-html')?.contentDocument;
      const el = d?.querySelector('strong');
      return el && d.defaultView.getComputedStyle(el).color === 'rgb(200, 0, 0)'
        && d.defaultView.getComputedStyle(d.querySelector('p')).marginTop === '3px';
    });
    assert.equal(await frame.locator('a').getAttribute('href'), null, 'links in the preview lead nowhere');
    assert.equal(await frame.locator('script').count(), 0);
    assert.notEqual(await page.title(), 'owned');

    // Saved with If-Match of the version read; an emptied HTML part is removed (null).
    await page.getByLabel('HTML').fill('');
    const [saved] = await Promise.all([
      waitApi(page, 'PUT', /^\/api\/v1\/mail-templates\/application_submitted\/en$/),
      page.getByRole('button', { name: 'Save template' }).click(),
    ]);
    await expectStatus(saved, 200);
    assert.equal(saved.request().headers()['if-match'], `"${original.version}"`);
    const sent = saved.request().postDataJSON();
    assert.equal(sent.subject, 'Application {{app_no}} received');
    assert.equal(sent.body_html, null);
    assert.equal(sent.scholarship_id, undefined);
    const after = await saved.json();
    assert.equal(after.version, original.version + 1);
    await page.locator('#template-saved').filter({ hasText: `version ${after.version}` }).waitFor();

    // An override for the scholarship: starts from the default, created, then deleted.
    await page.getByLabel('Scholarship').selectOption(ctx.scholarship.id);
    await page.locator('#template-state').filter({ hasText: 'no override yet' }).waitFor();
    assert.equal(await page.getByLabel('Subject').inputValue(), 'Application {{app_no}} received');
    await page.getByLabel('Subject').fill('Your {{scholarship_name}} application {{app_no}}');
    const [created] = await Promise.all([
      waitApi(page, 'PUT', /^\/api\/v1\/mail-templates\/application_submitted\/en$/),
      page.getByRole('button', { name: 'Save template' }).click(),
    ]);
    await expectStatus(created, 201);
    assert.equal(created.request().headers()['if-match'], undefined);
    assert.equal(created.request().postDataJSON().scholarship_id, ctx.scholarship.id);
    await page.locator('#template-state').filter({ hasText: 'own version' }).waitFor();
    await page.getByRole('button', { name: 'Delete override' }).click();
    const [deleted] = await Promise.all([
      waitApi(page, 'DELETE', /^\/api\/v1\/mail-templates\/application_submitted\/en$/),
      page.locator('#template-confirm-delete').click(),
    ]);
    await expectStatus(deleted, 204);
    assert.equal(new URL(deleted.url()).searchParams.get('scholarship_id'), ctx.scholarship.id);
    await page.locator('#template-state').filter({ hasText: 'no override yet' }).waitFor();

    // The test mode: a 422 (too far ahead), on with a banner, then off.
    await page.getByRole('tab', { name: 'Test mode' }).click();
    assert.match(page.url(), /#test-mode$/);
    await page.locator('#test-mode-state .badge').filter({ hasText: /^Off$/ }).waitFor();
    assert.equal(await page.locator('#test-mode-banner').count(), 0);
    await page.getByLabel('Send every mail to').fill(`qa.${RUN}@example.edu`.toLowerCase());
    await page.getByLabel('Until', { exact: true }).fill(localInput(60));
    const [far] = await Promise.all([
      waitApi(page, 'PUT', /^\/api\/v1\/mail\/test-mode$/),
      page.getByRole('button', { name: 'Turn test mode on' }).click(),
    ]);
    await expectStatus(far, 422);
    await page.locator('#test-expires-error').waitFor();
    await page.getByLabel('Until', { exact: true }).fill(localInput(1));
    const [on] = await Promise.all([
      waitApi(page, 'PUT', /^\/api\/v1\/mail\/test-mode$/),
      page.getByRole('button', { name: 'Turn test mode on' }).click(),
    ]);
    await expectStatus(on, 200);
    assert.deepEqual(on.request().postDataJSON().addresses, [`qa.${RUN}@example.edu`.toLowerCase()]);
    await page.locator('#test-mode-banner').filter({ hasText: `qa.${RUN}@example.edu`.toLowerCase() }).waitFor();
    await page.locator('#test-mode-state .badge').filter({ hasText: /^On$/ }).waitFor();
    const [off] = await Promise.all([
      waitApi(page, 'DELETE', /^\/api\/v1\/mail\/test-mode$/),
      page.getByRole('button', { name: 'Turn test mode off' }).click(),
    ]);
    assert.ok([200, 204].includes(off.status()), `DELETE test mode: ${off.status()}`);
    await page.locator('#test-mode-banner').waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/api/v1/mail/test-mode', { token: ctx.rootToken })).json.active, false);

    // The history: the student's mail, and a failed one retried.
    await page.getByRole('tab', { name: 'History' }).click();
    await page.locator('#mail-table, #no-mail').first().waitFor();
    await page.getByLabel('Recipient').fill(ctx.student);
    const [mine] = await Promise.all([
      waitApi(page, 'GET', /^\/api\/v1\/mail\/outbox$/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    await expectStatus(mine, 200);
    assert.equal(new URL(mine.url()).searchParams.get('recipient'), ctx.student);
    await page.locator('#mail-table tbody tr').filter({ hasText: 'application_submitted' }).first().waitFor();
    await page.getByLabel('Recipient').fill(failedTo);
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await Promise.all([
      waitApi(page, 'GET', /^\/api\/v1\/mail\/outbox$/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    const row = page.locator('#mail-table tbody tr').filter({ hasText: failedTo });
    await row.waitFor();
    assert.match(await row.innerText(), /Undeliverable[\s\S]*Failed[\s\S]*550 mailbox unavailable[\s\S]*5/);
    const [retry] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/mail\/outbox\/[0-9a-f-]{36}\/retry$/),
      row.getByRole('button', { name: `Retry the mail to ${failedTo}` }).click(),
    ]);
    await expectStatus(retry, 200);
    await row.locator('.mail-retried').waitFor();
    assert.notEqual(await row.getAttribute('data-status'), 'failed');
    await assertClean(page, s.log, {
      allowFailed: [/^422 PUT \/api\/v1\/mail-templates\/application_submitted\/en$/, /^422 PUT \/api\/v1\/mail\/test-mode$/],
    });
  } finally {
    await s.close();
    if (original) {
      const cur = await api('GET', '/api/v1/mail-templates?key=application_submitted&locale=en', { token: ctx.rootToken });
      const now = cur.json.items.find((x) => !x.scholarship_id);
      await api('PUT', '/api/v1/mail-templates/application_submitted/en', {
        token: ctx.rootToken, headers: { 'If-Match': `"${now.version}"` },
        body: { subject: original.subject, body_text: original.body_text, body_html: original.body_html },
      });
    }
  }
});

test('notification pages: labelled controls, clean console, phone width, both languages', async () => {
  if (SCREENSHOT_DIR) await mkdir(SCREENSHOT_DIR, { recursive: true });
  // A notification for every user with a body, so that the list has an item.
  const r = await api('POST', '/api/v1/announcements', {
    token: ctx.rootToken,
    body: {
      title: `系統維護 ${RUN}`, title_en: `Maintenance ${RUN}`, body: '週六晚間系統維護。',
      body_en: `Saturday night maintenance: ${'a-very-long-word-'.repeat(6)}`, audience: 'all', expires_at: iso(2),
    },
  });
  assert.equal(r.status, 201, r.text);
  // [path, selector that shows the page is ready]; never two pages in a row
  // that differ only by their fragment (that is no page load).
  const byRole = {
    [ctx.student]: [['/notifications.html', '#notification-list']],
    [ctx.admin]: [
      ['/admin-mail.html', '#template-form'],
      ['/admin-announcements.html', '#announcements-table'],
      ['/admin-mail.html#test-mode', '#test-mode-super-only'],
      ['/notifications.html', '#notification-list'],
      ['/admin-mail.html#history', '#mail-table, #no-mail'],
    ],
    [ctx.root]: [
      ['/admin-mail.html#templates', '#template-form'],
      ['/notifications.html', '#notification-list'],
      ['/admin-mail.html#test-mode', '#test-mode-form'],
      ['/admin-announcements.html', '#announcements-table'],
      ['/admin-mail.html#history', '#mail-table'],
    ],
  };
  for (const [viewport, langs] of [[{ width: 1280, height: 800 }, ['en']], [{ width: 375, height: 740 }, ['en', 'zh-TW']]]) {
    for (const lang of langs) {
      for (const [email, pages] of Object.entries(byRole)) {
        const s = await session({ viewport, lang });
        try {
          await s.go('/login.html');
          await s.page.locator('#email').fill(email);
          await s.page.locator('#password').fill(PW);
          await s.page.locator('form button[type="submit"]').click();
          await s.page.waitForURL('**/account.html');
          await s.page.locator('#profile-email').waitFor();
          await s.page.locator('#nav-bell').waitFor();
          for (const [p, ready] of pages) {
            s.log.responses.length = 0;
            s.log.consoleErrors.length = 0;
            await s.go(p);
            try {
              await s.page.locator(ready).first().waitFor({ timeout: 10000 });
            } catch (err) {
              throw new Error(`${p}: ${err.message}\n${await s.page.locator('main').innerText()}`);
            }
            await s.page.locator('#nav-bell').waitFor();
            const where = `${p} (${lang}, ${viewport.width}px)`;
            assert.equal(await s.page.getAttribute('html', 'lang'), lang, where);
            if (lang === 'en') await assertLabelled(s.page, where);
            const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= viewport.width, `${where} is ${width}px wide`);
            if (SCREENSHOT_DIR) {
              const name = `notif-${p.replace(/[^a-z]+/gi, '-').replace(/^-|-$/g, '')}-${email.split('.')[1]}-${lang}-${viewport.width}.png`;
              await s.page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
            }
            await assertClean(s.page, s.log);
          }
        } finally {
          await s.close();
        }
      }
    }
  }
});
