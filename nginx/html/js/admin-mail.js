// admin-mail.js -- email administration for admins and super admins, in
// three tabs:
//   Templates: pick a key (GET /mail-templates/keys lists them with their
//     purpose and placeholders), a language and optionally a scholarship
//     (an override), edit the subject, the text and the optional HTML,
//     preview them rendered with example values (POST …/preview; the HTML
//     in a sandboxed iframe from a blob: URL, which the CSP's frame-src
//     allows and which runs no script; its inline styles are applied
//     through the CSSOM, as the CSP refuses them in markup), save (PUT
//     with If-Match of the version read; 412 says someone else saved
//     meanwhile) and delete an override. A 422's field errors are shown by their fields. Defaults
//     are the super admin's; an admin edits their scholarships' overrides.
//   Test mode (super admins): every mail to listed addresses until a
//     time (GET/PUT/DELETE /mail/test-mode); while it is on, a warning
//     banner above the tabs says so.
//   History: GET /mail/outbox with filters (status, template, recipient,
//     queued from/until), keyset "load more", status badges, and "Retry"
//     for a failed mail (super admins; POST /mail/outbox/{id}/retry).

import {
  ErrorAlert, Field, fieldError, formatDate, html, mountSignedIn, startPage, useLang,
} from './ui.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import { API, request } from './api.js';
import { lang, t } from './i18n.js';
import { NoAccess, fromLocalInput, ifMatch, localName, toLocalInput } from './apps.js';

/** What a template key is for, in the page's language (the server says it in English). */
function purposeOf(spec) {
  const key = `mail.purpose.${spec.key}`;
  return lang() === 'en' || t(key) === key ? spec.purpose : t(key);
}

const LOCALES = ['en', 'zh-TW'];
const STATUSES = ['pending', 'sending', 'sent', 'failed'];
const TABS = ['templates', 'test-mode', 'history'];
const PAGE = 20;

const enc = encodeURIComponent;

function useItems(path) {
  const [items, setItems] = useState(null); // null while loading
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!path) { setItems([]); return; }
    request(path).then((d) => setItems(Array.isArray(d?.items) ? d.items : []))
      .catch((err) => { setItems([]); setError(err); });
  }, [path]);
  return [items, error];
}

/** The messages of the errors of field name and of its items ("addresses.2"), joined. */
function errorsOf(err, name) {
  return (err?.errors || []).filter((e) => e.field === name || e.field.startsWith(`${name}.`))
    .map((e) => e.message).join(' ');
}

/* ---- Templates ---------------------------------------------------------- */

const EMPTY_FORM = { subject: '', body_text: '', body_html: '' };

function formOf(rec) {
  return rec ? { subject: rec.subject || '', body_text: rec.body_text || '', body_html: rec.body_html || '' } : EMPTY_FORM;
}

/*
 * The HTML part of a preview, made safe to show under this site's CSP,
 * which a blob: document inherits: markup style attributes and <style>
 * elements would be refused (a console error each), so they are taken out
 * here and put back through the CSSOM, which the CSP does not govern, once
 * the frame has loaded. Scripts, plug-ins, external style sheets and
 * remote images go (no script could run anyway: the frame is sandboxed
 * without allow-scripts); links keep their address as a tooltip only, so
 * a click inside the preview goes nowhere.
 */
