// admin-scholarships.js -- the scholarships an admin manages (GET
// /scholarships with a token: an admin's granted ones, every one for a
// super admin; status filter, keyset "load more"), each opening the
// editor (admin-scholarship.html?id=...), and "New scholarship".

import { ErrorAlert, Field, html, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { NoAccess, localName } from './apps.js';

function Scholarships() {
  useLang();
  const [status, setStatus] = useState('');
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  async function load(after) {
    setLoading(true);
    setError(null);
    try {
      const q = new URLSearchParams({ limit: '50' });
      if (status) q.set('status', status);
      if (after) q.set('cursor', after);
      const d = await request(`${API}/scholarships?${q}`);
      setItems((prev) => (after ? [...prev, ...(d?.items || [])] : d?.items || []));
      setCursor(d?.next_cursor || null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => { load(null); }, [status]);
  const statusOptions = [{ value: '', label: t('staffList.anyStatus') },
    ...['draft', 'active', 'archived'].map((s) => ({ value: s, label: t(`schStatus.${s}`) }))];
  return html`
    <section class="section-card" aria-labelledby="list-title">
      <div class="card-head">
        <h2 id="list-title">${t('sch.list')}</h2>
        <a class="btn btn-primary" href="/admin-scholarship.html" id="new-scholarship">${t('sch.new')}</a>
      </div>
      <div class="filters">
        <${Field} id="filter-status" label=${t('app.status')} options=${statusOptions} value=${status} required=${false}
          onChange=${(ev) => setStatus(ev.currentTarget.value)} />
      </div>
      <${ErrorAlert} id="list-alert" error=${error} title=${t('sch.loadFailed')} />
      ${items.length > 0 && html`<div class="table-wrap">
        <table class="data-table" id="scholarships-table">
          <caption class="visually-hidden">${t('sch.list')}</caption>
          <thead><tr>
            <th scope="col">${t('sch.code')}</th><th scope="col">${t('sch.name')}</th>
            <th scope="col">${t('sch.subTypes')}</th><th scope="col">${t('app.status')}</th>
          </tr></thead>
          <tbody>${items.map((s) => html`<tr key=${s.id} data-code=${s.code}>
            <th scope="row" data-label=${t('sch.code')}><a href=${`/admin-scholarship.html?id=${encodeURIComponent(s.id)}`}>${s.code}</a></th>
            <td data-label=${t('sch.name')}>${localName(s)}</td>
            <td data-label=${t('sch.subTypes')}>${(s.sub_types || []).map((x) => localName(x)).join(', ') || t('common.none')}</td>
            <td data-label=${t('app.status')}><span class=${`badge sch-${s.status}`}>${t(`schStatus.${s.status}`)}</span></td>
          </tr>`)}</tbody>
        </table></div>`}
      ${!loading && !error && items.length === 0 && html`<p class="muted" id="no-scholarships">${t('sch.none')}</p>`}
      <div class="list-footer">
        ${loading && html`<p class="muted" role="status">${t('common.loading')}</p>`}
        ${!loading && cursor && html`<button type="button" class="btn btn-quiet" id="load-more" onClick=${() => load(cursor)}>
          ${t('users.more')}</button>`}
      </div>
    </section>`;
}

startPage();
mountSignedIn((me) => (me.role === 'admin' || me.role === 'super_admin'
  ? html`<${Scholarships} />` : html`<${NoAccess} message=${t('users.noAccess')} />`));
