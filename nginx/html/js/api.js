// api.js -- the one fetch wrapper the UI uses to talk to the API. JSON in
// and out; RFC 9457 problem+json errors become an ApiError carrying status,
// title, detail, field errors and the request id. The access token lives
// only in this module's memory (never in a URL or in web storage); the
// refresh token is an HttpOnly cookie the browser sends by itself.

import { lang } from './i18n.js';

export const API = '/api/v1';

let accessToken = null;

/** Keeps the access token in memory for later requests (null forgets it). */
export function setAccessToken(token) {
  accessToken = typeof token === 'string' && token !== '' ? token : null;
}

export function hasAccessToken() {
  return accessToken !== null;
}

let unauthorizedHandler = null;

/**
 * fn() is called when a request that carried the access token is answered
 * 401; it resolves to true when it got a new token (js/session.js refreshes
 * the session), and the request is then retried once.
 */
export function setUnauthorizedHandler(fn) {
  unauthorizedHandler = typeof fn === 'function' ? fn : null;
}

/** A failed request. status is 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor({ status, title = '', detail = '', errors = [], requestId = '', type = 'about:blank', retryAfter = 0 }) {
    super(detail || title || (status ? `HTTP ${status}` : 'network error'));
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors; // [{field, message}]
    this.requestId = requestId;
    this.type = type;
    this.retryAfter = retryAfter; // seconds, from Retry-After (429, 503); 0 when absent
  }
}

/**
 * request(path, {method, body, signal, auth, retry, headers}) -- path is absolute on
 * this origin ('/health', API + '/auth/login'). body, if given, is sent as
 * JSON. Resolves to the parsed JSON body (null when there is none); rejects
 * with ApiError on a non-2xx answer or a network failure. A 401 to a request
 * that carried the access token is retried once after the unauthorized
 * handler renewed the token (retry: false turns that off). headers adds
 * request headers (If-Match). keepalive lets the
 * request finish, and its Set-Cookie land, if the page is left meanwhile.
 */
export async function request(path, {
  method = 'GET', body, signal, auth = true, retry = true, keepalive = false, headers = {},
} = {}) {
  const sentToken = auth ? accessToken : null;
  try {
    return await send(path, { method, body, signal, auth, keepalive, headers });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !sentToken || !retry || !unauthorizedHandler) throw err;
    let renewed = false;
    try { renewed = await unauthorizedHandler(); } catch { renewed = false; }
    if (!renewed || !accessToken) throw err;
    return send(path, { method, body, signal, auth, headers });
  }
}

async function send(path, { method, body, signal, auth, keepalive, headers: extra = {} }) {
  const headers = {
    ...extra,
    Accept: 'application/json, application/problem+json',
    'Accept-Language': lang(),
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;

  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      keepalive,
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError' || err.name === 'TimeoutError') throw err;
    throw new ApiError({ status: 0 });
  }

  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && /[/+]json\b/i.test(type)) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) throw problem(res.status, res.statusText, data, (h) => res.headers.get(h));
  return data;
}

/** The ApiError of a non-2xx answer: its parsed JSON body (or null) and a header getter. */
function problem(status, statusText, data, header) {
  const p = data && typeof data === 'object' ? data : {};
  return new ApiError({
    status,
    title: typeof p.title === 'string' ? p.title : statusText,
    detail: typeof p.detail === 'string' ? p.detail : '',
    errors: Array.isArray(p.errors) ? p.errors.filter((e) => e && typeof e.field === 'string') : [],
    requestId: p.request_id || header('X-Request-ID') || '',
    type: typeof p.type === 'string' ? p.type : 'about:blank',
    retryAfter: parseRetryAfter(header('Retry-After')),
  });
}

/** Runs attempt() and, on a 401 to a request that carried the token, once more after a renewal. */
async function withRenewal(attempt) {
  const sentToken = accessToken;
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !sentToken || !unauthorizedHandler) throw err;
    let renewed = false;
    try { renewed = await unauthorizedHandler(); } catch { renewed = false; }
    if (!renewed || !accessToken) throw err;
    return attempt();
  }
}

/**
 * upload(path, formData, {onProgress, signal}) -- POSTs a multipart body
 * with XMLHttpRequest (fetch reports no upload progress), with the same
 * Authorization and Accept-Language headers as request(). onProgress(loaded,
 * total) follows the bytes sent. Resolves to the parsed JSON answer; rejects
 * with ApiError like request() (status 0 on a network failure), or with an
 * AbortError when signal aborts. A 401 is retried once after a renewal.
 */
export function upload(path, formData, { onProgress, signal } = {}) {
  return withRenewal(() => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Accept-Language', lang());
    if (accessToken) xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`);
    if (onProgress) {
      xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) onProgress(ev.loaded, ev.total); };
    }
    xhr.onload = () => {
      let data = null;
      if (/[/+]json\b/i.test(xhr.getResponseHeader('Content-Type') || '')) {
        try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(problem(xhr.status, xhr.statusText, data, (h) => xhr.getResponseHeader(h)));
    };
    xhr.onerror = () => reject(new ApiError({ status: 0 }));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    if (signal) {
      if (signal.aborted) { reject(new DOMException('The upload was cancelled.', 'AbortError')); return; }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(formData);
  }));
}

/**
 * requestBlob(path) -- GETs a file with the access token (a document's
 * content needs the Authorization header, so a plain link cannot fetch it).
 * Resolves to {blob, type, filename} (filename from Content-Disposition,
 * '' when absent); rejects with ApiError like request().
 */
export function requestBlob(path, { signal } = {}) {
  return withRenewal(async () => {
    const headers = { Accept: '*/*', 'Accept-Language': lang() };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    let res;
    try {
      res = await fetch(path, { headers, credentials: 'same-origin', cache: 'no-store', signal });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiError({ status: 0 });
    }
    if (!res.ok) {
      let data = null;
      if (/[/+]json\b/i.test(res.headers.get('Content-Type') || '')) {
        try { data = await res.json(); } catch { data = null; }
      }
      throw problem(res.status, res.statusText, data, (h) => res.headers.get(h));
    }
    const blob = await res.blob();
    return { blob, type: res.headers.get('Content-Type') || blob.type, filename: dispositionName(res.headers.get('Content-Disposition')) };
  });
}

/** The file name of a Content-Disposition header (RFC 6266 filename* first); '' when none. */
export function dispositionName(value) {
  if (!value) return '';
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(value);
  if (star) {
    try { return decodeURIComponent(star[2].trim()); } catch { /* fall through */ }
  }
  const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;\s]+)/i.exec(value);
  if (!plain) return '';
  return plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1];
}

/** Retry-After in seconds (delta-seconds or an HTTP date); 0 when absent or bad. */
function parseRetryAfter(value) {
  if (!value) return 0;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const when = Date.parse(value);
  return Number.isNaN(when) ? 0 : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}
