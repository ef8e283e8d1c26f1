// accept.js -- accepts an invitation from a mailed link
// (accept.html#token=...): the invited member of staff chooses a password
// and may correct their name; POST /api/v1/auth/invitations/accept
// {token, password, full_name?} → 204, then they sign in.

import { ErrorAlert, Field, NewPassword, Notice, fieldError, html, mount, startPage, takeFragmentToken, useLang } from './ui.js';
import { useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';

const token = takeFragmentToken();

function AcceptForm() {
  useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);

  if (!token) return html`<p class="info" id="accept-no-token">${t('accept.noToken')}</p>`;

  async function onSubmit(ev) {
    ev.preventDefault();
    const f = ev.currentTarget.elements;
    const body = { token, password: f.password.value };
    const name = f.full_name.value.trim();
    if (name) body.full_name = name;
    setBusy(true);
    setError(null);
    try {
      await request(`${API}/auth/invitations/accept`, { method: 'POST', body, auth: false });
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return html`
      <${Notice} id="accept-done" title=${t('accept.doneTitle')}>
        <p>${t('accept.done')}</p>
      </${Notice}>
      <p><a class="btn btn-primary btn-block" href="/login.html">${t('common.toSignIn')}</a></p>`;
  }
  const badToken = fieldError(error, 'token') !== '';
  return html`
    <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="accept-alert" error=${error} title=${t('accept.failed')}
        fields=${['password', 'token', 'full_name']} message=${badToken ? t('accept.expired') : ''} />
      <${Field} id="full_name" type="text" label=${t('field.full_name')} autocomplete="name" maxlength="200"
        required=${false} optional hint=${t('accept.nameHint')} error=${fieldError(error, 'full_name')} />
      <${NewPassword} error=${fieldError(error, 'password')} />
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
        ${busy ? t('common.saving') : t('accept.submit')}
      </button>
    </form>`;
}

startPage();
mount('page-root', html`<${AcceptForm} />`);
