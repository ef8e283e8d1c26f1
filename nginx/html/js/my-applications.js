// my-applications.js -- "My applications" for a student: their
// applications (GET /applications, newest first, keyset "load more") with
// status badges, each linking to its detail page.

import { ErrorAlert, formatDate, html, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { lang, t } from './i18n.js';
import { NoAccess, StatusBadge } from './apps.js';

function MyApplications() {
  useLang();
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);

  async function load(after) {
    setLoading(true);
    setError(null);
    try {
      const q = new URLSearchParams({ limit: '20' });
      if (after) q.set('cursor', after);
      const d = await request(`${API}/applications?${q}`);
      setItems((prev) => (after ? [...prev, ...(d?.items || [])] : d?.items || []));
      setCursor(d?.next_cursor || null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => { load(null); }, []);

  const schName = (a) => (lang() === 'en' ? (a.scholarship_name_en || a.scholarship_name) : (a.scholarship_name || a.scholarship_name_en));
  return html`
    <section class="section-card" aria-labelledby="list-title">
      <h2 id="list-title">${t('myApps.list')}</h2>
      <${ErrorAlert} id="list-alert" error=${error} title=${t('myApps.loadFailed')} />
      ${items.length > 0 && html`<div class="table-wrap">
        <table class="data-table app-table" id="applications-table">
          <caption class="visually-hidden">${t('myApps.list')}</caption>
          <thead><tr>
            <th scope="col">${t('app.appNo')}</th>
            <th scope="col">${t('app.scholarship')}</th>
            <th scope="col">${t('app.period')}</th>
            <th scope="col">${t('app.status')}</th>
            <th scope="col">${t('app.updated')}</th>
          </tr></thead>
          <tbody>${items.map((a) => html`<tr key=${a.id} data-id=${a.id}>
            <th scope="row" data-label=${t('app.appNo')}><a href=${`/application.html?id=${encodeURIComponent(a.id)}`}>${a.app_no}</a></th>
            <td data-label=${t('app.scholarship')}>${schName(a)}</td>
            <td data-label=${t('app.period')}>${a.period_label}</td>
            <td data-label=${t('app.status')}><${StatusBadge} status=${a.status} /></td>
            <td data-label=${t('app.updated')}>${formatDate(a.submitted_at || a.updated_at)}</td>
          </tr>`)}</tbody>
        </table></div>`}
      ${!loading && !error && items.length === 0 && html`<p class="muted" id="no-applications">${t('myApps.none')}
        <a href="/eligible.html">${t('nav.eligible')}</a></p>`}
      <div class="list-footer">
        ${loading && html`<p class="muted" role="status">${t('common.loading')}</p>`}
        ${!loading && cursor && html`<button type="button" class="btn btn-quiet" id="load-more"
          onClick=${() => load(cursor)}>${t('users.more')}</button>`}
      </div>
    </section>`;
}

startPage();
mountSignedIn((me) => (me.role === 'student' ? html`<${MyApplications} />` : html`<${NoAccess} message=${t('apps.studentsOnly')} />`));
