/**
 * HTTP invoke throughput and latency: the daemon's gateway (a real daemon process) against a
 * bare node:http server doing the same call in-process, both loaded from this process with
 * the same connections and duration.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpLoad } from './http-load.js'
import { profFlags } from './daemons.js'
import type { Row } from './report.js'


async function startProcess (args: string[], pattern: RegExp): Promise<{ proc: ChildProcess, match: RegExpExecArray }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no ${pattern} within 15 s: ${out}`)) }, 15_000)
    proc.stdout!.on('data', (d) => {
      out += String(d)
      const m = pattern.exec(out)
      if (m != null && out.includes('\n', m.index)) { clearTimeout(timer); resolve(m) }
    })
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${out}`)) })
  })
  return { proc, match }
}

export async function benchHttp (root: string, quick: boolean): Promise<Row[]> {
  const seconds = quick ? 3 : 10
  const connections = 8
  const dataDir = mkdtempSync(join(tmpdir(), 'faasmesh-bench-'))
  const children: ChildProcess[] = []
  try {
    const bare = await startProcess([join(root, 'dist', 'bench', 'bare-server.js'), join(root, 'build', 'hello.wasm')], /port (\d+)/)
    children.push(bare.proc)
    const daemon = await startProcess([...profFlags(), join(root, 'bin', 'faasmesh.js'), 'daemon', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'], /gateway\s+(http:\/\/\S+)/)
    children.push(daemon.proc)
    const api = daemon.match[1]!
    const deployed = await fetch(`${api}/v1/functions/hello`, { method: 'POST', body: readFileSync(join(root, 'build', 'hello.wasm')) })
    if (deployed.status !== 201) throw new Error(`deploy failed: ${await deployed.text()}`)

    // warm both up briefly, then measure one after the other
    await httpLoad(`http://127.0.0.1:${bare.match[1]}/`, 'world', 1, connections)
    await httpLoad(`${api}/v1/invoke/hello`, 'world', 1, connections)
    const base = await httpLoad(`http://127.0.0.1:${bare.match[1]}/`, 'world', seconds, connections)
    const gw = await httpLoad(`${api}/v1/invoke/hello`, 'world', seconds, connections)
    if (gw.non2xx > 0 || base.non2xx > 0 || gw.errors > connections || base.errors > connections) throw new Error(`errors under load: gateway ${gw.errors} + ${gw.non2xx} non-2xx, baseline ${base.errors} + ${base.non2xx} non-2xx`)
    return [{
      group: 'http',
      name: `POST /v1/invoke/hello, ${connections} connections, ${seconds} s`,
      result: gw,
      baselineName: 'bare node:http, same call in-process',
      baseline: base
    }]
  } finally {
    // the data dir goes only once the daemon has stopped: it writes its store index on the way out
    await Promise.all(children.map(async (c) => {
      if (c.exitCode != null || c.signalCode != null) return
      const exited = new Promise((resolve) => c.once('exit', resolve))
      c.kill('SIGTERM')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
    }))
    rmSync(dataDir, { recursive: true, force: true })
  }
}
