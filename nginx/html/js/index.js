// index.js -- the landing page: translates it, mounts the language switch,
// the session menu and the system status indicator, which asks /health
// (NGINX -> FastCGI pool) on load and again every minute. A signed-in
// visitor's call to action leads to their account instead of the sign-in.

import { html, mount, startPage, useLang } from './ui.js';
import { useEffect, useState } from '/vendor/hooks.module.js';
import { request } from './api.js';
import { t, translatePage } from './i18n.js';
import { restore } from './session.js';

const RECHECK_MS = 60_000;
const TIMEOUT_MS = 5_000;

async function checkHealth() {
  try {
    const body = await request('/health', { auth: false, signal: AbortSignal.timeout(TIMEOUT_MS) });
    return body && body.status === 'ok' ? 'ok' : 'unavailable';
  } catch {
    return 'unavailable';
  }
}

function HealthStatus() {
  useLang();
  const [state, setState] = useState('checking'); // checking | ok | unavailable
  useEffect(() => {
    let live = true;
    const run = async () => { const s = await checkHealth(); if (live) setState(s); };
    run();
    const timer = setInterval(run, RECHECK_MS);
    return () => { live = false; clearInterval(timer); };
  }, []);
  return html`
    <p class="status" role="status">
      <span class=${`status-dot status-${state}`} aria-hidden="true"></span>
      ${t('status.label')}:${' '}
      <span id="health-status" data-state=${state}>${t(`status.${state}`)}</span>
    </p>`;
}

startPage();
mount('status-root', html`<${HealthStatus} />`);
restore().then((user) => {
  const cta = document.getElementById('hero-cta');
  const note = document.getElementById('hero-note');
  if (!user || !cta) return;
  cta.href = '/account.html';
  cta.dataset.i18n = 'nav.account';
  if (note) note.hidden = true;
  translatePage();
});
