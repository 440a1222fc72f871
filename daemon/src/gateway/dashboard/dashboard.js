// The dashboard's script (docs/dashboard.md): a plain browser module, no framework, no build.
// It reads the node's open JSON routes and redraws; the charts are uPlot (loaded before this
// module by index.html). Every value from the API goes into the page as text, never as HTML.

const $ = (id) => document.getElementById(id)
const SVG = 'http://www.w3.org/2000/svg'

/** A refresh of the tables every 2 s, of the charts every 1 s. */
const TABLES_MS = 2000
const SERIES_MS = 1000
/** Seconds the charts show at least (the series holds 300). */
const MIN_SECONDS_SHOWN = 60
/** Placements shown (the node keeps its latest 128). */
const PLACEMENTS_SHOWN = 15

const state = { self: '', node: null, open: new Set(), charts: {} }
// read by the headless browser test, and handy in the console
window.faasmeshDashboard = state

function el (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value
    else if (key === 'title') node.title = value
    else node[key] = value
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')))
  return node
}

function row (cells, className = '') {
  const tr = el('tr', className !== '' ? { class: className } : {})
  for (const c of cells) tr.append(c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c))
  return tr
}

/** An empty table's one row, across its columns. */
function emptyRow (text, columns) {
  return row([el('td', { colSpan: columns, class: 'muted' }, text)])
}

const short = (id) => id ? id.slice(0, 8) + '…' + id.slice(-6) : '-'
const ms = (v) => v == null ? '-' : v.toFixed(1) + ' ms'
const percent = (v) => (100 * v).toFixed(v > 0 && v < 0.1 ? 1 : 0) + ' %'
const age = (msValue) => msValue < 60_000 ? (msValue / 1000).toFixed(1) + ' s' : msValue < 3_600_000 ? Math.floor(msValue / 60_000) + ' min' : (msValue / 3_600_000).toFixed(1) + ' h'
const peerLabel = (id) => short(id) + (id === state.self ? ' (here)' : '')

async function getJson (path) {
  const res = await fetch(path)
  if (!res.ok) {
    const body = await res.json().catch(() => ({}))
    const err = new Error(body.error?.message ?? res.status + ' ' + res.statusText)
    err.name = body.error?.name ?? 'HttpError'
    throw err
  }
  return res.json()
}

/** A route this node may not have (no chains, no stats): its absence is an empty answer. */
async function optionalJson (path, empty) {
  try {
    return await getJson(path)
  } catch (err) {
    if (err.name === 'RouteNotFoundError') return empty
    throw err
  }
}

// ---- this node ----------------------------------------------------------------------------

function renderSelf (node) {
  $('node').textContent = 'peer ' + node.peerId + ' - version ' + node.version + (node.uptimeMs != null ? ' - up ' + age(node.uptimeMs) : '')
  const facts = [
    ['peer id', node.peerId],
    ['version', node.version],
    ['addresses', node.addrs.length > 0 ? node.addrs.join('\n') : 'none'],
    ['tags', Object.entries(node.tags ?? {}).map(([k, v]) => k + '=' + v).join(' ') || '-']
  ]
  if (node.slots != null) {
    facts.push(['slots free/total', node.slots.free + '/' + node.slots.total], ['queue', node.queueLength],
      ['speed', node.speed.toFixed(2)], ['battery', node.batteryPercent != null ? node.batteryPercent + ' %' : 'mains'],
      ['connections', node.connections.length], ['uptime', age(node.uptimeMs)])
  }
  const dl = $('self'); dl.replaceChildren()
  for (const [term, value] of facts) {
    dl.append(el('dt', {}, term), el('dd', term === 'addresses' || term === 'peer id' ? { class: 'mono' } : {}, ...String(value).split('\n').flatMap((line, i) => i === 0 ? [line] : [el('br'), line])))
  }
}

// ---- the mesh -----------------------------------------------------------------------------

/** Green when all slots are free, red when none is. */
function capacityColour (slots) {
  const share = slots.total > 0 ? slots.free / slots.total : 0
  return 'hsl(' + Math.round(120 * share) + ' 55% 55%)'
}

function svg (tag, attrs, text) {
  const node = document.createElementNS(SVG, tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value))
  if (text != null) node.append(document.createTextNode(text))
  return node
}

/**
 * This node in the centre, every peer it knows on a circle around it: a solid line for a
 * libp2p connection, a dashed one for a peer known only from its adverts (gossip relayed it).
 * Whom the other peers are connected to is not in their adverts, so it is not drawn.
 */
