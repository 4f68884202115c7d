import { Api, ApiError } from './api.js';
import { DevSession, EntraSession, loadConfig } from './auth.js';

const $ = selector => document.querySelector(selector);
const terminalOperation = new Set(['Succeeded', 'Failed', 'TimedOut', 'Cancelled']);
const terminalBatch = new Set(['Succeeded', 'Failed', 'Cancelled']);
const batchesKey = 'ldfleet.batches';

// Refresh every 2 s while something is in flight, every 10 s when the fleet is quiet, backing off to 30 s while
// the API fails; an action of the user refreshes at once.
const fastPoll = 2000;
const slowPoll = 10000;
const maxPoll = 30000;

const state = {
  config: null,
  entraApp: null,
  session: null,
  api: null,
  knownSites: new Set(),
  emulators: [],
  selected: new Set(),
  batches: new Map(JSON.parse(sessionStorage.getItem(batchesKey) ?? '[]').map(id => [id, null])),
  detailId: null,
  detail: null,
  operations: [],
  failures: 0,
  timer: 0,
  pending: null,
};

function announce(text) {
  $('#status').textContent = text;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') {
      node.className = value;
    } else if (key.startsWith('data-') || key.startsWith('aria-')) {
      node.setAttribute(key, value);
    } else {
      node[key] = value;
    }
  }

  node.append(...children.filter(c => c !== null && c !== undefined));
  return node;
}

function badge(value) {
  return el('span', { class: `badge state-${value}` }, String(value));
}

function time(value) {
  if (!value) {
    return el('span', {}, '—');
  }

  const date = new Date(value);
  return el('time', { dateTime: date.toISOString(), title: date.toISOString() }, date.toLocaleTimeString());
}

/**
 * Brings a tbody in line with items, keeping the rows that stay (and whatever has focus in them): polling must not
 * throw away the checkbox or button a keyboard user is on.
 */
function reconcile(tbody, items, key, render) {
  const existing = new Map(Array.from(tbody.rows, row => [row.dataset.key, row]));
  const wanted = new Set(items.map(key));
  for (const [id, row] of existing) {
    if (!wanted.has(id)) {
      row.remove();
    }
  }

  let previous = null;
  for (const item of items) {
    const id = key(item);
    let row = existing.get(id);
    if (!row) {
      row = el('tr', { 'data-key': id });
    }

    render(row, item);
    const expectedPosition = previous ? previous.nextSibling : tbody.firstChild;
    if (row !== expectedPosition) {
      tbody.insertBefore(row, expectedPosition);
    }

    previous = row;
  }
}

/** Replaces a row's cells only when what they show changed, so focus and selection in them survive. */
function setCells(row, signature, build) {
  if (row.dataset.signature === signature) {
    return;
  }

  row.dataset.signature = signature;
  row.replaceChildren(...build());
}

// ---------------------------------------------------------------------------------------------------- sign-in

async function start() {
  try {
    state.config = await loadConfig();
  } catch (error) {
    showSignIn(error.message);
    return;
  }

  if (state.config.entra) {
    try {
      const { app, session } = await EntraSession.restore(state.config.entra);
      state.entraApp = app;
      if (session) {
        await signedIn(session);
        return;
      }
    } catch (error) {
      showSignIn(`Microsoft sign-in failed: ${error.message}`);
      return;
    }
  }

  const dev = state.config.devIssuer ? DevSession.restore() : null;
  if (dev) {
    await signedIn(dev);
    return;
  }

  showSignIn('');
}

function showSignIn(error) {
  $('#app').hidden = true;
  $('#who').hidden = true;
  $('#sign-in').hidden = false;
  $('#sign-in-loading').hidden = true;
  $('#entra-sign-in').hidden = !state.config?.entra;
  $('#dev-sign-in').hidden = !state.config?.devIssuer;
  if (state.config && !state.config.entra && !state.config.devIssuer) {
    error ||= 'This deployment offers no way to sign in: configure AzureAd (Entra ID) for the API.';
  }

  $('#sign-in-error').textContent = error;
}

