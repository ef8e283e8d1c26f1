// rows.js -- an editor for a list of records (sub-types, eligibility
// rules, form fields, required documents, rubric items): one fieldset per
// row with labelled inputs, move up/down, remove, and "add". Values stay
// as the inputs hold them (strings, booleans, arrays of strings); the page
// converts them for the API. errors maps "<row>.<key>" (the tail of the
// API's dotted path, "form_fields.2.type" -> "2.type") to a message.

import { Checkbox, Field, html, useLang } from './ui.js';
import { t } from './i18n.js';

function Cell({ id, col, value, onValue, error }) {
  const label = col.label;
  if (col.type === 'checkbox') {
    return html`<div class="row-check">
      <${Checkbox} id=${id} label=${label} checked=${value === true} onChange=${(ev) => onValue(ev.currentTarget.checked)}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? `${id}-error` : undefined} />
      ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}</div>`;
  }
  if (col.type === 'multi') {
    const list = Array.isArray(value) ? value : [];
    return html`<fieldset class="field choice-group" aria-describedby=${error ? `${id}-error` : undefined}>
      <legend>${label}</legend>
      ${col.options.map((o, k) => html`<${Checkbox} key=${o.value} id=${`${id}-${k}`} label=${o.label}
        checked=${list.includes(o.value)}
        onChange=${(ev) => onValue(ev.currentTarget.checked ? [...list, o.value] : list.filter((x) => x !== o.value))} />`)}
      ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
    </fieldset>`;
  }
  const onInput = (ev) => onValue(ev.currentTarget.value);
  const common = {
    id, name: col.key, label, error, value: value ?? '', hint: col.hint,
    required: !!col.required, optional: !col.required,
  };
  if (col.type === 'select') return html`<${Field} ...${common} options=${col.options} onChange=${onInput} />`;
  if (col.type === 'textarea') return html`<${Field} ...${common} textarea rows=${col.rows || 3} onInput=${onInput} />`;
  return html`<${Field} ...${common} type=${col.type || 'text'} step=${col.type === 'number' ? 'any' : undefined}
    maxlength=${col.max} onInput=${onInput} />`;
}

/**
 * rows: [{...values}]; columns: [{key, label, type, options, required, hint,
 * show(row)}]; blank(): a new row; item: the name of one row ("Rule").
 */
export function RowsEditor({ id, title, rows, setRows, columns, blank, item, errors = {}, listError, intro }) {
  useLang();
  const set = (i, key) => (v) => setRows(rows.map((r, k) => (k === i ? { ...r, [key]: v } : r)));
  const move = (i, d) => () => {
    const next = [...rows];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    setRows(next);
  };
  return html`
    <section class="subsection rows-editor" id=${id} aria-labelledby=${`${id}-title`}>
      <h3 id=${`${id}-title`}>${title}</h3>
      ${intro && html`<p class="muted">${intro}</p>`}
      ${listError && html`<p class="field-error" id=${`${id}-error`}>${listError}</p>`}
      ${rows.length === 0 && html`<p class="muted">${t('rows.none')}</p>`}
      ${rows.map((row, i) => html`
        <fieldset class="row-card" key=${i}>
          <legend>${item} ${i + 1}</legend>
          <div class="form-grid">
            ${columns.filter((c) => !c.show || c.show(row)).map((c) => html`<${Cell} key=${c.key} id=${`${id}-${i}-${c.key}`}
              col=${c} value=${row[c.key]} onValue=${set(i, c.key)} error=${errors[`${i}.${c.key}`]} />`)}
          </div>
          ${errors[String(i)] && html`<p class="field-error">${errors[String(i)]}</p>`}
          <div class="row-actions">
            <button type="button" class="btn btn-quiet btn-small" disabled=${i === 0} onClick=${move(i, -1)}
              aria-label=${`${t('apply.moveUp')}: ${item} ${i + 1}`}>↑</button>
            <button type="button" class="btn btn-quiet btn-small" disabled=${i === rows.length - 1} onClick=${move(i, 1)}
              aria-label=${`${t('apply.moveDown')}: ${item} ${i + 1}`}>↓</button>
            <button type="button" class="btn btn-danger-quiet btn-small" onClick=${() => setRows(rows.filter((_, k) => k !== i))}
              aria-label=${`${t('rows.remove')}: ${item} ${i + 1}`}>${t('rows.remove')}</button>
          </div>
        </fieldset>`)}
      <button type="button" class="btn btn-quiet" id=${`${id}-add`} onClick=${() => setRows([...rows, blank()])}>
        + ${t('rows.add').replace('{item}', item)}</button>
    </section>`;
}

/** '' -> null, else the trimmed text. */
export const textOrNull = (v) => (v === undefined || v === null || String(v).trim() === '' ? null : String(v).trim());
/** '' -> null, else a number (NaN stays, for the server to refuse). */
export const numOrNull = (v) => (v === undefined || v === null || String(v).trim() === '' ? null : Number(v));
/** Money typed in currency units -> integer cents, '' -> null. */
export const centsOrNull = (v) => (textOrNull(v) === null ? null : Math.round(Number(v) * 100));
/** Integer cents -> the units an input shows. */
export const units = (c) => (c === null || c === undefined ? '' : String(c / 100));
