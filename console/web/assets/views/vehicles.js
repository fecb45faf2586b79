// views/vehicles.js: the last position of every tracked vehicle on a map.
//
// Leaflet (vendored from npm) with no tile layer: the command centre's LAN
// has no tile server, so the map shows the positions on a plain background
// plus, where the server has them, the regency boundary and the geofences
// (GeoJSON from /api/geo/boundary and /api/geo/geofences; a 404 means not
// configured). Markers: a circle per vehicle, red when the last position
// was over the speed limit, a ringed purple one when the vehicle's latest
// alarm is set. Popups and labels get DOM nodes, never strings (Leaflet
// would read a string as HTML). New gps.* events on the live stream reload the positions.

import * as L from '../vendor/leaflet/leaflet-src.esm.js';
import { api } from '../api.js';
import { h, debounce } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import { on } from '../live.js';
import { notice } from '../common.js';

// Kabanjahe, the regency's capital: where the map starts without data.
const HOME = [3.1, 98.49];

async function geo(kind) {
  try {
    return await api.get(`/api/geo/${kind}`);
  } catch {
    return null;
  }
}

function popup(v) {
  const lines = [
    h('strong', {}, v.plate || v.device_id),
    h('div', {}, `${t('vehicles.device')}: ${v.device_id}`),
    h('div', {}, `${t('common.opd')}: ${v.opd || '—'}`),
    h('div', {}, `${t('vehicles.speed')}: ${t('vehicles.kmh', { v: v.speed_kmh ?? '—' })}`),
    h('div', {}, `${t('vehicles.fix')}: ${fmtTime(v.fix_time)}`),
    v.valid === false ? h('div', { class: 'warn' }, t('vehicles.nofix')) : null,
    v.overspeed ? h('div', { class: 'warn' }, t('vehicles.overspeed')) : null,
    v.alarm ? h('div', { class: 'warn' }, t('vehicles.alarm', { a: typeof v.alarm === 'string' ? v.alarm : (v.alarm.alarm || v.alarm.type || JSON.stringify(v.alarm)) })) : null,
  ];
  return h('div', { class: 'vpopup' }, lines);
}

export function render(root) {
  const mapEl = h('div', { class: 'map', id: 'vehicle-map' });
  const count = h('span', { class: 'total', id: 'vehicles-count' });
  const list = h('tbody', {});
  const msg = h('div', {});
  root.append(h('section', { class: 'screen vehicles live-screen' },
    h('div', { class: 'toolbar' }, h('h1', {}, t('vehicles.title')), count,
      h('span', { class: 'legend' },
        h('span', { class: 'dot ok' }), t('vehicles.legend.ok'),
        h('span', { class: 'dot overspeed' }), t('vehicles.legend.overspeed'),
        h('span', { class: 'dot alarm' }), t('vehicles.legend.alarm'))),
    msg,
    h('div', { class: 'map-grid' }, mapEl,
      h('div', { class: 'vlist' }, h('table', { class: 'grid', id: 'vehicles-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('vehicles.plate')), h('th', {}, t('common.opd')),
          h('th', {}, t('vehicles.speed')), h('th', {}, t('vehicles.fix')))),
        list)))));

  const map = L.map(mapEl, { zoomControl: true, attributionControl: false, preferCanvas: false })
    .setView(HOME, 11);
  const layer = L.layerGroup().addTo(map);
  let fitted = false;
  let bounds = null;

  async function loadGeo() {
    const [boundary, fences] = await Promise.all([geo('boundary'), geo('geofences')]);
    if (boundary) {
      const b = L.geoJSON(boundary, { className: 'geo-boundary', interactive: false }).addTo(map);
      bounds = b.getBounds();
      if (!fitted && bounds.isValid()) map.fitBounds(bounds);
    }
    if (fences) L.geoJSON(fences, { className: 'geo-fence' }).addTo(map);
  }

  async function load() {
    try {
      const res = await api.get('/api/vehicles');
      layer.clearLayers();
      list.replaceChildren();
      const pts = [];
      for (const v of res.items) {
        if (typeof v.lat !== 'number' || typeof v.lon !== 'number') continue;
        const kind = v.alarm ? 'alarm' : (v.overspeed ? 'overspeed' : 'ok');
        const m = L.circleMarker([v.lat, v.lon], {
          radius: kind === 'ok' ? 7 : 10, className: `vmarker vm-${kind}${v.valid === false ? ' vm-nofix' : ''}`,
        }).bindPopup(() => popup(v)).bindTooltip(h('span', {}, v.plate || v.device_id), { permanent: true, direction: 'right', className: 'vlabel' });
        m.addTo(layer);
        pts.push([v.lat, v.lon]);
        const tr = h('tr', { class: `vehicle vm-${kind}`, dataset: { device: v.device_id } },
          h('td', {}, h('span', { class: `dot ${kind}` }), v.plate || v.device_id),
          h('td', {}, v.opd || '—'),
          h('td', { class: 'num' }, v.speed_kmh ?? '—'),
          h('td', { class: 'nowrap small' }, fmtTime(v.fix_time)));
        tr.addEventListener('click', () => { map.setView([v.lat, v.lon], 15); m.openPopup(); });
        list.append(tr);
      }
      count.textContent = t('vehicles.count', { n: pts.length });
      if (!fitted && pts.length) {
        const b = L.latLngBounds(pts);
        if (bounds && bounds.isValid()) b.extend(bounds);
        map.fitBounds(b, { padding: [40, 40], maxZoom: 14 });
        fitted = true;
      }
      msg.replaceChildren();
    } catch (e) {
      msg.replaceChildren(notice('err', t('common.error', { msg: e.message })));
    }
    root.dataset.ready = 'vehicles';
  }

  const later = debounce(load, 1000);
  const offEvent = on('event', (ev) => { if (String(ev.type).startsWith('gps.')) later(); });
  const offResync = on('resync', load);
  const timer = setInterval(load, 30000);
  loadGeo();
  load();
  // The map measures its box once; after the layout settles, again.
  setTimeout(() => map.invalidateSize(), 50);
  return () => { offEvent(); offResync(); clearInterval(timer); map.remove(); };
}
