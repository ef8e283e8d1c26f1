// apply.js -- the application wizard (apply.html?period=<id>, or
// ?application=<id> to continue a draft or a returned application).
// Steps: sub-types (one, or several in order of preference), the answers
// of the period's form (checked here as the server checks them), the
// documents the period asks for (js/documents.js: a drop zone per kind,
// checks before upload, progress, the server's refusals, what is still
// required), the terms (when the period has a terms document), review
// (which names the required documents still missing) and submit.
// The draft is created by POST /applications when the first step is left;
// sub-types and answers are saved with PATCH /applications/{id} and
// If-Match; POST /applications/{id}/submit {accept_terms} submits. The
// server's 422 errors appear next to the fields their dotted path names.

import { Checkbox, ErrorAlert, Field, html, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import {
  LoadFailed, NoAccess, checkAnswer, errorsUnder, formatAnswer, ifMatch, localName, money, param,
} from './apps.js';
import { DocumentsEditor, kindLabel, loadDocuments, missingKinds } from './documents.js';

const EDITABLE = ['draft', 'returned'];

/** Everything the wizard needs: the period, its scholarship, the eligibility item and the application. */
async function load() {
  let app = null;
  let periodId = param('period');
  const appId = param('application');
  if (appId) {
    app = await request(`${API}/applications/${encodeURIComponent(appId)}`);
    periodId = app.period_id;
  }
  const period = await request(`${API}/periods/${encodeURIComponent(periodId)}`);
  const scholarship = await request(`${API}/scholarships/${encodeURIComponent(period.scholarship_id)}`);
  let item = null;
  try {
    const elig = await request(`${API}/eligibility`);
    item = (elig?.items || []).find((x) => x.period_id === periodId) || null;
  } catch { /* a returned application's period may be closed: no item */ }
  if (!app && item?.applied && item.application_id) {
    app = await request(`${API}/applications/${encodeURIComponent(item.application_id)}`);
  }
  const docs = app ? await loadDocuments(app.id) : [];
  return { period, scholarship, item, app, docs };
}

/** The UI value of an answer (strings for inputs). */
function toUi(field, v) {
  if (v === undefined || v === null) return field.type === 'checkbox' ? (field.options?.length ? [] : false) : '';
  if (field.type === 'number') return String(v);
  return v;
}

/** The API value of a UI value (null when unanswered). */
function toApi(field, v) {
  if (field.type === 'checkbox') return field.options?.length ? (v?.length ? v : null) : v === true ? true : (v === false ? false : null);
  if (v === undefined || v === null || String(v).trim() === '') return null;
  if (field.type === 'number') return Number(v);
  return v;
}

function SubTypesStep({ scholarship, openCodes, chosen, setChosen, error }) {
  useLang();
  const subs = scholarship.sub_types || [];
  const multiple = scholarship.sub_type_selection === 'multiple';
  const isOpen = (code) => !openCodes || openCodes.includes(code);
  const errId = error ? 'sub_types-error' : undefined;
  const toggle = (code) => (ev) => setChosen(ev.currentTarget.checked
    ? [...chosen, code] : chosen.filter((c) => c !== code));
  const move = (i, d) => () => {
    const next = [...chosen];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    setChosen(next);
  };
  const name = (code) => localName(subs.find((s) => s.code === code)) || code;
  return html`
    <fieldset class="choice-group" aria-describedby=${errId} aria-invalid=${error ? 'true' : undefined}>
      <legend>${multiple ? t('apply.chooseSeveral') : t('apply.chooseOne')}</legend>
      ${subs.map((s) => html`
        <div class="field field-check" key=${s.code}>
          <input type=${multiple ? 'checkbox' : 'radio'} name="sub_type" id=${`sub-${s.code}`} value=${s.code}
            checked=${chosen.includes(s.code)} disabled=${!isOpen(s.code)}
            onChange=${multiple ? toggle(s.code) : () => setChosen([s.code])} />
          <label for=${`sub-${s.code}`}>${localName(s)} · ${money(s.amount_cents, scholarship.currency)}
            ${!isOpen(s.code) && html` <span class="muted">(${t('apply.notOpen')})</span>`}</label>
        </div>`)}
      ${error && html`<p class="field-error" id=${errId}>${error}</p>`}
    </fieldset>
    ${multiple && chosen.length > 1 && html`
      <h3>${t('apply.preference')}</h3>
      <ol class="preference" id="preference-order">
        ${chosen.map((code, i) => html`<li key=${code}>
          <span>${name(code)}</span>
          <span class="row-actions">
            <button type="button" class="btn btn-quiet btn-small" disabled=${i === 0} onClick=${move(i, -1)}
              aria-label=${`${t('apply.moveUp')}: ${name(code)}`}>↑</button>
            <button type="button" class="btn btn-quiet btn-small" disabled=${i === chosen.length - 1}
              onClick=${move(i, 1)} aria-label=${`${t('apply.moveDown')}: ${name(code)}`}>↓</button>
          </span></li>`)}
      </ol>`}`;
}

function AnswerField({ field, value, onValue, error }) {
  useLang();
  const id = `answer-${field.key}`;
  const label = localName(field, 'label');
  const common = { id, name: field.key, label, error, required: !!field.required, optional: !field.required };
  if (field.type === 'checkbox' && field.options?.length) {
    const errId = error ? `${id}-error` : undefined;
    return html`<fieldset class="field choice-group" id=${id} aria-describedby=${errId}>
      <legend>${label}${!field.required && html` <span class="optional">${t('form.optional')}</span>`}</legend>
      ${field.options.map((o, i) => html`<${Checkbox} key=${o} id=${`${id}-${i}`} label=${o} checked=${value.includes(o)}
        onChange=${(ev) => onValue(ev.currentTarget.checked ? [...value, o] : value.filter((x) => x !== o))} />`)}
      ${error && html`<p class="field-error" id=${errId}>${error}</p>`}
    </fieldset>`;
  }
  if (field.type === 'checkbox') {
    return html`<div>
      <${Checkbox} id=${id} label=${label} checked=${value === true} aria-invalid=${error ? 'true' : undefined}
        aria-describedby=${error ? `${id}-error` : undefined} onChange=${(ev) => onValue(ev.currentTarget.checked)} />
      ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}</div>`;
  }
  const onInput = (ev) => onValue(ev.currentTarget.value);
  if (field.type === 'select') {
    const options = [{ value: '', label: t('apply.choose') }, ...field.options.map((o) => ({ value: o, label: o }))];
    return html`<${Field} ...${common} options=${options} value=${value} onChange=${onInput} />`;
  }
  if (field.type === 'textarea') {
    return html`<${Field} ...${common} textarea rows="5" value=${value} onInput=${onInput}
      hint=${field.max_length ? t('apply.maxChars').replace('{n}', field.max_length) : undefined} />`;
  }
  const type = { number: 'number', date: 'date', email: 'email' }[field.type] || 'text';
  const bounds = field.type === 'number' ? { min: field.min ?? undefined, max: field.max ?? undefined, step: 'any' } : {};
  const hint = field.type === 'number' && (field.min != null || field.max != null)
    ? t('apply.between').replace('{min}', field.min ?? '−∞').replace('{max}', field.max ?? '∞')
    : field.max_length ? t('apply.maxChars').replace('{n}', field.max_length) : undefined;
  return html`<${Field} ...${common} type=${type} value=${value} onInput=${onInput} hint=${hint} ...${bounds}
    inputmode=${field.type === 'number' ? 'decimal' : undefined} />`;
}

function Wizard({ data }) {
  useLang();
  const { period, scholarship, item } = data;
  const fields = period.form_fields || [];
  const subs = scholarship.sub_types || [];
  const specs = Array.isArray(period.required_documents) ? period.required_documents : [];
  const steps = [
    ...(subs.length > 0 ? ['sub_types'] : []),
    ...(fields.length > 0 ? ['answers'] : []),
    ...(specs.length > 0 ? ['documents'] : []),
    ...(period.terms_document ? ['terms'] : []),
    'review',
  ];
  const [app, setApp] = useState(data.app);
  const [docs, setDocs] = useState(data.docs || []);
  const appRef = useRef(data.app);
  appRef.current = app;
  const [step, setStep] = useState(0);
  const [chosen, setChosen] = useState(data.app?.sub_types || (item?.sub_types?.length === 1 ? [...item.sub_types] : []));
  const [values, setValues] = useState(() => Object.fromEntries(fields.map((f) => [f.key, toUi(f, data.app?.answers?.[f.key])])));
  const [local, setLocal] = useState({}); // client-side errors by field path
  const [error, setError] = useState(null); // the last failed request
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [submitFailed, setSubmitFailed] = useState(false); // the error shown came from a submit
  const headRef = useRef(null);
  const current = steps[step];
  useEffect(() => { headRef.current?.focus(); }, [step]);

  const fieldMsg = (path) => local[path] || (error?.errors || []).filter((e) => e.field === path).map((e) => e.message).join(' ');
  const answerErrors = { ...errorsUnder(error, 'answers'), ...errorsUnder({ errors: Object.entries(local).map(([field, message]) => ({ field, message })) }, 'answers') };
  const shownHere = {
    sub_types: ['sub_types'],
    answers: fields.map((f) => `answers.${f.key}`),
    documents: [],
    terms: ['accept_terms'],
    review: [],
  }[current];

  async function run(fn, submitting = false) {
    setSubmitFailed(submitting);
    setBusy(true);
    setError(null);
    setSaved(false);
    try { return await fn(); } catch (err) { setError(err); return null; } finally { setBusy(false); }
  }

  async function ensureDraft(subTypes) {
    if (appRef.current) return appRef.current;
    const created = await request(`${API}/applications`, { method: 'POST', body: { period_id: period.id, sub_types: subTypes } });
    appRef.current = created;
    setApp(created);
    window.history.replaceState(null, '', `/apply.html?application=${encodeURIComponent(created.id)}`);
    return created;
  }

  async function patch(base, body) {
    const next = await request(`${API}/applications/${encodeURIComponent(base.id)}`,
      { method: 'PATCH', body, headers: ifMatch(base.version) });
    setApp(next);
    return next;
  }

  async function saveSubTypes() {
    if (chosen.length === 0) { setLocal({ sub_types: t('apply.pickOne') }); return false; }
    setLocal({});
    const ok = await run(async () => {
      if (!app) await ensureDraft(chosen);
      else if (JSON.stringify(app.sub_types) !== JSON.stringify(chosen)) await patch(app, { sub_types: chosen });
      return true;
    });
    return !!ok;
  }

  async function saveAnswers(withRequired) {
    const errs = {};
    const answers = {};
    for (const f of fields) {
      const v = toApi(f, values[f.key]);
      const msg = checkAnswer(f, v, withRequired);
      if (msg) errs[`answers.${f.key}`] = msg;
      if (v !== null) answers[f.key] = v;
      else if (app?.answers && f.key in app.answers) answers[f.key] = null;
    }
    setLocal(errs);
    if (Object.keys(errs).length > 0) {
      setError(null);
      document.getElementById(`answer-${Object.keys(errs)[0].slice(8)}`)?.focus();
      return false;
    }
    const ok = await run(async () => {
      const base = await ensureDraft(chosen);
      if (Object.keys(answers).length > 0) await patch(base, { answers });
      return true;
    });
    if (ok) setSaved(true);
    return !!ok;
  }

  async function next() {
    let ok = true;
    if (current === 'sub_types') ok = await saveSubTypes();
    else if (current === 'answers') ok = await saveAnswers(true);
    else if (current === 'terms') {
      ok = accepted;
      setLocal(ok ? {} : { accept_terms: t('apply.acceptFirst') });
      if (ok && !app) ok = !!(await run(() => ensureDraft(chosen)));
    } else if (current === 'documents' && !app) ok = !!(await run(() => ensureDraft(chosen)));
    if (ok) { setSaved(false); setStep(step + 1); }
  }

  function back() { setLocal({}); setSaved(false); setStep(step - 1); }

  async function submit() {
    setLocal({});
    const result = await run(async () => {
      const base = await ensureDraft(chosen);
      const body = period.terms_document ? { accept_terms: accepted } : {};
      return request(`${API}/applications/${encodeURIComponent(base.id)}/submit`, { method: 'POST', body });
    }, true);
    if (result?.id) {
      window.location.assign(`/application.html?id=${encodeURIComponent(result.id)}&submitted=1`);
      return;
    }
  }

  // After a failed submit, take the student to the first step a field error belongs to.
  useEffect(() => {
    if (current !== 'review' || !error?.errors?.length) return;
    const f = error.errors.map((e) => e.field);
    const target = f.includes('sub_types') ? 'sub_types'
      : f.some((x) => x.startsWith('answers.')) ? 'answers'
        : f.some((x) => x === 'documents' || x.startsWith('documents.')) ? 'documents'
          : f.includes('accept_terms') ? 'terms' : null;
    if (target && steps.includes(target)) setStep(steps.indexOf(target));
  }, [error]);

  if (app && !EDITABLE.includes(app.status)) {
    return html`<section class="section-card" id="not-editable">
      <p>${t('apply.notEditable')}</p>
      <p><a class="btn btn-primary" href=${`/application.html?id=${encodeURIComponent(app.id)}`}>${t('elig.viewApplication')}</a></p>
    </section>`;
  }

  const subName = (code) => localName(subs.find((s) => s.code === code)) || code;
  const onSubmitForm = (ev) => { ev.preventDefault(); if (current === 'review') submit(); else next(); };

  return html`
    <section class="section-card wizard" aria-labelledby="step-title">
      <p class="muted wizard-for">${localName(scholarship)} · ${period.label}${app ? html` · <span id="app-no">${app.app_no}</span>` : ''}</p>
      <ol class="steps" aria-label=${t('apply.steps')}>
        ${steps.map((s, i) => html`<li key=${s} class=${i < step ? 'step-done' : i === step ? 'step-current' : ''}
          aria-current=${i === step ? 'step' : undefined}>${i + 1}. ${t(`apply.step.${s}`)}</li>`)}
      </ol>
      <h2 id="step-title" tabindex="-1" ref=${headRef}>${t(`apply.step.${current}`)}</h2>
      <form class="form" method="post" noValidate onSubmit=${onSubmitForm} aria-busy=${busy ? 'true' : 'false'} id="apply-form">
        <${ErrorAlert} id="apply-alert" error=${error} title=${t(submitFailed ? 'apply.submitFailed' : 'apply.saveFailed')}
          fields=${shownHere} />
        ${current === 'sub_types' && html`<${SubTypesStep} scholarship=${scholarship} openCodes=${item ? item.sub_types : null}
          chosen=${chosen} setChosen=${setChosen} error=${fieldMsg('sub_types')} />`}
        ${current === 'answers' && fields.map((f) => html`<${AnswerField} key=${f.key} field=${f} value=${values[f.key]}
          error=${answerErrors[f.key]} onValue=${(v) => { setValues({ ...values, [f.key]: v }); setSaved(false); }} />`)}
        ${current === 'documents' && html`<${DocumentsEditor} specs=${specs} docs=${docs} setDocs=${setDocs}
          ensureApp=${() => ensureDraft(chosen)} />`}
        ${current === 'terms' && html`
          <p>${t('apply.termsIntro')}</p>
          <p class="terms-doc" id="terms-document">${period.terms_document}</p>
          <${Checkbox} id="accept-terms" label=${t('apply.accept')} checked=${accepted}
            onChange=${(ev) => setAccepted(ev.currentTarget.checked)}
            aria-invalid=${fieldMsg('accept_terms') ? 'true' : undefined} />
          ${fieldMsg('accept_terms') && html`<p class="field-error" id="accept-terms-error">${fieldMsg('accept_terms')}</p>`}`}
        ${current === 'review' && html`
          <dl class="facts facts-grid" id="review">
            ${subs.length > 0 && html`<div><dt>${t('apply.step.sub_types')}</dt>
              <dd>${chosen.map(subName).join(' › ') || t('answer.none')}</dd></div>`}
            ${fields.map((f) => html`<div key=${f.key}><dt>${localName(f, 'label')}</dt>
              <dd>${formatAnswer(f, toApi(f, values[f.key]))}</dd></div>`)}
            ${specs.length > 0 && html`<div><dt>${t('apply.step.documents')}</dt>
              <dd id="review-documents">${docs.length ? docs.map((d) => `${kindLabel(specs.find((x) => x.kind === d.kind), d.kind)}: ${d.filename}`).join(' · ') : t('answer.none')}</dd></div>`}
            ${period.terms_document && html`<div><dt>${t('apply.step.terms')}</dt>
              <dd>${accepted ? t('apply.accepted') : t('apply.notAccepted')}</dd></div>`}
          </dl>
          ${missingKinds(specs, docs).length > 0 && html`<div class="alert doc-missing" id="review-missing">
            <p class="alert-title">${t('docs.missingTitle')}</p>
            <ul class="alert-list">${missingKinds(specs, docs).map((x) => html`<li key=${x.kind}>${kindLabel(x)}</li>`)}</ul>
            <p><button type="button" class="btn btn-quiet btn-small" id="to-documents"
              onClick=${() => setStep(steps.indexOf('documents'))}>${t('docs.goUpload')}</button></p>
          </div>`}
          <p class="muted">${t('apply.reviewNote')}</p>`}
        <div class="form-actions">
          ${step > 0 && html`<button type="button" class="btn btn-quiet" onClick=${back} disabled=${busy}>${t('apply.back')}</button>`}
          ${current === 'answers' && html`<button type="button" class="btn btn-quiet" id="save-draft" disabled=${busy}
            onClick=${() => saveAnswers(false)}>${t('apply.saveDraft')}</button>`}
          <button type="submit" class="btn btn-primary" id="wizard-next" disabled=${busy}>
            ${busy ? t('common.saving') : current === 'review' ? t('apply.submit') : t('apply.next')}</button>
          ${saved && html`<p class="saved" role="status" id="draft-saved">${t('apply.saved')}</p>`}
        </div>
      </form>
    </section>`;
}

function ApplyPage() {
  useLang();
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { load().then(setData).catch(setError); }, []);
  if (!param('period') && !param('application')) {
    return html`<p class="info">${t('apply.pickFirst')} <a href="/eligible.html">${t('nav.eligible')}</a></p>`;
  }
  if (error) return html`<${LoadFailed} error=${error} title=${t('apply.loadFailed')} />`;
  if (!data) return html`<p class="muted" role="status">${t('common.loading')}</p>`;
  return html`<${Wizard} data=${data} />`;
}

startPage();
mountSignedIn((me) => (me.role === 'student' ? html`<${ApplyPage} />` : html`<${NoAccess} message=${t('apps.studentsOnly')} />`));
