// documents.js -- an application's documents, for the wizard's documents
// step (apply.js) and the application page (application.js).
//
// Each kind the period asks for (period.required_documents [{kind, label,
// label_en, required, accepted_types, max_mb, max_count}]) gets a drop
// zone with a file button. Files are checked here first -- size against
// max_mb, type by the file's own type or extension, a hint only: the
// server decides by content -- then sent one by one with POST
// /applications/{id}/documents (multipart: kind, file) through api.js's
// XMLHttpRequest helper, with a progress bar each; a refusal (413, 415,
// 422, 409) is shown next to the file with the server's detail. Stored
// files are listed with a download button (GET /documents/{id}/content
// needs the Authorization header, so the file is fetched with the token
// and saved from a blob: URL) and, while editable, a delete button.
//
// Inline previews: the site's CSP (nginx/snippets) allows img-src 'self'
// data: and frame-src blob:, so staff see images inline as data: URLs and
// PDFs in an <iframe> from a blob: URL.

import { describe, formatDate, html, useLang } from './ui.js';
import { useEffect, useRef, useState } from '/vendor/hooks.module.js';
import { API, ApiError, request, requestBlob, upload } from './api.js';
import { lang, t } from './i18n.js';
import { localName } from './apps.js';

const ALL_TYPES = ['application/pdf', 'image/png', 'image/jpeg'];
const TYPE_BY_EXT = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };
const EXTS = { 'application/pdf': '.pdf', 'image/png': '.png', 'image/jpeg': '.jpg,.jpeg' };

/** The kind's label in the UI language (its code when it has none). */
export function kindLabel(spec, kind) {
  return (spec && localName(spec, 'label')) || kind || spec?.kind || '';
}

/** The required kinds with no stored document. */
export function missingKinds(specs, docs) {
  return (specs || []).filter((s) => s.required && !(docs || []).some((d) => d.kind === s.kind));
}

/** A byte count for people ("1.2 MB"). */
export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  const fmt = (v, unit) => `${new Intl.NumberFormat(lang(), { maximumFractionDigits: 1 }).format(v)} ${unit}`;
  if (n < 1024) return fmt(n, 'B');
  if (n < 1048576) return fmt(n / 1024, 'KB');
  return fmt(n / 1048576, 'MB');
}

function typeNames(types) {
  return (types || ALL_TYPES).map((m) => t(`mime.${m}`)).join(' / ');
}

/** What the kind accepts, for a hint ("PDF / PNG, up to 5 MB, at most 2 files"). */
export function kindRules(spec) {
  const parts = [typeNames(spec.accepted_types?.length ? spec.accepted_types : ALL_TYPES)];
  if (spec.max_mb) parts.push(t('docs.upToMb').replace('{n}', spec.max_mb));
  if (spec.max_count === 1) parts.push(t('docs.one'));
  else if (spec.max_count) parts.push(t('docs.atMost').replace('{n}', spec.max_count));
  return parts.join(t('docs.sep'));
}

/**
 * The client-side check of a file for a kind: '' when it may be sent. The
 * type comes from the file's own type or its extension, a hint only (the
 * server decides by the content).
 */
export function checkFile(spec, file) {
  const accepted = spec.accepted_types?.length ? spec.accepted_types : ALL_TYPES;
  const ext = (/\.([A-Za-z0-9]+)$/.exec(file.name || '') || [])[1]?.toLowerCase() || '';
  const hint = ALL_TYPES.includes(file.type) ? file.type : (TYPE_BY_EXT[ext] || file.type || '');
  if (!accepted.includes(hint)) return t('docs.wrongType').replace('{types}', typeNames(accepted));
  if (file.size === 0) return t('docs.empty');
  if (spec.max_mb && file.size > spec.max_mb * 1048576) {
    return t('docs.tooLarge').replace('{size}', formatSize(file.size)).replace('{n}', spec.max_mb);
  }
  return '';
}

/** The documents of an application (GET /applications/{id}/documents). */
export async function loadDocuments(appId) {
  const d = await request(`${API}/applications/${encodeURIComponent(appId)}/documents`);
  return Array.isArray(d?.items) ? d.items : [];
}

