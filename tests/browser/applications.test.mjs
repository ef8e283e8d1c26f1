// applications.test.mjs -- headless-browser tests of the scholarship and
// application pages against the whole local stack:
//   (a) a student with a linked record sees an open period on "My
//       scholarships" (eligible, a met hard rule and a warning), applies
//       through the wizard (a type, the form with client-side checks and a
//       server 422 shown by the field, the terms), submits, and finds the
//       application "Submitted" on "My applications";
//   (b) an admin creates a scholarship with a type and a period with a
//       rule, a form field and a terms document in the editors, opens the
//       period (checked through the API); a super admin finds the
//       student's application in the staff list, moves it to "Under
//       review" with a reason and assigns a reviewer;
//   (c) every new page at 1280px and on a 375px phone (English and
//       Chinese): labelled controls, no console error, CSP violation or
//       sideways scrolling.
// The set-up (users with scholarshipctl, the student record with psql, a
// scholarship and an open period through the API) is done here.
// Environment from tests/with-stack.sh: BASE_URL, STACK_BINDIR, PGHOST...
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  PW, TOP, addUser, api, assertClean, assertLabelled, closeBrowser, expectStatus, launch,
  openScholarship, session, signIn, sleep, sql, token, waitApi,
} from '../lib/browser.mjs';

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const RUN = Date.now().toString(36).toUpperCase();
const YEAR = 2400 + Math.floor(Math.random() * 500);

const ctx = {}; // what the tests share: users, the scholarship, the period, the application


before(async () => {
  await launch();
  ctx.student = `apps.student.${RUN}@example.edu`.toLowerCase();
  ctx.admin = `apps.admin.${RUN}@example.edu`.toLowerCase();
  ctx.root = `apps.root.${RUN}@example.edu`.toLowerCase();
  ctx.number = `B${RUN}`.slice(0, 12);
  addUser(ctx.student, 'Lin Student', 'student');
  addUser(ctx.admin, 'Apps Admin', 'admin');
  addUser(ctx.root, 'Apps Root', 'super_admin');
  ctx.reviewer = `apps.reviewer.${RUN}@example.edu`.toLowerCase();
  addUser(ctx.reviewer, 'Rita Reviewer', 'reviewer');
  sql(`INSERT INTO colleges (code, name, name_en) VALUES ('TST', '測試學院', 'College of Testing') ON CONFLICT DO NOTHING;
    INSERT INTO degrees (code, name, name_en) VALUES ('bachelor', '學士', 'Bachelor''s') ON CONFLICT DO NOTHING;
    INSERT INTO students (student_number, name, name_en, email, college_code, degree, enrollment_status,
      year_of_study, gpa, class_rank_percent, source, verified_at)
    VALUES ('${ctx.number}', '林同學', 'Lin Student', '${ctx.student}', 'TST', 'bachelor', 'enrolled', 2, 3.9, 5, 'import', now())`);
  ctx.rootToken = await token(ctx.root);
  ({ scholarship: ctx.scholarship, period: ctx.period } = await openScholarship(ctx.rootToken, {
    code: `BR${RUN}`, name: '瀏覽器測試獎學金', name_en: `Browser Scholarship ${RUN}`, year: YEAR, label: `Browser ${YEAR}-1`,
    scholarship: {
      sub_types: [{ code: 'a', name: '甲類', name_en: 'Type A', amount_cents: 2000000 },
        { code: 'b', name: '乙類', name_en: 'Type B', amount_cents: 1000000 }],
    },
    period: {
      eligibility_rules: [
        { field: 'gpa', operator: '>=', value: 3.5, hard: true, message: '學業成績 3.5 以上', message_en: 'GPA at least 3.5' },
        { field: 'year_of_study', operator: '>=', value: 3, hard: false, message: '建議三年級以上', message_en: 'Third year or later recommended' },
      ],
      form_fields: [
        { key: 'motivation', label: '申請動機', label_en: 'Motivation', type: 'textarea', required: true, max_length: 200 },
        { key: 'family_size', label: '家庭人數', label_en: 'Family members', type: 'number', required: true, min: 1, max: 20 },
        // A POSIX class JavaScript cannot compile: only the server checks it.
        { key: 'student_code', label: '學號末四碼', label_en: 'Last four digits', type: 'text', required: false, pattern: '^[[:digit:]]{4}$' },
      ],
      terms_document: 'regulations-2026.pdf',
    },
  }));
});

after(closeBrowser);

