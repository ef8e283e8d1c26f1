// ui.js -- what every page shares: preact + htm (vendored, imported by
// path because the CSP forbids import maps), a hook that re-renders a
// component when the language changes, the language switch, the header's
// session menu with its notification bell (the unread count, polled while
// the page is visible), form pieces (labelled fields, the error alert, the
// success notice) and startPage(), which translates the static markup,
// mounts the switch and the session menu and restores the session.

import { h, render } from '/vendor/preact.module.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import htm from '/vendor/htm.module.js';
import { API, ApiError, request } from './api.js';
import { lang, setLang, t, onLangChange, translatePage } from './i18n.js';
import { canSeeUsers, currentUser, onSessionChange, requireUser, restore, restoreError, signOut } from './session.js';

export const html = htm.bind(h);

/** The current language; the calling component re-renders when it changes. */
export function useLang() {
  const [current, setCurrent] = useState(lang());
  useEffect(() => onLangChange(setCurrent), []);
  return current;
}

/** A button that switches between English and Traditional Chinese. */
export function LangSwitch() {
  const current = useLang();
  const other = current === 'en' ? 'zh-TW' : 'en';
  return html`
    <button type="button" class="btn btn-quiet lang-switch" id="lang-toggle"
      lang=${other} onClick=${() => setLang(other)}>
      <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <circle cx="12" cy="12" r="9" />
        <path d="M3 12h18M12 3c2.5 2.7 3.8 5.7 3.8 9s-1.3 6.3-3.8 9c-2.5-2.7-3.8-5.7-3.8-9S9.5 5.7 12 3z" />
      </svg>
      ${t('lang.switchTo')}
    </button>`;
}

/** Renders vnode into the element with the given id, replacing its content. */
export function mount(id, vnode) {
  const slot = document.getElementById(id);
  if (!slot) return;
  slot.textContent = '';
  render(vnode, slot);
}

/** The signed-in user (undefined while the session is being restored, then a user or null). */
export function useSession() {
  const [state, setState] = useState(undefined);
  useEffect(() => {
    let live = true;
    restore().then((u) => { if (live) setState(u); });
    const off = onSessionChange((u) => { if (live) setState(u); });
    return () => { live = false; off(); };
  }, []);
  return state === undefined ? undefined : (state ?? currentUser());
}

/*
 * The unread count of the signed-in user's notifications, shared by the
 * bell and the notifications page. It is polled cheaply (GET
 * /notifications/unread-count is one index probe) every POLL_MS while the
 * page is visible, at once when the page becomes visible again or the
 * window regains the focus, and never while the page is hidden. A route
 * that is missing or refused (404, 403) stops the polling for the page.
 */
const POLL_MS = 30000;
let unreadCount = null; // null until known
let unreadInflight = null;
let unreadLast = 0;
let unreadStopped = false;
const unreadListeners = new Set();

/** Sets the unread count (after the notifications page marked some read) and tells the bell. */
export function setUnreadCount(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return;
  unreadCount = Math.floor(n);
  for (const fn of unreadListeners) fn(unreadCount);
}

/** Asks the server for the unread count (one request in flight at a time); resolves to it or null. */
export function refreshUnread() {
  if (unreadStopped) return Promise.resolve(unreadCount);
  if (!unreadInflight) {
    unreadLast = Date.now();
    unreadInflight = request(`${API}/notifications/unread-count`)
      .then((d) => { setUnreadCount(Number(d?.count)); return unreadCount; })
      .catch((err) => {
        if (err instanceof ApiError && (err.status === 404 || err.status === 403)) unreadStopped = true;
        return unreadCount;
      })
      .finally(() => { unreadInflight = null; });
  }
  return unreadInflight;
}

/** Starts polling while the page is visible; returns the function that stops it. */
function pollUnread() {
  let timer = null;
  const visible = () => document.visibilityState !== 'hidden';
  const arm = () => {
    clearInterval(timer);
    timer = visible() ? setInterval(refreshUnread, POLL_MS) : null;
  };
  // Showing the tab fires both visibilitychange and focus: one request will do.
  const soon = () => { if (visible() && Date.now() - unreadLast > 2000) refreshUnread(); };
  const onVisibility = () => { soon(); arm(); };
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('focus', soon);
  refreshUnread();
  arm();
  return () => {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisibility);
    window.removeEventListener('focus', soon);
  };
}

/** The unread count (null until known); the calling component re-renders when it changes. */
export function useUnreadCount() {
  const [n, setN] = useState(unreadCount);
  useEffect(() => {
    unreadListeners.add(setN);
    setN(unreadCount);
    return () => unreadListeners.delete(setN);
  }, []);
  return n;
}

