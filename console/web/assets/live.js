// live.js: the one server-sent-events connection (GET /api/live) of the
// signed-in page, and what it says about freshness.
//
// The page is "live" only while three things hold: the EventSource is open,
// the last status event said the hub is online, and it said the database is
// up. Anything else puts up the banner and greys the live screens (the
// `stale` class on <body>), so nothing stale is shown as live.
//
// EventSource reconnects by itself after a network error, sending
// Last-Event-ID so the server resumes without a gap. When the server
// answers with an error status instead (restart, 401), the browser gives up
// on that EventSource (readyState CLOSED); then a new one is made after a
// backoff of 1, 2, 4 ... 15 s. A 401 is noticed by the next API call, which
// sends the user to the sign-in page.
//
// A `resync` message means the server could not resume from Last-Event-ID
// (it left the ring, or the console restarted): messages were lost, so
// every screen showing a list reloads it from the API (on('resync')).

const listeners = { event: [], case: [], alert: [], status: [], resync: [] };
const state = { conn: false, hub: 'unknown', db: 'unknown', at: null, resyncs: 0 };
let source = null;
let retryMs = 1000;
let retryTimer = null;

export function liveState() {
  return { ...state, live: isLive() };
}

export function isLive() {
  return state.conn && state.hub === 'online' && state.db === 'up';
}

// on('case', fn): fn(data) for each message of that event name; returns a
// function that removes the listener (views call it when they are left).
export function on(type, fn) {
  listeners[type].push(fn);
  return () => {
    const i = listeners[type].indexOf(fn);
    if (i >= 0) listeners[type].splice(i, 1);
  };
}

function emit(type, data) {
  for (const fn of [...listeners[type]]) {
    try { fn(data); } catch (e) { console.error(e); }
  }
}

function changed() {
  emit('status', liveState());
}

function parse(ev) {
  try { return JSON.parse(ev.data); } catch { return null; }
}

export function liveStart() {
  if (source) return;
  clearTimeout(retryTimer);
  source = new EventSource('/api/live');
  source.onopen = () => {
    retryMs = 1000;
    state.conn = true;
    changed();
  };
  source.onerror = () => {
    state.conn = false;
    changed();
    if (source && source.readyState === EventSource.CLOSED) {
      source = null;
      retryTimer = setTimeout(liveStart, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    }
  };
  source.addEventListener('status', (ev) => {
    const d = parse(ev);
    if (!d) return;
    state.hub = d.hub || 'unknown';
    state.db = d.db || 'unknown';
    state.at = d.at || null;
    changed();
  });
  source.addEventListener('resync', () => {
    state.resyncs += 1;
    emit('resync', {});
  });
  for (const type of ['event', 'case', 'alert']) {
    source.addEventListener(type, (ev) => {
      const d = parse(ev);
      if (d) emit(type, d);
    });
  }
}

export function liveStop() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  state.conn = false;
  state.hub = 'unknown';
  state.db = 'unknown';
}
