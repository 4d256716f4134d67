// rackboot's web view (issue 23): the racks as grids of boards, each with its live boot phase, from
// the same event stream every client reads (GET /api/v1/events). The boards and their last boots
// come from /api/v1/boards, the boots in progress from the stream's kept history, then the stream
// keeps the page live (EventSource reconnects by itself and resumes after the last id; a `lost`
// event reloads the state). Transfers and quirks are polled while the page is visible. Without
// the API token the page only reads; with it, a board or a rack moves to an image and has its
// netboot turned on or off. Plain DOM, no library: tiles are updated in place, at most once a
// frame, so a rack of 1,000 booting stays live.
'use strict';

const PHASES = ['off', 'dhcp', 'firmware', 'config', 'kernel', 'booted', 'failed'];
const PHASE_LABEL = {off: 'off', dhcp: 'DHCP', firmware: 'firmware', config: 'config', kernel: 'kernel',
                     booted: 'booted', failed: 'failed'};
// A file's role (the server's, on each tftp event) as the phase it shows.
const ROLE_PHASE = {firmware: 'firmware', config: 'config', device_tree: 'config', kernel: 'kernel',
                    initramfs: 'kernel'};
const FAILING = new Set(['refused', 'busy', 'timeout', 'error']);
const IN_PROGRESS = new Set(['dhcp', 'firmware', 'config', 'kernel']);

const state = {
  boards: new Map(),  // serial -> board
  byIp: new Map(),    // address -> serial, from the DHCP answers seen (a transfer names its client only)
  groupBy: localStorage.getItem('rackboot-group-by') || 'rack',
  token: sessionStorage.getItem('rackboot-token') || '',
  lastId: null,
  selected: null,
  images: [],
  layoutDirty: true,
  dirty: new Set(),
  frame: 0,
  // What a test (or a curious operator) reads: events applied, lost, the most boots in progress at once.
  stats: {events: 0, lost: 0, maxInProgress: 0, renders: 0, connected: false},
};
window.rackboot = state;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(json && json.message ? `${json.error}: ${json.message}` : `HTTP ${r.status}`);
  return json;
}

function ago(ms) {
  if (!ms) return '';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

const localTime = (ms) => (ms ? new Date(ms).toLocaleString() : '-');

function bytes(n) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let u = 0;
  while (n >= 1000 && u < 3) { n /= 1000; ++u; }
  return `${u ? n.toFixed(1) : n} ${units[u]}`;
}

// --- the boards' state -----------------------------------------------------------------------

function fromLastBoot(b, last) {
  b.lastBoot = last || null;
  b.detail = '';
  if (!b.netboot) { b.phase = 'off'; b.detail = 'netboot off'; return; }
  if (!last) { b.phase = 'off'; return; }
  if (last.result === 'booted') b.phase = 'booted';
  else if (last.result === 'failed') { b.phase = 'failed'; b.detail = `${last.failed_file}: ${last.reason}`; }
  else { b.phase = 'off'; b.detail = last.result === 'netboot_off' ? 'netboot off' : last.result; }
}

function upsert(j) {
  let b = state.boards.get(j.serial);
  if (!b) {
    b = {serial: j.serial, tile: null};
    state.boards.set(j.serial, b);
    state.layoutDirty = true;
  }
  const group = (j.labels || {})[state.groupBy];
  if (b.labels && (b.labels[state.groupBy] || '') !== (group || '')) state.layoutDirty = true;
  Object.assign(b, {name: j.name, image: j.image, model: j.model, labels: j.labels || {}, netboot: j.netboot,
                    ip: j.ip});
  fromLastBoot(b, j.last_boot);
  touch(b);
  return b;
}

function touch(b) {
  state.dirty.add(b);
  schedule();
}

