// i18n.js -- the UI's English and Traditional Chinese (zh-TW) labels, the
// current language (remembered in localStorage: a preference, not a
// secret), and translation of static markup: an element with
// data-i18n="key" gets t(key) as its text.

const STORAGE_KEY = 'scholarship.lang';
export const LANGS = ['en', 'zh-TW'];

const messages = {
  en: {
    'app.name': 'Scholarship Management System',
    'nav.skip': 'Skip to main content',
    'nav.home': 'Home',
    'nav.signIn': 'Sign in',
    'lang.switchTo': '繁體中文', // the label names the other language, in it
    'lang.label': 'Language',

    'home.title': 'Scholarship Management System',
    'home.lead': 'One place for the university\u2019s scholarships: students apply, reviewers score, and the scholarship office awards within budget.',
    'home.cta': 'Sign in',
    'home.ctaNote': 'Use the account your university gave you.',
    'home.how': 'How it works',
    'home.students.title': 'Students',
    'home.students.body': 'Keep your profile up to date, see which scholarships you are eligible for and why, apply with the required documents, and follow every application to the award.',
    'home.reviewers.title': 'Reviewers',
    'home.reviewers.body': 'Review the applications assigned to you: a verdict for each sub-type, rubric scores and comments. College staff rank their college\u2019s applications before the deadline.',
    'home.office.title': 'Scholarship office',
    'home.office.body': 'Configure scholarships and application periods, assign reviewers, and distribute awards within quotas and budget, then issue payment rosters and reports.',

    'status.label': 'System status',
    'status.checking': 'checking\u2026',
    'status.ok': 'ok',
    'status.unavailable': 'unavailable',
    'footer.office': 'University Scholarship Office',

    'login.pageTitle': 'Sign in \u00b7 Scholarship Management System',
    'login.title': 'Sign in',
    'login.intro': 'Sign in with your university email address.',
    'login.email': 'Email',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in\u2026',
    'login.failed': 'Sign-in failed.',
    'login.back': 'Back to the home page',
    'noscript': 'This page needs JavaScript. 此頁面需要啟用 JavaScript。',

    'error.generic': 'Something went wrong. Please try again.',
    'error.network': 'Cannot reach the server. Check your connection and try again.',
    'error.server': 'The server could not complete the request. Please try again later.',
    'error.rateLimited': 'Too many attempts. Please wait and try again.',
    'error.reference': 'Reference',
  },
  'zh-TW': {
    'app.name': '獎學金管理系統',
    'nav.skip': '跳至主要內容',
    'nav.home': '首頁',
    'nav.signIn': '登入',
    'lang.switchTo': 'English',
    'lang.label': '語言',

    'home.title': '獎學金管理系統',
    'home.lead': '學校獎學金的單一平台：學生線上申請、審查委員評分，獎學金承辦單位在預算內核定獎助。',
    'home.cta': '登入',
    'home.ctaNote': '請使用學校提供的帳號。',
    'home.how': '運作方式',
    'home.students.title': '學生',
    'home.students.body': '維護個人資料，查看符合資格的獎學金及原因，備齊文件線上申請，並追蹤每一件申請直到核定。',
    'home.reviewers.title': '審查委員',
    'home.reviewers.body': '審查分派給您的申請案：逐項給予審查結果、評分與意見。學院承辦人於截止日前完成院內排序。',
    'home.office.title': '獎學金承辦單位',
    'home.office.body': '設定獎學金與申請期間、分派審查委員，在名額與預算內核定獎助，並產出撥款名冊與報表。',

    'status.label': '系統狀態',
    'status.checking': '檢查中\u2026',
    'status.ok': '正常',
    'status.unavailable': '無法使用',
    'footer.office': '學校獎學金承辦單位',

    'login.pageTitle': '登入 \u00b7 獎學金管理系統',
    'login.title': '登入',
    'login.intro': '請使用學校電子郵件地址登入。',
    'login.email': '電子郵件',
    'login.password': '密碼',
    'login.submit': '登入',
    'login.busy': '登入中\u2026',
    'login.failed': '登入失敗。',
    'login.back': '返回首頁',
    'noscript': '此頁面需要啟用 JavaScript。 This page needs JavaScript.',

    'error.generic': '發生錯誤，請再試一次。',
    'error.network': '無法連線至伺服器，請檢查網路連線後再試一次。',
    'error.server': '伺服器無法完成此要求，請稍後再試。',
    'error.rateLimited': '嘗試次數過多，請稍候再試。',
    'error.reference': '參考編號',
  },
};

function initialLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch { /* storage disabled: fall through */ }
  const prefs = navigator.languages || [navigator.language || 'en'];
  return prefs.some((l) => /^zh\b/i.test(l) && !/^zh-(cn|sg|hans)/i.test(l)) ? 'zh-TW' : 'en';
}

let current = initialLang();
const listeners = new Set();

/** The current language code: 'en' or 'zh-TW'. */
export function lang() {
  return current;
}

/** The label for key in the current language (English, then the key, as fallbacks). */
export function t(key) {
  return messages[current][key] ?? messages.en[key] ?? key;
}

/** Switches language, remembers it, retranslates the page and tells listeners. */
export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch { /* not remembered */ }
  translatePage();
  for (const fn of listeners) fn(next);
}

/** Calls fn(lang) after every language change; returns an unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Sets <html lang> and the text of every [data-i18n] element under root. */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
}
