// workclock.js: the working-time calendar as the page needs it.
//
// The server gives each case's working_seconds_left at the time of its
// answer: seconds of working time (08:00-16:00 WIB on working days, by the
// holiday calendar; docs/console.md) to the deadline. Between answers the
// page counts it down only while working time passes: inside the working
// hours of /api/calendar on a working day (Monday to Friday and not a
// holiday). Every reload re-synchronises the count, so an error here lasts
// until the next one at most.

import { api } from './api.js';

const holidays = new Map(); // year -> Set of 'YYYY-MM-DD'
let hours = [8 * 3600, 16 * 3600]; // working hours, seconds after WIB midnight

function wib(now) {
  // WIB is UTC+7 all year (no daylight saving).
  const d = new Date(now.getTime() + 7 * 3600 * 1000);
  return {
    iso: d.toISOString().slice(0, 10), dow: d.getUTCDay(), year: d.getUTCFullYear(),
    sec: d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds(),
  };
}

// Seconds of working time in one working day (8 h unless the calendar
// says otherwise): the unit of the countdown's "days".
export function workdaySeconds() {
  return hours[1] - hours[0];
}

function parseHours(s) {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(s || '');
  if (!m) return;
  const a = (+m[1]) * 3600 + (+m[2]) * 60;
  const b = (+m[3]) * 3600 + (+m[4]) * 60;
  if (b > a) hours = [a, b];
}

export async function loadCalendar(now = new Date()) {
  const { year } = wib(now);
  if (holidays.has(year)) return;
  holidays.set(year, new Set());
  try {
    const res = await api.get('/api/calendar', { year });
    parseHours(res.hours);
    for (const it of res.items || []) {
      const day = typeof it === 'string' ? it : (it.day || it.date);
      if (day) holidays.get(year).add(String(day).slice(0, 10));
    }
  } catch {
    // Without the calendar the countdown runs in the default hours on weekdays.
  }
}

export function clockRuns(now = new Date()) {
  const { iso, dow, year, sec } = wib(now);
  if (dow === 0 || dow === 6) return false;
  if (sec < hours[0] || sec >= hours[1]) return false;
  return !(holidays.get(year) || new Set()).has(iso);
}
