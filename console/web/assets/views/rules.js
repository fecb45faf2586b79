// views/rules.js: the hub's rules as stored (GET /api/rules; supervisor and
// admin): name, enabled, priority, version, who changed it last and when,
// and the definition on demand. Read only: rules change through
// `simpulctl rules apply` (docs/rules.md), which keeps their history.

import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { notice } from '../common.js';

export function render(root) {
  const tbody = h('tbody', {});
  const msg = h('div', {});

  function row(r) {
    const pre = h('pre', { class: 'payload', hidden: true }, JSON.stringify(r.definition, null, 2));
    const btn = h('button', { type: 'button', class: 'btn ghost small' }, t('rules.definition'));
    btn.addEventListener('click', () => { pre.hidden = !pre.hidden; });
    return h('tr', { class: `rule ${r.enabled ? '' : 'disabled'}`, dataset: { name: r.name } },
      h('td', { class: 'mono' }, r.name),
      h('td', {}, r.enabled ? t('common.yes') : t('common.no')),
      h('td', {}, String(r.priority)),
      h('td', {}, String(r.version)),
      h('td', { class: 'nowrap small' }, fmtTime(r.updated_at)),
      h('td', {}, r.updated_by || '—'),
      h('td', {}, btn, pre));
  }

  async function load() {
    try {
      const res = await api.get('/api/rules');
      clear(tbody).append(...res.items.map(row));
      msg.replaceChildren(res.items.length ? '' : notice('info', t('common.none')));
    } catch (e) {
      msg.replaceChildren(notice('err', t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'rules';
  }

  root.append(h('section', { class: 'screen rules' },
    h('div', { class: 'toolbar' }, h('h1', {}, t('rules.title'))),
    h('table', { class: 'grid', id: 'rules-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('rules.name')), h('th', {}, t('rules.enabled')), h('th', {}, t('rules.priority')),
        h('th', {}, t('rules.version')), h('th', {}, t('rules.updated')), h('th', {}, t('rules.by')),
        h('th', {}, ''))),
      tbody),
    msg));
  load();
}
