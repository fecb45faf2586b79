// dom.js: building the page without innerHTML.
//
// Everything the server sends (titles, payloads, schema errors) is outside
// input; it only ever reaches the page as text nodes, so no markup in it can
// run. h() is the one way the views make elements.

// h('tr', {class: 'x', dataset: {id: 1}, onclick: f}, child, 'text', [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A <select> whose first option means "any".
export function select(name, anyLabel, values, current, onchange) {
  return h('select', { name, onchange },
    h('option', { value: '' }, anyLabel),
    values.map(([v, label]) => h('option', { value: v, selected: v === current }, label)));
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// The detail row under a list's row tr: opens it (a row of class
// "detail" with one cell across colspan columns, showing text) and returns
// its cell; closes it and returns null when it was open.
export function toggleDetail(tr, colspan, text) {
  const nx = tr.nextElementSibling;
  if (nx && nx.classList.contains('detail')) {
    nx.remove();
    return null;
  }
  const cell = h('td', { colspan }, text);
  tr.after(h('tr', { class: 'detail' }, cell));
  return cell;
}

// Loads that can overlap (a filter changed while the last page was still
// on its way, a live update, a resync) must not let an older answer paint
// over a newer one. newest() returns take(): each load calls take() before
// its request and gets a function that says, after the await, whether it
// is still the newest load.
export function newest() {
  let last = 0;
  return () => {
    const mine = ++last;
    return () => mine === last;
  };
}
