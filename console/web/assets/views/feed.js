// views/feed.js: the live event feed. The newest events first: the list is
// loaded from /api/events with the filters, then each `event` message of
// the live stream that passes the same filters is put on top. Pausing
// holds new events back (counted) until resume; the list keeps at most
// MAX_ROWS rows so a wall screen left on for a shift stays fast.

import { api, apiPath } from '../api.js';
import { h, clear, select, debounce, newest, toggleDetail } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { on, isLive } from '../live.js';
import { opdOptions, notice } from '../common.js';

const MAX_ROWS = 500;
const PAGE = 100;

export function render(root, params, ctx) {
  const f = { opd: ctx.user.role === 'opd' ? ctx.user.opd : '', type: '', q: '' };
  let paused = false;
  let lost = false; // a resync while paused: what is held is incomplete
  let held = [];
  let next = null;
  const types = new Set();

  const tbody = h('tbody', {});
  const status = h('span', { class: 'livestate' });
  const pauseBtn = h('button', { type: 'button', class: 'btn', id: 'feed-pause' }, t('feed.pause'));
  const heldMsg = h('span', { class: 'held' });
  const typeList = h('datalist', { id: 'feed-types' });
  const more = h('button', { type: 'button', class: 'btn ghost', hidden: true }, t('feed.more'));
  const msg = h('div', {});

  const opdSel = select('opd', t('common.any'), opdOptions([f.opd]), f.opd, () => { f.opd = opdSel.value; reload(); });
  const typeIn = h('input', { name: 'type', list: 'feed-types', placeholder: t('common.type') });
  const qIn = h('input', { name: 'q', type: 'search', placeholder: t('common.search') });
  const later = debounce(reload, 300);
  typeIn.addEventListener('input', () => { f.type = typeIn.value.trim(); later(); });
  qIn.addEventListener('input', () => { f.q = qIn.value.trim(); later(); });

  function matches(ev) {
    if (f.opd && ev.opd !== f.opd) return false;
    if (f.type && ev.type !== f.type) return false;
    if (f.q) {
      const hay = [ev.type, ev.source, ev.subject, ev.summary, ev.opd, ev.id].join(' ').toLowerCase();
      if (!hay.includes(f.q.toLowerCase())) return false;
    }
    return true;
  }

  function row(ev) {
    if (ev.type && !types.has(ev.type)) {
      types.add(ev.type);
      typeList.append(h('option', { value: ev.type }));
    }
    const tr = h('tr', { class: 'ev', dataset: { id: ev.id, type: ev.type } },
      h('td', { class: 'nowrap' }, fmtTime(ev.time)),
      h('td', {}, h('span', { class: 'tag' }, ev.type)),
      h('td', {}, ev.opd),
      h('td', { class: 'mono small' }, ev.source),
      h('td', {}, ev.subject || ''),
      h('td', { class: 'summary' }, ev.summary || ''));
    tr.addEventListener('click', () => showEvent(tr, ev.id));
    return tr;
  }

  async function showEvent(tr, id) {
    const pre = h('pre', { class: 'payload' }, t('common.loading'));
    const cell = toggleDetail(tr, 6, pre);
    if (!cell) return;
    try {
      pre.textContent = JSON.stringify(await api.get(apiPath('events', id)), null, 2);
    } catch (e) {
      pre.textContent = t('common.error', { msg: e.message });
    }
  }

  function trim() {
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(-1);
  }

  function showHeld() {
    heldMsg.textContent = paused ? t('feed.paused', { n: held.length }) : '';
  }

  function showLive() {
    const live = isLive() && !paused;
    status.textContent = live ? t('feed.live') : t('feed.stale');
    status.className = `livestate ${live ? 'on' : 'off'}`;
  }

  const take = newest();
  async function reload() {
    const current = take();
    msg.replaceChildren();
    try {
      const res = await api.get('/api/events', { ...f, limit: PAGE });
      if (!current()) return;
      clear(tbody);
      held = [];
      for (const ev of res.items) tbody.append(row(ev));
      next = res.next;
      more.hidden = !next;
      if (!res.items.length) msg.replaceChildren(notice('info', t('common.none')));
    } catch (e) {
      if (!current()) return;
      msg.replaceChildren(notice('err', t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'feed';
  }

  more.addEventListener('click', async () => {
    try {
      const res = await api.get('/api/events', { ...f, limit: PAGE, before: next });
      for (const ev of res.items) tbody.append(row(ev));
      next = res.next;
      more.hidden = !next;
    } catch (e) {
      msg.replaceChildren(notice('err', t('common.error', { msg: e.message })));
    }
  });

  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? t('feed.resume') : t('feed.pause');
    pauseBtn.classList.toggle('on', paused);
    if (!paused && lost) {
      lost = false;
      reload();
    } else if (!paused) {
      for (const ev of held) tbody.prepend(row(ev));
      held = [];
      trim();
    }
    showHeld();
    showLive();
  });

  const offEvent = on('event', (ev) => {
    if (!matches(ev)) return;
    if (paused) {
      held.push(ev);
      if (held.length > MAX_ROWS) held.shift();
      showHeld();
      return;
    }
    if (tbody.querySelector(`tr[data-id="${CSS.escape(ev.id)}"]`)) return;
    const tr = row(ev);
    tr.classList.add('fresh');
    tbody.prepend(tr);
    trim();
    msg.replaceChildren();
  });
  // Back from an outage: what arrived meanwhile comes from the database,
  // not from memory.
  let wasLive = isLive();
  const offStatus = on('status', () => {
    showLive();
    if (isLive() && !wasLive && !paused) reload();
    wasLive = isLive();
  });

  // Messages were lost (the server could not resume the stream): the
  // database has them.
  const offResync = on('resync', () => { if (paused) lost = true; else reload(); });

  root.append(h('section', { class: 'screen feed live-screen' },
    h('div', { class: 'toolbar' },
      h('h1', {}, t('feed.title')), status,
      h('label', {}, t('common.opd'), opdSel),
      h('label', {}, t('common.type'), typeIn), typeList,
      qIn, pauseBtn, heldMsg),
    h('table', { class: 'grid', id: 'feed-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('common.time')), h('th', {}, t('common.type')), h('th', {}, t('common.opd')),
        h('th', {}, t('feed.source')), h('th', {}, t('feed.subject')), h('th', {}, t('feed.summary')))),
      tbody),
    msg, more));
  showLive();
  reload();
  return () => { offEvent(); offStatus(); offResync(); };
}