async function signedIn(session) {
  state.session = session;
  state.api = new Api(() => session.token());
  try {
    // One cheap read proves the token is accepted and carries a role before the page shows anything.
    await state.api.get('/api/sites?pageSize=1');
  } catch (error) {
    await session.signOut();
    state.session = null;
    const reason = error instanceof ApiError && error.status === 401
      ? 'The API refused this token (401): it is malformed, expired or from another issuer.'
      : error instanceof ApiError && error.status === 403
        ? 'This token carries no Fleet role (403): ask for Fleet.Read, Fleet.Operate or Fleet.Admin.'
        : `Signing in failed: ${error.message}`;
    showSignIn(reason);
    return;
  }

  session.keep();
  $('#sign-in').hidden = true;
  $('#app').hidden = false;
  $('#who').hidden = false;
  const roles = session.roles.length ? ` (${session.roles.join(', ')})` : '';
  $('#who-text').textContent = `Signed in as ${session.name}${roles}`;
  announce(`Signed in as ${session.name}.`);
  updateSelection();

  // The sign-in form just disappeared under the keyboard's focus: continue at the start of the content.
  $('#main').focus();
  await refresh();
}

function canOperate() {
  const roles = state.session?.roles ?? [];
  return roles.length === 0 || roles.includes('Fleet.Operate') || roles.includes('Fleet.Admin');
}

// ---------------------------------------------------------------------------------------------------- polling

function schedule(delay) {
  clearTimeout(state.timer);
  state.timer = setTimeout(refresh, delay);
}

function busy() {
  return [...state.batches.values()].some(b => b && !terminalBatch.has(b.status))
    || state.operations.some(o => !terminalOperation.has(o.status))
    || state.emulators.some(e => e.state === 'starting');
}

async function refresh() {
  if (!state.session) {
    return;
  }

  // One refresh at a time; a refresh asked for during one runs right after it.
  if (state.pending) {
    state.again = true;
    return state.pending;
  }

  state.pending = (async () => {
    try {
      await Promise.all([loadEmulators(), loadBatches(), loadOperations(), loadDetail()]);
      await loadSites();
      if (state.failures > 0) {
        announce('Connection to the API restored.');
      }

      state.failures = 0;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        clearTimeout(state.timer);
        await state.session.signOut();
        state.session = null;
        showSignIn('Your sign-in expired or was revoked (401). Sign in again.');
        return;
      }

      state.failures++;
      announce(`Refreshing failed: ${error.message} Retrying.`);
    } finally {
      state.pending = null;
    }

    if (state.again) {
      state.again = false;
      schedule(0);
      return;
    }

    // A tab in the background polls rarely and catches up as soon as it is shown again.
    const delay = document.hidden ? maxPoll
      : state.failures > 0 ? Math.min(maxPoll, fastPoll * 2 ** state.failures) : busy() ? fastPoll : slowPoll;
    schedule(delay);
  })();
  return state.pending;
}

// ---------------------------------------------------------------------------------------------------- sites

async function loadSites() {
  const registered = (await state.api.list('/api/sites', { pageSize: 1000 })).items;
  const ids = new Set([...registered.map(s => s.id), ...state.knownSites]);
  const sites = await Promise.all([...ids].sort().map(async id => {
    const site = registered.find(s => s.id === id) ?? null;
    const relay = await state.api.get(`/api/sites/${encodeURIComponent(id)}/relay`).catch(error => {
      if (error instanceof ApiError && error.status === 404) {
        return null;
      }

      throw error;
    });
    const hosts = (await state.api.list(`/api/sites/${encodeURIComponent(id)}/hosts`)).items;
    return { id, site, relay, hosts };
  }));

  reconcile($('#sites tbody'), sites, s => s.id, (row, s) => {
    const status = s.relay ? (s.relay.online ? 'online' : 'offline') : 'never-seen';
    setCells(row, JSON.stringify([status, s.relay?.lastHeartbeat, s.relay?.version, s.relay?.commandsInFlight, s.site?.displayName]), () => [
      el('th', { scope: 'row' }, s.site?.displayName && s.site.displayName !== s.id ? `${s.site.displayName} (${s.id})` : s.id),
      el('td', {}, badge(status)),
      el('td', {}, time(s.relay?.lastHeartbeat)),
      el('td', {}, s.relay?.version ?? '—'),
      el('td', {}, String(s.relay?.commandsInFlight ?? '—')),
    ]);
  });

  const hosts = sites.flatMap(s => s.hosts);
  reconcile($('#hosts tbody'), hosts, h => `${h.siteId}/${h.id}`, (row, h) => {
    setCells(row, JSON.stringify([h.status, h.circuit, h.emulatorCount, h.lastInventoryAt, h.lastError]), () => [
      el('td', {}, h.siteId),
      el('th', { scope: 'row' }, h.id),
      el('td', { class: 'status' }, badge(h.status)),
      el('td', { class: 'circuit' }, ...circuitCell(h.circuit)),
      el('td', {}, String(h.emulatorCount)),
      el('td', {}, time(h.lastInventoryAt)),
      el('td', {}, h.circuit?.state === 'open' && h.circuit.lastError ? h.circuit.lastError : h.lastError ?? ''),
      el('td', {}, testButton(h)),
    ]);
  });

  fillOptions($('#filters select[name=siteId]'), [...ids].sort());
  fillOptions($('#filters select[name=hostId]'), [...new Set(hosts.map(h => h.id))].sort());
}

