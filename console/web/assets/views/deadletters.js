// views/deadletters.js: messages the hub rejected (reason, the schema
// error, the payload as received) and their replay: once the cause is fixed
// (a schema, an adapter), POST /api/deadletters/<id>/replay republishes the
// stored payload to its original topic through the broker.

import { api, apiPath } from '../api.js';
import { h, clear, select, newest, toggleDetail } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { notice } from '../common.js';

const REASONS = ['invalid_json', 'too_large', 'envelope', 'schema', 'opd_mismatch', 'unknown_type', 'id_conflict'];
const PAGE = 100;

export function render(root) {
  let reason = '';
  let next = null;
  const tbody = h('tbody', {});
  const msg = h('div', { id: 'dlq-msg' });
  const more = h('button', { type: 'button', class: 'btn ghost', hidden: true }, t('feed.more'));
  const reasonSel = select('reason', t('common.any'), REASONS.map((r) => [r, r]), '', () => { reason = reasonSel.value; reload(); });

  function row(d) {
    const tr = h('tr', { class: `dl ${d.replayed_at ? 'replayed' : ''}`, dataset: { id: d.id } },
      h('td', { class: 'nowrap' }, fmtTime(d.received_at)),
      h('td', {}, h('span', { class: 'tag' }, d.reason)),
      h('td', { class: 'detail-text' }, d.detail),
      h('td', { class: 'mono small' }, d.topic),
      h('td', { class: 'mono small preview' }, d.payload_preview),
      h('td', {}, h('button', { type: 'button', class: 'btn ghost small open' }, t('dlq.open'))));
    tr.querySelector('button.open').addEventListener('click', () => toggle(tr, d));
    return tr;
  }

  async function toggle(tr, d) {
    const cell = toggleDetail(tr, 6, t('common.loading'));
    if (!cell) return;
    try {
      const full = await api.get(apiPath('deadletters', d.id));
      const out = h('div', { class: 'replay-msg' });
      const btn = h('button', { type: 'button', class: 'btn primary replay' }, t('dlq.replay'));
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          await api.post(apiPath('deadletters', d.id, 'replay'));
          out.replaceChildren(notice('ok', t('dlq.replayed', { topic: full.topic || d.topic })));
          tr.classList.add('replayed');
        } catch (e) {
          out.replaceChildren(notice('err', t('common.error', { msg: e.message })));
          btn.disabled = false;
        }
      });
      clear(cell).append(
        h('dl', { class: 'fields' },
          h('dt', {}, t('dlq.reason')), h('dd', {}, full.reason),
          h('dt', {}, t('dlq.detail')), h('dd', {}, full.detail),
          h('dt', {}, t('dlq.topic')), h('dd', { class: 'mono' }, full.topic),
          full.replayed_at ? [h('dt', {}, ''), h('dd', {}, t('dlq.replayedat', { at: fmtTime(full.replayed_at) }))] : null),
        h('h3', {}, t('dlq.payload')),
        h('pre', { class: 'payload' }, full.payload ?? full.payload_preview ?? ''),
        btn, out);
    } catch (e) {
      clear(cell).append(notice('err', t('common.error', { msg: e.message })));
    }
  }

  const take = newest();
  async function reload() {
    const current = take();
    try {
      const res = await api.get('/api/deadletters', { reason, limit: PAGE });
      if (!current()) return;
      clear(tbody).append(...res.items.map(row));
      next = res.next;
      more.hidden = !next;
      msg.replaceChildren(res.items.length ? '' : notice('info', t('common.none')));
    } catch (e) {
      if (!current()) return;
      msg.replaceChildren(notice('err', e.status === 403 ? t('common.forbidden') : t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'deadletters';
  }

  more.addEventListener('click', async () => {
    try {
      const res = await api.get('/api/deadletters', { reason, limit: PAGE, before: next });
      tbody.append(...res.items.map(row));
      next = res.next;
      more.hidden = !next;
    } catch (e) {
      msg.replaceChildren(notice('err', t('common.error', { msg: e.message })));
    }
  });

  root.append(h('section', { class: 'screen deadletters' },
    h('div', { class: 'toolbar' }, h('h1', {}, t('dlq.title')), h('label', {}, t('dlq.reason'), reasonSel)),
    h('table', { class: 'grid', id: 'dlq-table' },
      h('thead', {}, h('tr', {}, h('th', {}, t('dlq.received')), h('th', {}, t('dlq.reason')),
        h('th', {}, t('dlq.detail')), h('th', {}, t('dlq.topic')), h('th', {}, t('dlq.payload')), h('th', {}, ''))),
      tbody),
    msg, more));
  reload();
  return null;
}
