// app.js: the console's shell: sign-in state, navigation by role, the
// live-connection banner, the language switch and the hash router.
//
// Each screen is a module in views/ exporting render(root, params, ctx)
// that fills root and returns a cleanup function (closing timers and live
// listeners) called when the screen is left. A screen sets data-ready on
// its root (#view) to its name once its data is on the page; the browser
// tests time page loads up to that moment.

import { api, session, setExpiredHandler } from './api.js';
import { h, clear } from './dom.js';
import { t, initLang, setLang, getLang, translatePage } from './i18n.js';
import { liveStart, liveStop, on as liveOn, liveState } from './live.js';
import * as login from './views/login.js';

const ALL = ['operator', 'supervisor', 'opd', 'admin'];
const STAFF = ['operator', 'supervisor', 'admin'];
// [route, module loader, roles allowed, shown in the navigation]. Screens
// are loaded when first shown, so the feed does not wait for the map
// library of the vehicles screen.
const ROUTES = [
  ['feed', () => import('./views/feed.js'), ALL, true],
  ['cases', () => import('./views/cases.js'), ALL, true],
  ['case', () => import('./views/case.js'), ALL, false],
  ['vehicles', () => import('./views/vehicles.js'), ALL, true],
  ['deadletters', () => import('./views/deadletters.js'), STAFF, true],
  ['handover', () => import('./views/handover.js'), ALL, true],
  ['leadership', () => import('./views/leadership.js'), ALL, true],
  ['rules', () => import('./views/rules.js'), ['supervisor', 'admin'], true],
  ['users', () => import('./views/users.js'), ['admin'], true],
];

const main = document.getElementById('main');
let cleanup = null;
let loginMessage = '';

function routeOf(hash) {
  const parts = (hash || '').replace(/^#\/?/, '').split('/').filter(Boolean);
  return { name: parts[0] || '', params: parts.slice(1).map(decodeURIComponent) };
}

function allowed(role) {
  return ROUTES.filter(([, , roles]) => roles.includes(role));
}

function renderNav() {
  const nav = clear(document.getElementById('nav'));
  const current = routeOf(location.hash).name;
  for (const [name, , , shown] of allowed(session.user.role)) {
    if (!shown) continue;
    const active = current === name || (name === 'cases' && current === 'case');
    nav.appendChild(h('a', { href: `#/${name}`, class: active ? 'active' : '', dataset: { nav: name } },
      t(`nav.${name}`)));
  }
  const u = session.user;
  const role = t(`role.${u.role}`) + (u.opd ? ` ${u.opd}` : '');
  clear(document.getElementById('whoami')).append(h('span', {}, u.display || u.user),
    h('span', { class: 'role' }, role));
}

function renderBanner() {
  const s = liveState();
  const banner = document.getElementById('banner');
  const signedIn = Boolean(session.user);
  const msgs = [];
  if (signedIn && !s.conn) msgs.push(t('banner.conn'));
  if (signedIn && s.conn && s.hub === 'offline') msgs.push(t('banner.hub'));
  if (signedIn && s.conn && s.hub === 'unknown') msgs.push(t('banner.unknown'));
  if (signedIn && s.conn && s.db === 'down') msgs.push(t('banner.db'));
  clear(banner).append(...msgs.map((m) => h('span', {}, m)));
  banner.hidden = msgs.length === 0;
  banner.dataset.conn = String(s.conn);
  banner.dataset.hub = s.hub;
  banner.dataset.db = s.db;
  document.body.classList.toggle('stale', signedIn && !s.live);
}

function tickClock() {
  const el = document.getElementById('clock');
  el.textContent = new Date().toLocaleTimeString(getLang() === 'en' ? 'en-GB' : 'id-ID',
    { timeZone: 'Asia/Jakarta', hour: '2-digit', minute: '2-digit', second: '2-digit' }) + ' WIB';
}

let shown = 0; // which call of show() is current

async function show() {
  const mine = ++shown;
  if (cleanup) {
    try { cleanup(); } catch (e) { console.error(e); }
    cleanup = null;
  }
  // Each screen gets a fresh element: what a screen that was left still
  // does when its requests come back lands in a detached element, not on
  // the screen that replaced it.
  const root = document.createElement('div');
  root.id = 'view';
  clear(main).append(root);
  const top = document.getElementById('top');
  if (!session.user) {
    top.hidden = true;
    document.body.dataset.view = 'login';
    cleanup = login.render(root, [], { message: loginMessage, onLogin: signedIn });
    return;
  }
  top.hidden = false;
  let { name, params } = routeOf(location.hash);
  const route = allowed(session.user.role).find(([n]) => n === name);
  if (!route) {
    name = 'feed';
    if (location.hash !== '#/feed') {
      location.hash = '#/feed';
      return;
    }
  }
  document.body.dataset.view = name;
  renderNav();
  let mod;
  try {
    mod = await (route || ROUTES[0])[1]();
  } catch (e) {
    root.textContent = t('common.error', { msg: e.message });
    return;
  }
  // Another screen was asked for while this one loaded.
  if (mine !== shown) return;
  cleanup = mod.render(root, params, { user: session.user }) || null;
}

function signedIn() {
  loginMessage = '';
  liveStart();
  if (!location.hash || location.hash === '#/login') location.hash = '#/feed';
  else show();
  renderBanner();
}

function signedOut(message) {
  liveStop();
  loginMessage = message;
  show();
  renderBanner();
}

async function boot() {
  initLang();
  const langSel = document.getElementById('lang');
  langSel.value = getLang();
  langSel.addEventListener('change', () => {
    setLang(langSel.value);
    translatePage();
    renderBanner();
    show();
  });
  translatePage();
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api.logout(); } catch { /* signed out either way */ }
    signedOut(t('login.loggedout'));
  });
  setExpiredHandler(() => signedOut(t('login.expired')));
  liveOn('status', renderBanner);
  window.addEventListener('hashchange', () => show());
  tickClock();
  setInterval(tickClock, 1000);
  try {
    await api.me();
    signedIn();
  } catch {
    signedOut('');
  }
}

boot();