function renderGraph (peers, connections) {
  const graph = $('graph'); graph.replaceChildren()
  const byId = new Map(peers.map((p) => [p.peerId, p]))
  const ids = [...new Set([...peers.map((p) => p.peerId), ...connections])].filter((id) => id !== state.self).sort()
  const cx = 210; const cy = 140; const radius = ids.length > 0 ? 105 : 0
  const spots = ids.map((id, i) => {
    const angle = -Math.PI / 2 + 2 * Math.PI * i / ids.length
    return { id, x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle), direct: connections.includes(id), peer: byId.get(id) }
  })
  for (const s of spots) graph.append(svg('line', { x1: cx, y1: cy, x2: s.x, y2: s.y, class: s.direct ? 'direct' : 'advert' }))
  for (const s of spots) {
    const dot = svg('circle', { cx: s.x, cy: s.y, r: 9, fill: s.peer != null ? capacityColour(s.peer.slots) : '#ccc' })
    dot.append(svg('title', {}, s.id + (s.peer != null ? ' - ' + s.peer.slots.free + '/' + s.peer.slots.total + ' free' : ' - no advert yet') + (s.direct ? ', connected' : ', adverts only')))
    graph.append(dot, svg('text', { x: s.x, y: s.y + (s.y >= cy ? 22 : -14) }, s.id.slice(-6)))
  }
  const self = svg('circle', { cx, cy, r: 13, class: 'self' })
  self.append(svg('title', {}, 'this node: ' + state.self))
  graph.append(self, svg('text', { x: cx, y: cy + 28 }, 'this node'))
}

function renderPeers (peers, connections) {
  const body = $('peers'); body.replaceChildren()
  for (const p of peers) {
    const tags = Object.entries(p.tags).map(([k, v]) => k + '=' + v).join(' ') || '-'
    const link = connections.includes(p.peerId) ? 'direct' : 'adverts'
    body.append(row([el('td', { class: 'mono', title: p.peerId }, p.peerId), link, tags, p.slots.free + '/' + p.slots.total, p.queueLength,
      p.speed.toFixed(2), p.batteryPercent != null ? p.batteryPercent + ' %' : 'mains', p.warm.length, age(p.ageMs)]))
  }
  if (peers.length === 0) body.append(emptyRow('no peers yet', 9))
}

// ---- functions ----------------------------------------------------------------------------

/**
 * One row per function: the ones stored here (deployed or cached), the ones this node invoked
 * (by name), and the CIDs warm on peers; counts from the stats of what this node placed.
 */
function functionRows (stored, stats, peers) {
  const rows = new Map()
  const named = new Map()
  for (const f of stored) {
    const r = { names: f.names, cid: f.cid, where: [f.origin === 'local' ? 'deployed here' : 'cached here'], invocations: 0, errors: 0 }
    rows.set(f.cid, r)
    for (const n of f.names) named.set(n, r)
  }
  for (const s of stats) {
    let r = s.name != null ? named.get(s.name) : rows.get(s.cid)
    if (r == null) {
      r = { names: s.name != null ? [s.name] : [], cid: s.cid, where: [], invocations: 0, errors: 0 }
      rows.set(s.name != null ? 'name:' + s.name : s.cid, r)
      if (s.name != null) named.set(s.name, r)
    }
    r.invocations += s.invocations
    r.errors += s.errors
    // quantiles do not add up: the busiest entry's stand for the row
    if (r.busiest == null || s.invocations > r.busiest.invocations) r.busiest = s
  }
  const warmOn = new Map()
  for (const p of peers) for (const cid of p.warm) warmOn.set(cid, (warmOn.get(cid) ?? 0) + 1)
  for (const [cid, count] of warmOn) {
    const r = [...rows.values()].find((x) => x.cid === cid) ?? rows.set(cid, { names: [], cid, where: [], invocations: 0, errors: 0 }).get(cid)
    r.where.push('warm on ' + count + (count === 1 ? ' peer' : ' peers'))
  }
  return [...rows.values()].sort((a, b) => b.invocations - a.invocations || (a.names[0] ?? '~').localeCompare(b.names[0] ?? '~'))
}

