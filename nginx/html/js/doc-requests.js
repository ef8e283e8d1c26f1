// doc-requests.js -- document requests (補件) on the application page.
// Staff (admins in scope, super admins) ask for kinds of the period's
// required_documents with a reason and a due date (POST
// /applications/{id}/document-requests {kinds, reason, due_on}; the
// application moves to pending_documents) and cancel an open one (POST
// /document-requests/{id}/cancel). The student sees the open requests
// and, after uploading, says so (POST /document-requests/{id}/fulfil; 422
// names a kind with no file since the request). Both read GET
// /document-requests?application_id=.

import { Checkbox, ErrorAlert, Field, fieldError, formatDate, html, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { errorsUnder } from './apps.js';
import { kindLabel } from './documents.js';

/** The requests of an application, newest first, and a reload function. */
export function useDocRequests(appId) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const load = () => request(`${API}/document-requests?application_id=${encodeURIComponent(appId)}&limit=100`)
    .then((d) => { setItems(Array.isArray(d?.items) ? d.items : []); setError(null); })
    .catch((err) => { setError(err); setItems([]); });
  useEffect(() => { load(); }, [appId]);
  return { items, error, reload: load };
}

function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function kindsText(kinds, specs) {
  return kinds.map((k) => kindLabel((specs || []).find((s) => s.kind === k), k)).join(', ');
}

/** One request, with what the viewer may do to it. */
function RequestItem({ req, specs, staff, onChanged }) {
  useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function act(what) {
    setBusy(true);
    setError(null);
    try {
      await request(`${API}/document-requests/${encodeURIComponent(req.id)}/${what}`, { method: 'POST', body: {} });
      await onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const missing = Object.keys(errorsUnder(error, 'kinds'));
  const statusClass = req.status === 'open' ? (req.overdue ? 'badge-danger' : 'badge-warn') : req.status === 'fulfilled' ? 'badge-ok' : 'badge-off';
  return html`
    <li class="doc-request" data-request=${req.id}>
      <p class="doc-request-head"><strong>${kindsText(req.kinds, specs)}</strong>
        <span class=${`badge ${statusClass}`}>${t(`docreq.status.${req.status}`)}</span>
        ${req.overdue && req.status === 'open' && html`<span class="badge badge-danger">${t('docreq.overdue')}</span>`}</p>
      <p class="doc-request-reason">${t('docreq.reason')}: ${req.reason}</p>
      <p class="muted">${t('docreq.due')}: ${formatDate(`${req.due_on}T00:00:00`)} · ${t('docreq.asked')} ${formatDate(req.created_at, true)}</p>
      <${ErrorAlert} id=${`docreq-${req.id}-alert`} error=${error} title=${t(staff ? 'docreq.cancelFailed' : 'docreq.fulfilFailed')}
        message=${missing.length ? `${t('docreq.stillMissing')} ${kindsText(missing, specs)}` : undefined} fields=${missing.map((k) => `kinds.${k}`)} />
      ${req.status === 'open' && html`<div class="form-actions">
        ${staff
          ? html`<button type="button" class="btn btn-danger-quiet btn-small docreq-cancel" disabled=${busy}
              onClick=${() => act('cancel')}>${t('docreq.cancel')}</button>`
          : html`<button type="button" class="btn btn-primary docreq-fulfil" disabled=${busy}
              onClick=${() => act('fulfil')}>${t('docreq.fulfil')}</button>`}
      </div>`}
    </li>`;
}

/** The list of requests (students: the open ones; staff: all). */
export function RequestList({ reqs, specs, staff, onChanged }) {
  useLang();
  const shown = staff ? reqs : reqs.filter((r) => r.status === 'open');
  if (!shown.length) return html`<p class="muted" id="docreq-none">${t('docreq.none')}</p>`;
  return html`<ul class="doc-requests" id="docreq-list">
    ${shown.map((r) => html`<${RequestItem} key=${r.id} req=${r} specs=${specs} staff=${staff} onChanged=${onChanged} />`)}
  </ul>`;
}

/** Staff: ask the student for more documents. */
export function RequestForm({ app, specs, onCreated }) {
  useLang();
  const [kinds, setKinds] = useState([]);
  const [reason, setReason] = useState('');
  const [due, setDue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [local, setLocal] = useState({});
  const [done, setDone] = useState(false);
  if (!['submitted', 'under_review', 'pending_documents'].includes(app.status)) {
    return html`<p class="muted" id="docreq-not-now">${t('docreq.notNow')}</p>`;
  }
  if (!specs.length) return html`<p class="muted">${t('docreq.noKinds')}</p>`;
  async function onSubmit(ev) {
    ev.preventDefault();
    setDone(false);
    const errs = {};
    if (!kinds.length) errs.kinds = t('docreq.pickKind');
    if (!reason.trim()) errs.reason = t('docreq.needReason');
    if (!due) errs.due_on = t('docreq.needDue');
    setLocal(errs);
    if (Object.keys(errs).length) { setError(null); return; }
    setBusy(true);
    setError(null);
    try {
      await request(`${API}/applications/${encodeURIComponent(app.id)}/document-requests`,
        { method: 'POST', body: { kinds, reason: reason.trim(), due_on: due } });
      setKinds([]);
      setReason('');
      setDue('');
      setDone(true);
      await onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const kindErr = local.kinds || fieldError(error, 'kinds') || Object.values(errorsUnder(error, 'kinds')).join(' ');
  return html`
    <form class="form" method="post" noValidate onSubmit=${onSubmit} id="docreq-form" aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="docreq-alert" error=${error} title=${t('docreq.failed')}
        fields=${['kinds', 'reason', 'due_on', ...specs.map((_, i) => `kinds.${i}`)]} />
      <fieldset class="choice-group" aria-describedby=${kindErr ? 'docreq-kinds-error' : undefined}>
        <legend>${t('docreq.kinds')}</legend>
        ${specs.map((s) => html`<${Checkbox} key=${s.kind} id=${`docreq-kind-${s.kind}`} label=${kindLabel(s)}
          checked=${kinds.includes(s.kind)}
          onChange=${(ev) => setKinds(ev.currentTarget.checked ? [...kinds, s.kind] : kinds.filter((k) => k !== s.kind))} />`)}
        ${kindErr && html`<p class="field-error" id="docreq-kinds-error">${kindErr}</p>`}
      </fieldset>
      <${Field} id="docreq-reason" name="reason" textarea rows="3" label=${t('docreq.reason')} value=${reason} maxlength="2000"
        onInput=${(ev) => setReason(ev.currentTarget.value)} error=${local.reason || fieldError(error, 'reason')} />
      <${Field} id="docreq-due" name="due_on" type="date" label=${t('docreq.due')} value=${due} min=${today()}
        onInput=${(ev) => setDue(ev.currentTarget.value)} error=${local.due_on || fieldError(error, 'due_on')} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy}>${t('docreq.send')}</button>
        ${done && html`<p class="saved" role="status" id="docreq-sent">${t('docreq.sent')}</p>`}
      </div>
    </form>`;
}
