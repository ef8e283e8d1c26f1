// documents.test.mjs -- headless-browser tests of the documents step of
// the application wizard and the documents on the application page,
// against the whole local stack:
//   (a) a student uploads files in the wizard's documents step: a PDF with
//       its progress bar reaching 100% and the file listed, a text file
//       renamed .pdf refused by the server (its 415 detail shown by the
//       file), a too-large image refused before upload (nothing sent), an
//       image; the review names what is missing until everything required
//       is there; after submitting, the student downloads the PDF from the
//       application page (the same bytes, application/pdf);
//   (b) a super admin sees the documents (the image and the PDF inline,
//       the PDF downloaded too) and asks for a new photo; the student sees the open
//       request, replaces the photo and says it is uploaded;
//   (c) the pages at 375px in both languages: labelled controls, no
//       console error, CSP violation or sideways scrolling.
// The set-up (users with scholarshipctl, the student record with psql, a
// scholarship and an open period with required_documents through the API)
// is done here. Environment from tests/with-stack.sh: BASE_URL, STACK_BINDIR, PGHOST...
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  PW, TOP, addUser, api, assertClean, assertLabelled, closeBrowser, expectStatus, launch,
  openScholarship, session, signIn, sleep, sql, token, waitApi,
} from '../lib/browser.mjs';

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const RUN = Date.now().toString(36).toUpperCase();
const YEAR = 2400 + Math.floor(Math.random() * 500);

const ctx = {}; // what the tests share: users, the scholarship, the period, the application


