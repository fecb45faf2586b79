// period.js: the from/to inputs of the handover and leadership screens.
// The inputs are local (WIB) date-times; the API wants RFC 3339.

import { h } from './dom.js';
import { t } from './i18n.js';

const WIB_MS = 7 * 3600 * 1000;

// "2026-11-28T08:00" in WIB for a Date.
export function toInput(d) {
  return new Date(d.getTime() + WIB_MS).toISOString().slice(0, 16);
}

export function fromInput(s) {
  const d = new Date(`${s}:00Z`);
  return new Date(d.getTime() - WIB_MS).toISOString();
}

// period(from, to, onShow) -> {el, range()}: two inputs and a button.
export function period(from, to, onShow, extra = []) {
  const a = h('input', { type: 'datetime-local', name: 'from', value: toInput(from) });
  const b = h('input', { type: 'datetime-local', name: 'to', value: toInput(to) });
  const form = h('form', { class: 'period' },
    h('label', {}, t('common.from'), a), h('label', {}, t('common.to'), b),
    h('button', { type: 'submit', class: 'btn' }, t('common.show')), extra);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); onShow(); });
  return {
    el: form,
    range: () => ({ from: fromInput(a.value), to: fromInput(b.value) }),
    set(f, tt) { a.value = toInput(f); b.value = toInput(tt); },
  };
}
