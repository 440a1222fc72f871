/**
 * The dashboard served at `GET /`: one self-contained page (no build step, no external assets)
 * that reads the same JSON API a script would. Its reads are open routes; its invoke form sends
 * the gateway token pasted into the page (held in the input only, never stored), for a gateway
 * beyond loopback whose api.requireTokenFor includes invoke.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faasmesh node</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.05rem; margin-top: 2rem; }
  code, td.mono { font-family: ui-monospace, monospace; font-size: 12px; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e6ec; }
  .muted { color: #6b7385; } .err { color: #b3261e; } textarea, input, select { font: inherit; }
  textarea { width: 100%; min-height: 4rem; } pre { background: #f4f5f8; padding: .7rem; overflow: auto; }
  tr.steps > td { padding: 0 0 .6rem 1.5rem; border-bottom: 1px solid #e3e6ec; } tr.steps table { font-size: 12px; }
  tr.steps th, tr.steps td { padding: .15rem .4rem; border-bottom: none; }
  .track { position: relative; width: 10rem; height: .6rem; background: #eef0f4; } .bar { position: absolute; top: 0; bottom: 0; min-width: 2px; background: #4a6fd1; }
  .bar.failed { background: #b3261e; }
</style>
</head>
<body>
<h1>faasmesh node</h1>
<div class="muted" id="node">loading...</div>
<h2>Functions</h2>
<table><thead><tr><th>name</th><th>cid</th><th>size</th><th>warm</th></tr></thead><tbody id="functions"></tbody></table>
<h2>Chains</h2>
<div class="muted">chains of functions deployed here (DESIGN.md section 11); invoke one like a function</div>
<table id="chains-panel"><thead><tr><th>name</th><th>steps</th><th>functions</th><th>cid</th><th>version</th><th>deployed</th></tr></thead><tbody id="chains"></tbody></table>
<h2>Peers</h2>
<table><thead><tr><th>peer</th><th>tags</th><th>free/total</th><th>queue</th><th>speed</th><th>battery</th><th>warm</th><th>age</th></tr></thead><tbody id="peers"></tbody></table>
<h2>Placements</h2>
<div class="muted">the latest invocations this node placed: who bid, who ran it; a chain with its steps (start-end ms from the chain's start)</div>
<table><thead><tr><th>when</th><th>cid</th><th>policy</th><th>bids</th><th>executor</th><th>placement</th><th>total</th><th>outcome</th></tr></thead><tbody id="placements"></tbody></table>
<h2>Invoke</h2>
<p><input id="token" type="password" autocomplete="off" spellcheck="false" size="48" placeholder="gateway token, if this gateway asks for one (kept in this page only)"></p>
<form id="invoke">
  <select id="fn"></select> <button>invoke</button>
  <p><textarea id="input" placeholder="input (sent as the request body)">world</textarea></p>
</form>
<pre id="result" class="muted">no invocation yet</pre>
<script>
const $ = (id) => document.getElementById(id)
const text = (s) => document.createTextNode(String(s))
function row (cells) { const tr = document.createElement('tr'); for (const c of cells) { const td = document.createElement('td'); td.appendChild(text(c)); tr.appendChild(td) } return tr }
async function refresh () {
  try {
    const health = await (await fetch('/v1/health')).json()
    $('node').textContent = 'peer ' + health.peerId + ' - version ' + health.version
    const { functions } = await (await fetch('/v1/functions')).json()
    const body = $('functions'); body.replaceChildren()
    const select = $('fn'); const chosen = select.value; select.replaceChildren()
    const option = (value, label) => { const opt = document.createElement('option'); opt.value = value; opt.textContent = label; select.appendChild(opt) }
    for (const f of functions) {
      body.appendChild(row([f.names.join(', ') || '-', f.cid, f.size + ' B', f.warm ? 'yes' : 'no']))
      option(f.names[0] || f.cid, f.names[0] || f.cid)
    }
    const chainsRes = await fetch('/v1/chains')
    const chains = chainsRes.ok ? (await chainsRes.json()).chains : []
    const chainRows = $('chains'); chainRows.replaceChildren()
    for (const c of chains) {
      chainRows.appendChild(row([c.name, c.steps, c.fns.join(', '), c.cid, 'v' + c.version, new Date(c.deployedAt).toLocaleString()]))
      option(c.name, c.name + ' (chain)')
    }
    if (chains.length === 0) chainRows.appendChild(row(['no chains deployed', '', '', '', '', '']))
    if (chosen) select.value = chosen
    const { peers } = await (await fetch('/v1/peers')).json()
    const peerRows = $('peers'); peerRows.replaceChildren()
    for (const p of peers) {
      const tags = Object.entries(p.tags).map(([k, v]) => k + '=' + v).join(' ') || '-'
      peerRows.appendChild(row([p.peerId, tags, p.slots.free + '/' + p.slots.total, p.queueLength, p.speed.toFixed(2), p.batteryPercent != null ? p.batteryPercent + ' %' : 'mains', p.warm.length, (p.ageMs / 1000).toFixed(1) + ' s']))
    }
    if (peers.length === 0) peerRows.appendChild(row(['no peers yet', '', '', '', '', '', '', '']))
    const { placements } = await (await fetch('/v1/placements')).json()
    const placementRows = $('placements'); placementRows.replaceChildren()
    const short = (id) => id ? id.slice(0, 8) + '…' + id.slice(-6) : '-'
    const ms = (v) => v == null ? '-' : v.toFixed(1) + ' ms'
    // a chain's steps have placement records of their own: shown under their chain, not again
    const stepPlacements = new Set()
    for (const p of placements) if (p.chain) for (const s of p.chain.steps) if (s.placementId) stepPlacements.add(s.placementId)
    for (const p of placements.filter((p) => !stepPlacements.has(p.id)).slice(0, 15)) {
      const bids = p.asked > 0 ? p.bids.filter((b) => b.outcome === 'bid').length + '/' + p.asked : '-'
      const what = p.chain ? 'chain ' + (p.chain.name ?? short(p.cid)) + ', ' + p.chain.steps.length + ' steps' : short(p.cid)
      const tr = row([new Date(p.at).toLocaleTimeString(), what, p.policy, bids, short(p.executor) + (p.executor === health.peerId ? ' (here)' : ''), ms(p.placementMs), ms(p.totalMs), p.outcome ?? 'running'])
      if (p.outcome != null && p.outcome !== 'ok') tr.lastChild.className = 'err'
      placementRows.appendChild(tr)
      if (p.chain) placementRows.appendChild(chainSteps(p, health.peerId))
    }
    if (placements.length === 0) placementRows.appendChild(row(['no invocations yet', '', '', '', '', '', '', '']))
  } catch (err) { $('node').textContent = 'cannot reach the node: ' + err.message }
}
// a chain placement's steps: a timeline bar, executor, start-end, bytes in/out, outcome
function chainSteps (p, self) {
  const c = p.chain
  const end = Math.max(1, p.totalMs ?? 0, ...c.steps.map((s) => s.endMs ?? 0))
  const t = (v) => v == null ? '…' : v.toFixed(1)
  const table = document.createElement('table')
  const head = row(['step', 'function', 'timeline', 'executor', 'start-end ms', 'bytes in', 'bytes out', 'outcome'])
  head.className = 'muted'; table.appendChild(head)
  for (const s of c.steps) {
    const tr = row([s.id, s.fn, '', s.executor ? s.executor.slice(0, 8) + '…' + s.executor.slice(-6) + (s.executor === self ? ' (here)' : '') : '-',
      s.startMs == null ? '-' : t(s.startMs) + '-' + t(s.endMs), s.bytesIn + ' B', s.bytesOut + ' B', s.outcome])
    const track = document.createElement('div'); track.className = 'track'
    if (s.startMs != null) {
      // set through the CSSOM, not a style attribute: a CSP without 'unsafe-inline' styles allows it
      const bar = document.createElement('div'); bar.className = s.outcome === 'ok' || s.outcome === 'pending' ? 'bar' : 'bar failed'
      bar.style.left = (100 * s.startMs / end) + '%'
      bar.style.width = (100 * ((s.endMs ?? end) - s.startMs) / end) + '%'
      track.appendChild(bar)
    }
    tr.children[2].appendChild(track)
    if (s.outcome !== 'ok' && s.outcome !== 'pending') tr.lastChild.className = 'err'
    table.appendChild(tr)
  }
  const traffic = document.createElement('div'); traffic.className = 'muted'
  traffic.textContent = 'locality ' + (c.locality ? 'on' : 'off') + ' - moved: invoke ' + c.traffic.invoke + ' B, chain data ' + c.traffic.chainData + ' B, state ' + c.traffic.state + ' B'
  const outer = document.createElement('tr'); outer.className = 'steps'
  const cell = document.createElement('td'); cell.colSpan = 8; cell.appendChild(table); cell.appendChild(traffic); outer.appendChild(cell)
  return outer
}
$('invoke').addEventListener('submit', async (event) => {
  event.preventDefault()
  // beyond loopback a gateway may want a token (api.requireTokenFor): the one pasted above, never stored
  const token = $('token').value.trim()
  const res = await fetch('/v1/invoke/' + encodeURIComponent($('fn').value), { method: 'POST', body: $('input').value, headers: token ? { authorization: 'Bearer ' + token } : {} })
  const body = await res.text()
  const chain = res.headers.has('x-faasmesh-chain-steps') ? ['chain-steps', 'bytes-moved'] : []
  const meta = ['executor', 'bids', 'placement-ms', 'duration-ms', 'cold', 'fuel', ...chain].map((h) => h + ': ' + (res.headers.get('x-faasmesh-' + h) ?? '-')).join('  ')
  $('result').className = res.ok ? '' : 'err'
  $('result').textContent = res.status + '  ' + meta + '\\n\\n' + body
  refresh()
})
refresh(); setInterval(refresh, 2000)
</script>
</body>
</html>
`
