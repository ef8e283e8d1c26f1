// admin-scholarship.js -- create or edit one scholarship
// (admin-scholarship.html, ?id=<id> to edit): code, names, descriptions,
// sub-types with amounts, single or multiple selection, currency, status
// (POST /scholarships; PATCH /scholarships/{id} with If-Match). An existing
// scholarship also lists its periods (GET /scholarships/{id}/periods) with
// their status buttons (POST /periods/{id}/status) and "New period".

import { ErrorAlert, Field, Notice, fieldError, formatDate, html, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { LoadFailed, NoAccess, errorsUnder, ifMatch, param } from './apps.js';
import { RowsEditor, centsOrNull, textOrNull, units } from './rows.js';

const NEXT_STATUS = { draft: 'open', open: 'closed', closed: 'finalized', finalized: 'archived' };

function toForm(s) {
  return {
    code: s?.code || '', name: s?.name || '', name_en: s?.name_en || '', description: s?.description || '',
    description_en: s?.description_en || '', sub_type_selection: s?.sub_type_selection || 'single',
    currency: s?.currency || 'TWD', status: s?.status || 'draft',
    sub_types: (s?.sub_types || []).map((x) => ({ code: x.code, name: x.name, name_en: x.name_en || '', amount: units(x.amount_cents) })),
  };
}

function toApi(v) {
  return {
    code: v.code.trim(), name: v.name.trim(), name_en: textOrNull(v.name_en),
    description: textOrNull(v.description), description_en: textOrNull(v.description_en),
    sub_type_selection: v.sub_type_selection, currency: v.currency.trim(), status: v.status,
    sub_types: v.sub_types.map((x) => ({
      code: x.code.trim(), name: x.name.trim(), name_en: textOrNull(x.name_en), amount_cents: centsOrNull(x.amount),
    })),
  };
}

/** The periods of a scholarship with their status buttons. */
function PeriodsSection({ scholarship }) {
  useLang();
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const load = () => request(`${API}/scholarships/${encodeURIComponent(scholarship.id)}/periods?limit=100`)
    .then((d) => setItems(d?.items || [])).catch(setError);
  useEffect(() => { load(); }, []);
  async function move(p) {
    setError(null);
    try {
      const next = await request(`${API}/periods/${encodeURIComponent(p.id)}/status`, { method: 'POST', body: { status: NEXT_STATUS[p.status] } });
      setItems(items.map((x) => (x.id === p.id ? next : x)));
    } catch (err) { setError(err); }
  }
  return html`
    <section class="section-card" aria-labelledby="periods-title">
      <div class="card-head">
        <h2 id="periods-title">${t('per.list')}</h2>
        <a class="btn btn-primary" id="new-period" href=${`/admin-period.html?scholarship=${encodeURIComponent(scholarship.id)}`}>${t('per.new')}</a>
      </div>
      <${ErrorAlert} id="periods-alert" error=${error} />
      ${items === null && !error && html`<p class="muted" role="status">${t('common.loading')}</p>`}
      ${items?.length === 0 && html`<p class="muted">${t('per.none')}</p>`}
      ${items?.length > 0 && html`<div class="table-wrap"><table class="data-table" id="periods-table">
        <caption class="visually-hidden">${t('per.list')}</caption>
        <thead><tr><th scope="col">${t('per.label')}</th><th scope="col">${t('per.window')}</th>
          <th scope="col">${t('app.status')}</th><th scope="col"><span class="visually-hidden">${t('users.actions')}</span></th></tr></thead>
        <tbody>${items.map((p) => html`<tr key=${p.id} data-label-text=${p.label}>
          <th scope="row" data-label=${t('per.label')}><a href=${`/admin-period.html?id=${encodeURIComponent(p.id)}`}>${p.label}</a>
            <span class="muted"> ${p.academic_year}-${p.term}</span></th>
          <td data-label=${t('per.window')}>${formatDate(p.opens_at, true)} – ${formatDate(p.closes_at, true)}</td>
          <td data-label=${t('app.status')}><span class=${`badge per-${p.status}`}>${t(`perStatus.${p.status}`)}</span></td>
          <td class="cell-actions">${NEXT_STATUS[p.status] && html`<button type="button" class="btn btn-quiet btn-small"
            onClick=${() => move(p)} aria-label=${`${t(`perAction.${NEXT_STATUS[p.status]}`)}: ${p.label}`}>
            ${t(`perAction.${NEXT_STATUS[p.status]}`)}</button>`}</td>
        </tr>`)}</tbody></table></div>`}
    </section>`;
}

function Editor({ initial }) {
  useLang();
  const [record, setRecord] = useState(initial);
  const [v, setV] = useState(toForm(initial));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const edit = (k) => (ev) => { setV({ ...v, [k]: ev.currentTarget.value }); setSaved(false); };
  async function onSubmit(ev) {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const body = toApi(v);
      const next = record
        ? await request(`${API}/scholarships/${encodeURIComponent(record.id)}`, { method: 'PATCH', body, headers: ifMatch(record.version) })
        : await request(`${API}/scholarships`, { method: 'POST', body });
      if (!record) window.history.replaceState(null, '', `/admin-scholarship.html?id=${encodeURIComponent(next.id)}`);
      setRecord(next);
      setV(toForm(next));
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const f = (k) => fieldError(error, k);
  const top = ['code', 'name', 'name_en', 'description', 'description_en', 'sub_type_selection', 'currency', 'status'];
  const subErrors = errorsUnder(error, 'sub_types');
  return html`
    ${saved && html`<${Notice} id="scholarship-saved" title=${t('sch.saved')} />`}
    <section class="section-card" aria-labelledby="editor-title">
      <h2 id="editor-title">${record ? `${t('sch.edit')}: ${record.code}` : t('sch.new')}</h2>
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'} id="scholarship-form">
        <${ErrorAlert} id="scholarship-alert" error=${error} title=${t('account.saveFailed')}
          fields=${[...top, ...(error?.errors || []).map((e) => e.field).filter((x) => x.startsWith('sub_types'))]} />
        <div class="form-grid">
          <${Field} id="sch-code" name="code" label=${t('sch.code')} value=${v.code} onInput=${edit('code')} maxlength="32"
            autocapitalize="characters" spellcheck="false" hint=${t('sch.codeHint')} error=${f('code')} />
          <${Field} id="sch-name" name="name" label=${t('sch.nameZh')} value=${v.name} onInput=${edit('name')} maxlength="200" error=${f('name')} />
          <${Field} id="sch-name-en" name="name_en" label=${t('sch.nameEn')} value=${v.name_en} onInput=${edit('name_en')}
            maxlength="200" required=${false} optional error=${f('name_en')} />
          <${Field} id="sch-selection" name="sub_type_selection" label=${t('sch.selection')} value=${v.sub_type_selection}
            onChange=${edit('sub_type_selection')} error=${f('sub_type_selection')}
            options=${[{ value: 'single', label: t('sch.single') }, { value: 'multiple', label: t('sch.multiple') }]} />
          <${Field} id="sch-currency" name="currency" label=${t('sch.currency')} value=${v.currency} onInput=${edit('currency')}
            maxlength="3" error=${f('currency')} />
          <${Field} id="sch-status" name="status" label=${t('app.status')} value=${v.status} onChange=${edit('status')} error=${f('status')}
            options=${['draft', 'active', 'archived'].map((s) => ({ value: s, label: t(`schStatus.${s}`) }))} />
        </div>
        <${Field} id="sch-description" name="description" textarea rows="3" label=${t('sch.descriptionZh')} value=${v.description}
          onInput=${edit('description')} required=${false} optional error=${f('description')} />
        <${Field} id="sch-description-en" name="description_en" textarea rows="3" label=${t('sch.descriptionEn')}
          value=${v.description_en} onInput=${edit('description_en')} required=${false} optional error=${f('description_en')} />
        <${RowsEditor} id="sub-types" title=${t('sch.subTypes')} item=${t('sch.subType')} rows=${v.sub_types}
          setRows=${(rows) => setV({ ...v, sub_types: rows })} errors=${subErrors} listError=${f('sub_types')}
          blank=${() => ({ code: '', name: '', name_en: '', amount: '' })}
          columns=${[
            { key: 'code', label: t('sch.subCode'), required: true, hint: t('sch.subCodeHint'), max: 32 },
            { key: 'name', label: t('sch.nameZh'), required: true, max: 200 },
            { key: 'name_en', label: t('sch.nameEn'), max: 200 },
            { key: 'amount', label: `${t('sch.amount')} (${v.currency})`, type: 'number', required: true },
          ]} />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" id="save-scholarship" disabled=${busy}>
            ${busy ? t('common.saving') : record ? t('common.save') : t('sch.create')}</button>
          <a href="/admin-scholarships.html">${t('sch.back')}</a>
        </div>
      </form>
    </section>
    ${record && html`<${PeriodsSection} key=${record.id} scholarship=${record} />`}`;
}

function Page() {
  useLang();
  const id = param('id');
  const [record, setRecord] = useState(id ? undefined : null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (id) request(`${API}/scholarships/${encodeURIComponent(id)}`).then(setRecord).catch(setError);
  }, []);
  if (error) return html`<${LoadFailed} error=${error} title=${t('sch.loadFailed')} />`;
  if (record === undefined) return html`<p class="muted" role="status">${t('common.loading')}</p>`;
  return html`<${Editor} initial=${record} />`;
}

startPage();
mountSignedIn((me) => (me.role === 'admin' || me.role === 'super_admin'
  ? html`<${Page} />` : html`<${NoAccess} message=${t('users.noAccess')} />`));