function previewParts(markup) {
  // Even an inert DOMParser document reports style attributes and <style>
  // against this page's CSP, so both are renamed in the text before parsing
  // (a miss costs a console message and a plainer preview, nothing more).
  const sheets = [];
  const text = markup
    .replace(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi, (_, css) => { sheets.push(css); return ''; })
    .replace(/(<[a-z][^<>]*?\s)style(\s*=)/gi, '$1data-preview-style$2');
  const doc = new DOMParser().parseFromString(text, 'text/html');
  for (const el of doc.querySelectorAll('script, noscript, style, link, meta, base, iframe, frame, object, embed, form')) el.remove();
  const inline = [];
  for (const el of doc.querySelectorAll('*')) {
    for (const a of [...el.attributes]) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on') || name === 'srcset' || name === 'background' || name === 'action') el.removeAttribute(a.name);
    }
    if (el.hasAttribute('data-preview-style')) {
      inline.push(el.getAttribute('data-preview-style'));
      el.setAttribute('data-preview-style', String(inline.length - 1));
    }
    if (el.hasAttribute('href')) {
      if (!el.hasAttribute('title')) el.setAttribute('title', el.getAttribute('href'));
      el.removeAttribute('href');
    }
    if (el.hasAttribute('src') && !/^data:image\//i.test(el.getAttribute('src'))) el.removeAttribute('src');
  }
  const charset = doc.createElement('meta');
  charset.setAttribute('charset', 'utf-8');
  doc.head.prepend(charset);
  return { page: `<!doctype html>\n${doc.documentElement.outerHTML}`, sheets, inline };
}

