// ui.js -- what every page shares: preact + htm (vendored, imported by
// path because the CSP forbids import maps), a hook that re-renders a
// component when the language changes, the language switch, and
// startPage(), which translates the static markup and mounts the switch.

import { h, render } from '/vendor/preact.module.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import htm from '/vendor/htm.module.js';
import { lang, setLang, t, onLangChange, translatePage } from './i18n.js';

export const html = htm.bind(h);

/** The current language; the calling component re-renders when it changes. */
export function useLang() {
  const [current, setCurrent] = useState(lang());
  useEffect(() => onLangChange(setCurrent), []);
  return current;
}

/** A button that switches between English and Traditional Chinese. */
export function LangSwitch() {
  const current = useLang();
  const other = current === 'en' ? 'zh-TW' : 'en';
  return html`
    <button type="button" class="btn btn-quiet lang-switch" id="lang-toggle"
      lang=${other} onClick=${() => setLang(other)}>
      <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <circle cx="12" cy="12" r="9" />
        <path d="M3 12h18M12 3c2.5 2.7 3.8 5.7 3.8 9s-1.3 6.3-3.8 9c-2.5-2.7-3.8-5.7-3.8-9S9.5 5.7 12 3z" />
      </svg>
      ${t('lang.switchTo')}
    </button>`;
}

/** Renders vnode into the element with the given id, replacing its content. */
export function mount(id, vnode) {
  const slot = document.getElementById(id);
  if (!slot) return;
  slot.textContent = '';
  render(vnode, slot);
}

/** Translates the page's static text and mounts the language switch. */
export function startPage() {
  translatePage();
  mount('lang-switch', html`<${LangSwitch} />`);
}