const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
/* A PDF of about 700 KB (the server decides the type by the first bytes), large enough for upload progress events. */
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n'),
  Buffer.from(`% ${'padding '.repeat(90000)}\n`),
  Buffer.from('trailer << /Root 1 0 R >>\n%%EOF\n'),
]);
const BIG_PNG = Buffer.concat([PNG, Buffer.alloc(2 * 1048576)]);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const DOC_POST = /^\/api\/v1\/applications\/[0-9a-f-]{36}\/documents$/;
const CONTENT = /^\/api\/v1\/documents\/[0-9a-f-]{36}\/content$/;
const dayAhead = (days) => {
  const d = new Date(Date.now() + days * 86400000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

function addStudentRecord(number, email, name) {
  sql(`INSERT INTO students (student_number, name, name_en, email, college_code, degree, enrollment_status,
      year_of_study, gpa, class_rank_percent, source, verified_at)
    VALUES ('${number}', '林同學', '${name}', '${email}', 'TST', 'bachelor', 'enrolled', 2, 3.9, 5, 'import', now())`);
}

before(async () => {
  await launch();
  ctx.student = `docs.student.${RUN}@example.edu`.toLowerCase();
  ctx.student2 = `docs.student2.${RUN}@example.edu`.toLowerCase();
  ctx.root = `docs.root.${RUN}@example.edu`.toLowerCase();
  addUser(ctx.student, 'Lin Student', 'student');
  addUser(ctx.student2, 'Wang Student', 'student');
  addUser(ctx.root, 'Docs Root', 'super_admin');
  sql(`INSERT INTO colleges (code, name, name_en) VALUES ('TST', '測試學院', 'College of Testing') ON CONFLICT DO NOTHING;
    INSERT INTO degrees (code, name, name_en) VALUES ('bachelor', '學士', 'Bachelor''s') ON CONFLICT DO NOTHING;`);
  addStudentRecord(`D${RUN}`.slice(0, 12), ctx.student, 'Lin Student');
  addStudentRecord(`E${RUN}`.slice(0, 12), ctx.student2, 'Wang Student');
  ctx.rootToken = await token(ctx.root);
  ({ scholarship: ctx.scholarship, period: ctx.period } = await openScholarship(ctx.rootToken, {
    code: `DC${RUN}`, name: '文件測試獎學金', name_en: `Documents Scholarship ${RUN}`, year: YEAR, label: `Docs ${YEAR}-1`,
    period: {
      required_documents: [
        { kind: 'transcript', label: '成績單', label_en: 'Transcript', required: true, accepted_types: ['application/pdf'], max_mb: 2, max_count: 2 },
        { kind: 'photo', label: '照片', label_en: 'Photo', required: true, accepted_types: ['image/png', 'image/jpeg'], max_mb: 1, max_count: 1 },
        { kind: 'other', label: '其他', label_en: 'Other', required: false, accepted_types: ['application/pdf', 'image/png', 'image/jpeg'], max_mb: 2, max_count: 3 },
      ],
    },
  }));
});

after(closeBrowser);

test('a student uploads documents with progress, sees refusals, submits and downloads a file', async () => {
  const s = await session();
  const { page } = s;
  try {
    await signIn(s, ctx.student);
    await s.go(`/apply.html?period=${ctx.period.id}`);
    await page.getByRole('heading', { name: 'Scholarship types' }).waitFor();
    await page.getByLabel(/Type A/).check();
    const [created] = await Promise.all([
      waitApi(page, 'POST', /^\/api\/v1\/applications$/),
      page.getByRole('button', { name: 'Save and continue' }).click(),
    ]);
    await expectStatus(created, 201);
    ctx.appId = (await created.json()).id;
    await page.getByRole('heading', { name: 'Documents', exact: true }).waitFor();
    const missing = await page.locator('#docs-missing').innerText();
    assert.match(missing, /Still required:[\s\S]*Transcript[\s\S]*Photo/);
    assert.doesNotMatch(missing, /Other/);
    assert.match(await page.locator('#doc-transcript-hint').innerText(), /PDF, up to 2 MB each, at most 2 files/);

    // Every value the progress bars take is recorded.
    await page.evaluate(() => {
      window.__progress = [];
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('progress.upload-progress')) window.__progress.push(el.value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
    });

    // A PDF: sent with the token, progress to 100%, then listed.
    const transcript = page.getByLabel('Choose files for Transcript');
    const [up] = await Promise.all([
      waitApi(page, 'POST', DOC_POST),
      transcript.setInputFiles({ name: 'transcript.pdf', mimeType: 'application/pdf', buffer: PDF }),
    ]);
    await expectStatus(up, 201);
    assert.match(up.request().headers().authorization || '', /^Bearer \S+/);
    assert.match(up.request().headers()['content-type'] || '', /^multipart\/form-data; boundary=/);
    const doc = await up.json();
    assert.equal(doc.kind, 'transcript');
    assert.equal(doc.content_type, 'application/pdf');
    assert.equal(doc.size, PDF.length);
    assert.equal(doc.sha256, sha256(PDF));
    const done = page.locator('#doc-transcript-uploads li[data-file="transcript.pdf"]');
    await done.locator('.upload-status').filter({ hasText: 'Uploaded.' }).waitFor();
    assert.equal(await done.locator('progress').evaluate((el) => el.value), 100);
    assert.ok((await page.evaluate(() => window.__progress)).includes(100), 'the progress bar reached 100%');
    await page.locator('#doc-transcript-list').getByText('transcript.pdf').waitFor();
    assert.doesNotMatch(await page.locator('#docs-missing').innerText(), /Transcript/);

    // A text file renamed .pdf passes the client's hint; the server's 415 detail is shown by the file.
    const [bad] = await Promise.all([
      waitApi(page, 'POST', DOC_POST),
      transcript.setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('just some notes, not a PDF\n') }),
    ]);
    await expectStatus(bad, 415);
    const badItem = page.locator('#doc-transcript-uploads li[data-file="notes.pdf"] .upload-error');
    await badItem.waitFor();
    assert.match(await badItem.innerText(), /^Not uploaded: the file is not a PDF, PNG or JPEG \(checked by its content\)/);
    assert.equal(await page.locator('#doc-transcript-list li').count(), 1);

    // Refused before upload: too large, and not an accepted type; nothing is sent.
    let posts = 0;
    page.on('request', (r) => { if (r.method() === 'POST' && DOC_POST.test(new URL(r.url()).pathname)) posts++; });
    const photo = page.getByLabel('Choose files for Photo');
    await photo.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: BIG_PNG });
    const huge = page.locator('#doc-photo-uploads li[data-file="huge.png"] .upload-error');
    await huge.waitFor();
    assert.match(await huge.innerText(), /This file is 2 MB; this document is limited to 1 MB\./);
    await photo.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') });
    const txt = page.locator('#doc-photo-uploads li[data-file="notes.txt"] .upload-error');
    await txt.waitFor();
    assert.match(await txt.innerText(), /does not look like PNG \/ JPEG/);
    assert.equal(posts, 0);

    // The review names what is missing and leads back to the documents.
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: 'Review and submit' }).waitFor();
    assert.match(await page.locator('#review-missing').innerText(), /Required documents missing[\s\S]*Photo/);
    assert.match(await page.locator('#review-documents').innerText(), /Transcript: transcript\.pdf/);
    await page.getByRole('button', { name: 'Upload documents' }).click();
    await page.getByRole('heading', { name: 'Documents', exact: true }).waitFor();

    const [ph] = await Promise.all([
      waitApi(page, 'POST', DOC_POST),
      page.getByLabel('Choose files for Photo').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: PNG }),
    ]);
    await expectStatus(ph, 201);
    await page.locator('#docs-missing').filter({ hasText: 'Every required document is uploaded.' }).waitFor();
    // The photo takes one file: its drop zone says so instead of offering a button.
    await page.locator('[data-kind="photo"] .drop-full').filter({ hasText: 'The limit of 1 for this document is reached' }).waitFor();

    // An optional file, dropped on its drop zone, then deleted.
    const dataTransfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['%PDF-1.4\n%%EOF\n'], 'other.pdf', { type: 'application/pdf' }));
      return dt;
    });
    const zone = page.locator('[data-kind="other"] .drop-zone');
    await zone.dispatchEvent('dragenter', { dataTransfer });
    await zone.dispatchEvent('dragover', { dataTransfer });
    assert.match(await zone.getAttribute('class'), /drop-active/);
    const [other] = await Promise.all([
      waitApi(page, 'POST', DOC_POST),
      zone.dispatchEvent('drop', { dataTransfer }),
    ]);
    await expectStatus(other, 201);
    assert.doesNotMatch(await zone.getAttribute('class'), /drop-active/);
    await page.locator('#doc-other-list').getByText('other.pdf').waitFor();
    const [del] = await Promise.all([
      waitApi(page, 'DELETE', /^\/api\/v1\/documents\/[0-9a-f-]{36}$/),
      page.getByRole('button', { name: 'Delete: other.pdf' }).click(),
    ]);
    await expectStatus(del, 204);
    await page.locator('#doc-other-list').filter({ hasText: 'No file uploaded yet.' }).waitFor();

    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: 'Review and submit' }).waitFor();
    assert.equal(await page.locator('#review-missing').count(), 0);
    const [submit] = await Promise.all([
      waitApi(page, 'POST', /\/submit$/),
      page.getByRole('button', { name: 'Submit application' }).click(),
    ]);
    await expectStatus(submit, 200);
    await page.waitForURL('**/application.html?id=*');

    // The application page lists the documents; the download has the uploaded bytes.
    await page.locator('#documents').getByText('photo.png').waitFor();
    const [download, content] = await Promise.all([
      page.waitForEvent('download'),
      waitApi(page, 'GET', CONTENT),
      page.getByRole('button', { name: 'Download: transcript.pdf' }).click(),
    ]);
    await expectStatus(content, 200);
    assert.equal(content.headers()['content-type'], 'application/pdf');
    assert.match(content.headers()['content-disposition'] || '', /^attachment/);
    assert.match(content.request().headers().authorization || '', /^Bearer \S+/);
    assert.equal(download.suggestedFilename(), 'transcript.pdf');
    assert.ok((await readFile(await download.path())).equals(PDF), 'the downloaded bytes are the uploaded ones');
    await assertClean(page, s.log, { allowFailed: [/^415 POST \/api\/v1\/applications\/[0-9a-f-]{36}\/documents$/] });
  } finally {
    await s.close();
  }
});

