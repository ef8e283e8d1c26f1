// notifications.js -- the signed-in user's in-app notifications (GET
// /notifications, newest first, keyset "load more", optionally unread
// only). Unread ones are emphasised; following one's link, or "Mark as
// read", marks it read (POST /notifications/{id}/read) before the browser
// goes on; "Mark all as read" is POST /notifications/read-all. The bell in
// the header (js/ui.js) is told the new unread count after every change,
// and the list reloads when the bell's poll finds more unread than before.
// A link is followed only when it is a path on this site ("/…"): the
// server only writes such links, and the page does not trust that alone.
// An announcement links to this page: it has "Mark as read" only.

import {
  ErrorAlert, Checkbox, Notice, formatDate, html, mountSignedIn, refreshUnread, setUnreadCount, startPage,
  useLang, useUnreadCount,
} from './ui.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';

const PAGE = 20;

/**
 * The same-origin path of a notification's link; null when it is not a
 * plain "/path" on this site, or is this page.
 */
function safeLink(link) {
  if (typeof link !== 'string' || link.length > 500) return null;
  // A path, not "//host" or "/\host"; nothing a browser would read as a scheme or a host.
  if (!/^\/(?![/\\])/.test(link) || /[\\\u0000-\u001f\u007f\s]/.test(link)) return null;
  let url;
  try { url = new URL(link, window.location.origin); } catch { return null; }
  if (url.origin !== window.location.origin) return null;
  // A link to this very list (announcements have one) leads nowhere new.
  if (url.pathname === window.location.pathname && url.search === '') return null;
  return url.pathname + url.search + url.hash;
}

function kindLabel(kind) {
  const key = `notif.kind.${kind}`;
  const label = t(key);
  return label === key ? '' : label;
}

function Item({ n, onMark, busy }) {
  const titleRef = useRef(null);
  const href = safeLink(n.link);
  const unread = !n.read_at;
  const kind = kindLabel(n.kind);
  const titleId = `notif-${n.id}-title`;

  async function follow(ev) {
    if (!unread || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    await onMark(n, { quiet: true });
    window.location.assign(href);
  }
  async function mark() {
    await onMark(n);
    titleRef.current?.focus();
  }

  return html`
    <li class=${`notif${unread ? ' notif-unread' : ''}`} data-id=${n.id} data-kind=${n.kind}>
      <span class="notif-dot" aria-hidden="true"></span>
      <div class="notif-main">
        <h3 class="notif-title" id=${titleId} tabindex="-1" ref=${titleRef}>
          ${unread && html`<span class="visually-hidden">${t('notif.unread')}: </span>`}
          ${href ? html`<a href=${href} onClick=${follow}>${n.title}</a>` : n.title}
        </h3>
        ${n.body && html`<p class="notif-body">${n.body}</p>`}
        <p class="notif-meta">
          ${kind && html`<span class="badge badge-off">${kind}</span> `}
          <time datetime=${n.created_at}>${formatDate(n.created_at, true)}</time>
        </p>
      </div>
      ${unread && html`<div class="notif-actions">
        <button type="button" class="btn btn-quiet btn-small notif-mark" disabled=${busy}
          aria-label=${t('notif.markReadOf').replace('{title}', n.title)} onClick=${mark}>${t('notif.markRead')}</button>
      </div>`}
    </li>`;
}

function Notifications() {
  useLang();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [markError, setMarkError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const gen = useRef(0);
  const count = useUnreadCount();
  const lastCount = useRef(null);

  async function load(after, only = unreadOnly) {
    const g = ++gen.current;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (only) q.set('unread', 'true');
    if (after) q.set('cursor', after);
    setLoading(true);
    setError(null);
    try {
      const d = await request(`${API}/notifications?${q}`);
      if (g !== gen.current) return;
      const got = Array.isArray(d?.items) ? d.items : [];
      setItems((prev) => (after ? [...prev, ...got.filter((x) => !prev.some((p) => p.id === x.id))] : got));
      setCursor(d?.next_cursor || null);
    } catch (err) {
      if (g !== gen.current) return;
      if (!after) setItems([]);
      setError(err);
    } finally {
      if (g === gen.current) setLoading(false);
    }
  }
  useEffect(() => { load(null, unreadOnly); }, [unreadOnly]);

  // The bell's poll found more unread than before: show them.
  useEffect(() => {
    if (count !== null && lastCount.current !== null && count > lastCount.current) load(null);
    lastCount.current = count;
  }, [count]);

  const replace = (next) => setItems((prev) => prev.map((x) => (x.id === next.id ? { ...x, ...next } : x)));

  async function onMark(n, { quiet = false } = {}) {
    setMarkError(null);
    setNotice('');
    try {
      const d = await request(`${API}/notifications/${encodeURIComponent(n.id)}/read`, { method: 'POST' });
      replace(d && d.id ? d : { id: n.id, read_at: new Date().toISOString() });
      if (count > 0) {
        lastCount.current = count - 1;
        setUnreadCount(count - 1);
      }
      refreshUnread();
    } catch (err) {
      if (!quiet) setMarkError(err);
    }
  }

  async function onMarkAll() {
    setBusy(true);
    setMarkError(null);
    setNotice('');
    try {
      await request(`${API}/notifications/read-all`, { method: 'POST' });
      const now = new Date().toISOString();
      setItems((prev) => prev.map((x) => (x.read_at ? x : { ...x, read_at: now })));
      lastCount.current = 0;
      setUnreadCount(0);
      setNotice(t('notif.markedAll'));
    } catch (err) {
      setMarkError(err);
    } finally {
      setBusy(false);
    }
  }

  const anyUnread = items.some((x) => !x.read_at) || count > 0;
  return html`
    <section class="section-card" aria-labelledby="list-title">
      <div class="card-head">
        <h2 id="list-title">${t('notif.list')}</h2>
        <button type="button" class="btn btn-quiet btn-small" id="mark-all" onClick=${onMarkAll}
          disabled=${busy || !anyUnread}>${t('notif.markAll')}</button>
      </div>
      <div class="toolbar">
        <${Checkbox} id="unread-only" label=${t('notif.unreadOnly')} checked=${unreadOnly}
          onChange=${(ev) => setUnreadOnly(ev.currentTarget.checked)} />
      </div>
      <${ErrorAlert} id="list-alert" error=${error} title=${t('notif.loadFailed')} />
      <${ErrorAlert} id="mark-alert" error=${markError} title=${t('notif.markFailed')} />
      ${notice && html`<${Notice} id="mark-all-done" title=${notice} focus=${false} />`}
      ${items.length > 0 && html`
        <ul class="notif-list" id="notification-list" aria-busy=${loading ? 'true' : 'false'}>
          ${items.map((n) => html`<${Item} key=${n.id} n=${n} onMark=${onMark} busy=${busy} />`)}
        </ul>`}
      ${!loading && !error && items.length === 0 && html`
        <p class="muted" id="no-notifications">${unreadOnly ? t('notif.noneUnread') : t('notif.none')}</p>`}
      <div class="list-footer">
        ${loading && html`<p class="muted" role="status">${t('common.loading')}</p>`}
        ${!loading && cursor && html`<button type="button" class="btn btn-quiet" id="load-more"
          onClick=${() => load(cursor)}>${t('users.more')}</button>`}
      </div>
    </section>`;
}

startPage();
mountSignedIn(() => html`<${Notifications} />`);
