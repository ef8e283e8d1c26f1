// account.js -- the signed-in user's own page: their profile (name,
// preferred language, phone: PATCH /auth/me), their student record
// (GET /students/me: imported fields read-only, the self-reported
// advisor_email and bank_account editable with PATCH /students/me; 404 when
// no record is linked to the account), a password change
// (POST /auth/me/password; other sessions end, this one is renewed with the
// refresh cookie) and signing out here or everywhere.

import {
  ErrorAlert, Field, NewPassword, fieldError, formatDate, html, mountSignedIn, roleLabel, startPage, useLang,
} from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, ApiError, request } from './api.js';
import { lang, setLang, t } from './i18n.js';
import { currentUser, onSessionChange, renew, signOut, signOutEverywhere, updateUser } from './session.js';

/** Colleges from the public reference data, fetched once: {code: {name, name_en}}. */
let collegesPromise = null;
function colleges() {
  if (!collegesPromise) {
    collegesPromise = request(`${API}/reference/colleges`, { auth: false })
      .then((d) => Object.fromEntries((d?.items || []).map((c) => [c.code, c])))
      .catch(() => ({}));
  }
  return collegesPromise;
}

function useColleges() {
  const [map, setMap] = useState({});
  useEffect(() => { colleges().then(setMap); }, []);
  return map;
}

function localName(item) {
  if (!item) return '';
  return lang() === 'en' ? (item.name_en || item.name) : (item.name || item.name_en);
}

function collegeLabel(map, code) {
  if (!code) return '';
  const c = map[code];
  return c ? `${localName(c)} (${code})` : code;
}

function useUser() {
  const [user, setUser] = useState(currentUser());
  useEffect(() => onSessionChange((u) => { if (u) setUser(u); }), []);
  return user;
}

