/**
 * The dashboard served at `GET /`: one self-contained page (no build step, no external assets)
 * that reads the same JSON API a script would.
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
</style>
</head>
<body>
<h1>faasmesh node</h1>
<div class="muted" id="node">loading...</div>
<h2>Functions</h2>
<table><thead><tr><th>name</th><th>cid</th><th>size</th><th>warm</th></tr></thead><tbody id="functions"></tbody></table>
<h2>Peers</h2>
<table><thead><tr><th>peer</th><th>tags</th><th>free/total</th><th>queue</th><th>speed</th><th>warm</th><th>age</th></tr></thead><tbody id="peers"></tbody></table>
<h2>Placements</h2>
<div class="muted">the latest invocations this node placed: who bid, who ran it</div>
<table><thead><tr><th>when</th><th>cid</th><th>policy</th><th>bids</th><th>executor</th><th>placement</th><th>total</th><th>outcome</th></tr></thead><tbody id="placements"></tbody></table>
<h2>Invoke</h2>
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
    for (const f of functions) {
      body.appendChild(row([f.names.join(', ') || '-', f.cid, f.size + ' B', f.warm ? 'yes' : 'no']))
      const opt = document.createElement('option'); opt.value = f.names[0] || f.cid; opt.textContent = opt.value; select.appendChild(opt)
    }
    if (chosen) select.value = chosen
    const { peers } = await (await fetch('/v1/peers')).json()
    const peerRows = $('peers'); peerRows.replaceChildren()
    for (const p of peers) {
      const tags = Object.entries(p.tags).map(([k, v]) => k + '=' + v).join(' ') || '-'
      peerRows.appendChild(row([p.peerId, tags, p.slots.free + '/' + p.slots.total, p.queueLength, p.speed.toFixed(2), p.warm.length, (p.ageMs / 1000).toFixed(1) + ' s']))
    }
    if (peers.length === 0) peerRows.appendChild(row(['no peers yet', '', '', '', '', '', '']))
    const { placements } = await (await fetch('/v1/placements')).json()
    const placementRows = $('placements'); placementRows.replaceChildren()
    const short = (id) => id ? id.slice(0, 8) + '…' + id.slice(-6) : '-'
    for (const p of placements.slice(0, 15)) {
      const bids = p.asked > 0 ? p.bids.filter((b) => b.outcome === 'bid').length + '/' + p.asked : '-'
      const ms = (v) => v == null ? '-' : v.toFixed(1) + ' ms'
      placementRows.appendChild(row([new Date(p.at).toLocaleTimeString(), short(p.cid), p.policy, bids, short(p.executor) + (p.executor === health.peerId ? ' (here)' : ''), ms(p.placementMs), ms(p.totalMs), p.outcome ?? 'running']))
    }
    if (placements.length === 0) placementRows.appendChild(row(['no invocations yet', '', '', '', '', '', '', '']))
  } catch (err) { $('node').textContent = 'cannot reach the node: ' + err.message }
}
$('invoke').addEventListener('submit', async (event) => {
  event.preventDefault()
  const res = await fetch('/v1/invoke/' + encodeURIComponent($('fn').value), { method: 'POST', body: $('input').value })
  const body = await res.text()
  const meta = ['executor', 'bids', 'placement-ms', 'duration-ms', 'cold', 'fuel'].map((h) => h + ': ' + (res.headers.get('x-faasmesh-' + h) ?? '-')).join('  ')
  $('result').className = res.ok ? '' : 'err'
  $('result').textContent = res.status + '  ' + meta + '\\n\\n' + body
  refresh()
})
refresh(); setInterval(refresh, 2000)
</script>
</body>
</html>
`