function renderFunctions (rows) {
  const body = $('functions'); body.replaceChildren()
  for (const r of rows) {
    const errors = r.invocations > 0 ? r.errors + ' (' + percent(r.errors / r.invocations) + ')' : '-'
    const tr = row([r.names.join(', ') || '-', el('td', { class: 'mono', title: r.cid }, short(r.cid)), r.where.join(', ') || 'invoked from here',
      el('td', { class: 'num' }, r.invocations), el('td', { class: 'num' + (r.errors > 0 ? ' err' : '') }, errors),
      el('td', { class: 'num' }, ms(r.busiest?.p50Ms)), el('td', { class: 'num' }, ms(r.busiest?.p99Ms))])
    tr.dataset.cid = r.cid
    body.append(tr)
  }
  if (rows.length === 0) body.append(emptyRow('no functions yet: deploy one with faasmesh deploy <name> <file.wasm>', 7))
}

/** The invoke form's suggestions: names here and invoked from here, chains, CIDs warm in the mesh. */
function renderChoices (rows, chains) {
  const list = $('fn-names'); list.replaceChildren()
  const seen = new Set()
  const add = (value, label) => { if (!seen.has(value)) { seen.add(value); list.append(el('option', { value, label })) } }
  for (const r of rows) for (const n of r.names) add(n, r.where.join(', ') || 'invoked from here')
  for (const c of chains) add(c.name, 'chain')
  for (const r of rows) if (r.names.length === 0) add(r.cid, r.where.join(', '))
}

// ---- placements ---------------------------------------------------------------------------

function placementName (p) {
  if (p.chain != null) return 'chain ' + (p.chain.name ?? p.name ?? short(p.cid)) + ', ' + p.chain.steps.length + ' steps'
  return p.name ?? short(p.cid)
}

function renderPlacements (placements) {
  const body = $('placements'); body.replaceChildren()
  // a chain's steps have placement records of their own: shown under their chain, not again
  const stepPlacements = new Set()
  for (const p of placements) if (p.chain) for (const s of p.chain.steps) if (s.placementId) stepPlacements.add(s.placementId)
  const shown = placements.filter((p) => !stepPlacements.has(p.id)).slice(0, PLACEMENTS_SHOWN)
  for (const p of shown) {
    const bids = p.asked > 0 ? p.bids.filter((b) => b.outcome === 'bid').length + '/' + p.asked : '-'
    const failed = p.outcome != null && p.outcome !== 'ok'
    const outcome = el('td', failed ? { class: 'err' } : {}, p.outcome ?? 'running')
    if (failed && p.error != null) outcome.append(el('div', { class: 'muted' }, p.error.message))
    const toggle = el('button', { class: 'link', type: 'button' }, state.open.has(p.id) ? 'hide' : 'details')
    toggle.addEventListener('click', () => {
      if (state.open.has(p.id)) state.open.delete(p.id); else state.open.add(p.id)
      void refreshTables()
    })
    const tr = row([new Date(p.at).toLocaleTimeString(), placementName(p), p.policy, bids, peerLabel(p.executor), ms(p.placementMs), ms(p.totalMs), outcome, el('td', {}, toggle)])
    tr.dataset.id = p.id
    body.append(tr)
    if (p.chain) body.append(chainSteps(p))
    if (state.open.has(p.id)) body.append(placementDetails(p))
  }
  if (shown.length === 0) body.append(emptyRow('no invocations yet', 9))
}

