// views/case.js: one case: its fields, the actions this user may take
// (the server's `allowed` list: the page offers nothing the server would
// refuse), its history, escalations and source events. An action is a POST
// to /api/cases/<id>/<action> with the CSRF token (api.js); a refusal of
// the state machine (409) or of the role (403) is shown, and the case is
// reloaded either way so the page shows what is stored.

import { api, apiPath } from '../api.js';
import { h, clear, select } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { on } from '../live.js';
import { opdOptions, REASONS, fmtCountdown, urgency, badge, levelLabel, notice } from '../common.js';

// What each action asks for before it is sent.
const NEEDS = {
  verify: [],
  reject: ['reason'],
  assign: ['opd'],
  acknowledge: [],
  resolve: ['note'],
  close: [],
  reopen: ['note'],
};

export function render(root, params) {
  const id = params[0];
  const msg = h('div', { class: 'msg', id: 'case-msg' });
  const body = h('div', {}, t('common.loading'));
  let data = null;
  // The action forms survive a repaint while the allowed actions stay the
  // same, so a live update of the case does not wipe what is being typed.
  let actions = null;
  let actionsKey = '';

  function field(label, value) {
    return [h('dt', {}, label), h('dd', {}, value ?? '—')];
  }

  function actionForm(action) {
    const needs = NEEDS[action] || [];
    const inputs = {};
    const parts = [];
    if (needs.includes('reason')) {
      inputs.reason = select('reason', '—', REASONS.map((r) => [r, t(`reason.${r}`)]), '', null);
      inputs.reason.required = true;
      parts.push(h('label', {}, t('case.reason'), inputs.reason));
    }
    if (needs.includes('opd')) {
      inputs.opd = select('opd', '—', opdOptions(), '', null);
      inputs.opd.required = true;
      parts.push(h('label', {}, t('case.targetopd'), inputs.opd));
    }
    inputs.note = h('input', { name: 'note', maxlength: 4000, required: needs.includes('note') && action === 'resolve' });
    parts.push(h('label', {}, t('case.note'), inputs.note));
    const form = h('form', { class: 'action', dataset: { action } }, ...parts,
      h('button', { type: 'submit', class: `btn act act-${action}` }, t(`action.${action}`)));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const payload = {};
      for (const [k, el] of Object.entries(inputs)) if (el.value) payload[k] = el.value;
      form.querySelector('button').disabled = true;
      try {
        await api.post(apiPath('cases', id, action), payload);
        msg.replaceChildren(notice('ok', t('case.done', { a: t(`action.${action}`) })));
      } catch (e) {
        msg.replaceChildren(notice('err', t('case.refused', { msg: e.message })));
      }
      form.querySelector('button').disabled = false;
      load();
    });
    return form;
  }

  function table(headers, rowsData, rowFn, cls) {
    if (!rowsData || !rowsData.length) return notice('info', t('common.none'));
    return h('table', { class: `grid ${cls || ''}` },
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
      h('tbody', {}, rowsData.map(rowFn)));
  }

  function eventRow(ev) {
    const pre = h('pre', { class: 'payload', hidden: true }, JSON.stringify(ev.data ?? ev, null, 2));
    const btn = h('button', { type: 'button', class: 'btn ghost small' }, t('case.showevent'));
    btn.addEventListener('click', () => { pre.hidden = !pre.hidden; });
    return h('tr', { dataset: { id: ev.id } },
      h('td', { class: 'nowrap' }, fmtTime(ev.time)),
      h('td', {}, h('span', { class: 'tag' }, ev.type)),
      h('td', { class: 'mono small' }, ev.source),
      h('td', {}, ev.subject || ev.id, btn, pre));
  }

  function paint() {
    const c = data.case;
    const allowed = data.allowed || [];
    const left = c.working_seconds_left;
    const head = h('div', { class: 'case-head' },
      h('a', { href: '#/cases', class: 'btn ghost' }, t('common.back')),
      h('h1', {}, t('case.title', { id: c.human_id })),
      badge('severity', c.severity), badge('status', c.status),
      c.escalation_level ? h('span', { class: `badge esc lvl-${c.escalation_level}`, id: 'case-escalated' },
        levelLabel(c.escalation_level)) : null);
    const fields = h('dl', { class: 'fields' },
      field(t('cases.titlecol'), c.title),
      field(t('case.kind'), c.kind),
      field(t('common.opd'), c.opd),
      field(t('cases.channel'), c.channel),
      field(t('case.assignee'), c.assignee),
      field(t('cases.opened'), fmtTime(c.opened_at)),
      field(t('case.dueat'), c.due_at === 'infinity' ? '∞' : fmtTime(c.due_at)),
      field(t('case.deadline', { kind: c.deadline_kind ? t(`deadline.${c.deadline_kind}`) : '—' }),
        h('span', { class: `countdown ${urgency(left, c.breached)}` }, fmtCountdown(left, c.clock))),
      field(t('cases.level'), levelLabel(c.escalation_level)));
    if (!actions || actionsKey !== allowed.join(',')) {
      actionsKey = allowed.join(',');
      actions = h('section', { class: 'card actions', id: 'case-actions' },
        h('h2', {}, t('case.actions')),
        allowed.length ? allowed.map(actionForm) : notice('info', t('case.noactions')), msg);
    }
    const history = h('section', { class: 'card' }, h('h2', {}, t('case.history')),
      table([t('common.time'), t('case.actor'), t('case.action'), t('case.fromto'), t('common.opd'), t('case.note')],
        data.history, (x) => h('tr', { dataset: { action: x.action } },
          h('td', { class: 'nowrap' }, fmtTime(x.at)), h('td', {}, x.actor), h('td', {}, x.action),
          h('td', {}, `${x.from_status ? t(`status.${x.from_status}`) : '∅'} → ${t(`status.${x.to_status}`)}`),
          h('td', {}, x.opd || ''), h('td', {}, [x.reason ? t(`reason.${x.reason}`) : '', x.note || ''].filter(Boolean).join(' · '))),
        'history'));
    const escal = h('section', { class: 'card', id: 'case-escalations' }, h('h2', {}, t('case.escalations')),
      table([t('cases.level'), t('deadline.verify') + ' / ' + t('deadline.follow_up'), t('case.dueat'), t('common.time'), t('case.escalatedby')],
        data.escalations, (x) => h('tr', { class: 'escalation' },
          h('td', {}, t(`level.${x.level}`)), h('td', {}, t(`deadline.${x.deadline_kind}`)),
          h('td', {}, fmtTime(x.due_at)), h('td', {}, fmtTime(x.escalated_at)), h('td', {}, x.escalated_by))));
    const events = h('section', { class: 'card' }, h('h2', {}, t('case.events')),
      table([t('common.time'), t('common.type'), t('feed.source'), t('feed.subject')], data.events, eventRow));
    clear(body).append(head, h('div', { class: 'case-grid' },
      h('div', {}, h('section', { class: 'card' }, fields), actions), h('div', {}, history, escal, events)));
  }

  async function load() {
    try {
      data = await api.get(apiPath('cases', id));
      paint();
    } catch (e) {
      clear(body).append(h('a', { href: '#/cases', class: 'btn ghost' }, t('common.back')),
        notice('err', e.status === 404 ? t('common.notfound') : t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'case';
  }

  const offCase = on('case', (c) => { if (String(c.id) === String(id)) load(); });
  const offResync = on('resync', load);
  root.append(h('section', { class: 'screen case' }, body));
  load();
  return () => { offCase(); offResync(); };
}
