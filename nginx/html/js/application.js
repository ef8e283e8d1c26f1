// application.js -- one application (application.html?id=<id>), for its
// student and for staff in scope (GET /applications/{id}): its number,
// status, a progress timeline of the stages, the sub-types, the answers
// (labelled with the period's form fields), the status history. The
// student may continue a draft or a returned application, withdraw one
// before a decision (POST .../withdraw {reason}) or delete a draft
// (DELETE). Admins and super admins change the status and assign
// reviewers (js/app-staff.js). Everyone who may read the application
// sees its documents (js/documents.js: download through a blob: URL;
// staff preview images inline); the student uploads and deletes them
// while the application is editable or waiting for documents. Document
// requests (js/doc-requests.js): staff raise and cancel them, the student
// sees the open ones and says when the files are uploaded.

import { ErrorAlert, Field, Notice, formatDate, html, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { LoadFailed, StageTimeline, StatusBadge, StatusHistory, formatAnswer, localName, param } from './apps.js';
import { ReviewersForm, StatusForm } from './app-staff.js';
import { DocList, DocumentsEditor, MissingDocs, kindLabel, loadDocuments } from './documents.js';
import { RequestForm, RequestList, useDocRequests } from './doc-requests.js';

const DOCS_EDITABLE = ['draft', 'returned', 'pending_documents'];

function DocumentsSection({ app, me, specs, onAppChanged }) {
  useLang();
  const [docs, setDocs] = useState(null);
  const [error, setError] = useState(null);
  const reqs = useDocRequests(app.id);
  useEffect(() => { loadDocuments(app.id).then(setDocs).catch((err) => { setError(err); setDocs([]); }); }, [app.id]);
  const student = me.role === 'student';
  const staff = me.role === 'admin' || me.role === 'super_admin';
  const editable = student && DOCS_EDITABLE.includes(app.status);
  const reloadAll = async () => {
    await reqs.reload();
    try { onAppChanged(await request(`${API}/applications/${encodeURIComponent(app.id)}`)); } catch { /* the page keeps the last copy */ }
  };
  const open = (reqs.items || []).filter((r) => r.status === 'open');
  const list = docs || [];
  const kinds = [...specs.map((s) => s.kind), ...list.map((d) => d.kind).filter((k, i, a) => !specs.some((s) => s.kind === k) && a.indexOf(k) === i)];
  return html`
    <section class="section-card" aria-labelledby="documents-title" id="documents">
      <h2 id="documents-title">${t('docs.title')}</h2>
      <${ErrorAlert} id="documents-alert" error=${error} title=${t('docs.loadFailed')} />
      ${student && open.length > 0 && html`<div class="doc-requests-box" id="student-requests">
        <h3>${t('docreq.openTitle')}</h3>
        <${RequestList} reqs=${reqs.items} specs=${specs} staff=${false} onChanged=${reloadAll} />
      </div>`}
      ${docs === null ? html`<p class="muted" role="status">${t('common.loading')}</p>`
        : editable ? html`<${DocumentsEditor} specs=${specs} docs=${list} setDocs=${setDocs} ensureApp=${async () => app} />`
          : html`
            ${student && html`<${MissingDocs} specs=${specs} docs=${list} />`}
            ${list.length === 0 ? html`<p class="muted" id="documents-none">${t('docs.noneYet')}</p>`
              : kinds.filter((k) => list.some((d) => d.kind === k)).map((k) => html`<div key=${k} class="doc-group">
                <h3 class="doc-kind-group">${kindLabel(specs.find((s) => s.kind === k), k)}</h3>
                <${DocList} docs=${list.filter((d) => d.kind === k)} preview=${!student} />
              </div>`)}`}
    </section>
    ${staff && html`<section class="section-card" aria-labelledby="docreq-title" id="document-requests">
      <h2 id="docreq-title">${t('docreq.title')}</h2>
      <${ErrorAlert} id="docreq-load-alert" error=${reqs.error} title=${t('docreq.loadFailed')} />
      <${RequestForm} key=${app.status} app=${app} specs=${specs} onCreated=${reloadAll} />
      <h3>${t('docreq.listTitle')}</h3>
      ${reqs.items === null ? html`<p class="muted" role="status">${t('common.loading')}</p>`
        : html`<${RequestList} reqs=${reqs.items} specs=${specs} staff=${true} onChanged=${reloadAll} />`}
    </section>`}`;
}

const WITHDRAWABLE = ['draft', 'submitted', 'under_review', 'pending_documents', 'returned'];

function StudentActions({ app, onChanged }) {
  useLang();
  const [asking, setAsking] = useState(null); // 'withdraw' | 'delete'
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const path = `${API}/applications/${encodeURIComponent(app.id)}`;
  async function act() {
    setBusy(true);
    setError(null);
    try {
      if (asking === 'delete') {
        await request(path, { method: 'DELETE' });
        window.location.assign('/my-applications.html');
        return;
      }
      const body = reason.trim() ? { reason: reason.trim() } : {};
      onChanged(await request(`${path}/withdraw`, { method: 'POST', body }));
      setAsking(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const editable = app.status === 'draft' || app.status === 'returned';
  if (!editable && !WITHDRAWABLE.includes(app.status)) return null;
  return html`
    <section class="section-card" aria-labelledby="actions-title">
      <h2 id="actions-title">${t('app.actions')}</h2>
      <${ErrorAlert} id="action-alert" error=${error} />
      <div class="form-actions">
        ${editable && html`<a class="btn btn-primary" id="continue-link"
          href=${`/apply.html?application=${encodeURIComponent(app.id)}`}>${app.status === 'returned' ? t('app.resubmit') : t('app.continue')}</a>`}
        ${WITHDRAWABLE.includes(app.status) && html`<button type="button" class="btn btn-danger-quiet" id="withdraw"
          onClick=${() => setAsking('withdraw')}>${t('app.withdraw')}</button>`}
        ${app.status === 'draft' && html`<button type="button" class="btn btn-danger-quiet" id="delete-draft"
          onClick=${() => setAsking('delete')}>${t('app.deleteDraft')}</button>`}
      </div>
      ${asking && html`<div class="confirm" id="confirm-action">
        <p>${asking === 'delete' ? t('app.confirmDelete') : t('app.confirmWithdraw')}</p>
        ${asking === 'withdraw' && html`<${Field} id="withdraw-reason" name="reason" textarea rows="2" required=${false}
          optional label=${t('app.withdrawReason')} value=${reason} maxlength="2000"
          onInput=${(ev) => setReason(ev.currentTarget.value)} />`}
        <div class="form-actions">
          <button type="button" class="btn btn-danger" id="confirm-yes" disabled=${busy} onClick=${act}>
            ${asking === 'delete' ? t('app.deleteYes') : t('app.withdrawYes')}</button>
          <button type="button" class="btn btn-quiet" onClick=${() => setAsking(null)}>${t('common.cancel')}</button>
        </div>
      </div>`}
    </section>`;
}

function Detail({ me }) {
  useLang();
  const [app, setApp] = useState(null);
  const [fields, setFields] = useState([]);
  const [specs, setSpecs] = useState([]);
  const [subs, setSubs] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    request(`${API}/applications/${encodeURIComponent(param('id'))}`)
      .then((a) => {
        setApp(a);
        request(`${API}/periods/${encodeURIComponent(a.period_id)}`)
          .then((p) => { setFields(p?.form_fields || []); setSpecs(Array.isArray(p?.required_documents) ? p.required_documents : []); })
          .catch(() => {});
        request(`${API}/scholarships/${encodeURIComponent(a.scholarship_id)}`)
          .then((x) => setSubs(x?.sub_types || [])).catch(() => {});
      })
      .catch(setError);
  }, []);
  if (!param('id')) return html`<p class="info">${t('app.notFound')}</p>`;
  if (error) return html`<${LoadFailed} error=${error} title=${t('app.loadFailed')} />`;
  if (!app) return html`<p class="muted" role="status">${t('common.loading')}</p>`;
  const staff = me.role === 'admin' || me.role === 'super_admin';
  const answerKeys = [...fields.map((f) => f.key), ...Object.keys(app.answers || {}).filter((k) => !fields.some((f) => f.key === k))];
  const st = app.student || {};
  return html`
    ${param('submitted') && app.status === 'submitted' && html`<${Notice} id="submitted-notice" title=${t('app.submittedNotice')} />`}
    <section class="section-card" aria-labelledby="app-title">
      <div class="card-head">
        <h2 id="app-title">${app.app_no}</h2>
        <${StatusBadge} status=${app.status} id="app-status" />
      </div>
      <p class="muted">${localName(app.scholarship)} · ${app.period?.label || ''}</p>
      <h3>${t('app.progress')}</h3>
      <${StageTimeline} app=${app} />
      <dl class="facts">
        ${staff && html`<div><dt>${t('app.student')}</dt><dd id="app-student">${st.name || ''} ${st.name_en ? `(${st.name_en})` : ''} · ${st.student_number || ''}</dd></div>
          <div><dt>${t('field.college_code')}</dt><dd>${st.college_code || ''} ${st.department_code || ''}</dd></div>`}
        <div><dt>${t('apply.step.sub_types')}</dt><dd id="app-sub-types">${(app.sub_types || []).map((c) => localName(subs.find((s) => s.code === c)) || c).join(' › ') || t('answer.none')}</dd></div>
        <div><dt>${t('app.created')}</dt><dd>${formatDate(app.created_at, true)}</dd></div>
        <div><dt>${t('app.submitted')}</dt><dd>${app.submitted_at ? formatDate(app.submitted_at, true) : t('answer.none')}</dd></div>
        ${app.resubmit_until && html`<div><dt>${t('app.resubmitUntil')}</dt><dd>${formatDate(app.resubmit_until, true)}</dd></div>`}
        ${app.period?.terms_document && html`<div><dt>${t('apply.step.terms')}</dt>
          <dd>${app.terms_accepted_at ? `${t('apply.accepted')} ${formatDate(app.terms_accepted_at, true)}` : t('apply.notAccepted')}</dd></div>`}
      </dl>
    </section>
    ${me.role === 'student' && html`<${StudentActions} app=${app} onChanged=${setApp} />`}
    <section class="section-card" aria-labelledby="answers-title">
      <h2 id="answers-title">${t('apply.step.answers')}</h2>
      ${answerKeys.length === 0 ? html`<p class="muted">${t('answer.none')}</p>` : html`
        <dl class="facts" id="app-answers">${answerKeys.map((k) => {
          const f = fields.find((x) => x.key === k);
          return html`<div key=${k}><dt>${f ? localName(f, 'label') : k}</dt><dd>${formatAnswer(f, app.answers?.[k])}</dd></div>`;
        })}</dl>`}
    </section>
    <${DocumentsSection} app=${app} me=${me} specs=${specs} onAppChanged=${setApp} />
    ${staff && html`<section class="section-card" aria-labelledby="status-title">
      <h2 id="status-title">${t('staff.statusTitle')}</h2>
      <${StatusForm} key=${app.id} app=${app} me=${me} onChanged=${setApp} />
    </section>
    <section class="section-card" aria-labelledby="reviewers-title">
      <h2 id="reviewers-title">${t('staff.reviewersTitle')}</h2>
      <${ReviewersForm} key=${app.id} app=${app} onChanged=${setApp} />
    </section>`}
    <section class="section-card" aria-labelledby="history-title">
      <h2 id="history-title">${t('app.history')}</h2>
      <${StatusHistory} history=${app.status_history} />
    </section>`;
}

startPage();
mountSignedIn((me) => html`<${Detail} me=${me} />`);