test('staff see the documents and ask for another; the student replaces it and says so', async () => {
  assert.ok(ctx.appId, 'the student test made an application');
  const s = await session();
  const { page } = s;
  try {
    await signIn(s, ctx.root);
    await s.go(`/application.html?id=${ctx.appId}`);
    const docs = page.locator('#documents');
    await docs.getByText('photo.png').waitFor();
    // Images inline as data: URLs, PDFs in a frame from a blob: URL (the CSP allows both).
    await page.getByRole('button', { name: 'Show: photo.png' }).click();
    const img = docs.locator('img.doc-image');
    await img.waitFor();
    assert.match(await img.getAttribute('src'), /^data:image\/png;base64,/);
    await page.waitForFunction(() => document.querySelector('img.doc-image')?.naturalWidth === 1);
    assert.equal(await img.getAttribute('alt'), 'photo.png');
    await page.getByRole('button', { name: 'Show: transcript.pdf' }).click();
    const frame = docs.locator('iframe.doc-pdf');
    await frame.waitFor();
    assert.match(await frame.getAttribute('src'), /^blob:/);
    assert.equal(await frame.getAttribute('title'), 'transcript.pdf');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download: transcript.pdf' }).click(),
    ]);
    assert.ok((await readFile(await download.path())).equals(PDF));

    // A document request: a client-side check, then sent.
    const form = page.locator('#docreq-form');
    await form.getByRole('button', { name: 'Ask for documents' }).click();
    await page.locator('#docreq-kinds-error').filter({ hasText: 'Choose at least one document.' }).waitFor();
    await form.getByLabel('Photo').check();
    await form.getByLabel('Reason').fill('The photo is too small.');
    await form.getByLabel('Due by').fill(dayAhead(7));
    const [asked] = await Promise.all([
      waitApi(page, 'POST', /\/document-requests$/),
      form.getByRole('button', { name: 'Ask for documents' }).click(),
    ]);
    await expectStatus(asked, 201);
    assert.deepEqual(asked.request().postDataJSON(), { kinds: ['photo'], reason: 'The photo is too small.', due_on: dayAhead(7) });
    await page.locator('#docreq-sent').waitFor();
    await page.locator('#app-status').filter({ hasText: 'Documents requested' }).waitFor();
    assert.match(await page.locator('#docreq-list').innerText(), /Photo[\s\S]*Open[\s\S]*The photo is too small\./);
    await assertClean(page, s.log);
  } finally {
    await s.close();
  }

  const st = await session();
  try {
    const { page } = st;
    await signIn(st, ctx.student);
    await st.go(`/application.html?id=${ctx.appId}`);
    const box = page.locator('#student-requests');
    await box.getByText('The photo is too small.').waitFor();
    // Saying so before uploading: the server names the kind still missing.
    const [early] = await Promise.all([
      waitApi(page, 'POST', /\/fulfil$/),
      box.getByRole('button', { name: 'I have uploaded them' }).click(),
    ]);
    await expectStatus(early, 422);
    await box.locator('.alert').filter({ hasText: 'Upload a file first for: Photo' }).waitFor();
    // Replace the photo (one file at most), then say so.
    const [del] = await Promise.all([
      waitApi(page, 'DELETE', /^\/api\/v1\/documents\/[0-9a-f-]{36}$/),
      page.getByRole('button', { name: 'Delete: photo.png' }).click(),
    ]);
    await expectStatus(del, 204);
    const [up] = await Promise.all([
      waitApi(page, 'POST', DOC_POST),
      page.getByLabel('Choose files for Photo').setInputFiles({ name: 'photo-2.png', mimeType: 'image/png', buffer: PNG }),
    ]);
    await expectStatus(up, 201);
    await page.locator('#doc-photo-list').getByText('photo-2.png').waitFor();
    const [ok] = await Promise.all([
      waitApi(page, 'POST', /\/fulfil$/),
      box.getByRole('button', { name: 'I have uploaded them' }).click(),
    ]);
    await expectStatus(ok, 200);
    await page.locator('#app-status').filter({ hasText: 'Under review' }).waitFor();
    await page.locator('#student-requests').waitFor({ state: 'detached' });
    await assertClean(page, st.log, { allowFailed: [/^422 POST \/api\/v1\/document-requests\/[0-9a-f-]{36}\/fulfil$/] });
  } finally {
    await st.close();
  }
});

