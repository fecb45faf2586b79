// api.js: the JSON API of simpul-console (docs/console.md).
//
// The session itself is an HttpOnly cookie the page never sees; what the
// page keeps is the signed-in user and the CSRF token from /api/login or
// /api/me, which every state-changing request carries in X-CSRF-Token.
// A 401 anywhere means the session ended (idle or max age): the app goes
// back to the sign-in page and says why, through the onExpired hook.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = { user: null, csrf: null };
let onExpired = () => {};

export function setExpiredHandler(fn) {
  onExpired = fn;
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  }
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, e.message || 'network error');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: text.slice(0, 200) }; }
  }
  if (!res.ok) {
    const msg = (data && data.error) || res.statusText || String(res.status);
    if (res.status === 401 && path !== '/api/login' && session.user) {
      session.user = null;
      session.csrf = null;
      onExpired(msg);
    }
    throw new ApiError(res.status, msg);
  }
  return data;
}

// apiPath('events', id) -> "/api/events/<id>": each part encoded on its
// own, so an id holding '/', '?', '#' or '%' stays one part (the server
// takes all that follows /api/events/ as the event id). Every path with
// an id in it is made here.
export function apiPath(...parts) {
  return `/api/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;
}

// query({a: 1, b: ''}) -> "?a=1": empty values are left out.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api = {
  get: (path, params) => request('GET', path + query(params)),
  post: (path, body) => request('POST', path, body ?? {}),

  async login(user, password) {
    const me = await request('POST', '/api/login', { user, password });
    session.user = me;
    session.csrf = me.csrf;
    return me;
  },
  async me() {
    const me = await request('GET', '/api/me');
    session.user = me;
    session.csrf = me.csrf;
    return me;
  },
  async logout() {
    try { await request('POST', '/api/logout'); } finally {
      session.user = null;
      session.csrf = null;
    }
  },
};