/** "Test": the relay tries to reach the host, run ldconsole and read list2, and the result is shown under the table. */
function testButton(host) {
  const button = el('button', { type: 'button', class: 'test-connection', 'aria-label': `Test the connection to ${host.siteId}/${host.id}` }, 'Test');
  button.disabled = !canOperate();
  button.addEventListener('click', () => testConnection(host, button));
  return button;
}

async function testConnection(host, button) {
  const target = `${host.siteId}/${host.id}`;
  const region = $('#connection-test');
  region.hidden = false;
  region.replaceChildren(`Testing the connection to ${target}…`);
  button.disabled = true;
  try {
    const path = `/api/sites/${encodeURIComponent(host.siteId)}/hosts/${encodeURIComponent(host.id)}/test-connection`;
    let operation = await (await state.api.request('POST', path)).json();
    for (let i = 0; i < 60 && !terminalOperation.has(operation.status); i++) {
      // The API answered before the relay did (202): follow the operation for a while.
      await new Promise(resolve => setTimeout(resolve, 1000));
      operation = await state.api.get(`/api/operations/${encodeURIComponent(operation.id)}`);
    }

    region.replaceChildren(...connectionReport(target, operation));
  } catch (error) {
    region.replaceChildren(`Could not test ${target}: ${error.message}`);
  } finally {
    button.disabled = !canOperate();
  }
}

function connectionReport(target, operation) {
  const data = operation.steps?.at(-1)?.data ?? {};
  const stages = (data.stages ?? '').split(',').filter(s => s);
  const passed = operation.status === 'Succeeded';
  const summary = passed
    ? `Connection to ${target} passed in ${data.totalMs} ms`
    : `Connection to ${target} ${operation.status.toLowerCase()}: ${operation.errorCode ?? ''} ${operation.error ?? ''}`;
  const list = el('ul', { class: 'stages' }, ...stages.map(stage => el('li', {},
    badge(data[`stage.${stage}.ok`] === 'true' ? 'passed' : 'failed'), ` ${stage} `, `${data[`stage.${stage}.ms`] ?? '?'} ms`,
    data[`stage.${stage}.error`] ? ` — ${data[`stage.${stage}.error`]}` : '',
    stage === 'list2' && data['stage.list2.emulators'] ? ` — ${data['stage.list2.emulators']} emulators, ${data['stage.list2.running']} running` : '')));
  announce(summary + '.');
  return [el('strong', { class: passed ? 'passed' : 'failed' }, summary), list];
}

/**
 * The relay's circuit breaker for a host: its state as a badge, since when, and while it is not closed how many
 * failures to reach the host opened it and when the next probe may go through. Relays that report no circuit: a dash.
 */
function circuitCell(circuit) {
  if (!circuit) {
    return [el('span', {}, '—')];
  }

  const parts = [badge(circuit.state), ' since ', time(circuit.since)];
  if (circuit.state !== 'closed') {
    parts.push(` after ${circuit.consecutiveFailures} failure${circuit.consecutiveFailures === 1 ? '' : 's'}`);
    if (circuit.retryAt) {
      parts.push('; next probe ', time(circuit.retryAt));
    }
  }

  return parts;
}

