// admin-period.js -- create or edit one application period
// (admin-period.html?scholarship=<id> to create, ?id=<id> to edit): year
// and term, the application window, review requirements and deadlines,
// quota mode and quotas per sub-type (and college), budget, disbursement
// cycle, an optional whitelist, and the row editors of js/period-rows.js
// (eligibility rules, form fields, required documents, rubric), the terms
// document's name. POST /scholarships/{id}/periods or PATCH /periods/{id}
// with If-Match; the status buttons move it along draft -> open -> closed
// -> finalized -> archived (POST /periods/{id}/status). The server's 422
// errors appear next to the inputs their dotted path names.

import { Checkbox, ErrorAlert, Field, Notice, fieldError, html, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { LoadFailed, NoAccess, errorsUnder, fromLocalInput, ifMatch, localName, param, toLocalInput } from './apps.js';
import { RowsEditor, centsOrNull, numOrNull, textOrNull, units } from './rows.js';
import { docColumns, docsFromApi, docsToApi, fieldColumns, fieldsFromApi, fieldsToApi, rubricColumns, rubricFromApi,
  rubricToApi, ruleColumns, rulesFromApi, rulesToApi } from './period-rows.js';

const NEXT_STATUS = { draft: 'open', open: 'closed', closed: 'finalized', finalized: 'archived' };

function quotasFromApi(q, mode) {
  const out = {};
  for (const [code, v] of Object.entries(q || {})) {
    out[code] = mode === 'per_college'
      ? Object.entries(v?.colleges || {}).map(([c, n]) => `${c}=${n}`).join('\n')
      : String(v?.total ?? '');
  }
  return out;
}

function quotasToApi(ui, mode, subs) {
  if (mode === 'none') return null;
  const out = {};
  for (const s of subs) {
    const text = ui[s.code] ?? '';
    if (mode === 'total') {
      out[s.code] = { total: numOrNull(text) };
    } else {
      const colleges = {};
      for (const line of String(text).split(/\n+/)) {
        const m = /^\s*([^=:\s]+)\s*[=:]\s*(\S+)\s*$/.exec(line);
        if (m) colleges[m[1]] = Number(m[2]);
      }
      out[s.code] = { colleges };
    }
  }
  return out;
}

function toForm(p) {
  const mode = p?.quota_mode || 'none';
  return {
    academic_year: String(p?.academic_year ?? new Date().getFullYear()), term: String(p?.term ?? 1), label: p?.label || '',
    opens_at: toLocalInput(p?.opens_at), closes_at: toLocalInput(p?.closes_at),
    requires_reviewer_review: p ? p.requires_reviewer_review : true, reviewer_review_ends_at: toLocalInput(p?.reviewer_review_ends_at),
    requires_college_review: p ? p.requires_college_review : false, college_review_ends_at: toLocalInput(p?.college_review_ends_at),
    quota_mode: mode, quotas: quotasFromApi(p?.quotas, mode), budget: units(p?.budget_cents),
    disbursement_cycle: p?.disbursement_cycle || 'semester',
    use_whitelist: Array.isArray(p?.whitelist), whitelist: (p?.whitelist || []).join('\n'),
    rules: rulesFromApi(p?.eligibility_rules), fields: fieldsFromApi(p?.form_fields),
    documents: docsFromApi(p?.required_documents), rubric: rubricFromApi(p?.rubric), terms_document: p?.terms_document || '',
  };
}

function toApi(v, subs) {
  return {
    academic_year: numOrNull(v.academic_year), term: numOrNull(v.term), label: v.label.trim(),
    opens_at: fromLocalInput(v.opens_at), closes_at: fromLocalInput(v.closes_at),
    requires_reviewer_review: v.requires_reviewer_review,
    reviewer_review_ends_at: fromLocalInput(v.reviewer_review_ends_at),
    requires_college_review: v.requires_college_review,
    college_review_ends_at: fromLocalInput(v.college_review_ends_at),
    quota_mode: v.quota_mode, quotas: quotasToApi(v.quotas, v.quota_mode, subs), budget_cents: centsOrNull(v.budget),
    disbursement_cycle: v.disbursement_cycle,
    whitelist: v.use_whitelist ? v.whitelist.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean) : null,
    eligibility_rules: rulesToApi(v.rules), form_fields: fieldsToApi(v.fields),
    required_documents: docsToApi(v.documents), rubric: rubricToApi(v.rubric), terms_document: textOrNull(v.terms_document),
  };
}

