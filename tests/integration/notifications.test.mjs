// notifications.test.mjs -- in-app notifications and announcements
// (DESIGN §8 "Notifications") against the real stack: a user sees only
// their own notifications (another's id is 404, never listed), newest
// first in keyset pages that walk every item once; unread-count follows
// read (idempotent) and read-all; expired ones vanish from every route.
// Announcements reach exactly the active users of their audience, each
// in their own locale, in one transaction with an audit row; only admins
// post (403 otherwise); bad input is 400/422 naming every bad field with
// nothing written; HTML is stored and returned verbatim as a JSON
// string; the list shows staff everything and others the active ones of
// their audience; the poster or a super admin deletes (another admin
// 404) and the notifications go with it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { http, isProblem, psql, run, sleep, TOP, BINDIR } from '../lib/stack.mjs';

const PW = 'notif-test-password';
const RUN = Date.now().toString(36);
const json = { 'Content-Type': 'application/json' };
const sql1 = (s) => { const r = psql(s); assert.equal(r.status, 0, r.stderr); return r.stdout.trim(); };
const num = (s) => Number(sql1(s));
const ctl = (args, input) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, input });
const iso = (ms) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const DAY = 86400000;
const NONE = '00000000-0000-4000-8000-000000000000';
let n = 0;

/** A new signed-in user of role; locale zh-TW (the column's default) unless given. */
async function signedIn(role, locale = 'zh-TW') {
  const email = `notif-${role}-${RUN}-${n++}@notif.example.edu`;
  const r = ctl(['user-add', '--email', email, '--name', `Notif ${role}`, '--role', role], `${PW}\n`);
  assert.equal(r.status, 0, r.stderr);
  const l = await http('/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PW }) });
  assert.equal(l.status, 200, l.text);
  sql1(`UPDATE users SET locale = '${locale}' WHERE id = '${l.json.user.id}'`);
  return { email, id: l.json.user.id, token: l.json.access_token };
}
const call = (who, method, p, body) => http(p, {
  method,
  headers: { ...(who ? { Authorization: `Bearer ${who.token}` } : {}), ...(body !== undefined ? json : {}) },
  body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
});

/** Insert a notification for user (SQL, as lib/notify.c would); returns its id. */
function give(user, { title = 'hello', ago = 0, expires = null, read = false } = {}) {
  return sql1(`INSERT INTO notifications (user_id, kind, title, body, link, created_at, expires_at, read_at)
    VALUES ('${user.id}', 'application_submitted', '${title}', 'body of ${title}', '/application.html?id=x',
            now() - interval '${ago} seconds', ${expires === null ? 'NULL' : `now() + interval '${expires} seconds'`},
            ${read ? 'now()' : 'NULL'}) RETURNING id`);
}
const list = (who, q = '') => call(who, 'GET', `/api/v1/notifications${q}`);
const count = async (who) => {
  const r = await call(who, 'GET', '/api/v1/notifications/unread-count');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['count']);
  return r.json.count;
};
const read = (who, id) => call(who, 'POST', `/api/v1/notifications/${id}/read`);
const readAll = (who) => call(who, 'POST', '/api/v1/notifications/read-all');
const post = (who, body) => call(who, 'POST', '/api/v1/announcements', body);
const ANN = (extra = {}) => ({
  title: '系統公告', title_en: 'System notice', body: '明天停機維護。', body_en: 'Maintenance tomorrow.',
  expires_at: iso(7 * DAY), ...extra,
});
const nann = () => num('SELECT count(*) FROM announcements');
const nnotif = () => num('SELECT count(*) FROM notifications');
const audits = (id, action) => num(
  `SELECT count(*) FROM audit_log WHERE entity_type = 'announcement' AND entity_id = '${id}' AND action = '${action}'`);
