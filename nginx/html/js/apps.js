// apps.js -- what the scholarship and application pages share: names in
// the UI language, money, status badges and the stage timeline, If-Match
// headers built from a record's version, query parameters, the answers of
// an application form checked like the server checks them (type, length,
// bounds, pattern, options; required only when asked) and field errors by
// their dotted path ("answers.phone", "form_fields.2.type").

import { html, formatDate, useLang } from './ui.js';
import { lang, t } from './i18n.js';

export const STATUSES = ['draft', 'submitted', 'under_review', 'pending_documents', 'returned',
  'approved', 'partially_approved', 'rejected', 'withdrawn', 'cancelled'];
export const STAGES = ['student', 'reviewer', 'college', 'admin', 'distribution', 'awarded'];

/** obj[key] or obj[key + '_en'], whichever suits the UI language (the other as a fallback). */
export function localName(obj, key = 'name') {
  if (!obj) return '';
  const zh = obj[key];
  const en = obj[`${key}_en`];
  return (lang() === 'en' ? (en || zh) : (zh || en)) || '';
}

/** Integer cents as money in the UI language ("NT$1,000.00"). */
export function money(cents, currency = 'TWD') {
  if (cents === null || cents === undefined || cents === '') return '';
  try {
    return new Intl.NumberFormat(lang(), { style: 'currency', currency }).format(Number(cents) / 100);
  } catch {
    return `${(Number(cents) / 100).toFixed(2)} ${currency}`;
  }
}

/** The If-Match header of a record with this version. */
export function ifMatch(version) {
  return { 'If-Match': `"${version}"` };
}

/** A query parameter of this page's URL ('' when absent). */
export function param(name) {
  return new URLSearchParams(window.location.search).get(name) || '';
}

/** A status badge ("Submitted"). */
export function StatusBadge({ status, id }) {
  useLang();
  return html`<span class=${`badge status-badge status-${status}`} id=${id}>${t(`appStatus.${status}`)}</span>`;
}

/** The pipeline as an ordered list: stages done, the current one, those ahead. */
export function StageTimeline({ app }) {
  useLang();
  const ended = ['withdrawn', 'cancelled', 'rejected'].includes(app.status);
  const at = STAGES.indexOf(app.stage);
  return html`
    <ol class="timeline" id="stage-timeline" aria-label=${t('app.progress')}>
      ${STAGES.map((s, i) => {
        const state = i < at ? 'done' : i === at ? 'current' : 'ahead';
        return html`<li class=${`timeline-step step-${state}${ended && i === at ? ' step-ended' : ''}`}
          aria-current=${i === at ? 'step' : undefined}>
          <span class="step-dot" aria-hidden="true"></span>
          <span class="step-label">${t(`stage.${s}`)}</span>
          <span class="visually-hidden"> (${t(`step.${state}`)})</span>
        </li>`;
      })}
    </ol>`;
}

/** The status history as a list, oldest first. */
export function StatusHistory({ history }) {
  useLang();
  if (!history?.length) return html`<p class="muted">${t('common.none')}</p>`;
  return html`
    <ol class="history" id="status-history">
      ${history.map((h) => html`<li>
        <span class="history-when">${formatDate(h.at, true)}</span>
        <span>${h.from_status ? html`<${StatusBadge} status=${h.from_status} /> → ` : ''}<${StatusBadge} status=${h.to_status} /></span>
        ${h.reason && html`<span class="history-reason">${t('app.reason')}: ${h.reason}</span>`}
      </li>`)}
    </ol>`;
}

/** The messages of the field errors under prefix, by the rest of their path: {key: message}. */
export function errorsUnder(err, prefix) {
  const out = {};
  for (const e of err?.errors || []) {
    if (e.field.startsWith(`${prefix}.`)) {
      const k = e.field.slice(prefix.length + 1);
      out[k] = out[k] ? `${out[k]} ${e.message}` : e.message;
    }
  }
  return out;
}

function utf8Chars(s) {
  return [...s].length;
}

/**
 * A form field's answer checked like the server does; '' when it is fine.
 * value is what the API would get (string, number, boolean, array) or
 * undefined/null/'' when not answered. required is only checked when
 * withRequired (the server checks it at submit).
 */
export function checkAnswer(field, value, withRequired) {
  const empty = value === undefined || value === null || value === ''
    || (Array.isArray(value) && value.length === 0) || (field.type === 'checkbox' && !field.options?.length && value === false);
  if (empty) return withRequired && field.required ? t('answer.required') : '';
  switch (field.type) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return t('answer.number');
      if (typeof field.min === 'number' && value < field.min) return t('answer.min').replace('{n}', field.min);
      if (typeof field.max === 'number' && value > field.max) return t('answer.max').replace('{n}', field.max);
      return '';
    case 'checkbox':
      if (field.options?.length) {
        return Array.isArray(value) && value.every((v) => field.options.includes(v)) ? '' : t('answer.option');
      }
      return typeof value === 'boolean' ? '' : t('answer.option');
    case 'select':
      return field.options?.includes(value) ? '' : t('answer.option');
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? '' : t('answer.date');
    default:
      break;
  }
  if (typeof value !== 'string') return t('answer.text');
  if (field.type === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value)) return t('answer.email');
  if (field.max_length && utf8Chars(value) > field.max_length) {
    return t('answer.maxLength').replace('{n}', field.max_length);
  }
  if (field.type !== 'textarea' && value.includes('\n')) return t('answer.oneLine');
  if (field.pattern) {
    // The server matches the whole answer (POSIX ERE, "^(pattern)$"); POSIX-only syntax: the server decides.
    let re = null;
    try { re = new RegExp(`^(?:${field.pattern})$`, 'u'); } catch { re = null; }
    if (re && !re.test(value)) return t('answer.pattern');
  }
  return '';
}

/** An answer for display. */
export function formatAnswer(field, value) {
  if (value === undefined || value === null || value === '') return t('answer.none');
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (Array.isArray(value)) return value.join(', ') || t('answer.none');
  if (field?.type === 'date') return formatDate(`${value}T00:00:00`);
  return String(value);
}

/** The local "YYYY-MM-DDTHH:MM" of a datetime-local input for an RFC 3339 time. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The RFC 3339 UTC time of a datetime-local value, or null when empty or bad. */
export function fromLocalInput(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A page-level failure (the record could not be loaded). */
export function LoadFailed({ error, title }) {
  useLang();
  return html`<div class="alert" role="alert" id="load-alert">
    <p class="alert-title">${title || t('error.title')}</p>
    <p class="alert-detail">${error?.status === 404 ? t('app.notFound') : (error?.detail || t('error.generic'))}</p>
  </div>`;
}

/** The page is not for the signed-in user's role. */
export function NoAccess({ message }) {
  useLang();
  return html`<section class="section-card" id="no-access">
    <h2>${t('users.noAccessTitle')}</h2><p>${message}</p></section>`;
}