function setPhase(b, phase, detail) {
  // Within a boot the phase only moves on (a Pi 4 reads config.txt before fixup4.dat).
  if (IN_PROGRESS.has(phase) && IN_PROGRESS.has(b.phase) && PHASES.indexOf(phase) < PHASES.indexOf(b.phase)) return;
  b.phase = phase;
  if (detail !== undefined) b.detail = detail;
  touch(b);
}

function apply(kind, d) {
  state.stats.events++;
  if (kind === 'lost') {
    state.stats.lost += d.lost || 0;
    banner(`The stream lost ${d.lost === null ? 'some' : d.lost} events (${d.reason}): the boards were read again.`);
    reload();
    return;
  }
  const b = d.serial ? state.boards.get(d.serial) : undefined;
  if (!b) return;  // a Pi no board lists (or a Pi 3 before its MAC is known)
  if (kind === 'boot') {
    if (d.kind === 'boot_started') { setPhase(b, 'dhcp', ''); return; }
    if (d.kind === 'boot_finished') {
      b.phase = null;  // the boot is over: whatever it ended as
      fromLastBoot(b, d);
      if (d.result === 'abandoned') b.detail = 'abandoned';
      touch(b);
    }
    return;
  }
  if (kind === 'dhcp') {
    if (d.ip) state.byIp.set(d.ip, b.serial);
    if (d.result === 'netboot_off') setPhase(b, 'off', 'netboot off');
    else if (d.result === 'replied' && !IN_PROGRESS.has(b.phase)) setPhase(b, 'dhcp', '');
    else if (d.result === 'identity_conflict') { b.detail = `identity conflict from ${d.mac}`; touch(b); }
    return;
  }
  if (kind === 'tftp') {
    if (FAILING.has(d.result)) { setPhase(b, 'failed', `${d.file}: ${d.result}`); return; }
    const phase = ROLE_PHASE[d.role];
    // A boot that ended stays ended until the next starts (boot_started).
    const going = IN_PROGRESS.has(b.phase) || (b.phase === 'off' && b.netboot);
    if (phase && going && (d.result === 'complete' || d.result === 'probe')) setPhase(b, phase);
  }
}

// --- drawing ---------------------------------------------------------------------------------

function schedule() {
  if (!state.frame) state.frame = requestAnimationFrame(render);
}

function tileText(b) {
  if (b.phase === 'booted' && b.lastBoot) {
    return `booted ${ago(b.lastBoot.started_ms + b.lastBoot.total_ms)}`;
  }
  if (b.phase === 'failed') return `failed: ${(b.detail || '').split(':')[0].split('/').pop()}`;
  return b.detail && b.phase === 'off' ? b.detail : PHASE_LABEL[b.phase];
}

function tileTitle(b) {
  const lines = [`${b.serial}${b.name ? ' ' + b.name : ''}`, `image: ${b.image || '-'}`,
                 `model: ${b.model || '-'}`, `phase: ${PHASE_LABEL[b.phase]}`];
  if (b.detail) lines.push(b.detail);
  if (b.lastBoot) lines.push(`last boot: ${b.lastBoot.result}, ${localTime(b.lastBoot.started_ms)}`);
  return lines.join('\n');
}

function drawTile(b) {
  const t = b.tile;
  t.className = `tile phase-${b.phase}${state.selected === b.serial ? ' selected' : ''}`;
  t.dataset.phase = b.phase;
  t.dataset.detail = b.detail || '';
  t.firstChild.textContent = b.name || b.serial;
  t.lastChild.textContent = tileText(b);
  t.title = tileTitle(b);
}

function groups() {
  const by = new Map();
  for (const b of state.boards.values()) {
    const g = b.labels[state.groupBy] || '';
    if (!by.has(g)) by.set(g, []);
    by.get(g).push(b);
  }
  return [...by.entries()].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b, undefined, {numeric: true})));
}

