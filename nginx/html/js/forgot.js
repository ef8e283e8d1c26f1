// forgot.js -- "forgot password": POSTs the address to
// /api/v1/auth/password/forgot, which answers 202 whatever the address (no
// account enumeration) and mails a reset link valid for an hour.

import { ErrorAlert, Field, Notice, fieldError, html, mount, startPage, useLang } from './ui.js';
import { useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';

function ForgotForm() {
  useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sentTo, setSentTo] = useState(null);

  async function onSubmit(ev) {
    ev.preventDefault();
    const email = ev.currentTarget.elements.email.value.trim();
    setBusy(true);
    setError(null);
    try {
      await request(`${API}/auth/password/forgot`, { method: 'POST', body: { email }, auth: false });
      setSentTo(email);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (sentTo) {
    return html`
      <${Notice} id="forgot-done" title=${t('forgot.doneTitle')}>
        <p>${t('forgot.done').replace('{email}', sentTo)}</p>
      </${Notice}>
      <p class="panel-links"><a href="/login.html">${t('common.toSignIn')}</a></p>`;
  }
  return html`
    <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="forgot-alert" error=${error} fields=${['email']} />
      <${Field} id="email" type="email" label=${t('field.email')} autocomplete="username" autocapitalize="none"
        spellcheck="false" inputmode="email" error=${fieldError(error, 'email')} />
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
        ${busy ? t('common.sending') : t('forgot.submit')}
      </button>
    </form>
    <p class="panel-links"><a href="/login.html">${t('common.backToSignIn')}</a></p>`;
}

startPage();
mount('page-root', html`<${ForgotForm} />`);
