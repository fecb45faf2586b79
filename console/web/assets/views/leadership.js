// views/leadership.js: SLA compliance per OPD over a chosen period, for the
// Bupati and the agency heads: on-time and late verification and follow-up
// as stacked bars, compliance as a bar per OPD, escalations, and the same
// numbers as a table. Chart.js is vendored from npm and loaded, on the
// first visit of this screen, as a classic script: its UMD build, because
// its ES module build imports a bare package name, which would need an
// import map, and an inline import map is what the CSP forbids.

import { api } from '../api.js';
import { h, clear, newest } from '../dom.js';
import { t } from '../i18n.js';
import { notice } from '../common.js';
import { period } from '../period.js';

const DAY = 86400 * 1000;
const COLS = ['cases', 'verified_on_time', 'verified_late', 'followup_on_time', 'followup_late', 'escalations', 'compliance_pct'];

let chartLib = null;

function loadChartLib() {
  if (window.Chart) return Promise.resolve();
  if (!chartLib) {
    chartLib = new Promise((resolve, reject) => {
      const el = document.createElement('script');
      el.src = '/assets/vendor/chart.js/chart.umd.js';
      el.onload = resolve;
      el.onerror = () => { chartLib = null; reject(new Error('chart.js')); };
      document.head.append(el);
    });
  }
  return chartLib;
}

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function render(root) {
  const out = h('div', {});
  const charts = [];
  const quick = [7, 30, 90].map((d) => {
    const b = h('button', { type: 'button', class: 'btn ghost' }, t(`lead.period.${d}`));
    b.addEventListener('click', () => { const n = new Date(); p.set(new Date(n - d * DAY), n); load(); });
    return b;
  });
  const now = new Date();
  const p = period(new Date(now - 30 * DAY), now, load, quick);

  function destroyCharts() {
    while (charts.length) charts.pop().destroy();
  }

  function chart(canvas, config) {
    if (!window.Chart) return;
    const c = new window.Chart(canvas, config);
    charts.push(c);
  }

  const take = newest();
  async function load() {
    const current = take();
    destroyCharts();
    clear(out).append(t('common.loading'));
    try {
      const [res] = await Promise.all([api.get('/api/leadership', p.range()), loadChartLib().catch(() => {})]);
      if (!current()) return;
      const rows = res.items || [];
      const labels = rows.map((x) => x.opd);
      const num = (k) => rows.map((x) => Number(x[k]) || 0);
      const c1 = h('canvas', { id: 'lead-compliance', 'aria-label': t('lead.compliance') });
      const c2 = h('canvas', { id: 'lead-timeliness', 'aria-label': t('lead.title') });
      clear(out).append(
        h('div', { class: 'charts' },
          h('div', { class: 'card chart' }, h('h2', {}, t('lead.compliance')), h('div', { class: 'chart-box' }, c1)),
          h('div', { class: 'card chart' }, h('h2', {}, `${t('lead.verified_on_time')} / ${t('lead.followup_on_time')}`), h('div', { class: 'chart-box' }, c2))),
        h('table', { class: 'grid summary', id: 'leadership-table' },
          h('thead', {}, h('tr', {}, h('th', {}, t('common.opd')), COLS.map((c) => h('th', { class: 'num' }, t(c === 'compliance_pct' ? 'lead.compliance' : `lead.${c}`))))),
          h('tbody', {}, rows.map((x) => h('tr', { dataset: { opd: x.opd } }, h('td', {}, x.opd),
            COLS.map((c) => h('td', { class: 'num' }, c === 'compliance_pct' && x[c] !== null && x[c] !== undefined
              ? Number(x[c]).toFixed(1) : (x[c] ?? '—'))))))));
      if (!rows.length) out.append(notice('info', t('common.none')));
      const ok = css('--ok') || '#2e7d32';
      const late = css('--bad') || '#c62828';
      const grid = css('--line') || '#444';
      const text = css('--fg') || '#ddd';
      const scales = (extra) => ({
        x: { ticks: { color: text }, grid: { color: grid }, ...extra },
        y: { ticks: { color: text }, grid: { color: grid }, beginAtZero: true, ...extra },
      });
      chart(c1, {
        type: 'bar',
        data: { labels, datasets: [{ label: t('lead.compliance'), data: num('compliance_pct'), backgroundColor: css('--accent') || '#1e88e5' }] },
        options: { animation: false, maintainAspectRatio: false, plugins: { legend: { labels: { color: text } } },
          scales: { ...scales(), y: { ...scales().y, max: 100 } } },
      });
      chart(c2, {
        type: 'bar',
        data: { labels, datasets: [
          { label: t('lead.verified_on_time'), data: num('verified_on_time'), backgroundColor: ok, stack: 'v' },
          { label: t('lead.verified_late'), data: num('verified_late'), backgroundColor: late, stack: 'v' },
          { label: t('lead.followup_on_time'), data: num('followup_on_time'), backgroundColor: css('--ok2') || '#66bb6a', stack: 'f' },
          { label: t('lead.followup_late'), data: num('followup_late'), backgroundColor: css('--bad2') || '#ef9a9a', stack: 'f' },
          { label: t('lead.escalations'), data: num('escalations'), backgroundColor: css('--warn') || '#f9a825', stack: 'e' },
        ] },
        options: { animation: false, maintainAspectRatio: false, plugins: { legend: { labels: { color: text } } },
          scales: scales({ stacked: true }) },
      });
    } catch (e) {
      if (!current()) return;
      clear(out).append(notice('err', t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'leadership';
  }

  root.append(h('section', { class: 'screen leadership' },
    h('div', { class: 'toolbar' }, h('h1', {}, t('lead.title')), p.el), out));
  load();
  return destroyCharts;
}