function rackActions(name) {
  if (!state.token || name === '') return null;
  const images = el('select', {'aria-label': `image for rack ${name}`},
                    ...state.images.map((i) => el('option', {value: i.name}, i.name)));
  const selector = {labels: {[state.groupBy]: name}};
  const act = (set, what) => bulk(selector, set, `rack ${name}: ${what}`);
  return el('span', {class: 'rack-actions'}, images,
            el('button', {onclick: () => act({image: images.value}, `moved to ${images.value}`)}, 'move rack'),
            el('button', {onclick: () => act({netboot: true}, 'netboot on')}, 'netboot on'),
            el('button', {onclick: () => act({netboot: false}, 'netboot off')}, 'netboot off'));
}

function layout() {
  const racks = $('racks');
  racks.textContent = '';
  for (const [name, boards] of groups()) {
    boards.sort((a, b) => (a.name || a.serial).localeCompare(b.name || b.serial, undefined, {numeric: true}));
    const grid = el('div', {class: 'grid'});
    for (const b of boards) {
      b.tile = el('div', {class: 'tile', 'data-serial': b.serial, onclick: () => select(b.serial)},
                  el('span', {class: 'name'}), el('span', {class: 'what'}));
      grid.append(b.tile);
      state.dirty.add(b);
    }
    const tally = el('span', {class: 'tally'});
    const section = el('section', {class: 'rack', 'data-rack': name},
                       el('div', {class: 'rack-head'},
                          el('h2', {}, name === '' ? `(no ${state.groupBy} label)` : `${state.groupBy} ${name}`),
                          tally, rackActions(name)),
                       grid);
    section.tally = tally;
    section.boards = boards;
    racks.append(section);
  }
  state.layoutDirty = false;
}

function render() {
  state.frame = 0;
  state.stats.renders++;
  if (state.layoutDirty) layout();
  for (const b of state.dirty) if (b.tile) drawTile(b);
  state.dirty.clear();
  const counts = Object.fromEntries(PHASES.map((p) => [p, 0]));
  for (const b of state.boards.values()) counts[b.phase]++;
  const inProgress = counts.dhcp + counts.firmware + counts.config + counts.kernel;
  state.stats.maxInProgress = Math.max(state.stats.maxInProgress, inProgress);
  const summary = $('summary');
  summary.textContent = '';
  summary.append(el('span', {}, `${state.boards.size} boards:`));
  for (const p of PHASES) {
    summary.append(el('span', {class: `count phase-${p}`, 'data-phase': p}, `${PHASE_LABEL[p]} ${counts[p]}`));
  }
  for (const section of $('racks').children) {
    const c = {};
    for (const b of section.boards) c[b.phase] = (c[b.phase] || 0) + 1;
    section.tally.textContent = `${section.boards.length} boards: ` +
        PHASES.filter((p) => c[p]).map((p) => `${c[p]} ${PHASE_LABEL[p]}`).join(', ');
  }
}

function banner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = !text;
}

// --- one board -------------------------------------------------------------------------------

async function select(serial) {
  const previous = state.boards.get(state.selected);
  state.selected = serial;
  if (previous) touch(previous);
  const b = state.boards.get(serial);
  if (b) touch(b);
  const box = $('board');
  box.hidden = false;
  box.textContent = 'loading…';
  let board;
  let timeline = null;
  try {
    board = await api('GET', `/api/v1/boards/${serial}`);
    timeline = await api('GET', `/api/v1/boards/${serial}/timeline`).catch(() => null);
  } catch (e) {
    box.textContent = String(e.message);
    return;
  }
  if (state.selected !== serial) return;
  drawBoard(board, timeline);
}