function fillOptions(select, values) {
  const current = [...select.options].slice(1).map(o => o.value);
  if (current.join('\n') === values.join('\n')) {
    return;
  }

  const chosen = select.value;
  select.replaceChildren(select.options[0], ...values.map(v => el('option', { value: v }, v)));
  select.value = values.includes(chosen) ? chosen : '';
}

// ---------------------------------------------------------------------------------------------------- emulators

function filters() {
  return Object.fromEntries(new FormData($('#filters')));
}

async function loadEmulators() {
  const { items, complete } = await state.api.list('/api/emulators', { ...filters(), pageSize: 1000 });
  state.emulators = items;
  items.forEach(e => state.knownSites.add(e.siteId));
  const shown = new Set(items.map(e => e.id));
  for (const id of state.selected) {
    if (!shown.has(id)) {
      state.selected.delete(id);
    }
  }

  $('#emulators-caption').textContent = `${items.length}${complete ? '' : '+'} emulators`
    + (complete ? '' : ' (the first pages only: narrow the filters to see the rest)');
  reconcile($('#emulators tbody'), items, e => e.id, renderEmulator);
  updateSelection();
}

function renderEmulator(row, e) {
  const labels = Object.entries(e.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  row.dataset.state = e.state;
  row.classList.toggle('selected', state.selected.has(e.id));
  setCells(row, JSON.stringify([e.state, e.title, labels]), () => {
    const box = el('input', { type: 'checkbox', checked: state.selected.has(e.id), 'aria-label': `Select ${e.title} (${e.siteId}/${e.hostId} #${e.index})` });
    box.addEventListener('change', () => {
      if (box.checked) {
        state.selected.add(e.id);
      } else {
        state.selected.delete(e.id);
      }

      row.classList.toggle('selected', box.checked);
      updateSelection();
    });
    return [
      el('td', {}, box),
      el('td', {}, e.siteId),
      el('td', {}, e.hostId),
      el('td', {}, String(e.index)),
      el('th', { scope: 'row' }, e.title),
      el('td', { class: 'state' }, badge(e.state)),
      el('td', {}, labels),
    ];
  });
  const box = row.querySelector('input[type=checkbox]');
  if (box && box.checked !== state.selected.has(e.id)) {
    box.checked = state.selected.has(e.id);
  }
}

function updateSelection() {
  const count = state.selected.size;
  $('#selected-count').textContent = String(count);
  const allowed = canOperate();
  for (const button of document.querySelectorAll('[data-action]')) {
    button.disabled = count === 0 || !allowed;
    button.title = allowed ? '' : 'Needs the Fleet.Operate role.';
  }

  const all = $('#select-all');
  all.checked = count > 0 && count === state.emulators.length;
  all.indeterminate = count > 0 && count < state.emulators.length;
}

async function startBatch(workflow) {
  const targets = state.emulators.filter(e => state.selected.has(e.id)).map(e => ({ siteId: e.siteId, hostId: e.hostId, index: e.index }));
  if (targets.length === 0) {
    return;
  }

  $('#action-error').textContent = '';
  try {
    const batch = await state.api.start('/api/batches', { workflow, selector: { targets } });
    state.batches = new Map([[batch.id, batch], ...state.batches]);
    sessionStorage.setItem(batchesKey, JSON.stringify([...state.batches.keys()].slice(0, 20)));
    state.selected.clear();
    document.querySelectorAll('#emulators tbody input[type=checkbox]').forEach(b => { b.checked = false; });
    document.querySelectorAll('#emulators tbody tr.selected').forEach(r => r.classList.remove('selected'));
    updateSelection();
    renderBatches();
    announce(`Batch started: ${workflow} on ${targets.length} emulator${targets.length === 1 ? '' : 's'}.`);
    schedule(0);
  } catch (error) {
    $('#action-error').textContent = `Could not start ${workflow}: ${error.message}`;
  }
}

// ---------------------------------------------------------------------------------------------------- batches

async function loadBatches() {
  await Promise.all([...state.batches].map(async ([id, batch]) => {
    if (batch && terminalBatch.has(batch.status)) {
      return;
    }

    try {
      const fresh = await state.api.get(`/api/batches/${encodeURIComponent(id)}`);
      if (batch && !terminalBatch.has(batch.status) && terminalBatch.has(fresh.status)) {
        announce(`Batch ${fresh.workflow} finished: ${fresh.status} (${fresh.counts.succeeded} succeeded, ${fresh.counts.failed + fresh.counts.timedOut} failed).`);
      }

      state.batches.set(id, fresh);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        state.batches.delete(id);
        return;
      }

      throw error;
    }
  }));
  renderBatches();
}

