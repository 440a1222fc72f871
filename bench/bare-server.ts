/**
 * Baseline server for the HTTP benchmark: bare `node:http` doing the same call in-process
 * (fresh instance per request, no sandbox, no worker). Prints its port, then serves until killed.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { rawInstantiate } from './raw-call.js'

const module = new WebAssembly.Module(readFileSync(process.argv[2]!))
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const output = rawInstantiate(module).call(Buffer.concat(chunks))
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': output.byteLength })
    res.end(output)
  })
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`port ${typeof address === 'object' && address != null ? address.port : 0}\n`)
})