/** The bell: a link to the notifications page, with the unread count as a badge. */
export function NotificationBell() {
  useLang();
  const n = useUnreadCount();
  useEffect(() => pollUnread(), []);
  const here = window.location.pathname === '/notifications.html';
  const label = n > 0 ? t('nav.notificationsUnread').replace('{n}', String(n)) : t('nav.notifications');
  return html`
    <a class=${`nav-link nav-bell${n > 0 ? ' has-unread' : ''}`} id="nav-bell" href="/notifications.html"
      aria-label=${label} title=${label} aria-current=${here ? 'page' : undefined} data-count=${n ?? ''}>
      <svg class="icon bell-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d="M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15z" /><path d="M10 20.5a2.2 2.2 0 0 0 4 0" />
      </svg>
      ${n > 0 && html`<span class="bell-count" id="nav-bell-count" aria-hidden="true">${n > 99 ? '99+' : n}</span>`}
    </a>`;
}

/** The header's session menu: a sign-in link, or the user's name, their pages, the bell and "Sign out". */
export function SessionNav({ showSignIn = true }) {
  useLang();
  const user = useSession();
  const [busy, setBusy] = useState(false);
  const here = window.location.pathname;
  const current = (path) => (here === path ? 'page' : undefined);
  if (user === undefined) return html`<span class="nav-pending" aria-hidden="true"></span>`;
  if (!user) {
    return showSignIn
      ? html`<a class="btn btn-primary" href="/login.html">${t('nav.signIn')}</a>`
      : null;
  }
  async function onSignOut() {
    setBusy(true);
    await signOut();
    window.location.assign('/login.html?signed_out=1');
  }
  return html`
    <span class="nav-user" id="nav-user" title=${user.email}>
      <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <circle cx="12" cy="8" r="4" /><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7" />
      </svg>
      <span class="visually-hidden">${t('nav.signedInAs')} </span><span class="nav-user-name">${user.full_name || user.email}</span>
    </span>
    <span class="nav-links">
      ${user.role === 'student' && html`
        <a class="nav-link" href="/eligible.html" aria-current=${current('/eligible.html')}>${t('nav.eligible')}</a>
        <a class="nav-link" href="/my-applications.html" aria-current=${current('/my-applications.html')}>${t('nav.myApplications')}</a>`}
      ${canSeeUsers(user) && html`
        <a class="nav-link" href="/admin-scholarships.html" aria-current=${current('/admin-scholarships.html')}>${t('nav.scholarships')}</a>`}
      ${user.role !== 'student' && html`
        <a class="nav-link" href="/admin-applications.html" aria-current=${current('/admin-applications.html')}>${t('nav.applications')}</a>`}
      <a class="nav-link" href="/account.html" aria-current=${current('/account.html')}>${t('nav.account')}</a>
      ${canSeeUsers(user) && html`
        <a class="nav-link" href="/admin-users.html" aria-current=${current('/admin-users.html')}>${t('nav.users')}</a>
        <a class="nav-link" href="/admin-announcements.html" aria-current=${current('/admin-announcements.html')}>${t('nav.announcements')}</a>
        <a class="nav-link" href="/admin-mail.html" aria-current=${current('/admin-mail.html')}>${t('nav.mail')}</a>`}
      <${NotificationBell} />
      <button type="button" class="btn btn-quiet" id="sign-out" onClick=${onSignOut} disabled=${busy}>
        ${t('nav.signOut')}
      </button>
    </span>`;
}

/**
 * Translates the page's static text, mounts the language switch and the
 * session menu (#session-nav), and starts restoring the session.
 */
export function startPage({ showSignIn = true } = {}) {
  translatePage();
  mount('lang-switch', html`<${LangSwitch} />`);
  mount('session-nav', html`<${SessionNav} showSignIn=${showSignIn} />`);
  restore();
}

/** A readable message for a failed request. */
export function describe(err) {
  if (!err || typeof err.status !== 'number') return t('error.generic');
  if (err.status === 0) return t('error.network');
  if (err.status === 429) {
    const wait = err.retryAfter > 0 ? ` ${t('error.retryIn').replace('{n}', String(Math.ceil(err.retryAfter / 60)))}` : '';
    return `${t('error.rateLimited')}${wait}`;
  }
  if (err.detail) return err.detail;
  return err.status >= 500 ? t('error.server') : t('error.generic');
}

/** The messages of err's field errors for field name, joined ('' when none). */
export function fieldError(err, name) {
  return err?.errors?.filter((e) => e.field === name).map((e) => e.message).join(' ') || '';
}

/**
 * The live error region of a form: always in the page (so that screen
 * readers announce what appears in it), empty until there is an error.
 * fields lists the names the form shows next to its inputs; other field
 * errors are listed here. message replaces the API's detail.
 */
