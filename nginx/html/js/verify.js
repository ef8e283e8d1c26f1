// verify.js -- email verification. The mailed link carries the token in the
// URL fragment (verify.html#token=...), which never reaches a server log;
// the page reads it, removes it from the address bar and POSTs it to
// /api/v1/auth/verify-email. Without a token, or when the token is invalid,
// used or expired, the page offers to send a new link
// (POST /auth/verify-email/resend, 202 whatever the address).

import { ErrorAlert, Field, Notice, fieldError, html, mount, startPage, takeFragmentToken, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';

const token = takeFragmentToken();
// Posted once per page load, whatever renders.
const verifying = token
  ? request(`${API}/auth/verify-email`, { method: 'POST', body: { token }, auth: false })
    .then(() => ({ ok: true }), (error) => ({ ok: false, error }))
  : null;

function ResendForm({ intro }) {
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
      await request(`${API}/auth/verify-email/resend`, { method: 'POST', body: { email }, auth: false });
      setSentTo(email);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (sentTo) {
    return html`
      <${Notice} id="resend-done" title=${t('verify.resentTitle')}>
        <p>${t('verify.resent').replace('{email}', sentTo)}</p>
      </${Notice}>`;
  }
  return html`
    <section class="subsection" aria-labelledby="resend-title">
      <h2 id="resend-title">${t('verify.resendTitle')}</h2>
      <p class="muted">${intro}</p>
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
        <${ErrorAlert} id="resend-alert" error=${error} fields=${['email']} />
        <${Field} id="email" type="email" label=${t('field.email')} autocomplete="email" autocapitalize="none"
          spellcheck="false" inputmode="email" error=${fieldError(error, 'email')} />
        <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
          ${busy ? t('common.sending') : t('verify.resendSubmit')}
        </button>
      </form>
    </section>`;
}

function Verify() {
  useLang();
  const [result, setResult] = useState(null);
  useEffect(() => { if (verifying) verifying.then(setResult); }, []);

  if (!token) return html`<${ResendForm} intro=${t('verify.noToken')} />`;
  if (!result) return html`<p class="info" role="status" id="verify-busy">${t('verify.busy')}</p>`;
  if (result.ok) {
    return html`
      <${Notice} id="verify-done" title=${t('verify.doneTitle')}>
        <p>${t('verify.done')}</p>
      </${Notice}>
      <p><a class="btn btn-primary btn-block" href="/login.html">${t('common.toSignIn')}</a></p>`;
  }
  const expired = result.error.status === 422 && fieldError(result.error, 'token') !== '';
  return html`
    <${ErrorAlert} id="verify-alert" error=${result.error} title=${t('verify.failed')}
      message=${expired ? t('verify.expired') : ''} fields=${['token']} />
    <${ResendForm} intro=${t('verify.resendIntro')} />`;
}

startPage();
mount('page-root', html`<${Verify} />`);
