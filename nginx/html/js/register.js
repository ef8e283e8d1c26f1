// register.js -- self-registration for students: name, email and a new
// password, POSTed to /api/v1/auth/register with the UI language as the
// account's locale. The API answers 202 whether or not the address is
// taken (no account enumeration), so the page always says "check your
// email"; bad input comes back as 422 field errors shown at each field.

import { ErrorAlert, Field, NewPassword, Notice, fieldError, html, mount, startPage, useLang } from './ui.js';
import { useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { lang, t } from './i18n.js';

function RegisterForm() {
  useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sentTo, setSentTo] = useState(null);

  async function onSubmit(ev) {
    ev.preventDefault();
    const f = ev.currentTarget.elements;
    const body = {
      full_name: f.full_name.value.trim(),
      email: f.email.value.trim(),
      password: f.password.value,
      locale: lang(),
    };
    setBusy(true);
    setError(null);
    try {
      await request(`${API}/auth/register`, { method: 'POST', body, auth: false });
      setSentTo(body.email);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (sentTo) {
    return html`
      <${Notice} id="register-done" title=${t('register.doneTitle')}>
        <p>${t('register.done').replace('{email}', sentTo)}</p>
      </${Notice}>
      <ul class="link-list">
        <li>${t('register.noMail')} <a href="/verify.html">${t('login.resend')}</a></li>
        <li><a href="/login.html">${t('common.toSignIn')}</a></li>
      </ul>`;
  }

  return html`
    <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="register-alert" error=${error} title=${t('register.failed')}
        fields=${['full_name', 'email', 'password']} />
      <${Field} id="full_name" type="text" label=${t('field.full_name')} autocomplete="name" maxlength="200"
        error=${fieldError(error, 'full_name')} />
      <${Field} id="email" type="email" label=${t('field.email')} autocomplete="email" autocapitalize="none"
        spellcheck="false" inputmode="email" hint=${t('register.emailHint')} error=${fieldError(error, 'email')} />
      <${NewPassword} error=${fieldError(error, 'password')} />
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
        ${busy ? t('common.sending') : t('register.submit')}
      </button>
    </form>
    <p class="panel-links">${t('register.haveAccount')} <a href="/login.html">${t('nav.signIn')}</a></p>`;
}

startPage();
mount('page-root', html`<${RegisterForm} />`);