/** The HTML part in a sandboxed frame (a blob: URL: the CSP's frame-src allows it; no scripts). */
function HtmlPreview({ markup }) {
  const [url, setUrl] = useState(null);
  const parts = useRef(null);
  useEffect(() => {
    parts.current = previewParts(markup);
    const u = URL.createObjectURL(new Blob([parts.current.page], { type: 'text/html;charset=utf-8' }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [markup]);
  function onLoad(ev) {
    const d = ev.currentTarget.contentDocument;
    const p = parts.current;
    if (!d || !p) return;
    for (const el of d.querySelectorAll('[data-preview-style]')) {
      el.style.cssText = p.inline[Number(el.getAttribute('data-preview-style'))] || '';
    }
    const sheets = [];
    for (const text of p.sheets) {
      try {
        const sheet = new d.defaultView.CSSStyleSheet();
        sheet.replaceSync(text.replace(/@import[^;]*;?/gi, ''));
        sheets.push(sheet);
      } catch { /* a style sheet the browser cannot read: left out */ }
    }
    if (sheets.length) d.adoptedStyleSheets = [...d.adoptedStyleSheets, ...sheets];
  }
  // allow-same-origin without allow-scripts: this page may style the frame; the frame runs nothing.
  return url && html`<iframe class="preview-html" id="preview-html" src=${url} sandbox="allow-same-origin"
    title=${t('mail.tpl.previewHtml')} referrerpolicy="no-referrer" onLoad=${onLoad}></iframe>`;
}

function Templates({ me, keys, keysError }) {
  useLang();
  const superAdmin = me.role === 'super_admin';
  const [scholarships] = useItems(`${API}/scholarships?limit=100`);
  const [sel, setSel] = useState({ key: '', locale: lang() === 'en' ? 'en' : 'zh-TW', scholarship_id: '' });
  const [own, setOwn] = useState(null); // the record of the selection, or null
  const [form, setForm] = useState(EMPTY_FORM);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState(null);
  const [saveError, setSaveError] = useState(null);
  const [busy, setBusy] = useState('');
  const [preview, setPreview] = useState(null);
  const [previewError, setPreviewError] = useState(null);
  const [done, setDone] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [reloads, setReloads] = useState(0);
  const gen = useRef(0);

  useEffect(() => {
    if (!sel.key && keys?.length) setSel((s) => ({ ...s, key: keys[0].key }));
  }, [keys]);

  useEffect(() => {
    if (!sel.key) return;
    const g = ++gen.current;
    const { key, locale, scholarship_id: sid } = sel;
    const base = `${API}/mail-templates?key=${enc(key)}&locale=${enc(locale)}`;
    const match = (x, s) => x && x.key === key && x.locale === locale && (x.scholarship_id || '') === s;
    setLoading(true);
    setLoadError(null);
    setSaveError(null);
    setPreview(null);
    setPreviewError(null);
    setConfirming(false);
    (async () => {
      const d = await request(sid ? `${base}&scholarship_id=${enc(sid)}` : base);
      const items = Array.isArray(d?.items) ? d.items : [];
      const mine = items.find((x) => match(x, sid)) || null;
      let dflt = sid ? items.find((x) => match(x, '')) || null : null;
      if (sid && !mine && !dflt) {
        const d2 = await request(base);
        dflt = (Array.isArray(d2?.items) ? d2.items : []).find((x) => match(x, '')) || null;
      }
      return [mine, dflt];
    })().then(([mine, dflt]) => {
      if (g !== gen.current) return;
      setOwn(mine);
      setForm(formOf(mine || dflt));
    }).catch((err) => {
      if (g !== gen.current) return;
      setOwn(null);
      setForm(EMPTY_FORM);
      setLoadError(err);
    }).finally(() => { if (g === gen.current) setLoading(false); });
  }, [sel, reloads]);

  const spec = (keys || []).find((k) => k.key === sel.key);
  const editable = superAdmin || sel.scholarship_id !== '';
  const pick = (k) => (ev) => { setSel({ ...sel, [k]: ev.currentTarget.value }); setDone(''); };
  const edit = (k) => (ev) => { setForm({ ...form, [k]: ev.currentTarget.value }); setDone(''); };
  const bodyOf = () => ({
    subject: form.subject, body_text: form.body_text, ...(form.body_html.trim() ? { body_html: form.body_html } : {}),
  });

  async function onPreview() {
    setBusy('preview');
    setPreviewError(null);
    try {
      const p = await request(`${API}/mail-templates/${enc(sel.key)}/${enc(sel.locale)}/preview`,
        { method: 'POST', body: bodyOf() });
      setPreview(p);
      // The texts passed the checks a save makes: its field errors are stale.
      setSaveError((e) => (e?.status === 422 ? null : e));
    } catch (err) {
      setPreview(null);
      setPreviewError(err);
    } finally {
      setBusy('');
    }
  }

  async function onSave(ev) {
    ev.preventDefault();
    setBusy('save');
    setSaveError(null);
    setDone('');
    try {
      // PUT replaces the template: an empty HTML part is removed (null).
      const body = {
        ...bodyOf(), body_html: form.body_html.trim() ? form.body_html : null,
        ...(sel.scholarship_id ? { scholarship_id: sel.scholarship_id } : {}),
      };
      const saved = await request(`${API}/mail-templates/${enc(sel.key)}/${enc(sel.locale)}`,
        { method: 'PUT', body, headers: own ? ifMatch(own.version) : {} });
      setOwn(saved);
      setForm(formOf(saved));
      setDone(t('mail.tpl.saved').replace('{n}', String(saved?.version ?? '')));
    } catch (err) {
      setSaveError(err);
    } finally {
      setBusy('');
    }
  }

  async function onDelete() {
    setBusy('delete');
    setSaveError(null);
    try {
      await request(`${API}/mail-templates/${enc(sel.key)}/${enc(sel.locale)}?scholarship_id=${enc(sel.scholarship_id)}`,
        { method: 'DELETE' });
      setConfirming(false);
      setReloads((n) => n + 1);
      setDone(t('mail.tpl.deleted'));
    } catch (err) {
      setSaveError(err);
    } finally {
      setBusy('');
    }
  }

  const fe = (k) => fieldError(saveError, k) || fieldError(previewError, k);
  const state = own
    ? `${sel.scholarship_id ? `${t('mail.tpl.override')} ` : ''}${t('mail.tpl.version').replace('{n}', String(own.version))
      .replace('{when}', formatDate(own.updated_at, true))}`
    : (sel.scholarship_id ? t('mail.tpl.newOverride') : t('mail.tpl.new'));

  return html`
    <section class="section-card" aria-labelledby="tpl-title">
      <h2 id="tpl-title">${t('mail.tpl.title')}</h2>
      <${ErrorAlert} id="keys-alert" error=${keysError} title=${t('mail.tpl.loadFailed')} />
      <form class="filters" id="template-pick" aria-label=${t('mail.tpl.pick')} onSubmit=${(ev) => ev.preventDefault()}>
        <${Field} id="tpl-key" name="key" label=${t('mail.tpl.key')} value=${sel.key} onChange=${pick('key')}
          options=${(keys || []).map((k) => ({ value: k.key, label: k.key }))} />
        <${Field} id="tpl-locale" name="locale" label=${t('mail.tpl.locale')} value=${sel.locale} onChange=${pick('locale')}
          options=${LOCALES.map((l) => ({ value: l, label: t(`locale.${l}`) }))} />
        <${Field} id="tpl-scholarship" name="scholarship_id" label=${t('mail.tpl.scholarship')} value=${sel.scholarship_id}
          onChange=${pick('scholarship_id')} required=${false}
          options=${[{ value: '', label: t('mail.tpl.default') },
            ...(scholarships || []).map((s) => ({ value: s.id, label: `${localName(s)} (${s.code})` }))]} />
      </form>
      ${spec && html`<div id="template-spec">
        <p class="muted" id="template-purpose">${purposeOf(spec)}</p>
        <p class="field-hint">${t('mail.tpl.placeholders')}: ${t('mail.tpl.placeholdersHint')}</p>
        <ul class="placeholders" id="template-placeholders" aria-label=${t('mail.tpl.placeholders')}>
          ${(spec.placeholders || []).map((p) => html`<li><code>{{${p}}}</code></li>`)}
        </ul>
      </div>`}
      <${ErrorAlert} id="template-load-alert" error=${loadError} title=${t('mail.tpl.loadFailed')} />
      ${!loadError && sel.key && html`
        <p class=${own ? 'muted' : 'info'} id="template-state" role="status">${loading ? t('common.loading') : state}</p>
        ${!editable && html`<p class="info" id="template-readonly">${t('mail.tpl.defaultsSuper')}</p>`}
        <form class="form" id="template-form" method="post" onSubmit=${onSave} aria-busy=${busy || loading ? 'true' : 'false'}>
          <${ErrorAlert} id="template-alert" error=${saveError} title=${t('mail.tpl.saveFailed')}
            message=${saveError?.status === 412 ? t('mail.tpl.conflict') : undefined}
            fields=${['subject', 'body_text', 'body_html']}>
            ${saveError?.status === 412 && html`<p class="alert-detail"><button type="button" class="btn btn-quiet btn-small"
              id="template-reload" onClick=${() => setReloads((n) => n + 1)}>${t('mail.tpl.reload')}</button></p>`}
          </${ErrorAlert}>
          <${Field} id="tpl-subject" name="subject" label=${t('mail.tpl.subject')} maxlength="300" value=${form.subject}
            onInput=${edit('subject')} error=${fe('subject')} readOnly=${!editable} spellcheck="false" />
          <${Field} id="tpl-text" name="body_text" label=${t('mail.tpl.bodyText')} textarea class="code" rows="10"
            value=${form.body_text} onInput=${edit('body_text')} error=${fe('body_text')} readOnly=${!editable} />
          <${Field} id="tpl-html" name="body_html" label=${t('mail.tpl.bodyHtml')} textarea class="code" rows="8"
            required=${false} optional hint=${t('mail.tpl.bodyHtmlHint')} value=${form.body_html}
            onInput=${edit('body_html')} error=${fe('body_html')} readOnly=${!editable} spellcheck="false" />
          <div class="form-actions">
            ${editable && html`<button type="submit" class="btn btn-primary" id="template-save" disabled=${!!busy || loading}>
              ${busy === 'save' ? t('common.saving') : t('mail.tpl.save')}</button>`}
            <button type="button" class="btn btn-quiet" id="template-preview" disabled=${!!busy || loading}
              onClick=${onPreview}>${busy === 'preview' ? t('mail.tpl.previewing') : t('mail.tpl.preview')}</button>
            ${editable && own && sel.scholarship_id && !confirming && html`<button type="button"
              class="btn btn-danger-quiet" id="template-delete" disabled=${!!busy}
              onClick=${() => setConfirming(true)}>${t('mail.tpl.deleteOverride')}</button>`}
            ${done && html`<p class="saved" role="status" id="template-saved">${done}</p>`}
          </div>
          ${confirming && html`<div class="confirm" id="template-confirm">
            <p>${t('mail.tpl.confirmDelete')}</p>
            <div class="form-actions">
              <button type="button" class="btn btn-danger" id="template-confirm-delete" disabled=${!!busy}
                onClick=${onDelete}>${t('mail.tpl.deleteOverride')}</button>
              <button type="button" class="btn btn-quiet" onClick=${() => setConfirming(false)}>${t('common.cancel')}</button>
            </div>
          </div>`}
        </form>
        <${ErrorAlert} id="preview-alert" error=${previewError} title=${t('mail.tpl.previewFailed')}
          fields=${['subject', 'body_text', 'body_html']} />
        ${preview && html`<div class="preview" id="template-preview-result" aria-labelledby="preview-title">
          <h3 id="preview-title">${t('mail.tpl.previewTitle')}</h3>
          <p><span class="muted">${t('mail.tpl.subject')}: </span><span class="preview-subject" id="preview-subject">${preview.subject}</span></p>
          <pre class="preview-text" id="preview-text">${preview.body_text}</pre>
          ${preview.body_html && html`<${HtmlPreview} markup=${preview.body_html} />`}
        </div>`}`}
    </section>`;
}

/* ---- Test mode ------------------------------------------------------------ */

function addressesText(list) {
  return (list || []).join('\n');
}

function parseAddresses(text) {
  const seen = new Set();
  const out = [];
  for (const part of text.split(/[\s,;]+/)) {
    const a = part.trim();
    if (a && !seen.has(a.toLowerCase())) { seen.add(a.toLowerCase()); out.push(a); }
  }
  return out;
}

function TestBanner({ mode }) {
  useLang();
  if (!mode?.active) return null;
  return html`<div class="warn-banner" id="test-mode-banner" role="status">
    <p class="warn-title">${t('mail.bannerTitle')}</p>
    <p>${t('mail.banner').replace('{addresses}', (mode.addresses || []).join(', '))
      .replace('{until}', formatDate(mode.expires_at, true))}</p>
  </div>`;
}

function TestMode({ me, mode, loadError, onChange }) {
  useLang();
  const superAdmin = me.role === 'super_admin';
  const tomorrow = () => toLocalInput(new Date(Date.now() + 86400000).toISOString());
  const [v, setV] = useState({ addresses: '', expires_at: tomorrow() });
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');

  useEffect(() => {
    if (mode?.active) setV({ addresses: addressesText(mode.addresses), expires_at: toLocalInput(mode.expires_at) });
  }, [mode]);

  if (!superAdmin) {
    return html`<section class="section-card" aria-labelledby="test-title">
      <h2 id="test-title">${t('mail.test.title')}</h2>
      <p class="info" id="test-mode-super-only">${t('mail.test.superOnly')}</p>
    </section>`;
  }

  const edit = (k) => (ev) => { setV({ ...v, [k]: ev.currentTarget.value }); setDone(''); };
  async function onSubmit(ev) {
    ev.preventDefault();
    setBusy('save');
    setError(null);
    setDone('');
    try {
      const next = await request(`${API}/mail/test-mode`, {
        method: 'PUT', body: { addresses: parseAddresses(v.addresses), expires_at: fromLocalInput(v.expires_at) },
      });
      onChange(next);
      setDone(t('mail.test.saved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  }
  async function onOff() {
    setBusy('off');
    setError(null);
    setDone('');
    try {
      const d = await request(`${API}/mail/test-mode`, { method: 'DELETE' });
      onChange(d && typeof d.active === 'boolean' ? d
        : { active: false, addresses: [], expires_at: null, updated_at: new Date().toISOString() });
      setV({ addresses: '', expires_at: tomorrow() });
      setDone(t('mail.test.offDone'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  }

  const active = !!mode?.active;
  return html`
    <section class="section-card" aria-labelledby="test-title">
      <h2 id="test-title">${t('mail.test.title')}</h2>
      <p class="muted">${t('mail.test.intro')}</p>
      <${ErrorAlert} id="test-load-alert" error=${loadError} title=${t('mail.test.loadFailed')} />
      ${mode && html`<p id="test-mode-state">
        <span class="muted">${t('mail.test.state')}: </span>
        <span class=${`badge ${active ? 'badge-warn' : 'badge-off'}`}>${active ? t('mail.test.on') : t('mail.test.off')}</span>
        ${active
          ? t('mail.test.onText').replace('{addresses}', (mode.addresses || []).join(', '))
            .replace('{until}', formatDate(mode.expires_at, true))
          : t('mail.test.offText')}
        ${mode.updated_at && html` <span class="muted">${t('mail.test.changed').replace('{when}', formatDate(mode.updated_at, true))}</span>`}
      </p>`}
      <form class="form" id="test-mode-form" method="post" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
        <${ErrorAlert} id="test-mode-alert" error=${error} title=${t('mail.test.failed')}
          fields=${['expires_at', ...(error?.errors || []).map((e) => e.field).filter((f) => f === 'addresses' || f.startsWith('addresses.'))]} />
        <div class="form-grid">
          <${Field} id="test-addresses" name="addresses" label=${t('mail.test.addresses')} textarea rows="4"
            hint=${t('mail.test.addressesHint')} value=${v.addresses} onInput=${edit('addresses')}
            error=${errorsOf(error, 'addresses')} spellcheck="false" autocapitalize="none" />
          <${Field} id="test-expires" name="expires_at" type="datetime-local" label=${t('mail.test.expires')}
            hint=${t('mail.test.expiresHint')} value=${v.expires_at} onInput=${edit('expires_at')}
            error=${fieldError(error, 'expires_at')} />
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" id="test-mode-save" disabled=${!!busy}>
            ${busy === 'save' ? t('common.saving') : (active ? t('mail.test.update') : t('mail.test.turnOn'))}</button>
          ${active && html`<button type="button" class="btn btn-danger-quiet" id="test-mode-off" disabled=${!!busy}
            onClick=${onOff}>${t('mail.test.turnOff')}</button>`}
          ${done && html`<p class="saved" role="status" id="test-mode-done">${done}</p>`}
        </div>
      </form>
    </section>`;
}

/* ---- History -------------------------------------------------------------- */

const NO_FILTERS = { status: '', template_key: '', recipient: '', since: '', until: '' };

function HistoryFilters({ keys, onApply }) {
  useLang();
  const [v, setV] = useState(NO_FILTERS);
  const edit = (k) => (ev) => setV({ ...v, [k]: ev.currentTarget.value });
  return html`
    <form class="filters" role="search" id="history-filters" aria-label=${t('mail.hist.filters')}
      onSubmit=${(ev) => { ev.preventDefault(); onApply({ ...v, recipient: v.recipient.trim() }); }}>
      <${Field} id="hist-status" label=${t('mail.hist.status')} value=${v.status} onChange=${edit('status')} required=${false}
        options=${[{ value: '', label: t('mail.hist.anyStatus') }, ...STATUSES.map((s) => ({ value: s, label: t(`mailStatus.${s}`) }))]} />
      <${Field} id="hist-template" label=${t('mail.hist.template')} value=${v.template_key} onChange=${edit('template_key')}
        required=${false}
        options=${[{ value: '', label: t('mail.hist.anyTemplate') }, ...(keys || []).map((k) => ({ value: k.key, label: k.key }))]} />
      <${Field} id="hist-recipient" type="search" label=${t('mail.hist.recipient')} value=${v.recipient}
        onInput=${edit('recipient')} required=${false} spellcheck="false" autocapitalize="none" />
      <${Field} id="hist-since" type="datetime-local" label=${t('mail.hist.since')} value=${v.since}
        onInput=${edit('since')} required=${false} />
      <${Field} id="hist-until" type="datetime-local" label=${t('mail.hist.until')} value=${v.until}
        onInput=${edit('until')} required=${false} />
      <div class="filters-actions">
        <button type="submit" class="btn btn-primary">${t('users.apply')}</button>
        <button type="button" class="btn btn-quiet" onClick=${() => { setV(NO_FILTERS); onApply(NO_FILTERS); }}>
          ${t('users.clear')}</button>
      </div>
    </form>`;
}

function MailRow({ m, canRetry, onRetried }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [retried, setRetried] = useState(false);
  async function onRetry() {
    setBusy(true);
    setError(null);
    try {
      const next = await request(`${API}/mail/outbox/${enc(m.id)}/retry`, { method: 'POST' });
      setRetried(true);
      onRetried(next && next.id ? next : { ...m, status: 'pending' });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const redirected = Array.isArray(m.redirected_to) ? m.redirected_to.join(', ') : (m.redirected_to || '');
  return html`<tr data-id=${m.id} data-status=${m.status}>
    <td data-label=${t('mail.hist.created')}>${formatDate(m.created_at, true)}</td>
    <th scope="row" data-label=${t('mail.hist.to')}>
      <span>${m.to}</span>
      ${redirected && html`<span class="mail-note">${t('mail.hist.redirected').replace('{to}', redirected)}</span>`}
    </th>
    <td data-label=${t('mail.hist.subject')}>${m.subject}</td>
    <td data-label=${t('mail.hist.template')}>${m.template_key || ''}${m.locale ? ` · ${m.locale}` : ''}</td>
    <td data-label=${t('mail.hist.status')}>
      <span class=${`badge mail-status-${m.status}`}>${t(`mailStatus.${m.status}`)}</span>
      ${m.sent_at && html`<span class="mail-note">${t('mail.hist.sentAt').replace('{when}', formatDate(m.sent_at, true))}</span>`}
      ${m.last_error && m.status !== 'sent' && html`<span class="mail-error">${t('mail.hist.lastError')}: ${m.last_error}</span>`}
    </td>
    <td data-label=${t('mail.hist.attempts')}>${m.attempts ?? 0}</td>
    <td class="cell-actions">
      ${canRetry && m.status === 'failed' && html`<button type="button" class="btn btn-quiet btn-small mail-retry"
        disabled=${busy} aria-label=${t('mail.hist.retryOf').replace('{to}', m.to)} onClick=${onRetry}>${t('mail.hist.retry')}</button>`}
      ${retried && html`<span class="saved mail-retried" role="status">${t('mail.hist.retried')}</span>`}
      ${error && html`<p class="field-error" role="alert">${t('mail.hist.retryFailed')} ${error.detail || ''}</p>`}
    </td>
  </tr>`;
}

function History({ me, keys }) {
  useLang();
  const [filters, setFilters] = useState(NO_FILTERS);
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const gen = useRef(0);

  async function load(f, after) {
    const g = ++gen.current;
    const q = new URLSearchParams({ limit: String(PAGE) });
    for (const k of ['status', 'template_key', 'recipient']) if (f[k]) q.set(k, f[k]);
    for (const k of ['since', 'until']) { const at = fromLocalInput(f[k]); if (at) q.set(k, at); }
    if (after) q.set('cursor', after);
    setLoading(true);
    setError(null);
    try {
      const d = await request(`${API}/mail/outbox?${q}`);
      if (g !== gen.current) return;
      const got = Array.isArray(d?.items) ? d.items : [];
      setItems((prev) => (after ? [...prev, ...got] : got));
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
  const onRetried = (next) => setItems((prev) => prev.map((x) => (x.id === next.id ? { ...x, ...next } : x)));

  return html`
    <section class="section-card" aria-labelledby="hist-title">
      <h2 id="hist-title">${t('mail.hist.title')}</h2>
      <${HistoryFilters} keys=${keys} onApply=${setFilters} />
      <${ErrorAlert} id="history-alert" error=${error} title=${t('mail.hist.loadFailed')} />
      ${items.length > 0 && html`<div class="table-wrap">
        <table class="data-table mail-table" id="mail-table" aria-busy=${loading ? 'true' : 'false'}>
          <caption class="visually-hidden">${t('mail.hist.title')}</caption>
          <thead><tr>
            <th scope="col">${t('mail.hist.created')}</th>
            <th scope="col">${t('mail.hist.to')}</th>
            <th scope="col">${t('mail.hist.subject')}</th>
            <th scope="col">${t('mail.hist.template')}</th>
            <th scope="col">${t('mail.hist.status')}</th>
            <th scope="col">${t('mail.hist.attempts')}</th>
            <th scope="col"><span class="visually-hidden">${t('ann.actions')}</span></th>
          </tr></thead>
          <tbody>${items.map((m) => html`<${MailRow} key=${m.id} m=${m} canRetry=${me.role === 'super_admin'}
            onRetried=${onRetried} />`)}</tbody>
        </table></div>`}
      ${!loading && !error && items.length === 0 && html`<p class="muted" id="no-mail">${t('mail.hist.none')}</p>`}
      <div class="list-footer">
        ${loading && html`<p class="muted" role="status">${t('common.loading')}</p>`}
        ${!loading && cursor && html`<button type="button" class="btn btn-quiet" id="load-more"
          onClick=${() => load(filters, cursor)}>${t('users.more')}</button>`}
      </div>
    </section>`;
}

/* ---- The page ------------------------------------------------------------- */

function tabFromHash() {
  const h = window.location.hash.replace(/^#/, '');
  return TABS.includes(h) ? h : 'templates';
}

function MailAdmin({ me }) {
  useLang();
  const superAdmin = me.role === 'super_admin';
  const [tab, setTab] = useState(tabFromHash);
  const [opened, setOpened] = useState(() => new Set([tabFromHash()]));
  const [keys, keysError] = useItems(`${API}/mail-templates/keys`);
  const [mode, setMode] = useState(null);
  const [modeError, setModeError] = useState(null);
  const tabRefs = useRef({});

  useEffect(() => {
    if (!superAdmin) return;
    request(`${API}/mail/test-mode`).then(setMode).catch(setModeError);
  }, []);
  useEffect(() => {
    const onHash = () => select(tabFromHash(), false);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  function select(name, focus = true) {
    setTab(name);
    setOpened((prev) => (prev.has(name) ? prev : new Set([...prev, name])));
    if (window.location.hash !== `#${name}`) window.history.replaceState(window.history.state, '', `#${name}`);
    if (focus) tabRefs.current[name]?.focus();
  }
  function onKeyDown(ev) {
    const i = TABS.indexOf(tab);
    let next = null;
    if (ev.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length];
    else if (ev.key === 'ArrowLeft') next = TABS[(i + TABS.length - 1) % TABS.length];
    else if (ev.key === 'Home') next = TABS[0];
    else if (ev.key === 'End') next = TABS[TABS.length - 1];
    if (next) { ev.preventDefault(); select(next); }
  }
  const label = { templates: t('mail.tab.templates'), 'test-mode': t('mail.tab.testMode'), history: t('mail.tab.history') };
  const panel = (name, body) => html`<div role="tabpanel" id=${`panel-${name}`} aria-labelledby=${`tab-${name}`}
    hidden=${tab !== name} class="stack">${opened.has(name) && body}</div>`;

  return html`
    <div>
      <${TestBanner} mode=${mode} />
      <div class="tabs" role="tablist" aria-label=${t('mail.tabs')} onKeyDown=${onKeyDown}>
        ${TABS.map((name) => html`<button type="button" role="tab" class="tab" id=${`tab-${name}`}
          aria-selected=${tab === name ? 'true' : 'false'} aria-controls=${`panel-${name}`} tabindex=${tab === name ? 0 : -1}
          ref=${(el) => { tabRefs.current[name] = el; }} onClick=${() => select(name)}>${label[name]}</button>`)}
      </div>
      ${panel('templates', html`<${Templates} me=${me} keys=${keys} keysError=${keysError} />`)}
      ${panel('test-mode', html`<${TestMode} me=${me} mode=${mode} loadError=${modeError} onChange=${setMode} />`)}
      ${panel('history', html`<${History} me=${me} keys=${keys} />`)}
    </div>`;
}

startPage();
mountSignedIn((me) => (me.role === 'admin' || me.role === 'super_admin'
  ? html`<${MailAdmin} me=${me} />` : html`<${NoAccess} message=${t('ann.staffOnly')} />`));