test('a student applies from "My scholarships" and sees the submitted application', async () => {
  const s = await session();
  const { page } = s;
  const schName = ctx.scholarship.name_en;
  try {
    await signIn(s, ctx.student);
    await page.getByRole('link', { name: 'My scholarships', exact: true }).click();
    await page.waitForURL('**/eligible.html');
    const card = page.locator(`article[data-period="${ctx.period.id}"]`);
    await card.getByRole('heading', { name: schName }).waitFor();
    await card.getByText('Eligible', { exact: true }).waitFor();
    // A met hard rule and a warning, told apart.
    assert.match(await card.locator('.rule-pass').innerText(), /Met:.*GPA at least 3\.5/s);
    assert.match(await card.locator('.rule-warn').innerText(), /Warning:.*Third year or later recommended/s);
    assert.equal(await card.locator('.rule-hard').count(), 0);
    assert.match(await card.locator('.sub-list').innerText(), /Type A[\s\S]*Type B/);

    await card.getByRole('link', { name: `Apply: ${schName}` }).click();
    await page.waitForURL('**/apply.html?period=*');
    await page.getByRole('heading', { name: 'Scholarship types' }).waitFor();
    await page.getByLabel(/Type A/).check();
    const [created] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/applications$/),
      page.getByRole('button', { name: 'Save and continue' }).click(),
    ]);
    assert.equal(created.status(), 201);
    assert.deepEqual(created.request().postDataJSON(), { period_id: ctx.period.id, sub_types: ['a'] });
    const app = await created.json();
    ctx.appId = app.id;
    await page.getByRole('heading', { name: 'Application form' }).waitFor();
    assert.match(page.url(), new RegExp(`application=${app.id}`));

    // Client-side checks: required, bounds; nothing is sent.
    let patches = 0;
    page.on('request', (r) => { if (r.method() === 'PATCH') patches++; });
    await page.getByLabel('Family members').fill('50');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.locator('#answer-motivation-error').filter({ hasText: 'This answer is required.' }).waitFor();
    assert.equal(await page.locator('#answer-family_size-error').innerText(), 'Must be at most 20.');
    assert.equal(await page.getByLabel('Motivation').getAttribute('aria-invalid'), 'true');
    assert.equal(patches, 0);

    // The server's 422 appears by the field its path names.
    await page.getByLabel('Motivation').fill('I study hard and need support.');
    await page.getByLabel('Family members').fill('4');
    await page.getByLabel('Last four digits').fill('abcd');
    const [bad] = await Promise.all([
      waitApi(page, 'PATCH', /^\/api\/v1\/applications\/[0-9a-f-]{36}$/),
      page.getByRole('button', { name: 'Save and continue' }).click(),
    ]);
    await expectStatus(bad, 422);
    assert.equal(bad.request().headers()['if-match'], `"${app.version}"`);
    await page.locator('#answer-student_code-error').waitFor();
    assert.equal(await page.getByLabel('Last four digits').getAttribute('aria-invalid'), 'true');

    await page.getByLabel('Last four digits').fill('1234');
    const [saved] = await Promise.all([
      waitApi(page, 'PATCH', /^\/api\/v1\/applications\/[0-9a-f-]{36}$/),
      page.getByRole('button', { name: 'Save and continue' }).click(),
    ]);
    await expectStatus(saved, 200);
    assert.deepEqual(saved.request().postDataJSON(),
      { answers: { motivation: 'I study hard and need support.', family_size: 4, student_code: '1234' } });

    // The terms must be accepted.
    await page.getByRole('heading', { name: 'Terms' }).waitFor();
    assert.equal(await page.locator('#terms-document').innerText(), 'regulations-2026.pdf');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.locator('#accept-terms-error').waitFor();
    await page.getByLabel('I have read and accept the regulations').check();
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('heading', { name: 'Review and submit' }).waitFor();
    assert.match(await page.locator('#review').innerText(), /Type A[\s\S]*I study hard[\s\S]*Accepted/);
    const [submit] = await Promise.all([
      waitApi(page, 'POST', /\/submit$/),
      page.getByRole('button', { name: 'Submit application' }).click(),
    ]);
    await expectStatus(submit, 200);
    assert.deepEqual(submit.request().postDataJSON(), { accept_terms: true });
    await page.waitForURL('**/application.html?id=*');
    await page.locator('#submitted-notice').waitFor();
    assert.equal(await page.locator('#app-status').innerText(), 'Submitted');
    assert.match(await page.locator('#status-history').innerText(), /Draft[\s\S]*Submitted/);
    assert.match(await page.locator('#app-answers').innerText(), /Motivation[\s\S]*I study hard/);
    await page.locator('#stage-timeline [aria-current="step"]').waitFor();

    await page.getByRole('link', { name: 'My applications', exact: true }).click();
    await page.waitForURL('**/my-applications.html');
    const row = page.locator(`#applications-table tr[data-id="${app.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${app.app_no}[\\s\\S]*${schName}[\\s\\S]*Submitted`));

    // "My scholarships" now links to the application instead of "Apply".
    await page.getByRole('link', { name: 'My scholarships', exact: true }).click();
    await card.getByRole('link', { name: 'View my application' }).waitFor();
    await assertClean(page, s.log, { allowFailed: [/^422 PATCH \/api\/v1\/applications\//] });
  } finally {
    await s.close();
  }
});

