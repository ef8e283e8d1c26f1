// admin-users.js -- user administration. Super admins list users
// (GET /users with role, college, search and active filters, keyset
// "load more" pagination), invite staff (POST /users, which mails an
// invitation), and edit a user's role, college, email and active flag
// (PATCH /users/{id}; 409 for the last super admin), an admin's scholarship
// scope (GET /users/{id} reads scholarship_ids, PUT /users/{id}/scholarships
// replaces them) or re-send an invitation (POST /users/{id}/invitation).
// Admins see the list read-only; anyone else is told they have no access.

import {
  Checkbox, ErrorAlert, Field, Notice, fieldError, formatDate, html, mountSignedIn, roleLabel, startPage, useLang,
} from './ui.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { lang, t } from './i18n.js';

const ROLES = ['student', 'reviewer', 'college', 'admin', 'super_admin'];
const PAGE = 20;

function useColleges() {
  const [list, setList] = useState(null); // null while loading, then [{code, name, name_en}]
  useEffect(() => {
    request(`${API}/reference/colleges`, { auth: false })
      .then((d) => setList(Array.isArray(d?.items) ? d.items : []))
      .catch(() => setList([]));
  }, []);
  return list;
}

function collegeName(colleges, code) {
  if (!code) return '';
  const c = (colleges || []).find((x) => x.code === code);
  if (!c) return code;
  return lang() === 'en' ? (c.name_en || c.name) : (c.name || c.name_en);
}

/** A college select (or a code input when there is no reference data). */
function CollegeField({ id, colleges, value, onChange, required = true, anyLabel, error, hint }) {
  if (colleges && colleges.length > 0) {
    const options = [
      { value: '', label: anyLabel || t('users.chooseCollege'), disabled: !anyLabel },
      ...colleges.map((c) => ({ value: c.code, label: `${collegeName(colleges, c.code)} (${c.code})` })),
    ];
    return html`<${Field} id=${id} label=${t('field.college_code')} options=${options} value=${value}
      onChange=${onChange} required=${required} error=${error} hint=${hint} />`;
  }
  return html`<${Field} id=${id} type="text" label=${t('field.college_code')} value=${value} maxlength="20"
    autocapitalize="characters" spellcheck="false" onInput=${onChange} required=${required}
    placeholder=${anyLabel || ''} error=${error} hint=${hint} />`;
}

function RoleField({ id, value, onChange, anyLabel, error }) {
  const options = [
    ...(anyLabel ? [{ value: '', label: anyLabel }] : []),
    ...ROLES.map((r) => ({ value: r, label: roleLabel(r) })),
  ];
  return html`<${Field} id=${id} label=${t('field.role')} options=${options} value=${value} onChange=${onChange}
    required=${!anyLabel} error=${error} />`;
}

function StatusBadges({ user }) {
  return html`
    <span class=${`badge ${user.active ? 'badge-ok' : 'badge-off'}`}>
      ${user.active ? t('users.active') : t('users.inactive')}</span>
    ${!user.email_verified && html`
      <span class="badge badge-warn">${user.role === 'student' ? t('users.unverified') : t('users.invited')}</span>`}`;
}