/** Fetches a document with the token and saves it through a blob: URL. */
export async function downloadDocument(doc) {
  const { blob, filename } = await requestBlob(`${API}/documents/${encodeURIComponent(doc.id)}/content`);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename || doc.filename || 'document';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** A data: URL of an image document (the CSP allows data: images, not blob: ones). */
async function imageDataUrl(doc) {
  const { blob } = await requestBlob(`${API}/documents/${encodeURIComponent(doc.id)}/content`);
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(new ApiError({ status: 0 }));
    r.readAsDataURL(new Blob([blob], { type: doc.content_type }));
  });
}

/** A blob: URL of a PDF document, for an <iframe> (the CSP's frame-src allows blob:). */
async function pdfBlobUrl(doc) {
  const { blob } = await requestBlob(`${API}/documents/${encodeURIComponent(doc.id)}/content`);
  return URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }));
}

/** One stored document: name, size, date; download; preview (staff, images); delete (owner, editable). */
function DocRow({ doc, canDelete, preview, onDeleted }) {
  useLang();
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(null);
  const [shown, setShown] = useState(null); // data: URL of an image, blob: URL of a PDF
  async function act(what, fn) {
    setBusy(what);
    setError(null);
    try { await fn(); } catch (err) { setError(err); } finally { setBusy(''); }
  }
  const isImage = doc.content_type === 'image/png' || doc.content_type === 'image/jpeg';
  function hide() {
    if (shown && shown.startsWith('blob:')) URL.revokeObjectURL(shown);
    setShown(null);
  }
  const errId = `doc-${doc.id}-error`;
  return html`
    <li class="doc-row" data-doc=${doc.id}>
      <div class="doc-main">
        <span class="doc-name">${doc.filename}</span>
        <span class="muted doc-meta">${t(`mime.${doc.content_type}`)} · ${formatSize(doc.size)} · ${formatDate(doc.created_at, true)}</span>
      </div>
      <span class="row-actions">
        <button type="button" class="btn btn-quiet btn-small doc-download" disabled=${!!busy}
          aria-label=${`${t('docs.download')}: ${doc.filename}`} aria-describedby=${error ? errId : undefined}
          onClick=${() => act('download', () => downloadDocument(doc))}>
          ${busy === 'download' ? t('docs.downloading') : t('docs.download')}</button>
        ${preview && html`<button type="button" class="btn btn-quiet btn-small doc-preview" disabled=${!!busy}
          aria-expanded=${shown ? 'true' : 'false'} aria-label=${`${shown ? t('docs.hide') : t('docs.show')}: ${doc.filename}`}
          onClick=${() => (shown ? hide() : act('preview', async () => setShown(isImage ? await imageDataUrl(doc) : await pdfBlobUrl(doc))))}>
          ${shown ? t('docs.hide') : t('docs.show')}</button>`}
        ${canDelete && html`<button type="button" class="btn btn-danger-quiet btn-small doc-delete" disabled=${!!busy}
          aria-label=${`${t('docs.delete')}: ${doc.filename}`}
          onClick=${() => act('delete', async () => {
            await request(`${API}/documents/${encodeURIComponent(doc.id)}`, { method: 'DELETE' });
            onDeleted(doc.id);
          })}>${busy === 'delete' ? t('docs.deleting') : t('docs.delete')}</button>`}
      </span>
      ${error && html`<p class="field-error" id=${errId} role="alert">${describe(error)}</p>`}
      ${shown && isImage && html`<img class="doc-image" src=${shown} alt=${doc.filename} />`}
      ${shown && !isImage && html`<iframe class="doc-pdf" src=${shown} title=${doc.filename}></iframe>`}
    </li>`;
}

