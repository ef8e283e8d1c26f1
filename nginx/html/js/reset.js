// reset.js -- sets a new password from a mailed reset link
// (reset.html#token=...). The token is read from the fragment and removed
// from the address bar at once; the form POSTs {token, password} to
// /api/v1/auth/password/reset (204; every session of the user ends).

import { ErrorAlert, NewPassword, Notice, fieldError, html, mount, startPage, takeFragmentToken, useLang } from './ui.js';
import { useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { forget } from './session.js';

const token = takeFragmentToken();

function ResetForm() {
  useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);

  if (!token) {
    return html`
      <p class="info" id="reset-no-token">${t('reset.noToken')}</p>
      <p><a class="btn btn-primary btn-block" href="/forgot.html">${t('reset.newLink')}</a></p>`;
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    const password = ev.currentTarget.elements.password.value;
    setBusy(true);
    setError(null);
    try {
      await request(`${API}/auth/password/reset`, { method: 'POST', body: { token, password }, auth: false });
      forget(); // every session ended, this browser's too
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return html`
      <${Notice} id="reset-done" title=${t('reset.doneTitle')}>
        <p>${t('reset.done')}</p>
      </${Notice}>
      <p><a class="btn btn-primary btn-block" href="/login.html">${t('common.toSignIn')}</a></p>`;
  }
  const badToken = fieldError(error, 'token') !== '';
  return html`
    <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="reset-alert" error=${error} title=${t('reset.failed')} fields=${['password', 'token']}
        message=${badToken ? t('reset.expired') : ''}>
        ${badToken && html`<p class="alert-detail"><a href="/forgot.html">${t('reset.newLink')}</a></p>`}
      </${ErrorAlert}>
      <${NewPassword} error=${fieldError(error, 'password')} />
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
        ${busy ? t('common.saving') : t('reset.submit')}
      </button>
    </form>`;
}

startPage();
mount('page-root', html`<${ResetForm} />`);