function drawBoard(board, timeline) {
  const box = $('board');
  box.textContent = '';
  const b = state.boards.get(board.serial);
  const dl = el('dl');
  const row = (k, v, cls) => dl.append(el('dt', {}, k), el('dd', cls ? {class: cls} : {}, v));
  row('serial', board.serial);
  row('name', board.name || '-');
  row('image', board.image || '-');
  row('model', board.model || '-');
  row('netboot', board.netboot ? 'on' : 'off');
  row('address', board.ip || '-');
  row('labels', Object.entries(board.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '-');
  row('phase', b ? PHASE_LABEL[b.phase] + (b.detail ? ` (${b.detail})` : '') : '-', b && b.phase === 'failed' ? 'failed' : '');
  const last = board.last_boot;
  if (last) {
    row('last boot', `${last.result} at ${localTime(last.started_ms)} in ${last.total_ms} ms` +
        (last.failed_file ? `, on ${last.failed_file}: ${last.reason}` : ''), last.result === 'failed' ? 'failed' : '');
  }
  box.append(el('h2', {}, `Board ${board.name || board.serial}`), dl);
  if (state.token) box.append(boardActions(board));
  const boot = timeline && (timeline.boot || timeline.last_boot);
  if (boot) {
    const rows = boot.files.map((f) => el('tr', {}, el('td', {class: 'file', title: f.file}, f.file),
                                          el('td', {}, `${f.ms} ms`), el('td', {}, bytes(f.bytes)),
                                          el('td', {}, f.result)));
    box.append(el('h2', {}, timeline.boot ? 'Boot in progress' : 'Last boot'),
               el('table', {class: 'files'}, el('thead', {}, el('tr', {}, el('th', {}, 'file'), el('th', {}, 'time'),
                                                                 el('th', {}, 'bytes'), el('th', {}, 'result'))),
                  el('tbody', {}, ...rows)));
  }
  if (timeline) {
    const events = timeline.events.slice(-15).reverse().map((e) => el('tr', {},
        el('td', {}, new Date(e.at_ms).toLocaleTimeString()), el('td', {}, e.kind),
        el('td', {class: 'file', title: e.file || e.type || ''}, e.file || e.type || ''),
        el('td', {}, e.result || '')));
    box.append(el('h2', {}, 'Timeline'), el('table', {class: 'events'}, el('tbody', {}, ...events)));
  }
}

function boardActions(board) {
  const images = el('select', {'aria-label': 'image'},
                    ...state.images.map((i) => el('option', Object.assign({value: i.name},
                                                                          i.name === board.image ? {selected: ''} : {}),
                                                  i.name)));
  const out = el('p', {class: 'result'});
  const change = async (patch, what) => {
    try {
      upsert(await api('PATCH', `/api/v1/boards/${board.serial}`, patch));
      await select(board.serial);  // drawn again, as it is now
      $('board').append(el('p', {class: 'result'}, `${what}: done`));
    } catch (e) {
      out.textContent = `${what}: ${e.message}`;
      out.className = 'error';
    }
  };
  return el('div', {class: 'actions'}, images,
            el('button', {onclick: () => change({image: images.value}, `moved to ${images.value}`)}, 'move to image'),
            el('button', {onclick: () => change({netboot: !board.netboot}, `netboot ${board.netboot ? 'off' : 'on'}`)},
               board.netboot ? 'netboot off' : 'netboot on'),
            out);
}

async function bulk(selector, set, what) {
  try {
    const r = await api('POST', '/api/v1/boards:update', {selector, set});
    banner(`${what}: ${r.changed} of ${r.matched} boards changed`);
    await loadBoards();
  } catch (e) {
    banner(`${what}: ${e.message}`);
  }
}

// --- loading and the stream --------------------------------------------------------------------

async function loadBoards() {
  let after = '';
  for (let page = 0; page < 1000; ++page) {
    const j = await api('GET', `/api/v1/boards?limit=1000${after ? '&after=' + after : ''}`);
    for (const b of j.items) upsert(b);
    if (!j.next) break;
    after = j.next;
  }
}

// The boots going on now, from what the stream keeps; then the stream from there.
async function catchUp() {
  const j = await api('GET', '/api/v1/events/history?limit=1000');
  for (const e of j.items) apply(e.kind, e.data);
  state.lastId = j.last_id;
}

let source = null;

function connect() {
  if (source) source.close();
  source = new EventSource(`/api/v1/events${state.lastId !== null ? '?after=' + state.lastId : ''}`);
  source.onopen = () => {
    state.stats.connected = true;
    $('live').textContent = 'live';
    $('live').className = 'live on';
  };
  source.onerror = () => {
    state.stats.connected = false;
    $('live').textContent = 'reconnecting';
    $('live').className = 'live off';
  };
  for (const kind of ['dhcp', 'tftp', 'boot', 'lost']) {
    source.addEventListener(kind, (m) => {
      if (m.lastEventId) state.lastId = Number(m.lastEventId);
      apply(kind, JSON.parse(m.data));
    });
  }
}

let reloading = false;
async function reload() {
  if (reloading) return;
  reloading = true;
  try {
    await loadBoards();
  } finally {
    reloading = false;
  }
}

async function pollTransfers() {
  if (document.hidden) return;
  try {
    const j = await api('GET', '/api/v1/transfers');
    const items = j.items.slice().sort((a, b) => b.rate_bps - a.rate_bps).slice(0, 20);
    $('transfer-count').textContent = `(${j.items.length}${j.truncated ? '+' : ''})`;
    const body = $('transfers').tBodies[0];
    body.textContent = '';
    for (const t of items) {
      const client = t.client.split(':')[0];
      const board = state.boards.get(t.serial || state.byIp.get(client));
      body.append(el('tr', {}, el('td', {title: t.client}, board ? board.name || board.serial : client),
                     el('td', {class: 'file', title: t.file}, t.file),
                     el('td', {}, `${bytes(t.bytes_sent)}${t.size ? ' of ' + bytes(t.size) : ''}`),
                     el('td', {}, `${bytes(t.rate_bps)}/s`)));
    }
  } catch (e) {
    $('transfer-count').textContent = `(${e.message})`;
  }
}

async function pollQuirks() {
  if (document.hidden) return;
  try {
    const text = await (await fetch('/metrics')).text();
    const list = $('quirks');
    list.textContent = '';
    for (const m of text.matchAll(/^rackboot_(tftp|dhcp)_quirks_total\{quirk="([^"]+)"\} (\d+)/gm)) {
      if (Number(m[3]) > 0) list.append(el('li', {}, `${m[2]} (${m[1]}): ${m[3]}`));
    }
    if (!list.children.length) list.append(el('li', {}, 'none seen'));
  } catch (e) {
    $('quirks').textContent = String(e.message);
  }
}

function showMode() {
  $('mode').textContent = state.token ? 'changes allowed' : 'read-only';
  $('token').value = state.token;
  state.layoutDirty = true;  // the racks' actions
  schedule();
}

async function start() {
  $('group-by').value = state.groupBy;
  $('group-by').addEventListener('change', () => {
    state.groupBy = $('group-by').value.trim() || 'rack';
    localStorage.setItem('rackboot-group-by', state.groupBy);
    state.layoutDirty = true;
    schedule();
  });
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim();
    if (state.token) sessionStorage.setItem('rackboot-token', state.token);
    else sessionStorage.removeItem('rackboot-token');
    showMode();
    if (state.selected) select(state.selected);
  });
  showMode();
  try {
    const status = await api('GET', '/api/v1/status');
    $('server').textContent = `${status.version} · ${status.backend} · ${status.workers} worker(s)`;
    if (status.inventory) {
      state.images = (await api('GET', '/api/v1/images')).items;
      await loadBoards();
    } else {
      banner('This rackbootd keeps no boards: start it with --state DIR to see its racks.');
    }
    await catchUp();
  } catch (e) {
    banner(`cannot read the boards: ${e.message}`);
  }
  schedule();
  connect();
  pollTransfers();
  pollQuirks();
  setInterval(pollTransfers, 2000);
  setInterval(pollQuirks, 5000);
  setInterval(() => {  // ages move on
    for (const b of state.boards.values()) if (b.phase === 'booted') state.dirty.add(b);
    schedule();
  }, 30000);
}

start();