test('an admin creates a scholarship and a period in the editors and opens the period', async () => {
  const s = await session();
  const { page } = s;
  const code = `NEW${RUN}`.slice(0, 32);
  try {
    await signIn(s, ctx.admin);
    await page.getByRole('link', { name: 'Scholarships', exact: true }).click();
    await page.waitForURL('**/admin-scholarships.html');
    await page.getByRole('link', { name: 'New scholarship' }).click();
    await page.waitForURL('**/admin-scholarship.html');
    await page.getByLabel('Code').fill(code);
    await page.getByLabel('Name (Chinese)').fill('新獎學金');
    await page.getByLabel('Name (English)').fill(`New Scholarship ${RUN}`);
    await page.getByLabel('Status', { exact: true }).selectOption('active');
    await page.getByRole('button', { name: '+ Add Type' }).click();
    const sub = page.locator('#sub-types');
    await sub.getByLabel('Type code').fill('main');
    await sub.getByLabel('Name (Chinese)').fill('主類');
    await sub.getByLabel('Amount (TWD)').fill('12000');
    const [created] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/scholarships$/),
      page.getByRole('button', { name: 'Create scholarship' }).click(),
    ]);
    await expectStatus(created, 201);
    const sch = await created.json();
    assert.deepEqual(sch.sub_types, [{ code: 'main', name: '主類', name_en: null, amount_cents: 1200000 }]);
    await page.locator('#scholarship-saved').waitFor();

    await page.getByRole('link', { name: 'New period' }).click();
    await page.waitForURL('**/admin-period.html?scholarship=*');
    await page.locator('#per-label').fill(`Spring ${YEAR}`);
    await page.getByLabel('Academic year').fill(String(YEAR));
    await page.getByLabel('Term').selectOption('2');
    await page.getByLabel('Opens').fill('2026-01-01T09:00');
    await page.getByLabel('Closes').fill('2099-12-31T17:00');
    await page.getByLabel('Reviewers review the applications').uncheck();
    await page.getByRole('button', { name: '+ Add Rule' }).click();
    const rules = page.locator('#rules');
    await rules.getByLabel('Value').fill('3.2');
    await rules.getByLabel('Message (Chinese)').fill('GPA 3.2 以上');
    await rules.getByLabel('Message (English)').fill('GPA at least 3.2');
    await page.getByRole('button', { name: '+ Add Field' }).click();
    const fields = page.locator('#fields');
    await fields.getByLabel('Key').fill('plan');
    await fields.getByLabel('Label (Chinese)').fill('讀書計畫');
    await fields.getByLabel('Type').selectOption('textarea');
    await fields.getByLabel('Maximum length').fill('500');
    await fields.getByLabel('Required').check();
    await page.getByLabel('Regulations document').fill('rules.pdf');
    const [per] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/scholarships\/[0-9a-f-]{36}\/periods$/),
      page.getByRole('button', { name: 'Create period' }).click(),
    ]);
    await expectStatus(per, 201);
    const period = await per.json();
    await page.locator('#period-status').filter({ hasText: 'Draft' }).waitFor();
    const [opened] = await Promise.all([
      waitApi(page, 'POST', /\/status$/),
      page.getByRole('button', { name: 'Open period' }).click(),
    ]);
    await expectStatus(opened, 200);
    await page.locator('#period-status').filter({ hasText: 'Open' }).waitFor();

    const got = await api('GET', `/api/v1/periods/${period.id}`, { token: await token(ctx.admin) });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.status, 'open');
    assert.equal(got.json.scholarship_id, sch.id);
    assert.equal(got.json.term, 2);
    assert.equal(got.json.requires_reviewer_review, false);
    assert.deepEqual(got.json.eligibility_rules.map((r) => [r.field, r.operator, r.value, r.hard]), [['gpa', '>=', 3.2, true]]);
    assert.deepEqual(got.json.form_fields.map((f) => [f.key, f.type, f.required, f.max_length]), [['plan', 'textarea', true, 500]]);
    assert.equal(got.json.terms_document, 'rules.pdf');
    assert.equal(got.json.opens_at, new Date('2026-01-01T09:00').toISOString().replace(/\.\d{3}Z$/, 'Z'));

    // The period shows on the scholarship, and a save round-trips (PATCH with If-Match).
    await page.getByRole('link', { name: 'back to the scholarship' }).click();
    await page.locator('#periods-table').getByText(`Spring ${YEAR}`).waitFor();
    await assertClean(page, s.log);
  } finally {
    await s.close();
  }
});