/** The errors under prefix joined per the first segment of the rest ("quotas.a.total" -> {a: ...}). */
function firstSegment(err, prefix) {
  const out = {};
  for (const [k, m] of Object.entries(errorsUnder(err, prefix))) {
    const head = k.split('.')[0];
    out[head] = out[head] ? `${out[head]} ${k}: ${m}` : (k === head ? m : `${k}: ${m}`);
  }
  return out;
}

function Editor({ scholarship, initial }) {
  useLang();
  const subs = scholarship.sub_types || [];
  const [record, setRecord] = useState(initial);
  const [v, setV] = useState(toForm(initial));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const set = (k, val) => { setV({ ...v, [k]: val }); setNotice(''); };
  const edit = (k) => (ev) => set(k, ev.currentTarget.value);
  const check = (k) => (ev) => set(k, ev.currentTarget.checked);
  const f = (k) => fieldError(error, k);

  async function onSubmit(ev) {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const body = toApi(v, subs);
      const next = record
        ? await request(`${API}/periods/${encodeURIComponent(record.id)}`, { method: 'PATCH', body, headers: ifMatch(record.version) })
        : await request(`${API}/scholarships/${encodeURIComponent(scholarship.id)}/periods`, { method: 'POST', body });
      if (!record) window.history.replaceState(null, '', `/admin-period.html?id=${encodeURIComponent(next.id)}`);
      setRecord(next);
      setV(toForm(next));
      setNotice(t('per.saved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function move() {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const next = await request(`${API}/periods/${encodeURIComponent(record.id)}/status`,
        { method: 'POST', body: { status: NEXT_STATUS[record.status] } });
      setRecord(next);
      setNotice(t('per.statusChanged').replace('{status}', t(`perStatus.${next.status}`)));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const top = ['academic_year', 'term', 'label', 'opens_at', 'closes_at', 'reviewer_review_ends_at', 'college_review_ends_at',
    'quota_mode', 'quotas', 'budget_cents', 'disbursement_cycle', 'whitelist', 'terms_document', 'eligibility_rules',
    'form_fields', 'required_documents', 'rubric'];
  const nested = (error?.errors || []).map((e) => e.field).filter((x) => /^(quotas|eligibility_rules|form_fields|required_documents|rubric|whitelist)\./.test(x));
  const quotaErr = firstSegment(error, 'quotas');
  const frozen = record && (record.status === 'finalized' || record.status === 'archived');
  const dt = (k, label, extra = {}) => html`<${Field} id=${`per-${k}`} name=${k} type="datetime-local" label=${label}
    value=${v[k]} onInput=${edit(k)} error=${f(k)} ...${extra} />`;

  return html`
    ${notice && html`<${Notice} id="period-notice" title=${notice} />`}
    ${record && html`<section class="section-card" aria-labelledby="status-title">
      <h2 id="status-title">${t('app.status')}: <span id="period-status">${t(`perStatus.${record.status}`)}</span></h2>
      ${NEXT_STATUS[record.status] && html`<button type="button" class="btn btn-primary" id="period-move" disabled=${busy}
        onClick=${move}>${t(`perAction.${NEXT_STATUS[record.status]}`)}</button>`}
      ${record.status === 'draft' && html`<p class="muted">${t('per.openHint')}</p>`}
    </section>`}
    <section class="section-card" aria-labelledby="editor-title">
      <h2 id="editor-title">${record ? `${t('per.edit')}: ${record.label}` : t('per.new')}</h2>
      <p class="muted">${localName(scholarship)} (${scholarship.code}) ·
        <a href=${`/admin-scholarship.html?id=${encodeURIComponent(scholarship.id)}`}>${t('per.backToScholarship')}</a></p>
      <form class="form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'} id="period-form">
        <${ErrorAlert} id="period-alert" error=${error} title=${t('account.saveFailed')} fields=${[...top, ...nested]} />
        ${frozen && html`<p class="info">${t('per.frozen')}</p>`}
        <fieldset disabled=${frozen} class="plain-fieldset">
        <h3>${t('per.basics')}</h3>
        <div class="form-grid">
          <${Field} id="per-label" name="label" label=${t('per.label')} value=${v.label} onInput=${edit('label')} maxlength="200" error=${f('label')} />
          <${Field} id="per-year" name="academic_year" type="number" label=${t('per.year')} value=${v.academic_year}
            onInput=${edit('academic_year')} min="2000" max="2999" error=${f('academic_year')} />
          <${Field} id="per-term" name="term" label=${t('per.term')} value=${v.term} onChange=${edit('term')} error=${f('term')}
            options=${[1, 2, 0].map((n) => ({ value: String(n), label: t(`term.${n}`) }))} />
        </div>
        <h3>${t('per.window')}</h3>
        <div class="form-grid">
          ${dt('opens_at', t('per.opensAt'))}
          ${dt('closes_at', t('per.closesAt'))}
        </div>
        <h3>${t('per.review')}</h3>
        <div class="form-grid">
          <div>
            <${Checkbox} id="per-rr" label=${t('per.requiresReviewer')} checked=${v.requires_reviewer_review} onChange=${check('requires_reviewer_review')} />
            ${v.requires_reviewer_review && dt('reviewer_review_ends_at', t('per.reviewerEnds'))}
          </div>
          <div>
            <${Checkbox} id="per-rc" label=${t('per.requiresCollege')} checked=${v.requires_college_review} onChange=${check('requires_college_review')} />
            ${v.requires_college_review && dt('college_review_ends_at', t('per.collegeEnds'))}
          </div>
        </div>
        <h3>${t('per.money')}</h3>
        <div class="form-grid">
          <${Field} id="per-budget" name="budget" type="number" step="any" min="0" label=${`${t('per.budget')} (${scholarship.currency})`}
            value=${v.budget} onInput=${edit('budget')} required=${false} optional error=${f('budget_cents')} />
          <${Field} id="per-cycle" name="disbursement_cycle" label=${t('per.cycle')} value=${v.disbursement_cycle}
            onChange=${edit('disbursement_cycle')} error=${f('disbursement_cycle')}
            options=${['monthly', 'semester', 'yearly'].map((c) => ({ value: c, label: t(`cycle.${c}`) }))} />
          <${Field} id="per-quota-mode" name="quota_mode" label=${t('per.quotaMode')} value=${v.quota_mode} error=${f('quota_mode')}
            onChange=${(ev) => setV({ ...v, quota_mode: ev.currentTarget.value, quotas: {} })}
            options=${['none', 'total', 'per_college'].map((m) => ({ value: m, label: t(`quota.${m}`) }))} />
        </div>
        ${f('quotas') && html`<p class="field-error" id="quotas-error">${f('quotas')}</p>`}
        ${v.quota_mode !== 'none' && html`<div class="form-grid" id="quotas">
          ${subs.length === 0 && html`<p class="muted">${t('per.noSubTypes')}</p>`}
          ${subs.map((s) => (v.quota_mode === 'total'
            ? html`<${Field} key=${s.code} id=${`quota-${s.code}`} type="number" min="0" label=${`${t('per.quotaFor')} ${localName(s)}`}
                value=${v.quotas[s.code] ?? ''} onInput=${(ev) => set('quotas', { ...v.quotas, [s.code]: ev.currentTarget.value })}
                error=${quotaErr[s.code]} />`
            : html`<${Field} key=${s.code} id=${`quota-${s.code}`} textarea rows="3" label=${`${t('per.quotaFor')} ${localName(s)}`}
                hint=${t('per.perCollegeHint')} value=${v.quotas[s.code] ?? ''} spellcheck="false"
                onInput=${(ev) => set('quotas', { ...v.quotas, [s.code]: ev.currentTarget.value })} error=${quotaErr[s.code]} />`))}
        </div>`}
        <h3>${t('per.who')}</h3>
        <${Checkbox} id="per-use-whitelist" label=${t('per.useWhitelist')} checked=${v.use_whitelist} onChange=${check('use_whitelist')} />
        ${v.use_whitelist && html`<${Field} id="per-whitelist" name="whitelist" textarea rows="4" label=${t('per.whitelist')}
          hint=${t('per.whitelistHint')} value=${v.whitelist} onInput=${edit('whitelist')} required=${false} spellcheck="false"
          error=${[f('whitelist'), ...Object.entries(errorsUnder(error, 'whitelist')).map(([i, m]) => `#${Number(i) + 1}: ${m}`)].filter(Boolean).join(' ')} />`}
        <${RowsEditor} id="rules" title=${t('per.rules')} item=${t('per.rule')} rows=${v.rules} setRows=${(r) => set('rules', r)}
          columns=${ruleColumns(subs)} blank=${() => ({ field: 'gpa', operator: '>=', value: '', hard: true, sub_type: '', message: '', message_en: '' })}
          errors=${errorsUnder(error, 'eligibility_rules')} listError=${f('eligibility_rules')} intro=${t('per.rulesIntro')} />
        <${RowsEditor} id="fields" title=${t('per.fields')} item=${t('per.field')} rows=${v.fields} setRows=${(r) => set('fields', r)}
          columns=${fieldColumns()} blank=${() => ({ key: '', label: '', label_en: '', type: 'text', required: false, max_length: '', min: '', max: '', pattern: '', options: '' })}
          errors=${errorsUnder(error, 'form_fields')} listError=${f('form_fields')} />
        <${RowsEditor} id="documents" title=${t('per.documents')} item=${t('per.document')} rows=${v.documents}
          setRows=${(r) => set('documents', r)} columns=${docColumns()}
          blank=${() => ({ kind: '', label: '', label_en: '', required: true, accepted_types: ['application/pdf'], max_mb: '10', max_count: '1' })}
          errors=${errorsUnder(error, 'required_documents')} listError=${f('required_documents')} />
        <${RowsEditor} id="rubric" title=${t('per.rubric')} item=${t('per.criterion')} rows=${v.rubric} setRows=${(r) => set('rubric', r)}
          columns=${rubricColumns()} blank=${() => ({ key: '', label: '', label_en: '', weight: '', max_score: '10' })}
          errors=${errorsUnder(error, 'rubric')} listError=${f('rubric')} intro=${t('per.rubricIntro')} />
        <h3>${t('per.terms')}</h3>
        <${Field} id="per-terms" name="terms_document" label=${t('per.termsDocument')} hint=${t('per.termsHint')} value=${v.terms_document}
          onInput=${edit('terms_document')} required=${false} optional maxlength="500" error=${f('terms_document')} />
        </fieldset>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" id="save-period" disabled=${busy || frozen}>
            ${busy ? t('common.saving') : record ? t('common.save') : t('per.create')}</button>
        </div>
      </form>
    </section>`;
}

function Page() {
  useLang();
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    (async () => {
      const id = param('id');
      const period = id ? await request(`${API}/periods/${encodeURIComponent(id)}`) : null;
      const sid = period ? period.scholarship_id : param('scholarship');
      const scholarship = await request(`${API}/scholarships/${encodeURIComponent(sid)}`);
      return { period, scholarship };
    })().then(setData).catch(setError);
  }, []);
  if (!param('id') && !param('scholarship')) return html`<p class="info">${t('per.pickScholarship')} <a href="/admin-scholarships.html">${t('nav.scholarships')}</a></p>`;
  if (error) return html`<${LoadFailed} error=${error} title=${t('per.loadFailed')} />`;
  if (!data) return html`<p class="muted" role="status">${t('common.loading')}</p>`;
  return html`<${Editor} scholarship=${data.scholarship} initial=${data.period} />`;
}

startPage();
mountSignedIn((me) => (me.role === 'admin' || me.role === 'super_admin'
  ? html`<${Page} />` : html`<${NoAccess} message=${t('users.noAccess')} />`));
