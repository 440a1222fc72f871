/**
 * The CLI's side of chains (DESIGN.md section 11): `faasmesh chain deploy` sends a spec file as
 * it is (the gateway parses and checks it, and names the bad path when it is wrong), and
 * `faasmesh chain list` shows what `GET /v1/chains` answers.
 */
import { extname } from 'node:path'
import { table } from './format.js'
import { UsageError } from './io.js'
import type { ChainEntry, DeployedChain } from '../chains/store.js'

export type { ChainEntry, DeployedChain }

/** The spec files `chain deploy` reads, by extension, and the content type each is sent with. */
export const CHAIN_SPEC_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml'
}

/** The content type a spec file is sent with; a file that is neither JSON nor YAML by name is a usage error. */
export function chainSpecType (file: string): string {
  const type = CHAIN_SPEC_TYPES[extname(file).toLowerCase()]
  if (type == null) throw new UsageError(`${file}: a chain spec is a .json, .yaml or .yml file`)
  return type
}

/** `faasmesh chain deploy`'s text. */
export function describeDeployedChain (chain: DeployedChain): string {
  return `deployed chain ${chain.name} (v${chain.version})\n  cid    ${chain.cid}\n  steps  ${chain.steps}`
}

/** `faasmesh chain list`'s text: one row per named chain. */
export function describeChains (chains: ChainEntry[]): string {
  if (chains.length === 0) return 'no chains deployed; try: faasmesh chain deploy <name> <spec.yaml>'
  return table(['NAME', 'STEPS', 'CID', 'FUNCTIONS'], chains.map((c) => [c.name, String(c.steps), c.cid, c.fns.join(',') || '-']))
}
