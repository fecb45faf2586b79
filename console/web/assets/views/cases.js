// views/cases.js: the case queue. One page of PAGE cases at a time from
// /api/cases (limit/offset; the server sorts and filters with its indexes),
// so the screen costs the same with 10,000 open cases as with ten. Each row
// counts down the working time left to its deadline, once a second, while
// the SLA clock runs (workclock.js), or around the clock for a deadline in
// calendar units (the server's `clock: "wall"`, e.g. an alarm's 1 h); a
// `case` message on the live stream reloads the page shortly after.

import { api } from '../api.js';
import { h, clear, select, debounce, newest } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { on } from '../live.js';
import { opdOptions, STATUSES, SEVERITIES, CHANNELS, fmtCountdown, urgency, badge, levelLabel, notice, caseHref } from '../common.js';
import { loadCalendar, clockRuns } from '../workclock.js';

const PAGE = 100;
// Filters survive leaving the screen (to a case and back).
const saved = { opd: '', status: 'open', severity: '', channel: '', q: '', sort: 'due', offset: 0 };

export function render(root, params, ctx) {
  const f = saved;
  if (ctx.user.role === 'opd') f.opd = ctx.user.opd;
  let rows = [];
  let loadedAt = Date.now();
  let runSeconds = 0; // working seconds passed since the load
  let wallSeconds = 0; // and seconds of any time

  const tbody = h('tbody', {});
  const total = h('span', { class: 'total', id: 'cases-total' });
  const pageInfo = h('span', { class: 'pageinfo' });
  const prev = h('button', { type: 'button', class: 'btn ghost', id: 'cases-prev' }, t('common.prev'));
  const next = h('button', { type: 'button', class: 'btn ghost', id: 'cases-next' }, t('common.next'));
  const msg = h('div', {});

  const change = (k) => (ev) => { f[k] = ev.target.value; f.offset = 0; reload(); };
  const opdSel = select('opd', t('common.any'), opdOptions([f.opd]), f.opd, change('opd'));
  if (ctx.user.role === 'opd') opdSel.disabled = true;
  // The server's default is the open cases; 'all' includes closed and rejected.
  const statusSel = h('select', { name: 'status', onchange: change('status') },
    [['open', t('cases.openonly')], ['all', t('common.any')], ...STATUSES.map((s) => [s, t(`status.${s}`)])]
      .map(([v, label]) => h('option', { value: v, selected: v === f.status }, label)));
  const sevSel = select('severity', t('common.any'), SEVERITIES.map((s) => [s, t(`severity.${s}`)]), f.severity, change('severity'));
  const chanSel = select('channel', t('common.any'), CHANNELS.map((c) => [c, c]), f.channel, change('channel'));
  const sortSel = h('select', { name: 'sort', onchange: change('sort') },
    ['due', 'opened', 'severity'].map((s) => h('option', { value: s, selected: f.sort === s }, t(`cases.sort.${s}`))));
  const qIn = h('input', { name: 'q', type: 'search', placeholder: t('common.search'), value: f.q });
  const later = debounce(() => { f.q = qIn.value.trim(); f.offset = 0; reload(); }, 300);
  qIn.addEventListener('input', later);

  function countdownCell(c) {
    const td = h('td', { class: 'countdown nowrap' });
    td.dataset.kind = c.deadline_kind || '';
    return td;
  }

  function paintCountdown(c, td) {
    const wall = c.clock === 'wall';
    const left = c.working_seconds_left === null || c.working_seconds_left === undefined
      ? null : c.working_seconds_left - (wall ? wallSeconds : runSeconds);
    td.textContent = fmtCountdown(left, c.clock);
    td.className = `countdown nowrap ${urgency(left, c.breached)}`;
    td.dataset.clock = c.clock || '';
    if (c.deadline_kind) td.title = t(`deadline.${c.deadline_kind}`);
  }

  function row(c) {
    const cd = countdownCell(c);
    const tr = h('tr', {
      class: `case ${c.escalation_level ? 'escalated' : ''} ${c.breached ? 'breached' : ''}`,
      dataset: { id: c.id, humanId: c.human_id, status: c.status, level: c.escalation_level || 0 },
    },
    h('td', { class: 'nowrap' }, h('a', { href: caseHref(c.id) }, c.human_id)),
    h('td', {}, badge('severity', c.severity)),
    h('td', {}, badge('status', c.status)),
    h('td', {}, c.opd || '—'),
    h('td', { class: 'title' }, c.title),
    h('td', {}, c.channel || ''),
    h('td', { class: 'nowrap small' }, fmtTime(c.opened_at)),
    cd,
    h('td', { class: `level lvl-${c.escalation_level || 0}` }, levelLabel(c.escalation_level)));
    tr.addEventListener('click', (ev) => {
      if (ev.target.tagName !== 'A') location.hash = caseHref(c.id);
    });
    rows.push([c, cd]);
    paintCountdown(c, cd);
    return tr;
  }

  const take = newest();
  async function reload() {
    const current = take();
    try {
      const res = await api.get('/api/cases', {
        opd: f.opd, status: f.status, severity: f.severity, channel: f.channel,
        q: f.q, sort: f.sort, limit: PAGE, offset: f.offset,
      });
      if (!current()) return;
      rows = [];
      loadedAt = Date.now();
      runSeconds = 0;
      wallSeconds = 0;
      const frag = document.createDocumentFragment();
      for (const c of res.items) frag.append(row(c));
      clear(tbody).append(frag);
      const n = res.total ?? res.items.length;
      total.textContent = t('cases.total', { n: n.toLocaleString() });
      const pages = Math.max(1, Math.ceil(n / PAGE));
      pageInfo.textContent = t('cases.page', { p: Math.floor(f.offset / PAGE) + 1, n: pages });
      prev.disabled = f.offset === 0;
      next.disabled = f.offset + PAGE >= n;
      msg.replaceChildren(res.items.length ? '' : notice('info', t('common.none')));
    } catch (e) {
      if (!current()) return;
      msg.replaceChildren(notice('err', t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'cases';
  }

  prev.addEventListener('click', () => { f.offset = Math.max(0, f.offset - PAGE); reload(); });
  next.addEventListener('click', () => { f.offset += PAGE; reload(); });

  let last = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    if (clockRuns(new Date(now))) runSeconds += (now - last) / 1000;
    wallSeconds += (now - last) / 1000;
    last = now;
    for (const [c, td] of rows) paintCountdown(c, td);
  }, 1000);
  // Re-synchronise with the server's count now and then.
  const resync = setInterval(() => { if (Date.now() - loadedAt > 55000) reload(); }, 60000);
  const offCase = on('case', debounce(reload, 800));
  const offResync = on('resync', reload);

  root.append(h('section', { class: 'screen cases live-screen' },
    h('div', { class: 'toolbar' },
      h('h1', {}, t('cases.title')), total,
      h('label', {}, t('common.opd'), opdSel),
      h('label', {}, t('cases.status'), statusSel),
      h('label', {}, t('cases.severity'), sevSel),
      h('label', {}, t('cases.channel'), chanSel),
      h('label', {}, t('cases.sort'), sortSel),
      qIn),
    h('table', { class: 'grid', id: 'cases-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('cases.id')), h('th', {}, t('cases.severity')), h('th', {}, t('cases.status')),
        h('th', {}, t('common.opd')), h('th', {}, t('cases.titlecol')), h('th', {}, t('cases.channel')),
        h('th', {}, t('cases.opened')), h('th', {}, t('cases.due')), h('th', {}, t('cases.level')))),
      tbody),
    msg,
    h('div', { class: 'pager' }, prev, pageInfo, next)));
  loadCalendar();
  reload();
  return () => { clearInterval(ticker); clearInterval(resync); offCase(); offResync(); };
}