test('a super admin finds the application in the staff list and puts it under review', async () => {
  assert.ok(ctx.appId, 'the student test made an application');
  const s = await session();
  const { page } = s;
  try {
    await signIn(s, ctx.root);
    await page.getByRole('link', { name: 'Applications', exact: true }).click();
    await page.waitForURL('**/admin-applications.html');
    await page.getByLabel('Search (number, name, email)').fill(ctx.number);
    const [list] = await Promise.all([
      waitApi(page, 'GET', /^\/api\/v1\/applications$/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    assert.equal(list.status(), 200);
    const row = page.locator(`#applications-table tr[data-id="${ctx.appId}"]`);
    await row.waitFor();
    await row.getByRole('link').click();
    await page.waitForURL('**/application.html?id=*');
    await page.locator('#app-student').filter({ hasText: ctx.number }).waitFor();
    await page.getByLabel('New status').selectOption('under_review');
    await page.getByLabel('Reason').fill('Complete application');
    const [moved] = await Promise.all([
      waitApi(page, 'POST', /\/status$/),
      page.getByRole('button', { name: 'Change status' }).click(),
    ]);
    await expectStatus(moved, 200);
    await page.locator('#app-status').filter({ hasText: 'Under review' }).waitFor();
    assert.match(await page.locator('#status-history').innerText(), /Under review[\s\S]*Complete application/);

    // Assign a reviewer (PUT with If-Match of the version the status change left).
    await page.getByLabel(`Rita Reviewer <${ctx.reviewer}>`).check();
    const [assigned] = await Promise.all([
      waitApi(page, 'PUT', /\/reviewers$/),
      page.getByRole('button', { name: 'Save reviewers' }).click(),
    ]);
    await expectStatus(assigned, 200);
    const after = await moved.json();
    assert.equal(assigned.request().headers()['if-match'], `"${after.version}"`);
    assert.equal(assigned.request().postDataJSON().reviewer_ids.length, 1);
    assert.deepEqual((await assigned.json()).reviewers.map((r) => r.email), [ctx.reviewer]);
    await page.locator('#reviewers-saved').waitFor();
    await assertClean(page, s.log);
  } finally {
    await s.close();
  }
});

test('new pages: labelled controls, clean console, phone width, both languages', async () => {
  assert.ok(ctx.appId, 'the student test made an application');
  if (SCREENSHOT_DIR) await mkdir(SCREENSHOT_DIR, { recursive: true });
  const byRole = {
    [ctx.student]: [
      // [path, selector that shows the page is ready]
      ['/eligible.html', '#eligibility-list'],
      ['/my-applications.html', '#applications-table'],
      [`/application.html?id=${ctx.appId}`, '#status-history'],
      [`/apply.html?period=${ctx.period.id}`, '#not-editable'],
    ],
    [ctx.root]: [
      ['/admin-scholarships.html', '#scholarships-table'],
      [`/admin-scholarship.html?id=${ctx.scholarship.id}`, '#periods-table'],
      ['/admin-scholarship.html', '#scholarship-form'],
      [`/admin-period.html?id=${ctx.period.id}`, '#period-form'],
      [`/admin-period.html?scholarship=${ctx.scholarship.id}`, '#period-form'],
      ['/admin-applications.html', '#applications-table'],
      [`/application.html?id=${ctx.appId}`, '#reviewers-form fieldset'],
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
          for (const [p, ready] of pages) {
            s.log.responses.length = 0;
            s.log.consoleErrors.length = 0;
            await s.go(p);
            try {
              await s.page.locator(`${ready}, #load-alert, #session-alert`).first().waitFor({ timeout: 10000 });
            } catch (err) {
              throw new Error(`${p}: ${err.message}\n${await s.page.locator('main').innerText()}`);
            }
            assert.equal(await s.page.locator(ready).count() > 0, true,
              `${p}: ${await s.page.locator('main').innerText()}`);
            if (p.includes('admin-period')) {
              // Rows in every editor, so that their controls are checked too.
              for (const add of ['#rules-add', '#fields-add', '#documents-add', '#rubric-add']) await s.page.locator(add).click();
              await s.page.locator('#per-quota-mode').selectOption('total');
            }
            const where = `${p} (${lang}, ${viewport.width}px)`;
            assert.equal(await s.page.getAttribute('html', 'lang'), lang, where);
            if (lang === 'en') await assertLabelled(s.page, where);
            const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= viewport.width, `${where} is ${width}px wide`);
            if (SCREENSHOT_DIR) {
              const name = p.replace(/\?.*$/, '').replace(/[^a-z]+/gi, '-').replace(/^-|-$/g, '');
              await s.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}${p.includes('?') ? '-q' : ''}-${lang}-${viewport.width}.png`), fullPage: true });
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
