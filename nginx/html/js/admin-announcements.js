// admin-announcements.js -- announcements for admins and super admins: a
// form to post one (POST /announcements {title, title_en, body, body_en,
// audience, expires_at}; the server writes a notification for every
// active user of the audience and answers how many), with a 422's field
// errors shown by their fields, and the list (GET /announcements, newest
// first, keyset "load more", optionally current only) with delete (DELETE
// /announcements/{id}, after a confirmation; the server lets an admin
// delete only their own, a super admin any).

import {
  Checkbox, ErrorAlert, Field, Notice, fieldError, formatDate, html, mountSignedIn, startPage, useLang,
} from './ui.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { NoAccess, fromLocalInput, localName, toLocalInput } from './apps.js';

const PAGE = 20;
const AUDIENCES = ['all', 'students', 'staff'];
const FIELDS = ['title', 'title_en', 'body', 'body_en', 'audience', 'expires_at'];

const inAWeek = () => toLocalInput(new Date(Date.now() + 7 * 86400000).toISOString());
const empty = () => ({ title: '', title_en: '', body: '', body_en: '', audience: 'all', expires_at: inAWeek() });

function PostForm({ onPosted }) {
  useLang();
  const [v, setV] = useState(empty);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [posted, setPosted] = useState(null);
  const edit = (k) => (ev) => { setV({ ...v, [k]: ev.currentTarget.value }); setPosted(null); };

  async function onSubmit(ev) {
    ev.preventDefault();
    const body = {
      title: v.title.trim(), title_en: v.title_en.trim(), body: v.body.trim(), body_en: v.body_en.trim(),
      audience: v.audience, expires_at: fromLocalInput(v.expires_at),
    };
    setBusy(true);
    setError(null);
    setPosted(null);
    try {
      const a = await request(`${API}/announcements`, { method: 'POST', body });
      setPosted(a);
      setV(empty());
      onPosted(a);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fe = (k) => fieldError(error, k);
  return html`
    <section class="section-card" aria-labelledby="new-title">
      <h2 id="new-title">${t('ann.new')}</h2>
      <form class="form" id="announcement-form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
        <${ErrorAlert} id="announcement-alert" error=${error} title=${t('ann.postFailed')} fields=${FIELDS} />
        <div class="form-grid form-grid-2">
          <${Field} id="ann-title" name="title" label=${t('ann.titleZh')} maxlength="200" value=${v.title}
            onInput=${edit('title')} error=${fe('title')} lang="zh-TW" />
          <${Field} id="ann-title-en" name="title_en" label=${t('ann.titleEn')} maxlength="200" value=${v.title_en}
            onInput=${edit('title_en')} error=${fe('title_en')} lang="en" />
          <${Field} id="ann-body" name="body" label=${t('ann.bodyZh')} textarea rows="5" maxlength="5000" value=${v.body}
            onInput=${edit('body')} error=${fe('body')} lang="zh-TW" />
          <${Field} id="ann-body-en" name="body_en" label=${t('ann.bodyEn')} textarea rows="5" maxlength="5000"
            value=${v.body_en} onInput=${edit('body_en')} error=${fe('body_en')} lang="en" />
          <${Field} id="ann-audience" name="audience" label=${t('ann.audience')} value=${v.audience}
            onChange=${edit('audience')} error=${fe('audience')}
            options=${AUDIENCES.map((a) => ({ value: a, label: t(`ann.audience.${a}`) }))} />
          <${Field} id="ann-expires" name="expires_at" type="datetime-local" label=${t('ann.expires')}
            hint=${t('ann.expiresHint')} value=${v.expires_at} onInput=${edit('expires_at')} error=${fe('expires_at')} />
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled=${busy}>${busy ? t('ann.posting') : t('ann.post')}</button>
        </div>
        ${posted && html`<${Notice} id="announcement-posted"
          title=${t('ann.posted').replace('{n}', String(posted.recipients ?? 0))} />`}
      </form>
    </section>`;
}

function Row({ a, canDelete, onDeleted }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const confirmRef = useRef(null);
  const title = localName(a, 'title');
  const active = a.active ?? (new Date(a.expires_at) > new Date());
  useEffect(() => { if (confirming) confirmRef.current?.focus(); }, [confirming]);

  async function onDelete() {
    setBusy(true);
    setError(null);
    try {
      await request(`${API}/announcements/${encodeURIComponent(a.id)}`, { method: 'DELETE' });
      onDeleted(a);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return html`<tr data-id=${a.id}>
    <th scope="row" data-label=${t('ann.colTitle')}>
      <span>${title}</span>
      <p class="ann-body">${localName(a, 'body')}</p>
    </th>
    <td data-label=${t('ann.audience')}>${t(`ann.audience.${a.audience}`)}</td>
    <td data-label=${t('ann.postedAt')}>${formatDate(a.created_at, true)}</td>
    <td data-label=${t('ann.until')}>
      <span class=${`badge ${active ? 'badge-ok' : 'badge-off'}`}>${active ? t('ann.active') : t('ann.expired')}</span>
      ${formatDate(a.expires_at, true)}
    </td>
    <td class="cell-actions">
      ${canDelete && !confirming && html`<button type="button" class="btn btn-danger-quiet btn-small ann-delete"
        aria-label=${t('ann.deleteOf').replace('{title}', title)} onClick=${() => setConfirming(true)}>${t('ann.delete')}</button>`}
      ${confirming && html`<div class="confirm-inline" role="group" aria-label=${t('ann.deleteOf').replace('{title}', title)}>
        <p>${t('ann.confirmDelete').replace('{title}', title)}</p>
        <button type="button" class="btn btn-danger btn-small ann-confirm-delete" ref=${confirmRef} disabled=${busy}
          onClick=${onDelete}>${busy ? t('ann.deleting') : t('ann.delete')}</button>
        <button type="button" class="btn btn-quiet btn-small" disabled=${busy}
          onClick=${() => { setConfirming(false); setError(null); }}>${t('common.cancel')}</button>
      </div>`}
      ${error && html`<p class="field-error" role="alert">${t('ann.deleteFailed')} ${error.detail || ''}</p>`}
    </td>
  </tr>`;
}

function AnnouncementList({ me, reload }) {
  useLang();
  const [activeOnly, setActiveOnly] = useState(false);
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [deleted, setDeleted] = useState(false);
  const gen = useRef(0);
  const headRef = useRef(null);

  async function load(after) {
    const g = ++gen.current;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (activeOnly) q.set('active', 'true');
    if (after) q.set('cursor', after);
    setLoading(true);
    setError(null);
    try {
      const d = await request(`${API}/announcements?${q}`);
      if (g !== gen.current) return;
      const got = Array.isArray(d?.items) ? d.items : [];
      setItems((prev) => (after ? [...prev, ...got] : got));
      setCursor(d?.next_cursor || null);
    } catch (err) {
      if (g !== gen.current) return;
      if (!after) setItems([]);
      setError(err);
    } finally {
      if (g === gen.current) setLoading(false);
    }
  }
  useEffect(() => { setDeleted(false); load(null); }, [activeOnly, reload]);

  const canDelete = (a) => me.role === 'super_admin'
    || (a.created_by && (a.created_by === me.id || a.created_by.id === me.id));
  function onDeleted(a) {
    setItems((prev) => prev.filter((x) => x.id !== a.id));
    setDeleted(true);
    headRef.current?.focus();
  }

  return html`
    <section class="section-card" aria-labelledby="list-title">
      <h2 id="list-title" tabindex="-1" ref=${headRef}>${t('ann.list')}</h2>
      <div class="toolbar">
        <${Checkbox} id="active-only" label=${t('ann.activeOnly')} checked=${activeOnly}
          onChange=${(ev) => setActiveOnly(ev.currentTarget.checked)} />
      </div>
      <${ErrorAlert} id="list-alert" error=${error} title=${t('ann.loadFailed')} />
      ${deleted && html`<p class="saved" role="status" id="announcement-deleted">${t('ann.deleted')}</p>`}
      ${items.length > 0 && html`<div class="table-wrap">
        <table class="data-table ann-table" id="announcements-table" aria-busy=${loading ? 'true' : 'false'}>
          <caption class="visually-hidden">${t('ann.list')}</caption>
          <thead><tr>
            <th scope="col">${t('ann.colTitle')}</th>
            <th scope="col">${t('ann.audience')}</th>
            <th scope="col">${t('ann.postedAt')}</th>
            <th scope="col">${t('ann.until')}</th>
            <th scope="col"><span class="visually-hidden">${t('ann.actions')}</span></th>
          </tr></thead>
          <tbody>${items.map((a) => html`<${Row} key=${a.id} a=${a} canDelete=${canDelete(a)} onDeleted=${onDeleted} />`)}</tbody>
        </table></div>`}
      ${!loading && !error && items.length === 0 && html`<p class="muted" id="no-announcements">${t('ann.none')}</p>`}
      <div class="list-footer">
        ${loading && html`<p class="muted" role="status">${t('common.loading')}</p>`}
        ${!loading && cursor && html`<button type="button" class="btn btn-quiet" id="load-more"
          onClick=${() => load(cursor)}>${t('users.more')}</button>`}
      </div>
    </section>`;
}

function Announcements({ me }) {
  const [reload, setReload] = useState(0);
  return html`
    <${PostForm} onPosted=${() => setReload((n) => n + 1)} />
    <${AnnouncementList} me=${me} reload=${reload} />`;
}

startPage();
mountSignedIn((me) => (me.role === 'admin' || me.role === 'super_admin'
  ? html`<${Announcements} me=${me} />` : html`<${NoAccess} message=${t('ann.staffOnly')} />`));
