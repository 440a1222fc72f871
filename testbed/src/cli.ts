/**
 * `faasmesh testbed ...`: the researcher's commands (docs/testbed.md). Reached from
 * bin/faasmesh.js, so the daemon's CLI never depends on the testbed.
 */
import { parseArgs } from 'node:util'
import { writeCompose } from './compose.js'
import { Progress } from './progress.js'
import { runScenario } from './run.js'
import { loadScenario, nodeNames } from './scenario.js'
import { runSeeds } from './seeds.js'
import { runSim } from './sim/command.js'
import { runSizes } from './sim/sizes.js'

const USAGE = `faasmesh testbed: experiments on meshes of real daemons

  faasmesh testbed run <scenario.yaml> [--out DIR] [--quick] [--seeds K] [--netns] [--attach mesh.json]
      start one daemon per node on 127.0.0.1, shape the links, run the workload for every
      load and policy, write invocations.jsonl, summary.csv, summary.json, summary.txt and SVG
      plots to DIR (default: testbed/results/<name>-<time>); --quick runs the scenario's short
      variant; --seeds K repeats the whole scenario with seeds s, s+1, ... (a fresh mesh each,
      in DIR/seed-<s>) and prints means with 95 % confidence intervals; every run checks the
      host's CPU before and during the run, prints a host line above the table and warns when
      the host is saturated (its numbers are then not comparable with a quiet host's);
      --netns (root) puts every node in its own network namespace with its own address;
      --attach drives a mesh started by \`testbed compose\` (its run.sh does this)
  faasmesh testbed compose <scenario.yaml> -o DIR [--quick]
      write a Docker compose project for the same scenario (see docs/testbed.md)
  faasmesh testbed sim <scenario.yaml> [--nodes N | --sizes N,N,...] [--seeds K] [--invocations N] [--out DIR] [--quick]
      the same scenario in virtual time, in one process, with the daemon's own placement
      code: every policy (sim.policies, oracle among them if asked) at every load (sim.rho)
      and advert interval (a list in sim.advertIntervalMs), with the scenario's events
      (kills, restarts, partitions) in virtual time; prints mean sojourn /
      service per cell, against queueing theory where it applies, and the placement cost;
      --nodes scales the mesh, --seeds K repeats with K seeds and prints 95 % confidence
      intervals; the same command prints the same table every time (docs/testbed.md);
      --sizes 100,1000,10000 instead prints the placement cost per invocation (messages,
      peers viewed, virtual placement time) at each mesh size, at the scenario's load per node
      and virtual duration, and writes cost.csv, cost.txt and cost.svg to --out
  faasmesh testbed check <scenario.yaml> [--quick]
      validate a scenario and print it with every default filled in

Ctrl-C stops a run cleanly: every daemon is killed and what was measured so far is written.`

export async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command == null || command === '--help' || command === '-h' || command === 'help') {
    // bare `faasmesh testbed` is a usage error, as bare `faasmesh` is: the usage goes to stderr
    ;(command == null ? process.stderr : process.stdout).write(`${USAGE}\n`)
    return command == null ? 2 : 0
  }
  let parsed
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { out: { type: 'string', short: 'o' }, quick: { type: 'boolean' }, attach: { type: 'string' }, netns: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, nodes: { type: 'string' }, seeds: { type: 'string' }, invocations: { type: 'string' }, sizes: { type: 'string' } }
    })
  } catch (err: any) {
    process.stderr.write(`error: ${err?.message ?? err}\n\n${USAGE}\n`)
    return 2
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const [file] = parsed.positionals
  if (file == null || parsed.positionals.length !== 1 || !['run', 'compose', 'check', 'sim'].includes(command)) {
    process.stderr.write(`error: expected \`faasmesh testbed run|compose|check|sim <scenario>\`\n\n${USAGE}\n`)
    return 2
  }
  const quick = parsed.values.quick === true
  try {
    if (command === 'check') {
      const scenario = await loadScenario(file, { quick })
      process.stdout.write(`${JSON.stringify({ ...scenario, nodeNames: nodeNames(scenario) }, null, 2)}\n`)
      return 0
    }
    if (command === 'sim') {
      const count = (flag: 'nodes' | 'seeds' | 'invocations', max: number): number | undefined => {
        const v = parsed.values[flag]
        if (v == null) return undefined
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new UsageError(`--${flag}: expected an integer from 1 to ${max}, got ${JSON.stringify(v)}`)
        return Number(v)
      }
      const say = (line: string): void => { process.stderr.write(`${line}\n`) }
      if (parsed.values.sizes != null) {
        if (parsed.values.nodes != null) throw new UsageError('--sizes and --nodes: give one')
        const sizes = parsed.values.sizes.split(',').map((v) => {
          if (!/^\d+$/.test(v) || Number(v) < 2 || Number(v) > 1_000_000) throw new UsageError(`--sizes: expected integers from 2 to 1000000, comma-separated, got ${JSON.stringify(parsed.values.sizes)}`)
          return Number(v)
        })
        process.stdout.write(await runSizes({ scenarioFile: file, quick, sizes, seeds: count('seeds', 100), invocations: count('invocations', 100_000_000), outDir: parsed.values.out, say }))
        return 0
      }
      process.stdout.write(await runSim({ scenarioFile: file, quick, nodes: count('nodes', 1_000_000), seeds: count('seeds', 100), invocations: count('invocations', 100_000_000), outDir: parsed.values.out, say }))
      return 0
    }
    if (command === 'compose') {
      if (parsed.values.out == null) throw new UsageError('compose needs -o DIR')
      const written = await writeCompose(await loadScenario(file, { quick }), parsed.values.out)
      process.stdout.write(`wrote ${written.join(', ')}\n`)
      return 0
    }
    const seeds = parsed.values.seeds
    if (seeds != null && (!/^\d+$/.test(seeds) || Number(seeds) < 1 || Number(seeds) > 100)) throw new UsageError(`--seeds: expected an integer from 1 to 100, got ${JSON.stringify(seeds)}`)
    return await run(file, parsed.values.out, quick, parsed.values.attach, parsed.values.netns === true, seeds == null ? undefined : Number(seeds))
  } catch (err: any) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`)
      return 2
    }
    process.stderr.write(`error: ${err?.name ?? 'Error'}: ${err?.message ?? err}\n`)
    return 1
  }
}

class UsageError extends Error {}

async function run (file: string, out: string | undefined, quick: boolean, attach: string | undefined, netns: boolean, seeds: number | undefined): Promise<number> {
  const controller = new AbortController()
  const progress = new Progress()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130)
    progress.say(`${signal}: stopping the run and every daemon (again to force)`)
    controller.abort(new Error(`interrupted by ${signal}`))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const options = { scenarioFile: file, outDir: out, quick, attach, netns, signal: controller.signal }
    if (seeds != null) await runSeeds({ ...options, seeds }, progress)
    else await runScenario(options, progress)
    return 0
  } catch (err) {
    if (controller.signal.aborted) return 130
    throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