test('documents pages at 375px in both languages: labelled, clean, no sideways scrolling', async () => {
  assert.ok(ctx.appId, 'the student test made an application');
  const t2 = await token(ctx.student2);
  const a = await api('POST', '/api/v1/applications', { token: t2, body: { period_id: ctx.period.id, sub_types: ['a'] } });
  assert.equal(a.status, 201, a.text);
  const draft = a.json.id;
  const byRole = {
    [ctx.student2]: [
      [`/apply.html?application=${draft}`, '#docs-missing', async (page) => {
        await page.locator('#wizard-next').click();
        await page.locator('#docs-missing').waitFor();
        // An upload refused before sending, so that its row is laid out too.
        await page.locator('#doc-photo-file').setInputFiles({ name: `a-very-long-file-name-${'x'.repeat(60)}.png`, mimeType: 'image/png', buffer: BIG_PNG });
        await page.locator('#doc-photo-uploads .upload-error').waitFor();
      }],
      [`/application.html?id=${draft}`, '#doc-transcript-list'],
    ],
    [ctx.student]: [[`/application.html?id=${ctx.appId}`, '#documents .doc-list']],
    [ctx.root]: [[`/application.html?id=${ctx.appId}`, '#docreq-list']],
  };
  const viewport = { width: 375, height: 740 };
  for (const lang of ['en', 'zh-TW']) {
    for (const [email, pages] of Object.entries(byRole)) {
      const s = await session({ viewport, lang });
      try {
        await s.go('/login.html');
        await s.page.locator('#email').fill(email);
        await s.page.locator('#password').fill(PW);
        await s.page.locator('form button[type="submit"]').click();
        await s.page.waitForURL('**/account.html');
        await s.page.locator('#profile-email').waitFor();
        for (const [p, ready, prepare] of pages) {
          s.log.responses.length = 0;
          s.log.consoleErrors.length = 0;
          await s.go(p);
          if (prepare) {
            await s.page.locator('#wizard-next').waitFor();
            await prepare(s.page);
          }
          await s.page.locator(ready).first().waitFor({ timeout: 10000 });
          const where = `${p} (${lang}, ${viewport.width}px)`;
          assert.equal(await s.page.getAttribute('html', 'lang'), lang, where);
          if (lang === 'en') await assertLabelled(s.page, where);
          const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(width <= viewport.width, `${where} is ${width}px wide`);
          if (SCREENSHOT_DIR) {
            await mkdir(SCREENSHOT_DIR, { recursive: true });
            const name = `docs-${p.replace(/\?.*$/, '').replace(/[^a-z]+/gi, '-').replace(/^-|-$/g, '')}-${email.split('.')[1]}-${lang}-375.png`;
            await s.page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
          }
          await assertClean(s.page, s.log);
        }
      } finally {
        await s.close();
      }
    }
  }
});
