// session.js -- the signed-in session every page shares.
//
// The access token lives only in api.js's memory, so a page load starts
// without one: restore() asks POST /auth/refresh, which the browser
// authenticates with the HttpOnly refresh cookie (Path=/api/v1/auth), and
// keeps the new access token and user. To spare anonymous visitors a
// pointless 401, the page only asks when a "signed in" hint is set in
// localStorage: "1" and nothing else -- never a token. A 401 to an API
// request is retried once after a refresh (api.js calls renew()).
//
// Refresh tokens rotate on every use and a reused one revokes its family,
// so two tabs refreshing at once would sign each other out: refreshes are
// serialised across tabs with the Web Locks API where the browser has it;
// the second tab then presents the cookie the first one received.

import { API, ApiError, request, setAccessToken, setUnauthorizedHandler } from './api.js';

const HINT_KEY = 'scholarship.signedIn';
const LOCK_NAME = 'scholarship.refresh';

let user = null;
let restored = null; // the promise of the page-load restore
let refreshing = null; // single flight within the tab
let required = false; // the page needs a signed-in user
let restoreFailure = null;
const listeners = new Set();

function setHint(on) {
  try {
    if (on) localStorage.setItem(HINT_KEY, '1');
    else localStorage.removeItem(HINT_KEY);
  } catch { /* storage disabled: every page load asks */ }
}

function hint() {
  try { return localStorage.getItem(HINT_KEY) === '1'; } catch { return true; }
}

function notify() {
  for (const fn of listeners) fn(user);
}

/** The signed-in user ({id, email, full_name, role, ...}) or null. */
export function currentUser() {
  return user;
}

/** Calls fn(user) whenever the session changes; returns an unsubscribe function. */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Replaces the user record after the user edited it (PATCH /auth/me). */
export function updateUser(next) {
  if (next && typeof next === 'object') {
    user = next;
    notify();
  }
}

/** Keeps what /auth/login or /auth/refresh answered. */
export function signIn(data) {
  if (!data || typeof data.access_token !== 'string' || !data.user) {
    throw new ApiError({ status: 500, detail: 'the sign-in answer carries no access token' });
  }
  setAccessToken(data.access_token);
  user = data.user;
  setHint(true);
  notify();
}

/** Forgets the session in this page (and the hint, so other pages stop asking). */
export function forget() {
  setAccessToken(null);
  user = null;
  setHint(false);
  notify();
}

async function refreshOnce() {
  const run = async () => {
    try {
      const data = await request(`${API}/auth/refresh`, { method: 'POST', auth: false, keepalive: true });
      signIn(data);
      return true;
    } catch (err) {
      // 401/403: no session, or a dead one (expired, revoked, deactivated).
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        forget();
        return false;
      }
      throw err;
    }
  };
  if (typeof navigator !== 'undefined' && navigator.locks?.request) {
    return navigator.locks.request(LOCK_NAME, run);
  }
  return run();
}

/** Gets a new access token with the refresh cookie; resolves to true on success. */
export function renew() {
  if (!refreshing) refreshing = refreshOnce().finally(() => { refreshing = null; });
  return refreshing;
}

setUnauthorizedHandler(async () => {
  try { return await renew(); } catch { return false; }
});

/**
 * Restores the session once per page load; resolves to the user or null.
 * A network failure or a 5xx leaves the page signed out but keeps the hint,
 * so the next page load tries again.
 */
export function restore() {
  if (!restored) {
    restored = (hint() ? renew().catch((err) => { restoreFailure = err; return false; }) : Promise.resolve(false))
      .then(() => user);
  }
  return restored;
}

/** Why the page-load restore failed other than "not signed in" (429, 5xx, network), or null. */
export function restoreError() {
  return user ? null : restoreFailure;
}

/** A same-site path to come back to after signing in, or null. */
export function safeNext(value) {
  if (typeof value !== 'string' || !/^\/(?![/\\])[A-Za-z0-9._~\-/]*(\?[A-Za-z0-9._~\-=&%]*)?$/.test(value)) return null;
  if (value.startsWith('/login.html')) return null;
  return value;
}

/** Sends the browser to the sign-in page, to come back here afterwards. */
export function goToSignIn() {
  const here = safeNext(window.location.pathname + window.location.search);
  window.location.replace(`/login.html${here ? `?next=${encodeURIComponent(here)}` : ''}`);
}

/**
 * For pages that need a signed-in user: resolves to the user; to null when
 * the session could not be checked (rate limited, server or network down:
 * see restoreError()); else sends the browser to the sign-in page (and never
 * resolves).
 */
export async function requireUser() {
  required = true;
  const u = await restore();
  if (u) return u;
  if (restoreError()) return null;
  goToSignIn();
  return new Promise(() => {});
}

/** Signs out this browser: revokes the refresh family and the access token, then forgets them. */
export async function signOut() {
  try {
    if (user) await request(`${API}/auth/logout`, { method: 'POST' });
  } catch { /* signed out locally whatever the server said */ }
  forget();
}

/** Signs out every session of the user, this one included (the answer clears the cookie). */
export async function signOutEverywhere() {
  await request(`${API}/auth/me/sessions/revoke`, { method: 'POST' });
  forget();
}

// Another tab signed out: follow it.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (ev) => {
    if (ev.key === HINT_KEY && ev.newValue !== '1' && user) {
      setAccessToken(null);
      user = null;
      notify();
      if (required) goToSignIn();
    }
  });
}

/** True for the roles that may open the user administration page. */
export function canSeeUsers(u) {
  return !!u && (u.role === 'super_admin' || u.role === 'admin');
}
