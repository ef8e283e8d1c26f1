// login.js -- the sign-in page: an email + password form that POSTs JSON to
// /api/v1/auth/login. On success the access token is kept in memory only
// (js/session.js; the refresh cookie restores it on the next page) and the
// browser goes to ?next= (a same-site path) or the account page; on failure
// the problem+json detail (or a plain message) is shown in a role="alert"
// region, and field errors are tied to their inputs. The form says
// method="post" so that a password can never end up in a URL, whatever
// happens to the script.

import { ErrorAlert, Field, Notice, fieldError, html, mount, startPage, useLang } from './ui.js';
import { useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { safeNext, signIn } from './session.js';

const params = new URLSearchParams(window.location.search);
const next = safeNext(params.get('next'));
const signedOut = params.get('signed_out') === '1';

function LoginForm() {
  useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function onSubmit(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    setBusy(true);
    setError(null);
    try {
      const data = await request(`${API}/auth/login`, { method: 'POST', body: { email, password }, auth: false });
      signIn(data);
      window.location.assign(next || '/account.html');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return html`
    ${signedOut && !error && html`<${Notice} id="signed-out" title=${t('login.signedOut')} focus=${false} />`}
    ${next && !signedOut && !error && html`<p class="info" id="login-needed">${t('login.needed')}</p>`}
    <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="login-alert" error=${error} title=${t('login.failed')} fields=${['email', 'password']}>
        ${error?.status === 403 && html`
          <p class="alert-detail"><a href="/verify.html">${t('login.resend')}</a></p>`}
      </${ErrorAlert}>
      <${Field} id="email" type="email" label=${t('login.email')} autocomplete="username"
        autocapitalize="none" spellcheck="false" inputmode="email" error=${fieldError(error, 'email')} />
      <${Field} id="password" type="password" label=${t('login.password')}
        autocomplete="current-password" error=${fieldError(error, 'password')} />
      <p class="form-aside"><a href="/forgot.html" id="forgot-link">${t('login.forgot')}</a></p>
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
        ${busy ? t('login.busy') : t('login.submit')}
      </button>
    </form>
    <ul class="link-list">
      <li>${t('login.noAccount')} <a href="/register.html">${t('login.register')}</a></li>
      <li>${t('login.noMail')} <a href="/verify.html">${t('login.resend')}</a></li>
    </ul>`;
}

startPage({ showSignIn: false });
mount('login-root', html`<${LoginForm} />`);