function renderBatches() {
  const list = $('#batches');
  const batches = [...state.batches.values()].filter(Boolean);
  $('#no-batches').hidden = batches.length > 0;
  const existing = new Map(Array.from(list.children, li => [li.dataset.key, li]));
  for (const [id, li] of existing) {
    if (!state.batches.has(id)) {
      li.remove();
    }
  }

  let previous = null;
  for (const b of batches) {
    let li = existing.get(b.id);
    if (!li) {
      li = el('li', { 'data-key': b.id });
    }

    const c = b.counts;
    const done = c.succeeded + c.failed + c.timedOut + c.cancelled + c.skipped;
    const signature = JSON.stringify([b.status, c]);
    if (li.dataset.signature !== signature) {
      li.dataset.signature = signature;
      const headingId = `batch-${b.id}`;
      li.setAttribute('aria-labelledby', headingId);
      const cancel = terminalBatch.has(b.status) || b.cancelRequested ? null : el('button', { type: 'button' }, 'Cancel batch');
      cancel?.setAttribute('aria-label', `Cancel batch ${b.workflow} started ${new Date(b.createdAt).toLocaleTimeString()}`);
      cancel?.addEventListener('click', async () => {
        try {
          await state.api.request('POST', `/api/batches/${encodeURIComponent(b.id)}/cancel`);
          announce(`Cancelling batch ${b.workflow}.`);
          schedule(0);
        } catch (error) {
          announce(`Could not cancel the batch: ${error.message}`);
        }
      });
      li.replaceChildren(
        el('h3', { id: headingId }, `${b.workflow} × ${b.total} `, badge(b.status)),
        el('progress', { max: Math.max(1, b.total), value: done, 'aria-label': `Batch ${b.workflow} progress: ${done} of ${b.total} done` }),
        el('p', { class: 'counts' },
          `${done} of ${b.total} done — ${c.succeeded} succeeded, ${c.failed} failed, ${c.timedOut} timed out, `
          + `${c.cancelled} cancelled, ${c.skipped} skipped, ${c.running} running, ${c.pending} pending`
          + (b.stopReason ? ` — ${b.stopReason}` : '')),
        ...(cancel ? [cancel] : []));
    }

    const expectedPosition = previous ? previous.nextSibling : list.firstChild;
    if (li !== expectedPosition) {
      list.insertBefore(li, expectedPosition);
    }

    previous = li;
  }
}

// ---------------------------------------------------------------------------------------------------- operations

async function loadOperations() {
  const since = new Date(Date.now() - 3600_000).toISOString();
  const status = new FormData($('#operation-filters')).get('status');
  const { items } = await state.api.list('/api/operations', { createdAfter: since, status, pageSize: 500 }, 4);
  state.operations = items.reverse().slice(0, 100);
  reconcile($('#operations tbody'), state.operations, o => o.id, (row, o) => {
    const target = `${o.siteId}/${o.hostId}${o.index === null || o.index === undefined ? '' : ' #' + o.index}`;
    setCells(row, JSON.stringify([o.status, o.errorCode, o.waitingFor]), () => {
      const show = el('button', { type: 'button', 'aria-label': `Steps of ${o.workflow} on ${target}` }, 'Steps');
      show.addEventListener('click', () => showDetail(o.id));
      return [
        el('td', {}, time(o.createdAt)),
        el('th', { scope: 'row' }, o.workflow),
        el('td', {}, target),
        el('td', {}, badge(o.status)),
        el('td', {}, o.errorCode ? `${o.errorCode}: ${o.error ?? ''}` : waitingText(o)),
        el('td', {}, show),
      ];
    });
  });
}

