// views/users.js: the console's users (GET /api/users; admin only): name,
// display name, role, OPD, disabled, created. Read only: users are managed
// with `simpulctl user` on the server (docs/console.md), which reads
// passwords from stdin and never over the web.

import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { notice } from '../common.js';

export function render(root) {
  const tbody = h('tbody', {});
  const msg = h('div', {});

  function row(u) {
    return h('tr', { class: `user ${u.disabled ? 'disabled' : ''}`, dataset: { name: u.name } },
      h('td', { class: 'mono' }, u.name),
      h('td', {}, u.display || '—'),
      h('td', {}, t(`role.${u.role}`)),
      h('td', {}, u.opd || '—'),
      h('td', {}, u.disabled ? t('common.yes') : t('common.no')),
      h('td', { class: 'nowrap small' }, fmtTime(u.created_at)));
  }

  async function load() {
    try {
      const res = await api.get('/api/users');
      clear(tbody).append(...res.items.map(row));
      msg.replaceChildren(res.items.length ? '' : notice('info', t('common.none')));
    } catch (e) {
      msg.replaceChildren(notice('err', t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'users';
  }

  root.append(h('section', { class: 'screen users' },
    h('div', { class: 'toolbar' }, h('h1', {}, t('users.title')), h('p', { class: 'small' }, t('users.hint'))),
    h('table', { class: 'grid', id: 'users-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('users.name')), h('th', {}, t('users.display')), h('th', {}, t('users.role')),
        h('th', {}, t('common.opd')), h('th', {}, t('users.disabled')), h('th', {}, t('users.created')))),
      tbody),
    msg));
  load();
}