function Profile() {
  useLang();
  const user = useUser();
  const collegeMap = useColleges();
  const [values, setValues] = useState({
    full_name: user.full_name || '', phone: user.phone || '', locale: user.locale || lang(),
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const edit = (key) => (ev) => { setValues({ ...values, [key]: ev.currentTarget.value }); setSaved(false); };

  async function onSubmit(ev) {
    ev.preventDefault();
    const phone = values.phone.trim();
    const body = { full_name: values.full_name.trim(), locale: values.locale, phone: phone === '' ? null : phone };
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const next = await request(`${API}/auth/me`, { method: 'PATCH', body });
      updateUser(next);
      setValues({ full_name: next.full_name || '', phone: next.phone || '', locale: next.locale || body.locale });
      setSaved(true);
      if (next?.locale && next.locale !== lang()) setLang(next.locale);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class="section-card" aria-labelledby="profile-title">
      <h2 id="profile-title">${t('account.profile')}</h2>
      <dl class="facts">
        <div><dt>${t('field.email')}</dt><dd id="profile-email">${user.email}</dd></div>
        <div><dt>${t('field.role')}</dt><dd id="profile-role">${roleLabel(user.role)}</dd></div>
        ${user.college_code && html`
          <div><dt>${t('field.college_code')}</dt><dd>${collegeLabel(collegeMap, user.college_code)}</dd></div>`}
        <div><dt>${t('account.since')}</dt><dd>${formatDate(user.created_at)}</dd></div>
      </dl>
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
        <${ErrorAlert} id="profile-alert" error=${error} title=${t('account.saveFailed')}
          fields=${['full_name', 'locale', 'phone']} />
        <div class="form-grid">
          <${Field} id="full_name" type="text" label=${t('field.full_name')} autocomplete="name" maxlength="200"
            value=${values.full_name} onInput=${edit('full_name')} error=${fieldError(error, 'full_name')} />
          <${Field} id="phone" type="tel" label=${t('field.phone')} autocomplete="tel" maxlength="40"
            required=${false} optional value=${values.phone} onInput=${edit('phone')}
            error=${fieldError(error, 'phone')} />
          <${Field} id="locale" label=${t('field.locale')} hint=${t('account.localeHint')} value=${values.locale}
            onChange=${edit('locale')} error=${fieldError(error, 'locale')}
            options=${[{ value: 'zh-TW', label: '繁體中文' }, { value: 'en', label: 'English' }]} />
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled=${busy}>
            ${busy ? t('common.saving') : t('account.saveProfile')}
          </button>
          ${saved && html`<p class="saved" role="status" id="profile-saved">${t('account.saved')}</p>`}
        </div>
      </form>
    </section>`;
}

const RECORD_FIELDS = [
  ['student_number'], ['name'], ['name_en'], ['email'], ['national_id'], ['birth_date'],
  ['gender', 'gender'], ['nationality'], ['college_code', 'college'], ['department_code', 'department'],
  ['degree', 'degree'], ['year_of_study'], ['terms_enrolled'], ['enrollment_status', 'enrollment'],
  ['identity_category', 'identity'], ['gpa'],
  ['class_rank_percent', 'percent'], ['source'], ['verified_at', 'datetime'],
];

function recordValue(rec, key, kind, collegeMap, deptMap) {
  const v = rec[key];
  if (v === null || v === undefined || v === '') return html`<span class="muted">${t('common.none')}</span>`;
  if (kind === 'college') return collegeLabel(collegeMap, v);
  if (kind === 'department') return collegeLabel(deptMap, v);
  if (kind === 'datetime') return formatDate(v, true);
  if (kind === 'percent') return `${v}%`;
  if (kind && typeof v === 'string') {
    const key2 = `${kind}.${v}`;
    const label = t(key2);
    return label === key2 ? v : label;
  }
  return String(v);
}

function StudentRecord() {
  useLang();
  const collegeMap = useColleges();
  const [state, setState] = useState({ loading: true });
  const [deptMap, setDeptMap] = useState({});
  const [advisor, setAdvisor] = useState('');
  const [bank, setBank] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    request(`${API}/students/me`)
      .then((record) => {
        setState({ record });
        setAdvisor(record?.advisor_email || '');
        if (record?.college_code) {
          request(`${API}/reference/departments?college_code=${encodeURIComponent(record.college_code)}`, { auth: false })
            .then((d) => setDeptMap(Object.fromEntries((d?.items || []).map((x) => [x.code, x]))))
            .catch(() => {});
        }
      })
      .catch((err) => setState({ missing: err instanceof ApiError && err.status === 404, error: err }));
  }, []);

  async function onSubmit(ev) {
    ev.preventDefault();
    const body = { advisor_email: advisor.trim() === '' ? null : advisor.trim() };
    if (bank.trim() !== '') body.bank_account = bank.trim();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const record = await request(`${API}/students/me`, { method: 'PATCH', body });
      if (record && typeof record === 'object') {
        setState({ record });
        setAdvisor(record.advisor_email || '');
      }
      setBank('');
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  let content;
  if (state.loading) {
    content = html`<p class="muted">${t('common.loading')}</p>`;
  } else if (state.missing) {
    content = html`<div class="info" id="no-student-record"><p><strong>${t('student.noneTitle')}</strong></p>
      <p>${t('student.none')}</p></div>`;
  } else if (state.error) {
    content = html`<${ErrorAlert} id="student-load-alert" error=${state.error} title=${t('student.loadFailed')} />`;
  } else {
    const rec = state.record;
    content = html`
      <p class="muted">${t('student.imported')}</p>
      <dl class="facts facts-grid" id="student-facts">
        ${RECORD_FIELDS.map(([key, kind]) => html`
          <div><dt>${t(`field.${key}`)}</dt><dd>${recordValue(rec, key, kind, collegeMap, deptMap)}</dd></div>`)}
      </dl>
      <h3>${t('student.selfReported')}</h3>
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
        <${ErrorAlert} id="student-alert" error=${error} title=${t('account.saveFailed')}
          fields=${['advisor_email', 'bank_account']} />
        <div class="form-grid">
          <${Field} id="advisor_email" type="email" label=${t('field.advisor_email')} autocomplete="off"
            autocapitalize="none" spellcheck="false" required=${false} optional value=${advisor}
            onInput=${(e) => { setAdvisor(e.currentTarget.value); setSaved(false); }}
            hint=${t('student.advisorHint')} error=${fieldError(error, 'advisor_email')} />
          <${Field} id="bank_account" type="text" label=${t('field.bank_account')} autocomplete="off"
            inputmode="numeric" spellcheck="false" maxlength="40" required=${false} optional value=${bank}
            onInput=${(e) => { setBank(e.currentTarget.value); setSaved(false); }}
            hint=${rec.bank_account ? t('student.bankHintSet').replace('{masked}', rec.bank_account) : t('student.bankHint')}
            error=${fieldError(error, 'bank_account')} />
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled=${busy}>
            ${busy ? t('common.saving') : t('student.save')}
          </button>
          ${saved && html`<p class="saved" role="status" id="student-saved">${t('account.saved')}</p>`}
        </div>
      </form>`;
  }
  return html`
    <section class="section-card" aria-labelledby="student-title">
      <h2 id="student-title">${t('student.title')}</h2>
      ${content}
    </section>`;
}

function ChangePassword() {
  useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);

  async function onSubmit(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    const f = form.elements;
    const body = { current_password: f.current_password.value, password: f.password.value };
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await request(`${API}/auth/me/password`, { method: 'POST', body });
      form.reset();
      // Tokens issued before the change are refused now; the refresh cookie of
      // this session still works and gives a fresh one.
      await renew();
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class="section-card" aria-labelledby="password-title">
      <h2 id="password-title">${t('account.password')}</h2>
      <p class="muted">${t('account.passwordIntro')}</p>
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}
        onInput=${() => setDone(false)}>
        <${ErrorAlert} id="password-alert" error=${error} title=${t('account.passwordFailed')}
          fields=${['current_password', 'password']} />
        <input type="text" name="username" autocomplete="username" value=${currentUser()?.email || ''}
          hidden readonly tabindex="-1" aria-hidden="true" />
        <div class="form-grid">
          <${Field} id="current_password" type="password" label=${t('password.current')}
            autocomplete="current-password" error=${fieldError(error, 'current_password')} />
        </div>
        <div class="form-grid">
          <${NewPassword} error=${fieldError(error, 'password')} />
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled=${busy}>
            ${busy ? t('common.saving') : t('account.changePassword')}
          </button>
          ${done && html`<p class="saved" role="status" id="password-changed">${t('account.passwordChanged')}</p>`}
        </div>
      </form>
    </section>`;
}

function Sessions() {
  useLang();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function here() {
    setBusy(true);
    await signOut();
    window.location.assign('/login.html?signed_out=1');
  }
  async function everywhere() {
    setBusy(true);
    setError(null);
    try {
      await signOutEverywhere();
      window.location.assign('/login.html?signed_out=1');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return html`
    <section class="section-card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">${t('account.sessions')}</h2>
      <${ErrorAlert} id="sessions-alert" error=${error} />
      <p class="muted">${t('account.sessionsIntro')}</p>
      <div class="form-actions">
        <button type="button" class="btn btn-quiet" id="sign-out-here" onClick=${here} disabled=${busy}>
          ${t('nav.signOut')}
        </button>
        ${!confirming && html`
          <button type="button" class="btn btn-danger-quiet" id="sign-out-everywhere"
            onClick=${() => setConfirming(true)} disabled=${busy}>${t('account.everywhere')}</button>`}
      </div>
      ${confirming && html`
        <div class="confirm" role="group" aria-labelledby="confirm-everywhere">
          <p id="confirm-everywhere">${t('account.everywhereConfirm')}</p>
          <div class="form-actions">
            <button type="button" class="btn btn-danger" id="confirm-sign-out-everywhere" onClick=${everywhere}
              disabled=${busy}>${t('account.everywhereYes')}</button>
            <button type="button" class="btn btn-quiet" onClick=${() => setConfirming(false)} disabled=${busy}>
              ${t('common.cancel')}</button>
          </div>
        </div>`}
    </section>`;
}

function Account() {
  useLang();
  const user = useUser();
  return html`
    <div class="stack">
      <${Profile} />
      ${user.role === 'student' && html`<${StudentRecord} />`}
      <${ChangePassword} />
      <${Sessions} />
    </div>`;
}

startPage();
mountSignedIn(() => html`<${Account} />`);
