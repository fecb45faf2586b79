// views/handover.js: the shift handover. Per OPD, over the shift: what
// arrived, what was closed, what breached its deadline, and what is still
// open, then the breached and still-open cases themselves. The default
// period is the current shift (07-15, 15-23, 23-07 WIB) up to now. Printing
// uses print.css: no navigation, black on white, tables that break cleanly.

import { api, session } from '../api.js';
import { h, clear, newest } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { badge, caseHref, fmtCountdown, levelLabel, notice } from '../common.js';
import { period } from '../period.js';

const SHIFT_STARTS = [7, 15, 23];
const LIST_MAX = 200;

function shiftStart(now) {
  const wib = new Date(now.getTime() + 7 * 3600 * 1000);
  const hour = wib.getUTCHours();
  let start = SHIFT_STARTS.filter((s) => s <= hour).pop();
  const d = new Date(Date.UTC(wib.getUTCFullYear(), wib.getUTCMonth(), wib.getUTCDate()));
  if (start === undefined) {
    start = 23;
    d.setUTCDate(d.getUTCDate() - 1);
  }
  return new Date(d.getTime() + (start - 7) * 3600 * 1000);
}

function caseTable(items, id, total = items ? items.length : 0) {
  if (!items || !items.length) return notice('info', t('common.none'));
  const shown = items.slice(0, LIST_MAX);
  return h('div', {}, h('table', { class: 'grid compact', id },
    h('thead', {}, h('tr', {}, h('th', {}, t('cases.id')), h('th', {}, t('common.opd')),
      h('th', {}, t('cases.status')), h('th', {}, t('cases.titlecol')), h('th', {}, t('cases.opened')),
      h('th', {}, t('cases.due')), h('th', {}, t('cases.level')))),
    h('tbody', {}, shown.map((c) => h('tr', { dataset: { id: c.id } },
      h('td', { class: 'nowrap' }, h('a', { href: caseHref(c.id) }, c.human_id)),
      h('td', {}, c.opd || '—'), h('td', {}, badge('status', c.status)),
      h('td', {}, c.title), h('td', { class: 'nowrap small' }, fmtTime(c.opened_at)),
      h('td', { class: 'nowrap' }, fmtCountdown(c.working_seconds_left, c.clock)),
      h('td', {}, levelLabel(c.escalation_level)))))),
  total > shown.length ? h('p', { class: 'small' }, `… +${(total - shown.length).toLocaleString()}`) : null);
}

export function render(root) {
  const now = new Date();
  const out = h('div', {});
  const printBtn = h('button', { type: 'button', class: 'btn', id: 'handover-print' }, t('common.print'));
  printBtn.addEventListener('click', () => window.print());
  const p = period(shiftStart(now), now, load, [printBtn]);
  const stamp = h('p', { class: 'print-only small' });

  const take = newest();
  async function load() {
    const current = take();
    clear(out).append(t('common.loading'));
    try {
      const r = p.range();
      const res = await api.get('/api/handover', r);
      if (!current()) return;
      const rows = res.per_opd || [];
      const sum = (k) => rows.reduce((a, x) => a + (Number(x[k]) || 0), 0);
      const cols = ['arrived', 'closed', 'breached', 'open'];
      stamp.textContent = `${fmtTime(r.from)} – ${fmtTime(r.to)} · ` +
        t('handover.printed', { at: fmtTime(new Date().toISOString()), user: session.user ? session.user.user : '' });
      clear(out).append(
        h('table', { class: 'grid summary', id: 'handover-table' },
          h('thead', {}, h('tr', {}, h('th', {}, t('common.opd')), cols.map((c) => h('th', { class: 'num' }, t(`handover.${c}`))))),
          h('tbody', {}, rows.map((x) => h('tr', { dataset: { opd: x.opd } }, h('td', {}, x.opd || '—'),
            cols.map((c) => h('td', { class: `num ${c === 'breached' && x[c] ? 'bad' : ''}` }, x[c] ?? 0))))),
          h('tfoot', {}, h('tr', {}, h('th', {}, t('handover.total')), cols.map((c) => h('th', { class: 'num' }, sum(c)))))),
        h('h2', {}, t('handover.breachedlist')), caseTable(res.breached, 'handover-breached'),
        h('h2', {}, t('handover.openlist')), caseTable(res.open, 'handover-open', res.open_total));
    } catch (e) {
      if (!current()) return;
      clear(out).append(notice('err', t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'handover';
  }

  root.append(h('section', { class: 'screen handover' },
    h('div', { class: 'toolbar' }, h('h1', {}, t('handover.title')), p.el), stamp, out));
  load();
  return null;
}
