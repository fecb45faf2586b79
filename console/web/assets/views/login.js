// views/login.js: the sign-in form. A failed sign-in says only that the
// name or password is wrong (the server answers the same for both).

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { notice } from '../common.js';

export function render(root, params, ctx) {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div', { class: 'msg' }, ctx.message ? notice('info', ctx.message) : null);
  const button = h('button', { type: 'submit', class: 'btn primary' }, t('login.submit'));
  const form = h('form', { class: 'login card', id: 'login-form' },
    h('h1', {}, t('login.title')),
    h('label', {}, t('login.user'), user),
    h('label', {}, t('login.password'), password),
    button, msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      await api.login(user.value.trim(), password.value);
      ctx.onLogin();
    } catch (e) {
      msg.replaceChildren(notice('err', e.status === 401 ? t('login.failed') : t('common.error', { msg: e.message })));
      password.value = '';
      password.focus();
    } finally {
      button.disabled = false;
    }
  });
  root.append(h('div', { class: 'login-wrap' }, form));
  root.dataset.ready = 'login';
  user.focus();
  return null;
}