export function ErrorAlert({ id, error, title, message, fields = [], children }) {
  const other = (error?.errors || []).filter((e) => !fields.includes(e.field));
  return html`
    <div class="alert" role="alert" id=${id}>
      ${error && html`
        <p class="alert-title">${title || t('error.title')}</p>
        <p class="alert-detail">${message || describe(error)}</p>
        ${other.length > 0 && html`
          <ul class="alert-list">${other.map((e) => html`<li>${fieldLabel(e.field)}: ${e.message}</li>`)}</ul>`}
        ${children}
        ${error.requestId && html`<p class="alert-ref">${t('error.reference')}: <code>${error.requestId}</code></p>`}`}
    </div>`;
}

function fieldLabel(field) {
  const key = `field.${field}`;
  const label = t(key);
  return label === key ? field : label;
}

/** A success message (role="status"); its heading takes the focus when it appears. */
export function Notice({ id, title, children, focus = true }) {
  const ref = useRef(null);
  useEffect(() => { if (focus && ref.current) ref.current.focus(); }, []);
  return html`
    <div class="notice" role="status" id=${id}>
      <p class="notice-title" tabindex="-1" ref=${ref}>${title}</p>
      ${children}
    </div>`;
}

/**
 * A labelled input (or select when options are given, or textarea) with an
 * optional hint and field error, both tied to it by aria-describedby.
 */
export function Field({ id, label, hint, error, options, textarea, required = true, optional, inputRef, ...input }) {
  const hintId = hint ? `${id}-hint` : null;
  const errId = error ? `${id}-error` : null;
  const described = [hintId, errId].filter(Boolean).join(' ') || undefined;
  const common = {
    id, name: input.name || id, required, 'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': described, ref: inputRef, ...input,
  };
  let control;
  if (options) {
    control = html`<select ...${common}>
      ${options.map((o) => html`<option value=${o.value} disabled=${o.disabled}>${o.label}</option>`)}
    </select>`;
  } else if (textarea) {
    control = html`<textarea ...${common}></textarea>`;
  } else {
    control = html`<input ...${common} />`;
  }
  return html`
    <div class="field">
      <label for=${id}>${label}${optional && html` <span class="optional">${t('form.optional')}</span>`}</label>
      ${hint && html`<p class="field-hint" id=${hintId}>${hint}</p>`}
      ${control}
      ${error && html`<p class="field-error" id=${errId}>${error}</p>`}
    </div>`;
}

/** A checkbox with its label to the right. */
export function Checkbox({ id, label, hint, ...input }) {
  const hintId = hint ? `${id}-hint` : undefined;
  return html`
    <div class="field field-check">
      <input type="checkbox" id=${id} name=${input.name || id} aria-describedby=${hintId} ...${input} />
      <label for=${id}>${label}</label>
      ${hint && html`<p class="field-hint" id=${hintId}>${hint}</p>`}
    </div>`;
}

/** The password and its confirmation; the browser refuses a mismatch before anything is sent. */
export function NewPassword({ error, idPrefix = '' }) {
  useLang();
  const confirmRef = useRef(null);
  const pwRef = useRef(null);
  const check = () => {
    const c = confirmRef.current;
    if (!c || !pwRef.current) return;
    c.setCustomValidity(c.value && c.value !== pwRef.current.value ? t('password.mismatch') : '');
  };
  return html`
    <${Field} id=${`${idPrefix}password`} type="password" label=${t('password.new')} autocomplete="new-password"
      minlength="10" maxlength="128" hint=${t('password.rule')} error=${error} inputRef=${pwRef} onInput=${check} />
    <${Field} id=${`${idPrefix}password-confirm`} name="password_confirm" type="password" label=${t('password.confirm')}
      autocomplete="new-password" minlength="10" maxlength="128" inputRef=${confirmRef} onInput=${check} />`;
}

/** The #token=... of a mailed link, read once and removed from the address bar (and history). */
export function takeFragmentToken() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (window.location.hash) {
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
  return token ? token.slice(0, 512) : null;
}

/** A date-time from the API, in the UI language. */
export function formatDate(iso, withTime = false) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang(), withTime
    ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' }).format(d);
}

/** The label of a role in the UI language. */
export function roleLabel(role) {
  return t(`role.${role}`);
}

/**
 * For pages that need a signed-in user: once the session is restored,
 * mounts render(user) into #page-root; sends the browser to the sign-in page
 * when nobody is signed in; says so when the session could not be checked.
 */
export async function mountSignedIn(render) {
  const user = await requireUser();
  if (user) {
    mount('page-root', render(user));
    return;
  }
  mount('page-root', html`<${SessionUnavailable} />`);
}

function SessionUnavailable() {
  useLang();
  return html`
    <${ErrorAlert} id="session-alert" error=${restoreError()} title=${t('session.unavailable')}>
      <p class="alert-detail"><button type="button" class="btn btn-quiet btn-small"
        onClick=${() => window.location.reload()}>${t('session.retry')}</button></p>
    </${ErrorAlert}>`;
}