/** The stored documents of one kind (or all), as a list. */
export function DocList({ docs, canDelete = false, preview = false, onDeleted = () => {}, id }) {
  useLang();
  if (!docs.length) return html`<p class="muted doc-none" id=${id}>${t('docs.noneYet')}</p>`;
  return html`<ul class="doc-list" id=${id}>
    ${docs.map((d) => html`<${DocRow} key=${d.id} doc=${d} canDelete=${canDelete} preview=${preview} onDeleted=${onDeleted} />`)}
  </ul>`;
}

let nextKey = 1;

/** The drop zone, file button, upload progress and stored files of one kind. */
export function KindUploader({ spec, docs, editable, ensureApp, onUploaded, onDeleted }) {
  useLang();
  const [items, setItems] = useState([]); // [{key, name, size, progress, state: uploading|done|error, error}]
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef(null);
  const live = useRef(true);
  useEffect(() => () => { live.current = false; }, []);
  const mine = docs.filter((d) => d.kind === spec.kind);
  const uploading = items.filter((i) => i.state === 'uploading').length;
  const full = spec.max_count ? mine.length + uploading >= spec.max_count : false;
  const base = `doc-${spec.kind.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const accept = (spec.accepted_types?.length ? spec.accepted_types : ALL_TYPES)
    .flatMap((m) => [m, ...(EXTS[m] || '').split(',')]).filter(Boolean).join(',');
  const update = (key, patch) => { if (live.current) setItems((list) => list.map((i) => (i.key === key ? { ...i, ...patch } : i))); };

  async function send(file, key) {
    try {
      const app = await ensureApp();
      const body = new FormData();
      body.append('kind', spec.kind);
      body.append('file', file, file.name);
      const doc = await upload(`${API}/applications/${encodeURIComponent(app.id)}/documents`, body, {
        onProgress: (loaded, total) => update(key, { progress: total ? Math.min(100, Math.round((loaded / total) * 100)) : 0 }),
      });
      update(key, { state: 'done', progress: 100 });
      if (doc?.id) onUploaded(doc);
    } catch (err) {
      update(key, { state: 'error', error: describe(err) });
    }
  }

  function take(fileList) {
    const files = [...(fileList || [])];
    if (!files.length) return;
    let room = spec.max_count ? spec.max_count - mine.length - uploading : Infinity;
    const added = [];
    for (const file of files) {
      const key = nextKey++;
      let error = checkFile(spec, file);
      if (!error && room <= 0) error = t('docs.maxCount').replace('{n}', spec.max_count);
      if (!error) room--;
      added.push({ key, file, name: file.name, size: file.size, progress: 0, state: error ? 'error' : 'uploading', error });
    }
    setItems((list) => [...list.filter((i) => i.state === 'uploading'), ...added.map(({ file, ...rest }) => rest)]);
    for (const a of added) if (a.state === 'uploading') send(a.file, a.key);
  }

  const onDrop = (ev) => {
    ev.preventDefault();
    setDragging(false);
    if (editable && !full) take(ev.dataTransfer?.files);
  };
  const onDragOver = (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = editable && !full ? 'copy' : 'none';
    setDragging(true);
  };
  const dismiss = (key) => setItems((list) => list.filter((i) => i.key !== key));

  return html`
    <section class="doc-kind" aria-labelledby=${`${base}-title`} data-kind=${spec.kind}>
      <h3 id=${`${base}-title`} class="doc-kind-title">${kindLabel(spec)}
        <span class=${`badge ${spec.required ? 'badge-warn' : 'badge-off'}`}>${spec.required ? t('docs.required') : t('docs.optional')}</span>
        ${spec.required && mine.length > 0 && html`<span class="badge badge-ok">${t('docs.provided')}</span>`}</h3>
      <p class="field-hint" id=${`${base}-hint`}>${kindRules(spec)}</p>
      ${editable && html`<div class=${`drop-zone${dragging ? ' drop-active' : ''}${full ? ' drop-full' : ''}`}
        onDragOver=${onDragOver} onDragEnter=${onDragOver} onDragLeave=${() => setDragging(false)} onDrop=${onDrop}>
        ${full ? html`<p class="muted">${t('docs.maxCount').replace('{n}', spec.max_count)}</p>` : html`
          <p class="drop-text" aria-hidden="true">${t('docs.dropHere')}</p>
          <input type="file" class="visually-hidden file-input" id=${`${base}-file`} ref=${inputRef} accept=${accept}
            multiple=${!spec.max_count || spec.max_count > 1} aria-describedby=${`${base}-hint`}
            onChange=${(ev) => { take(ev.currentTarget.files); ev.currentTarget.value = ''; }} />
          <label for=${`${base}-file`} class="btn btn-quiet file-button">${t('docs.choose').replace('{kind}', kindLabel(spec))}</label>`}
      </div>`}
      ${items.length > 0 && html`<ul class="upload-list" id=${`${base}-uploads`} aria-label=${`${t('docs.uploads')}: ${kindLabel(spec)}`}>
        ${items.map((i) => html`<li key=${i.key} class=${`upload-item upload-state-${i.state}`} data-file=${i.name}>
          <div class="upload-head">
            <span class="doc-name">${i.name}</span>
            <span class="muted doc-meta">${formatSize(i.size)}</span>
            ${i.state !== 'uploading' && html`<button type="button" class="btn btn-quiet btn-small upload-dismiss"
              aria-label=${`${t('docs.dismiss')}: ${i.name}`} onClick=${() => dismiss(i.key)}>×</button>`}
          </div>
          ${i.state !== 'error' && html`<progress class="upload-progress" max="100" value=${i.progress}
            aria-label=${`${t('docs.progress')}: ${i.name}`}>${i.progress}%</progress>`}
          <p class=${i.state === 'error' ? 'field-error upload-error' : 'upload-status'} role=${i.state === 'error' ? 'alert' : 'status'}>
            ${i.state === 'uploading' ? `${t('docs.uploading')} ${i.progress}%`
              : i.state === 'done' ? t('docs.uploaded') : `${t('docs.refused')} ${i.error}`}</p>
        </li>`)}
      </ul>`}
      <${DocList} id=${`${base}-list`} docs=${mine} canDelete=${editable} onDeleted=${onDeleted} />
    </section>`;
}

/** "Still required: …" or "All required documents are uploaded." */
export function MissingDocs({ specs, docs, id = 'docs-missing' }) {
  useLang();
  const missing = missingKinds(specs, docs);
  if (!(specs || []).some((s) => s.required)) return null;
  return missing.length
    ? html`<div class="info doc-missing" id=${id}><p><strong>${t('docs.stillRequired')}</strong></p>
        <ul>${missing.map((s) => html`<li key=${s.kind}>${kindLabel(s)}</li>`)}</ul></div>`
    : html`<p class="saved doc-complete" id=${id}>${t('docs.allProvided')}</p>`;
}

/** Every kind of the period with its uploader (the wizard's step, and the page of an application awaiting documents). */
export function DocumentsEditor({ specs, docs, setDocs, editable = true, ensureApp, kinds = null }) {
  useLang();
  const shown = kinds ? specs.filter((s) => kinds.includes(s.kind)) : specs;
  // A file dropped beside a drop zone would make the browser open it and leave the page.
  useEffect(() => {
    if (!editable) return undefined;
    const stop = (ev) => { if (ev.dataTransfer?.types?.includes('Files')) ev.preventDefault(); };
    window.addEventListener('dragover', stop);
    window.addEventListener('drop', stop);
    return () => { window.removeEventListener('dragover', stop); window.removeEventListener('drop', stop); };
  }, [editable]);
  const onUploaded = (doc) => setDocs((list) => [...list.filter((d) => d.id !== doc.id), doc]);
  const onDeleted = (id) => setDocs((list) => list.filter((d) => d.id !== id));
  return html`
    <p>${t('docs.intro')}</p>
    <${MissingDocs} specs=${specs} docs=${docs} />
    ${shown.map((s) => html`<${KindUploader} key=${s.kind} spec=${s} docs=${docs} editable=${editable}
      ensureApp=${ensureApp} onUploaded=${onUploaded} onDeleted=${onDeleted} />`)}`;
}