/** Every item of a list, walking its pages. */
async function walk(who, base, limit) {
  const items = [];
  let cursor = null, pages = 0;
  do {
    const sep = base.includes('?') ? '&' : '?';
    const r = await call(who, 'GET', `${base}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.items.length <= limit);
    items.push(...r.json.items);
    cursor = r.json.next_cursor;
    assert.ok(++pages < 1000);
  } while (cursor);
  return items;
}

let sa, admin, other, reviewer, college;

before(async () => {
  sa = await signedIn('super_admin');
  admin = await signedIn('admin');
  other = await signedIn('admin');
  reviewer = await signedIn('reviewer', 'en');
  college = await signedIn('college');
});

test('list: only own notifications, newest first, in the documented shape; another user\'s id is 404', async () => {
  const alice = await signedIn('student'), bob = await signedIn('student');
  const a1 = give(alice, { title: 'first', ago: 30 });
  const a2 = give(alice, { title: 'second', ago: 20 });
  const a3 = give(alice, { title: 'third', ago: 10 });
  const b1 = give(bob, { title: 'bobs' });
  const r = await list(alice);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(r.json.items.map((i) => i.id), [a3, a2, a1]);
  assert.equal(r.json.next_cursor, null);
  const it = r.json.items[0];
  assert.deepEqual(Object.keys(it).sort(),
    ['announcement_id', 'body', 'created_at', 'id', 'kind', 'link', 'read_at', 'title']);
  assert.equal(it.title, 'third');
  assert.equal(it.body, 'body of third');
  assert.equal(it.kind, 'application_submitted');
  assert.equal(it.link, '/application.html?id=x');
  assert.equal(it.read_at, null);
  assert.equal(it.announcement_id, null);
  assert.match(it.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // Bob's is not Alice's to see or touch.
  assert.ok(!r.json.items.some((i) => i.id === b1));
  assert.ok(isProblem(await read(alice, b1), 404));
  assert.equal(sql1(`SELECT read_at IS NULL FROM notifications WHERE id = '${b1}'`), 't');
  assert.ok(isProblem(await read(alice, NONE), 404));
  assert.equal((await read(alice, 'not-a-uuid')).status, 404);
  assert.deepEqual((await list(bob)).json.items.map((i) => i.id), [b1]);
  // Signed out: 401.
  assert.ok(isProblem(await list(null), 401));
  assert.ok(isProblem(await call(null, 'GET', '/api/v1/notifications/unread-count'), 401));
});

test('unread-count follows read (idempotent) and read-all; the unread filter', async () => {
  const u = await signedIn('student');
  const ids = [1, 2, 3, 4, 5].map((i) => give(u, { title: `n${i}`, ago: 10 - i }));
  const pre = give(u, { title: 'already', ago: 20, read: true });
  give(u, { title: 'gone', ago: 30, expires: -60 });
  assert.equal(await count(u), 5);
  const r = await read(u, ids[0]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, ids[0]);
  assert.equal(r.json.title, 'n1');
  assert.match(r.json.read_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(await count(u), 4);
  await sleep(1100);
  const again = await read(u, ids[0]);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.read_at, r.json.read_at, 'read_at keeps its first value');
  assert.equal(await count(u), 4);
  // A body is optional on an action, but it takes no fields.
  assert.equal((await call(u, 'POST', `/api/v1/notifications/${ids[1]}/read`, {})).status, 200);
  assert.equal(await count(u), 3);
  const bad = await call(u, 'POST', `/api/v1/notifications/${ids[2]}/read`, { read: false });
  assert.ok(isProblem(bad, 422), bad.text);
  assert.equal(await count(u), 3);
  let l = await list(u, '?unread=true');
  assert.deepEqual(l.json.items.map((i) => i.id), [ids[4], ids[3], ids[2]]);
  l = await list(u, '?unread=false');
  assert.deepEqual(l.json.items.map((i) => i.id), [ids[1], ids[0], pre]);
  assert.equal((await list(u)).json.items.length, 6);
  assert.equal((await list(u, '?unread=')).json.items.length, 6, 'an empty filter is no filter');
  const all = await readAll(u);
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(all.json, { count: 3 });
  assert.equal(await count(u), 0);
  assert.deepEqual((await readAll(u)).json, { count: 0 });
  assert.equal((await list(u, '?unread=true')).json.items.length, 0);
  // read-all marks only the caller's.
  const v = await signedIn('student');
  give(v, { title: 'untouched' });
  assert.deepEqual((await readAll(u)).json, { count: 0 });
  assert.equal(await count(v), 1);
});

test('pagination walks every notification once, rows of one instant included; bad queries are 400', async () => {
  const u = await signedIn('student');
  // 45 rows, three per instant (as an announcement writes them).
  sql1(`INSERT INTO notifications (user_id, kind, title, created_at)
        SELECT '${u.id}', 'test', 'p' || i, now() - (i / 3) * interval '1 second' FROM generate_series(0, 44) i`);
  const items = await walk(u, '/api/v1/notifications', 7);
  assert.equal(items.length, 45);
  assert.equal(new Set(items.map((i) => i.id)).size, 45);
  for (let i = 1; i < items.length; i++) assert.ok(items[i - 1].created_at >= items[i].created_at);
  const unread = await walk(u, '/api/v1/notifications?unread=true', 10);
  assert.equal(unread.length, 45);
  const first = await list(u, '?limit=100');
  assert.equal(first.json.items.length, 45);
  assert.equal(first.json.next_cursor, null);
  for (const q of ['?limit=0', '?limit=101', '?limit=x', '?cursor=garbage', '?unread=maybe', '?sort=asc', '?cursor=%ZZ'])
    assert.ok(isProblem(await list(u, q), 400), q);
});

test('expired notifications vanish from the list, the count and read', async () => {
  const u = await signedIn('student');
  const old = give(u, { title: 'expired', expires: -1 });
  const soon = give(u, { title: 'soon', expires: 2 });
  const keep = give(u, { title: 'kept' });
  assert.deepEqual((await list(u)).json.items.map((i) => i.id).sort(), [soon, keep].sort());
  assert.equal(await count(u), 2);
  assert.ok(isProblem(await read(u, old), 404));
  await sleep(2500);
  assert.deepEqual((await list(u)).json.items.map((i) => i.id), [keep]);
  assert.equal(await count(u), 1);
  assert.ok(isProblem(await read(u, soon), 404));
  assert.deepEqual((await readAll(u)).json, { count: 1 });
});

/** The notification of announcement id for user, straight from the table. */
const noteOf = (user, id) => {
  const t = sql1(`SELECT json_build_object('title', title, 'body', body, 'kind', kind, 'link', link,
    'expires_at', expires_at = (SELECT expires_at FROM announcements WHERE id = '${id}'))
    FROM notifications WHERE user_id = '${user.id}' AND announcement_id = '${id}'`);
  return t === '' ? null : JSON.parse(t);
};

test('an announcement reaches exactly the active users of its audience, each in their locale', async () => {
  const zh = await signedIn('student');
  const en = await signedIn('student', 'en');
  const gone = await signedIn('student');
  sql1(`UPDATE users SET active = false WHERE id = '${gone.id}'`);
  const before = await count(zh);
  const r = await post(admin, ANN());
  assert.equal(r.status, 201, r.text);
  const a = r.json;
  assert.equal(r.headers.get('location'), `/api/v1/announcements/${a.id}`);
  assert.equal(a.title, '系統公告');
  assert.equal(a.title_en, 'System notice');
  assert.equal(a.body, '明天停機維護。');
  assert.equal(a.body_en, 'Maintenance tomorrow.');
  assert.equal(a.audience, 'all');
  assert.equal(a.active, true);
  assert.equal(a.created_by, admin.id);
  assert.match(a.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(a.recipients, num('SELECT count(*) FROM users WHERE active'));
  assert.equal(num(`SELECT count(*) FROM notifications WHERE announcement_id = '${a.id}'`), a.recipients);
  assert.equal(num(`SELECT count(DISTINCT user_id) FROM notifications WHERE announcement_id = '${a.id}'`), a.recipients);
  assert.deepEqual(noteOf(zh, a.id), { title: '系統公告', body: '明天停機維護。', kind: 'announcement', link: '/notifications.html', expires_at: true });
  assert.deepEqual(noteOf(en, a.id), { title: 'System notice', body: 'Maintenance tomorrow.', kind: 'announcement', link: '/notifications.html', expires_at: true });
  assert.deepEqual(noteOf(reviewer, a.id).title, 'System notice');
  assert.deepEqual(noteOf(sa, a.id).title, '系統公告');
  assert.equal(noteOf(gone, a.id), null, 'an inactive user gets none');
  assert.equal(audits(a.id, 'announcement.created'), 1);
  assert.equal(sql1(`SELECT actor_id FROM audit_log WHERE entity_id = '${a.id}' AND action = 'announcement.created'`), admin.id);
  // The recipient sees it through the API, unread.
  assert.equal(await count(zh), before + 1);
  const mine = (await list(zh)).json.items.find((i) => i.announcement_id === a.id);
  assert.equal(mine.title, '系統公告');
  assert.equal(mine.kind, 'announcement');
  assert.equal(mine.link, '/notifications.html');
  assert.equal(mine.read_at, null);

  // Students only: staff get none.
  const s = await post(sa, ANN({ title: '學生公告', title_en: 'For students', audience: 'students' }));
  assert.equal(s.status, 201, s.text);
  assert.equal(s.json.recipients, num("SELECT count(*) FROM users WHERE active AND role = 'student'"));
  assert.equal(noteOf(zh, s.json.id).title, '學生公告');
  assert.equal(noteOf(en, s.json.id).title, 'For students');
  for (const staff of [reviewer, college, admin, sa]) assert.equal(noteOf(staff, s.json.id), null);
  assert.equal(noteOf(gone, s.json.id), null);
  // Staff only: every role but student.
  const t = await post(admin, ANN({ title: '同仁公告', title_en: 'For staff', audience: 'staff' }));
  assert.equal(t.status, 201, t.text);
  assert.equal(t.json.recipients, num("SELECT count(*) FROM users WHERE active AND role <> 'student'"));
  assert.equal(noteOf(reviewer, t.json.id).title, 'For staff');
  assert.equal(noteOf(college, t.json.id).title, '同仁公告');
  assert.equal(noteOf(other, t.json.id).title, '同仁公告');
  for (const st of [zh, en, gone]) assert.equal(noteOf(st, t.json.id), null);
});

test('only admins and super admins post (403 otherwise, 401 signed out); nothing written', async () => {
  const st = await signedIn('student');
  const [a0, n0] = [nann(), nnotif()];
  for (const who of [st, reviewer, college]) assert.ok(isProblem(await post(who, ANN()), 403));
  assert.ok(isProblem(await post(null, ANN()), 401));
  assert.equal(nann(), a0);
  assert.equal(nnotif(), n0);
});

test('bad input is 400/422 naming every bad field; nothing written', async () => {
  const [a0, n0] = [nann(), nnotif()];
  const bad = async (body, fields, status = 422) => {
    const r = await post(admin, body);
    assert.ok(isProblem(r, status), `${JSON.stringify(body)}: ${r.text}`);
    if (fields) assert.deepEqual(r.json.errors.map((e) => e.field).sort(), [...fields].sort(), r.text);
  };
  await bad('{"title": "x",', null, 400);
  await bad('', null, 400);
  await bad(ANN({ title: 'x'.repeat(201) }), ['title']);
  await bad(ANN({ title_en: '' }), ['title_en']);
  await bad(ANN({ body: 'y'.repeat(5001) }), ['body']);
  await bad(ANN({ expires_at: iso(-60000) }), ['expires_at']);
  await bad(ANN({ expires_at: iso(400 * DAY) }), ['expires_at']);
  await bad(ANN({ expires_at: 'tomorrow' }), ['expires_at']);
  await bad(ANN({ expires_at: '2026-02-30T00:00:00Z' }), ['expires_at']);
  await bad(ANN({ audience: 'everyone' }), ['audience']);
  await bad(ANN({ audience: null }), ['audience']);
  await bad(ANN({ title: 5, body_en: null, expires_at: 123, audience: ['all'] }),
    ['title', 'body_en', 'expires_at', 'audience']);
  await bad(ANN({ pinned: true }), ['pinned']);
  await bad(ANN({ title: '   ', title_en: 'a\u0007b' }), ['title', 'title_en']);
  await bad(ANN({ body_en: 'line\u0000' }), null, 400); // NUL never passes the JSON parser
  await bad([ANN()], ['body']);
  const { title, ...noTitle } = ANN();
  await bad(noTitle, ['title']);
  // Every bad field at once, the database check included.
  await bad(ANN({ title: 'x'.repeat(201), audience: 'everyone', expires_at: iso(-DAY) }),
    ['title', 'audience', 'expires_at']);
  // A wrong media type.
  const r = await http('/api/v1/announcements', {
    method: 'POST', headers: { Authorization: `Bearer ${admin.token}`, 'Content-Type': 'text/plain' },
    body: JSON.stringify(ANN()),
  });
  assert.ok(isProblem(r, 415), r.text);
  assert.equal(nann(), a0);
  assert.equal(nnotif(), n0);
  // The bounds themselves pass.
  const ok = await post(admin, ANN({ title: '題'.repeat(200), body_en: 'z'.repeat(5000), expires_at: iso(364 * DAY), audience: 'staff' }));
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.title, '題'.repeat(200));
  assert.equal(sql1(`DELETE FROM announcements WHERE id = '${ok.json.id}' RETURNING 1`), '1');
});

test('HTML in a title is stored verbatim and returned as a JSON string', async () => {
  const u = await signedIn('student');
  const html = '<script>alert("x")</script><b onmouseover=\'y\'>&amp;</b>';
  const r = await post(admin, ANN({ title: html, body: `${html}\n第二行` }));
  assert.equal(r.status, 201, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.json.title, html);
  assert.equal(sql1(`SELECT title FROM announcements WHERE id = '${r.json.id}'`), html);
  const mine = (await list(u)).json.items.find((i) => i.announcement_id === r.json.id);
  assert.equal(mine.title, html);
  assert.equal(mine.body, `${html}\n第二行`);
  const g = await call(u, 'GET', `/api/v1/announcements/${r.json.id}`);
  assert.equal(g.status, 200, g.text);
  assert.equal(g.json.title, html);
});

test('GET /announcements: staff see every one, others the active ones of their audience', async () => {
  const st = await signedIn('student');
  const mk = async (audience) => {
    const r = await post(admin, ANN({ title: `aud ${audience}`, title_en: `aud ${audience}`, audience }));
    assert.equal(r.status, 201, r.text);
    return r.json.id;
  };
  const A = await mk('all'), S = await mk('students'), T = await mk('staff');
  const X = sql1(`INSERT INTO announcements (title, title_en, body, body_en, audience, expires_at, created_by, created_at)
    VALUES ('過期', 'expired', 'b', 'b', 'all', now() - interval '1 day', '${admin.id}', now() - interval '2 days') RETURNING id`);
  const ids = async (who, q = '') => (await walk(who, `/api/v1/announcements${q}`, 3)).map((i) => i.id);
  let seen = await ids(st);
  assert.ok(seen.includes(A) && seen.includes(S) && !seen.includes(T) && !seen.includes(X), 'student');
  seen = await ids(reviewer);
  assert.ok(seen.includes(A) && !seen.includes(S) && seen.includes(T) && !seen.includes(X), 'reviewer');
  seen = await ids(college);
  assert.ok(seen.includes(T) && !seen.includes(S), 'college');
  assert.deepEqual(await ids(st, '?active=false'), [], 'others never see expired ones');
  for (const staff of [admin, other, sa]) {
    const all = await walk(staff, '/api/v1/announcements', 3);
    assert.equal(all.length, nann(), 'staff see every announcement');
    assert.equal(new Set(all.map((i) => i.id)).size, all.length);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].created_at >= all[i].created_at);
  }
  const inactive = await walk(admin, '/api/v1/announcements?active=false', 3);
  assert.ok(inactive.length >= 1 && inactive.every((i) => i.active === false) && inactive.some((i) => i.id === X));
  const active = await walk(admin, '/api/v1/announcements?active=true', 3);
  assert.ok(active.every((i) => i.active === true) && active.some((i) => i.id === T));
  assert.equal(active.length + inactive.length, nann());
  // One by one, under the same visibility.
  assert.equal((await call(st, 'GET', `/api/v1/announcements/${S}`)).status, 200);
  assert.ok(isProblem(await call(st, 'GET', `/api/v1/announcements/${T}`), 404));
  assert.ok(isProblem(await call(st, 'GET', `/api/v1/announcements/${X}`), 404));
  assert.ok(isProblem(await call(reviewer, 'GET', `/api/v1/announcements/${S}`), 404));
  assert.equal((await call(other, 'GET', `/api/v1/announcements/${X}`)).json.active, false);
  assert.ok(isProblem(await call(sa, 'GET', `/api/v1/announcements/${NONE}`), 404));
  for (const q of ['?active=yes', '?limit=0', '?audience=all', '?cursor=zz'])
    assert.ok(isProblem(await call(admin, 'GET', `/api/v1/announcements${q}`), 400), q);
});

test('DELETE: the posting admin or a super admin; another admin 404; its notifications go; audited', async () => {
  const u = await signedIn('student');
  const r = await post(admin, ANN({ title: '將刪除' }));
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  const c0 = await count(u);
  assert.ok((await list(u)).json.items.some((i) => i.announcement_id === id));
  const del = (who, x = id) => call(who, 'DELETE', `/api/v1/announcements/${x}`);
  assert.ok(isProblem(await del(other), 404));
  assert.ok(isProblem(await del(u), 403));
  assert.ok(isProblem(await del(reviewer), 403));
  assert.equal(num(`SELECT count(*) FROM notifications WHERE announcement_id = '${id}'`), r.json.recipients);
  const d = await del(admin);
  assert.equal(d.status, 204, d.text);
  assert.equal(d.text, '');
  assert.equal(num(`SELECT count(*) FROM notifications WHERE announcement_id = '${id}'`), 0);
  assert.equal(num(`SELECT count(*) FROM announcements WHERE id = '${id}'`), 0);
  assert.ok(!(await list(u)).json.items.some((i) => i.announcement_id === id));
  assert.equal(await count(u), c0 - 1);
  assert.ok(isProblem(await del(admin), 404));
  assert.ok(isProblem(await call(admin, 'GET', `/api/v1/announcements/${id}`), 404));
  assert.equal(audits(id, 'announcement.deleted'), 1);
  const before = JSON.parse(sql1(`SELECT before FROM audit_log WHERE entity_id = '${id}' AND action = 'announcement.deleted'`));
  assert.equal(before.title, '將刪除');
  assert.equal(sql1(`SELECT actor_id FROM audit_log WHERE entity_id = '${id}' AND action = 'announcement.deleted'`), admin.id);
  // A super admin deletes anyone's.
  const o = await post(other, ANN());
  assert.equal(o.status, 201, o.text);
  assert.equal((await del(sa, o.json.id)).status, 204);
  assert.equal(audits(o.json.id, 'announcement.deleted'), 1);
  assert.ok(isProblem(await del(sa, NONE), 404));
});

test('an account created while an announcement is shown gets it too, in its locale and audience', async () => {
  const r = await post(admin, ANN({ title: '新生須知', title_en: 'For newcomers', audience: 'students' }));
  assert.equal(r.status, 201, r.text);
  const late = await signedIn('student', 'en');
  const staffLate = await signedIn('reviewer', 'en');
  const mine = (await list(late)).json.items.filter((i) => i.announcement_id === r.json.id);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].read_at, null);
  assert.equal(num(`SELECT count(*) FROM notifications WHERE announcement_id = '${r.json.id}' AND user_id = '${staffLate.id}'`), 0,
    'a students-only announcement skips new staff');
  // The locale is the account's at creation: user-add makes English accounts.
  assert.equal(sql1(`SELECT title FROM notifications WHERE announcement_id = '${r.json.id}' AND user_id = '${late.id}'`), 'For newcomers');
  // An expired or deleted announcement reaches nobody new.
  assert.equal((await call(admin, 'DELETE', `/api/v1/announcements/${r.json.id}`)).status, 204);
  const later = await signedIn('student');
  assert.equal(num(`SELECT count(*) FROM notifications WHERE user_id = '${later.id}' AND announcement_id = '${r.json.id}'`), 0);
});
