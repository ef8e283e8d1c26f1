// admin-applications.js -- the applications staff may see (GET
// /applications, scoped by the server: reviewers their assigned ones,
// college staff their college's, admins their scholarships', super admins
// all) with filters (status, scholarship, period, college, search) and
// keyset "load more"; each row opens application.html.

import { ErrorAlert, Field, formatDate, html, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { lang, t } from './i18n.js';
import { NoAccess, STATUSES, StatusBadge, localName } from './apps.js';

const EMPTY = { status: '', scholarship_id: '', period_id: '', college_code: '', q: '' };

function useList(path) {
  const [items, setItems] = useState([]);
  useEffect(() => {
    if (!path) { setItems([]); return; }
    request(path).then((d) => setItems(d?.items || [])).catch(() => setItems([]));
  }, [path]);
  return items;
}

function Filters({ canPickScholarship, onApply }) {
  useLang();
  const [v, setV] = useState(EMPTY);
  const scholarships = useList(canPickScholarship ? `${API}/scholarships?limit=100` : null);
  const periods = useList(v.scholarship_id ? `${API}/scholarships/${encodeURIComponent(v.scholarship_id)}/periods?limit=100` : null);
  const colleges = useList(`${API}/reference/colleges`);
  const edit = (k) => (ev) => setV({ ...v, [k]: ev.currentTarget.value, ...(k === 'scholarship_id' ? { period_id: '' } : {}) });
  const any = (label) => ({ value: '', label });
  return html`
    <form class="filters" role="search" aria-label=${t('users.filters')}
      onSubmit=${(ev) => { ev.preventDefault(); onApply({ ...v, q: v.q.trim() }); }}>
      <${Field} id="filter-q" name="q" type="search" label=${t('staffList.search')} value=${v.q} onInput=${edit('q')}
        required=${false} spellcheck="false" />
      <${Field} id="filter-status" label=${t('app.status')} value=${v.status} onChange=${edit('status')} required=${false}
        options=${[any(t('staffList.anyStatus')), ...STATUSES.map((s) => ({ value: s, label: t(`appStatus.${s}`) }))]} />
      ${canPickScholarship && html`<${Field} id="filter-scholarship" label=${t('app.scholarship')} value=${v.scholarship_id}
        onChange=${edit('scholarship_id')} required=${false}
        options=${[any(t('staffList.anyScholarship')), ...scholarships.map((s) => ({ value: s.id, label: `${localName(s)} (${s.code})` }))]} />
      <${Field} id="filter-period" label=${t('app.period')} value=${v.period_id} onChange=${edit('period_id')} required=${false}
        disabled=${!v.scholarship_id}
        options=${[any(t('staffList.anyPeriod')), ...periods.map((p) => ({ value: p.id, label: p.label }))]} />`}
      <${Field} id="filter-college" label=${t('field.college_code')} value=${v.college_code} onChange=${edit('college_code')}
        required=${false} options=${[any(t('users.anyCollege')), ...colleges.map((c) => ({ value: c.code, label: `${localName(c)} (${c.code})` }))]} />
      <div class="filters-actions">
        <button type="submit" class="btn btn-primary">${t('users.apply')}</button>
        <button type="button" class="btn btn-quiet" onClick=${() => { setV(EMPTY); onApply(EMPTY); }}>${t('users.clear')}</button>
      </div>
    </form>`;
}

function StaffApplications({ me }) {
  useLang();
  const [filters, setFilters] = useState(EMPTY);
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const gen = useRef(0);

  async function load(f, after) {
    const g = ++gen.current;
    const q = new URLSearchParams({ limit: '20' });
    for (const [k, val] of Object.entries(f)) if (val) q.set(k, val);
    if (after) q.set('cursor', after);
    setLoading(true);
    setError(null);
    try {
      const d = await request(`${API}/applications?${q}`);
      if (g !== gen.current) return;
      setItems((prev) => (after ? [...prev, ...(d?.items || [])] : d?.items || []));
      setCursor(d?.next_cursor || null);
    } catch (err) {
      if (g !== gen.current) return;
      if (!after) setItems([]);
      setError(err);
    } finally {
      if (g === gen.current) setLoading(false);
    }
  }
  useEffect(() => { load(filters, null); }, [filters]);
  const schName = (a) => (lang() === 'en' ? (a.scholarship_name_en || a.scholarship_name) : (a.scholarship_name || a.scholarship_name_en));

  return html`
    <section class="section-card" aria-labelledby="list-title">
      <h2 id="list-title">${t('staffList.title')}</h2>
      <${Filters} canPickScholarship=${me.role === 'admin' || me.role === 'super_admin'} onApply=${setFilters} />
      <${ErrorAlert} id="list-alert" error=${error} title=${t('myApps.loadFailed')} />
      ${items.length > 0 && html`<div class="table-wrap">
        <table class="data-table app-table" id="applications-table" aria-busy=${loading ? 'true' : 'false'}>
          <caption class="visually-hidden">${t('staffList.title')}</caption>
          <thead><tr>
            <th scope="col">${t('app.appNo')}</th>
            <th scope="col">${t('app.student')}</th>
            <th scope="col">${t('app.scholarship')}</th>
            <th scope="col">${t('field.college_code')}</th>
            <th scope="col">${t('app.status')}</th>
            <th scope="col">${t('app.stage')}</th>
            <th scope="col">${t('app.submitted')}</th>
          </tr></thead>
          <tbody>${items.map((a) => html`<tr key=${a.id} data-id=${a.id}>
            <th scope="row" data-label=${t('app.appNo')}><a href=${`/application.html?id=${encodeURIComponent(a.id)}`}>${a.app_no}</a></th>
            <td data-label=${t('app.student')}>${a.student_name} · ${a.student_number}</td>
            <td data-label=${t('app.scholarship')}>${schName(a)} · ${a.period_label}</td>
            <td data-label=${t('field.college_code')}>${a.college_code}</td>
            <td data-label=${t('app.status')}><${StatusBadge} status=${a.status} /></td>
            <td data-label=${t('app.stage')}>${t(`stage.${a.stage}`)}</td>
            <td data-label=${t('app.submitted')}>${a.submitted_at ? formatDate(a.submitted_at) : t('answer.none')}</td>
          </tr>`)}</tbody>
        </table></div>`}
      ${!loading && !error && items.length === 0 && html`<p class="muted" id="no-applications">${t('staffList.none')}</p>`}
      <div class="list-footer">
        ${loading && html`<p class="muted" role="status">${t('common.loading')}</p>`}
        ${!loading && cursor && html`<button type="button" class="btn btn-quiet" id="load-more"
          onClick=${() => load(filters, cursor)}>${t('users.more')}</button>`}
      </div>
    </section>`;
}

startPage();
mountSignedIn((me) => (me.role !== 'student' ? html`<${StaffApplications} me=${me} />` : html`<${NoAccess} message=${t('apps.staffOnly')} />`));