function InviteForm({ colleges, onInvited }) {
  useLang();
  const [values, setValues] = useState({ email: '', full_name: '', role: 'reviewer', college_code: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sent, setSent] = useState(null);
  const edit = (key) => (ev) => { setValues({ ...values, [key]: ev.currentTarget.value }); setSent(null); };

  async function onSubmit(ev) {
    ev.preventDefault();
    const body = { email: values.email.trim(), full_name: values.full_name.trim(), role: values.role };
    if (values.role === 'college') body.college_code = values.college_code.trim();
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      const created = await request(`${API}/users`, { method: 'POST', body });
      setSent(body.email);
      setValues({ email: '', full_name: '', role: values.role, college_code: values.college_code });
      if (created && created.id) onInvited(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class="section-card" aria-labelledby="invite-title">
      <h2 id="invite-title">${t('users.invite')}</h2>
      <p class="muted">${t('users.inviteIntro')}</p>
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'} id="invite-form">
        <${ErrorAlert} id="invite-alert" error=${error} title=${t('users.inviteFailed')}
          fields=${['email', 'full_name', 'role', 'college_code']} />
        <div class="form-grid">
          <${Field} id="invite-email" name="email" type="email" label=${t('field.email')} autocomplete="off"
            autocapitalize="none" spellcheck="false" value=${values.email} onInput=${edit('email')}
            error=${fieldError(error, 'email')} />
          <${Field} id="invite-name" name="full_name" type="text" label=${t('field.full_name')} autocomplete="off"
            maxlength="200" value=${values.full_name} onInput=${edit('full_name')}
            error=${fieldError(error, 'full_name')} />
          <${RoleField} id="invite-role" value=${values.role} onChange=${edit('role')}
            error=${fieldError(error, 'role')} />
          ${values.role === 'college' && html`
            <${CollegeField} id="invite-college" colleges=${colleges} value=${values.college_code}
              onChange=${edit('college_code')} error=${fieldError(error, 'college_code')} />`}
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled=${busy}>
            ${busy ? t('common.sending') : t('users.inviteSubmit')}
          </button>
          ${sent && html`<p class="saved" role="status" id="invite-sent">${t('users.invited.sent').replace('{email}', sent)}</p>`}
        </div>
      </form>
    </section>`;
}

function Filters({ colleges, filters, onApply }) {
  useLang();
  const [values, setValues] = useState(filters);
  const edit = (key) => (ev) => setValues({ ...values, [key]: ev.currentTarget.value });
  const activeOptions = [
    { value: '', label: t('users.anyStatus') },
    { value: 'true', label: t('users.active') },
    { value: 'false', label: t('users.inactive') },
  ];
  function onSubmit(ev) {
    ev.preventDefault();
    onApply({ ...values, q: values.q.trim() });
  }
  function onClear() {
    const empty = { role: '', college_code: '', q: '', active: '' };
    setValues(empty);
    onApply(empty);
  }
  return html`
    <form class="filters" role="search" onSubmit=${onSubmit} aria-label=${t('users.filters')}>
      <${Field} id="filter-q" name="q" type="search" label=${t('users.search')} value=${values.q}
        onInput=${edit('q')} required=${false} spellcheck="false" />
      <${RoleField} id="filter-role" value=${values.role} onChange=${edit('role')} anyLabel=${t('users.anyRole')} />
      <${CollegeField} id="filter-college" colleges=${colleges} value=${values.college_code}
        onChange=${edit('college_code')} required=${false} anyLabel=${t('users.anyCollege')} />
      <${Field} id="filter-active" label=${t('users.status')} options=${activeOptions} value=${values.active}
        onChange=${edit('active')} required=${false} />
      <div class="filters-actions">
        <button type="submit" class="btn btn-primary">${t('users.apply')}</button>
        <button type="button" class="btn btn-quiet" onClick=${onClear}>${t('users.clear')}</button>
      </div>
    </form>`;
}

/** The scholarship ids typed one per line (blank lines dropped, repeats once). */
function parseIds(text) {
  const seen = new Set();
  const ids = [];
  for (const part of text.split(/[\s,;]+/)) {
    const id = part.trim();
    if (id && !seen.has(id.toLowerCase())) { seen.add(id.toLowerCase()); ids.push(id); }
  }
  return ids;
}

function sameIds(a, b) {
  const norm = (l) => l.map((x) => String(x).toLowerCase()).sort().join('\n');
  return norm(a) === norm(b);
}

/** The field errors of a PUT /users/{id}/scholarships for the textarea (item errors name the id). */
function scopeErrors(err, sent) {
  const lines = [];
  for (const e of err?.errors || []) {
    if (e.field === 'scholarship_ids') { lines.push(e.message); continue; }
    const m = /^scholarship_ids\.(\d+)$/.exec(e.field);
    if (!m) continue;
    const id = sent?.[Number(m[1])];
    lines.push(t('users.scopeItemError').replace('{id}', id ?? `#${Number(m[1]) + 1}`).replace('{message}', e.message));
  }
  return lines.join(' ');
}

const isScopeField = (f) => f === 'scholarship_ids' || /^scholarship_ids\.\d+$/.test(f);

/**
 * The scholarship scope of an admin: the granted scholarship ids, one a
 * line (there is no scholarship list to choose from yet).
 */
function ScopeSection({ grants, loadError, value, onInput, error }) {
  return html`
    <section class="subsection scope" id="edit-scope" aria-labelledby="edit-scope-title">
      <h3 id="edit-scope-title">${t('users.scope')}</h3>
      <${ErrorAlert} id="scope-alert" error=${loadError} title=${t('users.scopeLoadFailed')} />
      ${grants === null && !loadError && html`<p class="muted" role="status">${t('users.scopeLoading')}</p>`}
      <${Field} id="edit-scholarships" name="scholarship_ids" textarea label=${t('users.scopeLabel')}
        hint=${t('users.scopeHint')} value=${value} onInput=${onInput} required=${false}
        disabled=${grants === null} rows=${Math.min(10, Math.max(3, value.split('\n').length + 1))}
        spellcheck="false" autocapitalize="none" autocomplete="off" class="ids" error=${error} />
    </section>`;
}

function EditDialog({ user, colleges, onSaved, onClose }) {
  useLang();
  const ref = useRef(null);
  const [values, setValues] = useState({
    email: user.email, role: user.role, college_code: user.college_code || '', active: user.active,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [resent, setResent] = useState(false);
  const [resendError, setResendError] = useState(null);
  // What the server holds (updated after each successful save, so that a
  // retry after a failed grant only sends what is still unsaved).
  const base = useRef(user);
  // The admin's granted scholarship ids: null while loading (or when that failed).
  const [grants, setGrants] = useState(user.role === 'admin' ? null : []);
  const [grantsError, setGrantsError] = useState(null);
  const [idsText, setIdsText] = useState('');
  const [sentIds, setSentIds] = useState(null);
  const edit = (key) => (ev) => setValues({ ...values, [key]: ev.currentTarget.value });

  useEffect(() => {
    if (user.role !== 'admin') return undefined;
    let live = true;
    request(`${API}/users/${encodeURIComponent(user.id)}`)
      .then((u) => {
        if (!live) return;
        const ids = Array.isArray(u?.scholarship_ids) ? u.scholarship_ids : [];
        setGrants(ids);
        setIdsText(ids.join('\n'));
      })
      .catch((err) => { if (live) setGrantsError(err); });
    return () => { live = false; };
  }, []);

  useEffect(() => {
    const dlg = ref.current;
    if (dlg && !dlg.open) dlg.showModal();
    const closed = () => onClose();
    dlg?.addEventListener('close', closed);
    return () => dlg?.removeEventListener('close', closed);
  }, []);

  async function onSubmit(ev) {
    ev.preventDefault();
    const before = base.current;
    const body = {};
    const email = values.email.trim();
    if (email !== before.email) body.email = email;
    if (values.role !== before.role) body.role = values.role;
    const college = values.role === 'college' ? values.college_code.trim() : '';
    if ((college || null) !== (before.college_code || null)) body.college_code = college || null;
    if (values.active !== before.active) body.active = values.active;
    const ids = parseIds(idsText);
    const grantsChanged = values.role === 'admin' && grants !== null && !sameIds(ids, grants);
    if (Object.keys(body).length === 0 && !grantsChanged) { ref.current?.close(); return; }
    setBusy(true);
    setError(null);
    setSentIds(null);
    try {
      let next = before;
      let held = grants;
      if (Object.keys(body).length > 0) {
        const patched = await request(`${API}/users/${encodeURIComponent(user.id)}`, { method: 'PATCH', body });
        next = patched && patched.id ? patched : { ...before, ...body };
        base.current = next;
        onSaved(next);
        // A user who just became an admin may hold grants from before.
        if (Array.isArray(patched?.scholarship_ids)) {
          held = patched.scholarship_ids;
          setGrants(held);
        }
      }
      if (values.role === 'admin' && held !== null && !sameIds(ids, held)) {
        setSentIds(ids);
        const granted = await request(`${API}/users/${encodeURIComponent(user.id)}/scholarships`,
          { method: 'PUT', body: { scholarship_ids: ids } });
        next = granted && granted.id ? granted : { ...next, scholarship_ids: ids };
        base.current = next;
        onSaved(next);
      }
      ref.current?.close();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  async function resend() {
    setResendError(null);
    setResent(false);
    try {
      await request(`${API}/users/${encodeURIComponent(user.id)}/invitation`, { method: 'POST' });
      setResent(true);
    } catch (err) {
      setResendError(err);
    }
  }

  return html`
    <dialog class="dialog" ref=${ref} aria-labelledby="edit-title" id="edit-dialog">
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
        <h2 id="edit-title">${t('users.edit')}: ${user.full_name}</h2>
        <${ErrorAlert} id="edit-alert" error=${error} title=${t('account.saveFailed')}
          fields=${['email', 'role', 'college_code', ...(error?.errors || []).map((e) => e.field).filter(isScopeField)]} />
        <${Field} id="edit-email" name="email" type="email" label=${t('field.email')} autocomplete="off"
          autocapitalize="none" spellcheck="false" value=${values.email} onInput=${edit('email')}
          error=${fieldError(error, 'email')} hint=${t('users.emailHint')} />
        <${RoleField} id="edit-role" value=${values.role} onChange=${edit('role')} error=${fieldError(error, 'role')} />
        ${values.role === 'college' && html`
          <${CollegeField} id="edit-college" colleges=${colleges} value=${values.college_code}
            onChange=${edit('college_code')} error=${fieldError(error, 'college_code')} />`}
        <${Checkbox} id="edit-active" label=${t('users.activeLabel')} hint=${t('users.activeHint')}
          checked=${values.active} onChange=${(ev) => setValues({ ...values, active: ev.currentTarget.checked })} />
        ${values.role === 'admin' && html`
          <${ScopeSection} grants=${grants} loadError=${grantsError} value=${idsText}
            onInput=${(ev) => setIdsText(ev.currentTarget.value)} error=${scopeErrors(error, sentIds)} />`}
        ${!user.email_verified && user.role !== 'student' && html`
          <div class="subsection">
            <p class="muted">${t('users.pending')}</p>
            <button type="button" class="btn btn-quiet" id="resend-invitation" onClick=${resend}>
              ${t('users.resend')}</button>
            ${resent && html`<p class="saved" role="status">${t('users.resent')}</p>`}
            <${ErrorAlert} id="resend-alert" error=${resendError} />
          </div>`}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled=${busy}>
            ${busy ? t('common.saving') : t('common.save')}</button>
          <button type="button" class="btn btn-quiet" onClick=${() => ref.current?.close()}>${t('common.cancel')}</button>
        </div>
      </form>
    </dialog>`;
}

function UsersPage({ me }) {
  useLang();
  const canEdit = me.role === 'super_admin';
  const colleges = useColleges();
  const [filters, setFilters] = useState({ role: '', college_code: '', q: '', active: '' });
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null);
  const [saved, setSaved] = useState(null);
  const opener = useRef(null);
  const generation = useRef(0);

  async function load(f, after) {
    const gen = ++generation.current;
    const q = new URLSearchParams({ limit: String(PAGE) });
    for (const [k, v] of Object.entries(f)) if (v !== '') q.set(k, v);
    if (after) q.set('cursor', after);
    setLoading(true);
    setError(null);
    try {
      const data = await request(`${API}/users?${q}`);
      if (gen !== generation.current) return;
      const page = Array.isArray(data?.items) ? data.items : [];
      setItems((prev) => (after ? [...prev, ...page] : page));
      setCursor(data?.next_cursor || null);
    } catch (err) {
      if (gen !== generation.current) return;
      if (!after) setItems([]);
      setError(err);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }

  useEffect(() => { load(filters, null); }, [filters]);

  const openEdit = (u) => (ev) => { opener.current = ev.currentTarget; setSaved(null); setEditing(u); };
  const closeEdit = () => {
    setEditing(null);
    const btn = opener.current;
    if (btn && document.contains(btn)) btn.focus();
  };
  const onSaved = (u) => {
    setItems((prev) => prev.map((x) => (x.id === u.id ? u : x)));
    setSaved(u);
  };

  return html`
    ${canEdit && html`<${InviteForm} colleges=${colleges}
      onInvited=${(u) => setItems((prev) => [u, ...prev.filter((x) => x.id !== u.id)])} />`}
    <section class="section-card" aria-labelledby="list-title">
      <h2 id="list-title">${t('users.list')}</h2>
      ${!canEdit && html`<p class="info" id="read-only-note">${t('users.readOnly')}</p>`}
      <${Filters} colleges=${colleges} filters=${filters} onApply=${setFilters} />
      <${ErrorAlert} id="list-alert" error=${error} title=${t('users.loadFailed')} />
      ${saved && html`<${Notice} id="user-saved" focus=${false}
        title=${t('users.saved').replace('{name}', saved.full_name || saved.email)} />`}
      ${(items.length > 0 || !error) && html`<div class="table-wrap">
        <table class="data-table" id="users-table" aria-busy=${loading ? 'true' : 'false'}>
          <caption class="visually-hidden">${t('users.list')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('field.full_name')}</th>
              <th scope="col">${t('field.email')}</th>
              <th scope="col">${t('field.role')}</th>
              <th scope="col">${t('field.college_code')}</th>
              <th scope="col">${t('users.status')}</th>
              <th scope="col">${t('users.created')}</th>
              ${canEdit && html`<th scope="col"><span class="visually-hidden">${t('users.actions')}</span></th>`}
            </tr>
          </thead>
          <tbody>
            ${items.map((u) => html`
              <tr key=${u.id} data-email=${u.email}>
                <th scope="row" data-label=${t('field.full_name')}>${u.full_name}</th>
                <td data-label=${t('field.email')}>${u.email}</td>
                <td data-label=${t('field.role')}>${roleLabel(u.role)}</td>
                <td data-label=${t('field.college_code')}>${collegeName(colleges, u.college_code)
                  || html`<span class="muted">${t('common.none')}</span>`}</td>
                <td data-label=${t('users.status')}><${StatusBadges} user=${u} /></td>
                <td data-label=${t('users.created')}>${formatDate(u.created_at)}</td>
                ${canEdit && html`<td class="cell-actions">
                  <button type="button" class="btn btn-quiet btn-small" onClick=${openEdit(u)}
                    aria-label=${`${t('users.edit')}: ${u.full_name || u.email}`}>${t('users.edit')}</button>
                </td>`}
              </tr>`)}
          </tbody>
        </table>
      </div>`}
      ${!loading && !error && items.length === 0 && html`<p class="muted" id="no-users">${t('users.none')}</p>`}
      <div class="list-footer">
        ${loading && html`<p class="muted" role="status">${t('common.loading')}</p>`}
        ${!loading && cursor && html`
          <button type="button" class="btn btn-quiet" id="load-more" onClick=${() => load(filters, cursor)}>
            ${t('users.more')}</button>`}
      </div>
    </section>
    ${editing && html`<${EditDialog} key=${editing.id} user=${editing} colleges=${colleges}
      onSaved=${onSaved} onClose=${closeEdit} />`}`;
}

function NoAccess() {
  useLang();
  return html`
    <section class="section-card" id="no-access">
      <h2>${t('users.noAccessTitle')}</h2>
      <p>${t('users.noAccess')}</p>
      <p><a href="/account.html">${t('nav.account')}</a></p>
    </section>`;
}

startPage();
mountSignedIn((me) => (me.role === 'super_admin' || me.role === 'admin'
  ? html`<${UsersPage} me=${me} />`
  : html`<${NoAccess} />`));
