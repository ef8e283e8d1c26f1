// period-rows.js -- the columns of the period editor's row editors
// (eligibility rules, form fields, required documents, rubric) and the
// conversions between their input values and the API's shapes
// (DESIGN §8 "Scholarships and periods", validated by lib/periods.c).

import { t } from './i18n.js';
import { localName } from './apps.js';
import { numOrNull, textOrNull } from './rows.js';

export const RULE_FIELDS = ['gpa', 'class_rank_percent', 'year_of_study', 'terms_enrolled', 'degree', 'college_code',
  'department_code', 'enrollment_status', 'identity_category', 'nationality', 'gender'];
const NUMERIC = ['gpa', 'class_rank_percent', 'year_of_study', 'terms_enrolled'];
const OPERATORS = ['==', '!=', '>', '>=', '<', '<=', 'in', 'not_in'];
const FIELD_TYPES = ['text', 'textarea', 'number', 'date', 'email', 'select', 'checkbox'];
const MIME = ['application/pdf', 'image/png', 'image/jpeg'];

const opt = (list, label) => list.map((x) => ({ value: x, label: label(x) }));

export function ruleColumns(subs) {
  return [
    { key: 'field', label: t('rule.field'), type: 'select', required: true, options: opt(RULE_FIELDS, (f) => t(`ruleField.${f}`)) },
    { key: 'operator', label: t('rule.operator'), type: 'select', required: true, options: opt(OPERATORS, (o) => t(`op.${o}`)) },
    { key: 'value', label: t('rule.value'), required: true, hint: t('rule.valueHint') },
    { key: 'sub_type', label: t('rule.subType'), type: 'select',
      options: [{ value: '', label: t('rule.whole') }, ...subs.map((s) => ({ value: s.code, label: localName(s) }))] },
    { key: 'message', label: t('rule.message'), required: true, max: 500 },
    { key: 'message_en', label: t('rule.messageEn'), max: 500 },
    { key: 'hard', label: t('rule.hard'), type: 'checkbox' },
  ];
}

function ruleValue(field, op, text) {
  const one = (s) => {
    const x = s.trim();
    return NUMERIC.includes(field) && x !== '' && !Number.isNaN(Number(x)) ? Number(x) : x;
  };
  if (op === 'in' || op === 'not_in') return String(text).split(',').map((s) => s.trim()).filter(Boolean).map(one);
  return one(String(text));
}

export const rulesFromApi = (rules) => (rules || []).map((r) => ({
  field: r.field, operator: r.operator, value: Array.isArray(r.value) ? r.value.join(', ') : String(r.value ?? ''),
  hard: !!r.hard, sub_type: r.sub_type || '', message: r.message || '', message_en: r.message_en || '',
}));

export const rulesToApi = (rows) => rows.map((r) => ({
  field: r.field, operator: r.operator, value: ruleValue(r.field, r.operator, r.value), hard: !!r.hard,
  sub_type: r.sub_type || null, message: r.message.trim(), message_en: textOrNull(r.message_en),
}));

const isText = (r) => ['text', 'textarea', 'email'].includes(r.type);
const hasOptions = (r) => r.type === 'select' || r.type === 'checkbox';

export function fieldColumns() {
  return [
    { key: 'key', label: t('formField.key'), required: true, hint: t('formField.keyHint'), max: 64 },
    { key: 'label', label: t('formField.label'), required: true, max: 200 },
    { key: 'label_en', label: t('formField.labelEn'), max: 200 },
    { key: 'type', label: t('formField.type'), type: 'select', required: true, options: opt(FIELD_TYPES, (x) => t(`fieldType.${x}`)) },
    { key: 'max_length', label: t('formField.maxLength'), type: 'number', show: isText },
    { key: 'pattern', label: t('formField.pattern'), hint: t('formField.patternHint'), show: isText, max: 500 },
    { key: 'min', label: t('formField.min'), type: 'number', show: (r) => r.type === 'number' },
    { key: 'max', label: t('formField.max'), type: 'number', show: (r) => r.type === 'number' },
    { key: 'options', label: t('formField.options'), type: 'textarea', hint: t('formField.optionsHint'), show: hasOptions },
    { key: 'required', label: t('formField.required'), type: 'checkbox' },
  ];
}

export const fieldsFromApi = (list) => (list || []).map((f) => ({
  key: f.key, label: f.label, label_en: f.label_en || '', type: f.type, required: !!f.required,
  max_length: f.max_length == null ? '' : String(f.max_length), min: f.min == null ? '' : String(f.min),
  max: f.max == null ? '' : String(f.max), pattern: f.pattern || '', options: (f.options || []).join('\n'),
}));

export const fieldsToApi = (rows) => rows.map((r) => {
  const out = { key: r.key.trim(), label: r.label.trim(), label_en: textOrNull(r.label_en), type: r.type, required: !!r.required };
  if (isText(r)) {
    out.max_length = numOrNull(r.max_length);
    out.pattern = textOrNull(r.pattern);
  }
  if (r.type === 'number') {
    out.min = numOrNull(r.min);
    out.max = numOrNull(r.max);
  }
  if (hasOptions(r)) {
    const o = String(r.options).split('\n').map((s) => s.trim()).filter(Boolean);
    out.options = o.length || r.type === 'select' ? o : null;
  }
  return out;
});

export function docColumns() {
  return [
    { key: 'kind', label: t('doc.kind'), required: true, hint: t('formField.keyHint'), max: 64 },
    { key: 'label', label: t('formField.label'), required: true, max: 200 },
    { key: 'label_en', label: t('formField.labelEn'), max: 200 },
    { key: 'max_mb', label: t('doc.maxMb'), type: 'number', required: true },
    { key: 'max_count', label: t('doc.maxCount'), type: 'number', required: true },
    { key: 'accepted_types', label: t('doc.types'), type: 'multi', options: opt(MIME, (m) => t(`mime.${m}`)) },
    { key: 'required', label: t('formField.required'), type: 'checkbox' },
  ];
}

export const docsFromApi = (list) => (list || []).map((d) => ({
  kind: d.kind, label: d.label, label_en: d.label_en || '', required: !!d.required, accepted_types: [...(d.accepted_types || [])],
  max_mb: String(d.max_mb ?? ''), max_count: String(d.max_count ?? ''),
}));

export const docsToApi = (rows) => rows.map((d) => ({
  kind: d.kind.trim(), label: d.label.trim(), label_en: textOrNull(d.label_en), required: !!d.required,
  accepted_types: d.accepted_types, max_mb: numOrNull(d.max_mb), max_count: numOrNull(d.max_count),
}));

export function rubricColumns() {
  return [
    { key: 'key', label: t('formField.key'), required: true, hint: t('formField.keyHint'), max: 64 },
    { key: 'label', label: t('formField.label'), required: true, max: 200 },
    { key: 'label_en', label: t('formField.labelEn'), max: 200 },
    { key: 'weight', label: t('rubric.weight'), type: 'number', required: true },
    { key: 'max_score', label: t('rubric.maxScore'), type: 'number', required: true },
  ];
}

export const rubricFromApi = (list) => (list || []).map((r) => ({
  key: r.key, label: r.label, label_en: r.label_en || '', weight: String(r.weight ?? ''), max_score: String(r.max_score ?? ''),
}));

export const rubricToApi = (rows) => rows.map((r) => ({
  key: r.key.trim(), label: r.label.trim(), label_en: textOrNull(r.label_en), weight: numOrNull(r.weight), max_score: numOrNull(r.max_score),
}));
