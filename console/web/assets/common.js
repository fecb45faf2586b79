// common.js: vocabularies and formatting shared by the views.

import { t } from './i18n.js';
import { h } from './dom.js';
import { workdaySeconds } from './workclock.js';

// The regency's OPD short names (deploy/rules/karo.yaml); lists add the
// ones the server returns that are not here.
export const OPDS = ['bpbd', 'bpkad', 'dinkes', 'disdik', 'dishub', 'diskominfo',
  'dlh', 'dpmptsp', 'dpupr', 'satpolpp'];
export const STATUSES = ['new', 'verified', 'assigned', 'acknowledged', 'resolved',
  'closed', 'rejected'];
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
export const CHANNELS = ['web', 'open311', 'sms', 'whatsapp', 'lapor', 'phone'];
export const REASONS = ['not_valid', 'not_our_authority', 'duplicate'];

// The hash link of one case page (app.js decodes each part of the hash).
export function caseHref(id) {
  return `#/case/${encodeURIComponent(String(id))}`;
}

export function opdOptions(extra = []) {
  const all = new Set([...OPDS, ...extra.filter(Boolean)]);
  return [...all].sort().map((o) => [o, o]);
}

// A countdown to the deadline in its clock's seconds: working time as
// "2 hk 03:04:05" (hk = hari kerja, a working day of 8 hours), wall-clock
// time (clock 'wall') as "1 h 03:04:05" (days of 24 hours); negative when
// the deadline passed.
export function fmtCountdown(secs, clock = 'working') {
  if (secs === null || secs === undefined) return t('cases.noclock');
  const neg = secs < 0;
  const wall = clock === 'wall';
  const day = wall ? 86400 : workdaySeconds();
  let s = Math.abs(Math.trunc(secs));
  const d = Math.floor(s / day);
  s -= d * day;
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  const days = d ? `${t(wall ? 'dur.walldays' : 'dur.days', { d })} ` : '';
  return `${neg ? '−' : ''}${days}${hh}:${mm}:${ss}`;
}

// Urgency classes: breached, under 1 working day left, under 2, more,
// no clock.
export function urgency(secs, breached) {
  if (secs === null || secs === undefined) return 'urg-none';
  if (breached || secs < 0) return 'urg-breached';
  if (secs < workdaySeconds()) return 'urg-high';
  if (secs < 2 * workdaySeconds()) return 'urg-mid';
  return 'urg-low';
}

export function badge(kind, value) {
  return h('span', { class: `badge ${kind}-${value}` }, t(`${kind}.${value}`));
}

export function levelLabel(level) {
  if (!level) return t('level.0');
  return t('level.escalated', { who: t(`level.${level}`) });
}

// A message line under a form or a list: kind 'ok' or 'err'.
export function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'err' ? 'alert' : 'status' }, text);
}
