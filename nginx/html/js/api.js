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

/** A failed request. status is 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor({ status, title = '', detail = '', errors = [], requestId = '', type = 'about:blank' }) {
    super(detail || title || (status ? `HTTP ${status}` : 'network error'));
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors; // [{field, message}]
    this.requestId = requestId;
    this.type = type;
  }
}

/**
 * request(path, {method, body, signal, auth}) -- path is absolute on this
 * origin ('/health', API + '/auth/login'). body, if given, is sent as JSON.
 * Resolves to the parsed JSON body (null when there is none); rejects with
 * ApiError on a non-2xx answer or a network failure.
 */
export async function request(path, { method = 'GET', body, signal, auth = true } = {}) {
  const headers = {
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
  if (!res.ok) {
    const p = data && typeof data === 'object' ? data : {};
    throw new ApiError({
      status: res.status,
      title: typeof p.title === 'string' ? p.title : res.statusText,
      detail: typeof p.detail === 'string' ? p.detail : '',
      errors: Array.isArray(p.errors) ? p.errors.filter((e) => e && typeof e.field === 'string') : [],
      requestId: p.request_id || res.headers.get('X-Request-ID') || '',
      type: typeof p.type === 'string' ? p.type : 'about:blank',
    });
  }
  return data;
}