// Mutating operations on one emulator take turns: say whose turn it is rather than show a silent Pending.
function waitingText(o) {
  return o.waitingFor ? `Waiting for operation ${o.waitingFor} on this emulator` : '';
}

async function showDetail(id) {
  state.detailId = id;
  state.detail = null;
  await loadDetail();
  $('#operation-detail').hidden = false;
  $('#operation-detail').focus();
  schedule(fastPoll);
}

async function loadDetail() {
  if (!state.detailId || (state.detail && terminalOperation.has(state.detail.status))) {
    return;
  }

  const o = await state.api.get(`/api/operations/${encodeURIComponent(state.detailId)}`);
  state.detail = o;
  $('#operation-detail-title').textContent = `Operation ${o.workflow} on ${o.siteId}/${o.hostId}${o.index === null ? '' : ' #' + o.index}`;
  $('#operation-summary').replaceChildren(
    'Status ', badge(o.status), ` — id ${o.id}, created ${new Date(o.createdAt).toLocaleString()}`,
    o.completedAt ? `, finished ${new Date(o.completedAt).toLocaleString()}` : '',
    o.error ? ` — ${o.errorCode}: ${o.error}` : '',
    o.waitingFor ? ` — ${waitingText(o)}` : '');
  reconcile($('#steps tbody'), o.steps, s => s.name, (row, s) => {
    setCells(row, JSON.stringify(s), () => [
      el('th', { scope: 'row' }, s.name),
      el('td', {}, s.action),
      el('td', {}, badge(s.status)),
      el('td', {}, String(s.attempt)),
      el('td', {}, s.exitCode === null || s.exitCode === undefined ? '—' : String(s.exitCode)),
      el('td', {}, s.errorCode ? `${s.errorCode}: ${s.error ?? ''}` : ''),
      el('td', { class: 'output' }, s.output ?? ''),
    ]);
  });
}

// ---------------------------------------------------------------------------------------------------- wiring

$('#dev-sign-in').addEventListener('submit', async event => {
  event.preventDefault();
  const token = $('#dev-token').value.trim();
  $('#sign-in-error').textContent = '';
  if (!token) {
    $('#sign-in-error').textContent = 'Paste a token first.';
    return;
  }

  await signedIn(DevSession.create(token));
  $('#dev-token').value = '';
});

$('#entra-button').addEventListener('click', () => EntraSession.signIn(state.entraApp, state.config.entra).catch(error => {
  $('#sign-in-error').textContent = `Microsoft sign-in failed: ${error.message}`;
}));

$('#sign-out').addEventListener('click', async () => {
  clearTimeout(state.timer);
  const session = state.session;
  state.session = null;
  sessionStorage.removeItem(batchesKey);
  await session?.signOut();
  location.reload();
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.session) {
    schedule(0);
  }
});

$('#filters').addEventListener('submit', event => {
  event.preventDefault();
  state.selected.clear();
  schedule(0);
});

$('#filters').addEventListener('change', () => schedule(0));

$('#operation-filters').addEventListener('submit', event => {
  event.preventDefault();
  schedule(0);
});

$('#select-all').addEventListener('change', event => {
  state.selected = event.target.checked ? new Set(state.emulators.map(e => e.id)) : new Set();
  reconcile($('#emulators tbody'), state.emulators, e => e.id, renderEmulator);
  updateSelection();
});

for (const button of document.querySelectorAll('[data-action]')) {
  button.addEventListener('click', () => {
    const workflow = button.dataset.action;
    if (workflow !== 'delete') {
      startBatch(workflow);
      return;
    }

    $('#confirm-text').textContent = `Delete ${state.selected.size} emulator${state.selected.size === 1 ? '' : 's'} for good?`;
    $('#confirm-delete').hidden = false;
    $('#confirm-delete-yes').focus();
  });
}

$('#confirm-delete-yes').addEventListener('click', () => {
  $('#confirm-delete').hidden = true;
  startBatch('delete');
});

$('#confirm-delete-no').addEventListener('click', () => {
  $('#confirm-delete').hidden = true;
  document.querySelector('[data-action=delete]').focus();
});

start();