/** A placement's details: the error, where the time went, the bids, the attempts, the logs. */
function placementDetails (p) {
  const cell = el('td', { colSpan: 9 })
  cell.append(el('div', { class: 'mono' }, 'placement ' + p.id + ' - cid ' + p.cid + (p.traceId != null ? ' - trace ' + p.traceId : '')))
  if (p.error != null) cell.append(el('h3', {}, 'error'), el('div', { class: 'err' }, p.error.name + ': ' + p.error.message))
  const phases = Object.entries(p.timings ?? {}).filter(([, v]) => v > 0)
  if (phases.length > 0) {
    const total = Math.max(p.totalMs ?? 0, phases.reduce((sum, [, v]) => sum + v, 0))
    const strip = el('div', { class: 'phases' })
    for (const [phase, v] of phases) {
      const part = el('div', { class: 'phase phase-' + phase, title: phase + ' ' + v.toFixed(1) + ' ms' })
      // through the CSSOM, not a style attribute: the page's CSP has no 'unsafe-inline'
      part.style.width = (100 * v / total) + '%'
      strip.append(part)
    }
    cell.append(el('h3', {}, 'where the time went (' + ms(p.totalMs) + ' in all)'), strip,
      el('div', { class: 'muted' }, phases.map(([phase, v]) => phase + ' ' + v.toFixed(1) + ' ms').join(' · ')))
  }
  if (p.bids.length > 0) {
    const bids = el('table', {}, row(['peer', 'outcome', 'estimate', 'price', 'score', 'round trip'], 'muted'))
    for (const b of p.bids) bids.append(row([peerLabel(b.peer), b.outcome + (b.reason ? ' (' + b.reason + ')' : ''), ms(b.estimatedMs), b.price?.toFixed(2) ?? '-', b.score?.toFixed(1) ?? '-', ms(b.rttMs)]))
    cell.append(el('h3', {}, 'bids'), bids)
  }
  if (p.attempts.length > 0) {
    const attempts = el('table', {}, row(['peer', 'outcome', 'time'], 'muted'))
    for (const a of p.attempts) attempts.append(row([peerLabel(a.peer), a.outcome, ms(a.ms)]))
    cell.append(el('h3', {}, 'attempts'), attempts)
  }
  if (p.logs != null && p.logs.length > 0) cell.append(el('h3', {}, 'logs'), el('pre', {}, p.logs.join('\n')))
  return row([cell], 'details')
}

// a chain placement's steps: a timeline bar, executor, start-end, bytes in/out, outcome
function chainSteps (p) {
  const c = p.chain
  const end = Math.max(1, p.totalMs ?? 0, ...c.steps.map((s) => s.endMs ?? 0))
  const t = (v) => v == null ? '…' : v.toFixed(1)
  const table = el('table', {}, row(['step', 'function', 'timeline', 'executor', 'start-end ms', 'bytes in', 'bytes out', 'outcome'], 'muted'))
  for (const s of c.steps) {
    const track = el('div', { class: 'track' })
    if (s.startMs != null) {
      // through the CSSOM, not a style attribute: the page's CSP has no 'unsafe-inline'
      const bar = el('div', { class: s.outcome === 'ok' || s.outcome === 'pending' ? 'bar' : 'bar failed' })
      bar.style.left = (100 * s.startMs / end) + '%'
      bar.style.width = (100 * ((s.endMs ?? end) - s.startMs) / end) + '%'
      track.append(bar)
    }
    const failed = s.outcome !== 'ok' && s.outcome !== 'pending'
    table.append(row([s.id, s.fn, el('td', {}, track), s.executor ? peerLabel(s.executor) : '-',
      s.startMs == null ? '-' : t(s.startMs) + '-' + t(s.endMs), s.bytesIn + ' B', s.bytesOut + ' B', el('td', failed ? { class: 'err' } : {}, s.outcome)]))
  }
  const traffic = el('div', { class: 'muted' }, 'locality ' + (c.locality ? 'on' : 'off') + ' - moved: invoke ' + c.traffic.invoke + ' B, chain data ' + c.traffic.chainData + ' B, state ' + c.traffic.state + ' B')
  return row([el('td', { colSpan: 9 }, table, traffic)], 'steps')
}

function renderChains (chains) {
  const body = $('chains'); body.replaceChildren()
  for (const c of chains) body.append(row([c.name, c.steps, c.fns.join(', '), el('td', { class: 'mono' }, c.cid), 'v' + c.version, new Date(c.deployedAt).toLocaleString()]))
  if (chains.length === 0) body.append(emptyRow('no chains deployed', 6))
}

// ---- charts -------------------------------------------------------------------------------

function chartWidth (id) {
  return Math.max(280, $(id).clientWidth || 400)
}

/** A chart of per-second series: `bars` for counts, else lines through the seconds that have a value, with their points. */
function makeChart (id, series, bars) {
  /* global uPlot */
  const paths = bars ? uPlot.paths.bars({ size: [0.8, 8] }) : undefined
  return new uPlot({
    width: chartWidth(id),
    height: 200,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    series: [{}, ...series.map(([label, stroke, fill]) => ({
      label,
      stroke,
      width: 1.5,
      ...(bars ? { paths, fill, points: { show: false } } : { spanGaps: false, points: { show: true, size: 5, fill: stroke } })
    }))],
    axes: [{}, { size: 50 }]
  }, [[], ...series.map(() => [])], $(id))
}

