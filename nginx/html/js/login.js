// login.js -- the sign-in page: an email + password form that POSTs JSON to
// /api/v1/auth/login. On success the access token is kept in memory only
// and the browser goes to the landing page; on failure the problem+json
// detail (or a plain message) is shown in a role="alert" region, and field
// errors are tied to their inputs. The form says method="post" so that a
// password can never end up in a URL, whatever happens to the script.

import { html, mount, startPage, useLang } from './ui.js';
import { useState } from '/vendor/hooks.module.js';
import { API, request, setAccessToken } from './api.js';
import { t } from './i18n.js';

/** A readable message for a failed sign-in. */
function describe(err) {
  if (!err || typeof err.status !== 'number') return t('error.generic');
  if (err.status === 0) return t('error.network');
  if (err.status === 429) return err.detail || t('error.rateLimited');
  if (err.detail) return err.detail;
  return err.status >= 500 ? t('error.server') : t('error.generic');
}

function Field({ id, label, error, ...input }) {
  const hint = error ? `${id}-error` : undefined;
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} name=${id} required aria-invalid=${error ? 'true' : undefined}
        aria-describedby=${hint} ...${input} />
      ${error && html`<p class="field-error" id=${hint}>${error}</p>`}
    </div>`;
}

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
      if (!data || typeof data.access_token !== 'string') throw new Error('no access token in the answer');
      setAccessToken(data.access_token);
      window.location.assign('/');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  const fieldError = (name) =>
    error?.errors?.filter((e) => e.field === name).map((e) => e.message).join(' ') || '';

  return html`
    <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
      <div class="alert" role="alert" id="login-alert">
        ${error && html`
          <p class="alert-title">${t('login.failed')}</p>
          <p class="alert-detail">${describe(error)}</p>
          ${error.requestId && html`<p class="alert-ref">${t('error.reference')}: <code>${error.requestId}</code></p>`}`}
      </div>
      <${Field} id="email" type="email" label=${t('login.email')} autocomplete="username"
        autocapitalize="none" spellcheck="false" inputmode="email" error=${fieldError('email')} />
      <${Field} id="password" type="password" label=${t('login.password')}
        autocomplete="current-password" error=${fieldError('password')} />
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
        ${busy ? t('login.busy') : t('login.submit')}
      </button>
    </form>`;
}

startPage();
mount('login-root', html`<${LoginForm} />`);
