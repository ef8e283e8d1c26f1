// app-staff.js -- the staff actions of the application page (admins in
// scope and super admins): a status change with a reason (POST
// /applications/{id}/status {status, reason, due_on}; the transition table
// below mirrors the server's, and a super admin may force any other move
// with a reason) and the assigned reviewers (GET /users?role=reviewer,
// PUT /applications/{id}/reviewers {reviewer_ids} with If-Match).

import { Checkbox, ErrorAlert, Field, fieldError, html, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { STATUSES, ifMatch } from './apps.js';

export const MOVES = {
  submitted: ['under_review', 'pending_documents', 'returned', 'rejected', 'cancelled'],
  under_review: ['pending_documents', 'returned', 'approved', 'partially_approved', 'rejected', 'cancelled'],
  pending_documents: ['under_review', 'returned', 'rejected', 'cancelled'],
  returned: ['cancelled'],
  approved: ['cancelled'],
  partially_approved: ['cancelled'],
};

export function StatusForm({ app, me, onChanged }) {
  useLang();
  const allowed = MOVES[app.status] || [];
  const forced = me.role === 'super_admin' ? STATUSES.filter((s) => s !== app.status && !allowed.includes(s)) : [];
  const [status, setStatus] = useState('');
  const [reason, setReason] = useState('');
  const [due, setDue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  if (allowed.length === 0 && forced.length === 0) return html`<p class="muted">${t('staff.noMoves')}</p>`;
  const options = [
    { value: '', label: t('staff.chooseStatus'), disabled: true },
    ...allowed.map((s) => ({ value: s, label: t(`appStatus.${s}`) })),
    ...forced.map((s) => ({ value: s, label: `${t(`appStatus.${s}`)} (${t('staff.forced')})` })),
  ];
  async function onSubmit(ev) {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    const body = { status };
    if (reason.trim()) body.reason = reason.trim();
    if (status === 'returned' && due) body.due_on = due;
    try {
      const next = await request(`${API}/applications/${encodeURIComponent(app.id)}/status`, { method: 'POST', body });
      setStatus('');
      setReason('');
      setDue('');
      setDone(true);
      onChanged(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <form class="form" method="post" onSubmit=${onSubmit} id="status-form" aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="status-alert" error=${error} title=${t('staff.statusFailed')} fields=${['status', 'reason', 'due_on']} />
      <div class="form-grid">
        <${Field} id="new-status" name="status" label=${t('staff.newStatus')} options=${options} value=${status}
          onChange=${(ev) => setStatus(ev.currentTarget.value)} error=${fieldError(error, 'status')} />
        ${status === 'returned' && html`<${Field} id="due-on" name="due_on" type="date" label=${t('staff.dueOn')}
          required=${false} optional value=${due} onInput=${(ev) => setDue(ev.currentTarget.value)}
          hint=${t('staff.dueHint')} error=${fieldError(error, 'due_on')} />`}
      </div>
      <${Field} id="status-reason" name="reason" textarea rows="3" label=${t('staff.reason')} value=${reason}
        required=${forced.includes(status)} optional=${!forced.includes(status)} maxlength="2000"
        onInput=${(ev) => setReason(ev.currentTarget.value)} error=${fieldError(error, 'reason')}
        hint=${forced.includes(status) ? t('staff.forcedHint') : undefined} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy || !status}>${t('staff.changeStatus')}</button>
        ${done && html`<p class="saved" role="status" id="status-changed">${t('staff.statusChanged')}</p>`}
      </div>
    </form>`;
}

export function ReviewersForm({ app, onChanged }) {
  useLang();
  const [reviewers, setReviewers] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [chosen, setChosen] = useState((app.reviewers || []).map((r) => r.id));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  useEffect(() => {
    request(`${API}/users?role=reviewer&active=true&limit=100`)
      .then((d) => setReviewers(d?.items || []))
      .catch((err) => { setLoadError(err); setReviewers([]); });
  }, []);
  // Assigned reviewers first, so that one deactivated since still shows.
  const all = [...(app.reviewers || []), ...(reviewers || []).filter((r) => !(app.reviewers || []).some((x) => x.id === r.id))];
  async function onSubmit(ev) {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const next = await request(`${API}/applications/${encodeURIComponent(app.id)}/reviewers`,
        { method: 'PUT', body: { reviewer_ids: chosen }, headers: ifMatch(app.version) });
      setDone(true);
      onChanged(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <form class="form" method="post" onSubmit=${onSubmit} id="reviewers-form" aria-busy=${busy ? 'true' : 'false'}>
      <${ErrorAlert} id="reviewers-load-alert" error=${loadError} title=${t('staff.reviewersLoadFailed')} />
      <${ErrorAlert} id="reviewers-alert" error=${error} title=${t('staff.reviewersFailed')} />
      ${reviewers === null && html`<p class="muted" role="status">${t('common.loading')}</p>`}
      ${reviewers !== null && all.length === 0 && html`<p class="muted">${t('staff.noReviewers')}</p>`}
      <fieldset class="choice-group">
        <legend>${t('staff.reviewers')}</legend>
        ${all.map((r) => html`<${Checkbox} key=${r.id} id=${`reviewer-${r.id}`} label=${`${r.full_name} <${r.email}>`}
          checked=${chosen.includes(r.id)}
          onChange=${(ev) => setChosen(ev.currentTarget.checked ? [...chosen, r.id] : chosen.filter((x) => x !== r.id))} />`)}
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy || reviewers === null}>${t('staff.saveReviewers')}</button>
        ${done && html`<p class="saved" role="status" id="reviewers-saved">${t('staff.reviewersSaved')}</p>`}
      </div>
    </form>`;
}