function ensureCharts () {
  if (state.charts.rate != null || typeof uPlot === 'undefined') return
  state.charts.rate = makeChart('chart-rate', [['invocations/s', '#4a6fd1', 'rgba(74, 111, 209, .35)'], ['errors/s', '#b3261e', 'rgba(179, 38, 30, .5)']], true)
  state.charts.latency = makeChart('chart-latency', [['p50 ms', '#2e7d32'], ['p99 ms', '#e69138']], false)
  window.addEventListener('resize', () => {
    for (const [id, chart] of [['chart-rate', state.charts.rate], ['chart-latency', state.charts.latency]]) chart.setSize({ width: chartWidth(id), height: 200 })
  })
}

async function refreshSeries () {
  const answer = await optionalJson('/v1/stats/series', { points: [] })
  ensureCharts()
  if (state.charts.rate == null) return
  // from the first second with an invocation (at least the last minute): a young node's few
  // seconds of traffic are not a sliver at the edge of five empty minutes
  const first = answer.points.findIndex((p) => p.count > 0)
  const points = answer.points.slice(Math.max(0, Math.min(first < 0 ? Infinity : first, answer.points.length - MIN_SECONDS_SHOWN)))
  const t = points.map((p) => p.t)
  state.charts.rate.setData([t, points.map((p) => p.count), points.map((p) => p.errors)])
  state.charts.latency.setData([t, points.map((p) => p.p50Ms ?? null), points.map((p) => p.p99Ms ?? null)])
}

// ---- polling ------------------------------------------------------------------------------

async function refreshTables () {
  const [node, stored, stats, peersAnswer, placementsAnswer, chainsAnswer] = await Promise.all([
    optionalJson('/v1/node', null).then((n) => n ?? getJson('/v1/health')),
    getJson('/v1/functions'),
    optionalJson('/v1/stats/functions', { functions: [] }),
    getJson('/v1/peers'),
    getJson('/v1/placements'),
    optionalJson('/v1/chains', { chains: [] })
  ])
  state.self = node.peerId
  state.node = node
  const connections = node.connections ?? []
  renderSelf(node)
  renderGraph(peersAnswer.peers, connections)
  renderPeers(peersAnswer.peers, connections)
  const rows = functionRows(stored.functions, stats.functions, peersAnswer.peers)
  renderFunctions(rows)
  renderChoices(rows, chainsAnswer.chains)
  renderPlacements(placementsAnswer.placements)
  renderChains(chainsAnswer.chains)
}

/** Runs `task` every `intervalMs`, never two at once; a failure shows in the header and is retried. */
function every (intervalMs, task) {
  const run = async () => {
    try {
      await task()
    } catch (err) {
      $('node').textContent = 'cannot reach the node: ' + err.message
    }
    setTimeout(run, intervalMs)
  }
  void run()
}

// ---- forms --------------------------------------------------------------------------------

$('invoke').addEventListener('submit', async (event) => {
  event.preventDefault()
  // beyond loopback a gateway may want a token (api.requireTokenFor): the one pasted above, never stored
  const token = $('token').value.trim()
  const res = await fetch('/v1/invoke/' + $('fn').value.split('/').map(encodeURIComponent).join('/'), { method: 'POST', body: $('input').value, headers: token ? { authorization: 'Bearer ' + token } : {} })
  const body = await res.text()
  const chain = res.headers.has('x-faasmesh-chain-steps') ? ['chain-steps', 'bytes-moved'] : []
  const meta = ['executor', 'bids', 'placement-ms', 'duration-ms', 'cold', 'fuel', ...chain].map((h) => h + ': ' + (res.headers.get('x-faasmesh-' + h) ?? '-')).join('  ')
  $('result').className = res.ok ? '' : 'err'
  $('result').textContent = res.status + '  ' + meta + '\n\n' + body
  void refreshTables()
})

$('state-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const out = $('state'); out.hidden = false
  try {
    const view = await getJson('/v1/state/' + encodeURIComponent($('state-key').value.trim()))
    const entries = Object.entries(view.entries).map(([k, v]) => k + ' = ' + atob(v))
    out.className = ''
    out.textContent = view.model + ' state, version ' + view.version + (view.home ? ', home ' + view.home : '') + '\n' + (entries.join('\n') || '(no entries)')
  } catch (err) {
    out.className = 'err'
    out.textContent = err.name + ': ' + err.message
  }
})

every(TABLES_MS, refreshTables)
every(SERIES_MS, refreshSeries)
