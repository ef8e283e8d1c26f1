// eligible.js -- "My scholarships" for a student: every open period
// (GET /eligibility) with whether the student is eligible, each rule's
// result and reason (a failed hard rule and a warning look different),
// the sub-types open to them, and "Apply" or "View my application".
// Without a linked student record the API answers 404: the page says so.

import { html, formatDate, mountSignedIn, startPage, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { t } from './i18n.js';
import { LoadFailed, NoAccess, localName, money } from './apps.js';

function RuleResult({ rule, subTypes }) {
  const kind = rule.passed ? 'pass' : rule.hard ? 'hard' : 'warn';
  const sub = rule.sub_type ? subTypes.find((s) => s.code === rule.sub_type) : null;
  return html`
    <li class=${`rule rule-${kind}`}>
      <span class="rule-mark" aria-hidden="true">${kind === 'pass' ? '✓' : kind === 'hard' ? '✕' : '!'}</span>
      <span class="rule-text">
        <strong class="rule-state">${t(`elig.rule.${kind}`)}</strong>${' '}
        ${rule.message || rule.field}
        ${sub && html` <span class="muted">(${t('elig.onlyFor')} ${localName(sub)})</span>`}
      </span>
    </li>`;
}

function PeriodCard({ item }) {
  useLang();
  const sch = item.scholarship || {};
  const subs = sch.sub_types || [];
  const open = subs.filter((s) => item.sub_types.includes(s.code));
  const titleId = `period-${item.period_id}`;
  return html`
    <article class="section-card period-card" aria-labelledby=${titleId} data-period=${item.period_id}>
      <div class="card-head">
        <h2 id=${titleId}>${localName(sch)}</h2>
        <span class=${`badge ${item.eligible ? 'badge-ok' : 'badge-danger'}`}>
          ${item.eligible ? t('elig.eligible') : t('elig.notEligible')}</span>
      </div>
      <p class="muted">${item.period?.label} · ${t('elig.closes')} ${formatDate(item.period?.closes_at, true)}</p>
      ${item.rules.length > 0 && html`
        <h3>${t('elig.rules')}</h3>
        <ul class="rules">${item.rules.map((r, i) => html`<${RuleResult} key=${i} rule=${r} subTypes=${subs} />`)}</ul>`}
      ${subs.length > 0 && html`
        <h3>${t('elig.openSubTypes')}</h3>
        ${open.length === 0 ? html`<p class="muted">${t('common.none')}</p>` : html`
          <ul class="sub-list">${open.map((s) => html`<li key=${s.code}>${localName(s)}
            <span class="muted"> · ${money(s.amount_cents, sch.currency)}</span></li>`)}</ul>`}`}
      <div class="form-actions">
        ${item.applied && item.application_id ? html`
          <a class="btn btn-quiet" href=${`/application.html?id=${encodeURIComponent(item.application_id)}`}>
            ${t('elig.viewApplication')}</a>` : item.eligible ? html`
          <a class="btn btn-primary" href=${`/apply.html?period=${encodeURIComponent(item.period_id)}`}
            aria-label=${`${t('elig.apply')}: ${localName(sch)}`}>${t('elig.apply')}</a>` : html`
          <p class="muted">${t('elig.cannotApply')}</p>`}
      </div>
    </article>`;
}

function Eligible() {
  useLang();
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    request(`${API}/eligibility`).then((d) => setItems(d?.items || [])).catch(setError);
  }, []);
  if (error?.status === 404) {
    return html`<section class="section-card" id="no-record">
      <h2>${t('elig.noRecordTitle')}</h2><p>${t('elig.noRecord')}</p>
      <p><a href="/account.html">${t('nav.account')}</a></p></section>`;
  }
  if (error) return html`<${LoadFailed} error=${error} title=${t('elig.loadFailed')} />`;
  if (items === null) return html`<p class="muted" role="status">${t('common.loading')}</p>`;
  if (items.length === 0) return html`<p class="info" id="no-periods">${t('elig.none')}</p>`;
  return html`<div class="stack" id="eligibility-list">
    ${items.map((it) => html`<${PeriodCard} key=${it.period_id} item=${it} />`)}</div>`;
}

startPage();
mountSignedIn((me) => (me.role === 'student' ? html`<${Eligible} />` : html`<${NoAccess} message=${t('apps.studentsOnly')} />`));
