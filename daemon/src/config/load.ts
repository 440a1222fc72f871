/**
 * Builds the daemon's configuration from its layers: defaults < config file < `FAASMESH_*`
 * environment < command-line flags. This is the only module that reads `process.env`, and only
 * through the `env` it is handed.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidConfigError } from '../errors.js'
import { SETTINGS, envName, type PriceFactor, type Setting } from './schema.js'
import type { DaemonConfig } from './index.js'

export interface ConfigSources {
  /** Values from command-line flags, by dotted path (already typed or as strings). */
  flags?: Record<string, unknown>
  /** Path of a JSON config file (`--config`); falls back to `FAASMESH_CONFIG`. */
  configFile?: string
  /** The environment to read `FAASMESH_*` variables from. @default process.env */
  env?: Record<string, string | undefined>
  /** The home directory for defaults. @default os.homedir() */
  home?: string
}

type Raw = { value: unknown, source: string }

export function loadConfig (sources: ConfigSources = {}): DaemonConfig {
  const env = sources.env ?? process.env
  const home = sources.home ?? homedir()
  const raw = new Map<string, Raw>()
  const errors: string[] = []

  const configFile = sources.configFile ?? env.FAASMESH_CONFIG
  if (configFile != null && configFile !== '') {
    for (const [path, value] of Object.entries(readConfigFile(configFile, errors))) {
      raw.set(path, { value, source: `in ${configFile}` })
    }
  }
  for (const setting of SETTINGS) {
    const value = env[envName(setting.path)]
    if (value != null && value !== '') raw.set(setting.path, { value, source: `from ${envName(setting.path)}` })
  }
  for (const [path, value] of Object.entries(sources.flags ?? {})) {
    if (value != null) raw.set(path, { value, source: 'from the command line' })
  }

  const known = new Set(SETTINGS.map((s) => s.path))
  for (const [path, { source }] of raw) {
    if (!known.has(path)) errors.push(`${path}: unknown setting (${source})`)
  }

  const config: Record<string, unknown> = {}
  for (const setting of SETTINGS) {
    const given = raw.get(setting.path)
    const value = given == null ? defaultOf(setting, home) : coerce(setting, given, errors)
    setPath(config, setting.path, value)
  }
  if (errors.length > 0) throw new InvalidConfigError(errors.join('\n'))
  return config as unknown as DaemonConfig
}

function defaultOf (setting: Setting, home: string): unknown {
  const value = setting.default
  if (typeof value === 'function') return value(home)
  // copies, so a caller mutating its config cannot change the defaults
  return Array.isArray(value) ? [...value] : (typeof value === 'object' ? { ...value } : value)
}

/** A list from a file (array), flags (array) or the environment (comma-separated string). */
function listOf (value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value.flatMap((v) => typeof v === 'string' ? v.split(',') : [v]).map((v) => typeof v === 'string' ? v.trim() : v).filter((v) => v !== '')
  if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter((v) => v !== '')
  return undefined
}

/** Parses and range-checks one value; records a message naming the path and the source on failure. */
function coerce (setting: Setting, { value, source }: Raw, errors: string[]): unknown {
  const shown = JSON.stringify(value)
  const type = setting.type
  switch (type.kind) {
    case 'int': {
      const n = typeof value === 'number' ? value : (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN)
      if (!Number.isSafeInteger(n) || n < type.min || n > type.max) {
        errors.push(`${setting.path}: expected an integer from ${type.min} to ${type.max}, got ${shown} (${source})`)
      }
      return n
    }
    case 'number': {
      const n = typeof value === 'number' ? value : (typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN)
      if (!Number.isFinite(n) || n < type.min || n > type.max) {
        errors.push(`${setting.path}: expected a number from ${type.min} to ${type.max}, got ${shown} (${source})`)
      }
      return n
    }
    case 'enum':
      if (typeof value !== 'string' || !type.values.includes(value.trim())) {
        errors.push(`${setting.path}: expected one of ${type.values.join(', ')}, got ${shown} (${source})`)
        return value
      }
      return value.trim()
    case 'priceFactors': {
      const list = Array.isArray(value) && value.every((v) => typeof v === 'object' && v != null) ? value.map((v) => `${v.key}=${v.value}:${v.factor}`) : listOf(value)
      if (list == null || list.length > type.max) {
        errors.push(`${setting.path}: expected at most ${type.max} key=value:factor rules, got ${shown} (${source})`)
        return value
      }
      const rules: PriceFactor[] = []
      for (const item of list) {
        const match = typeof item === 'string' ? /^([a-z0-9][a-z0-9._-]{0,63})=([^:]{0,64}):(\d+(?:\.\d+)?)$/.exec(item) : null
        const factor = Number(match?.[3])
        if (match == null || !(factor > 0 && factor <= 1e6)) {
          errors.push(`${setting.path}: ${JSON.stringify(item)} is not a rule such as power=battery:4 (factor above 0) (${source})`)
          continue
        }
        rules.push({ key: match[1] ?? '', value: match[2] ?? '', factor })
      }
      return rules
    }
    case 'path':
      if (typeof value !== 'string' || value.trim() === '') {
        errors.push(`${setting.path}: expected a directory path, got ${shown} (${source})`)
        return value
      }
      return resolve(value)
    case 'file':
      if (value === '' || value == null) return ''
      if (typeof value !== 'string') {
        errors.push(`${setting.path}: expected a file path, got ${shown} (${source})`)
        return value
      }
      return value.trim() === '' ? '' : resolve(value.trim())
    case 'enumList': {
      const list = listOf(value)
      if (list == null) {
        errors.push(`${setting.path}: expected a list of ${type.values.join(', ')}, got ${shown} (${source})`)
        return value
      }
      for (const item of list) {
        if (typeof item !== 'string' || !type.values.includes(item)) errors.push(`${setting.path}: ${JSON.stringify(item)} is not one of ${type.values.join(', ')} (${source})`)
      }
      return [...new Set(list)]
    }
    case 'url': {
      const text = typeof value === 'string' ? value.trim() : undefined
      if (text === '') return ''
      let scheme: string | undefined
      try {
        scheme = text == null ? undefined : new URL(text).protocol
      } catch {}
      if (scheme == null || !type.schemes.includes(scheme)) {
        errors.push(`${setting.path}: expected a URL starting ${type.schemes.map((s) => `${s}//`).join(' or ')}, got ${shown} (${source})`)
      }
      return text
    }
    case 'label': {
      const text = typeof value === 'string' ? value.trim() : ''
      if (!/^[A-Za-z0-9._-]+$/.test(text) || text.length > type.max) {
        errors.push(`${setting.path}: expected 1 to ${type.max} characters a-z, A-Z, 0-9, '.', '_', '-', got ${shown} (${source})`)
      }
      return text
    }
    case 'hostport': {
      if (typeof value !== 'string' || parseHostPort(value) == null) {
        errors.push(`${setting.path}: expected host:port with a port from 0 to 65535, got ${shown} (${source})`)
      }
      return value
    }
    case 'bool': {
      if (typeof value === 'boolean') return value
      const text = typeof value === 'string' ? value.trim().toLowerCase() : ''
      if (['true', '1', 'yes', 'on'].includes(text)) return true
      if (['false', '0', 'no', 'off'].includes(text)) return false
      errors.push(`${setting.path}: expected true or false, got ${shown} (${source})`)
      return value
    }
    case 'multiaddrs': {
      const list = listOf(value)
      if (list == null || list.length > type.max) {
        errors.push(`${setting.path}: expected a list of at most ${type.max} multiaddrs, got ${shown} (${source})`)
        return value
      }
      for (const item of list) {
        try {
          if (typeof item !== 'string' || !item.startsWith('/')) throw new Error('not a string')
          multiaddr(item)
        } catch {
          errors.push(`${setting.path}: ${JSON.stringify(item)} is not a multiaddr such as /ip4/127.0.0.1/tcp/4001 (${source})`)
        }
      }
      return list
    }
    case 'peerIds': {
      const list = listOf(value)
      if (list == null || list.length > type.max) {
        errors.push(`${setting.path}: expected a list of at most ${type.max} peer ids, got ${shown} (${source})`)
        return value
      }
      for (const item of list) {
        try {
          peerIdFromString(String(item))
        } catch {
          errors.push(`${setting.path}: ${JSON.stringify(item)} is not a peer id such as 12D3KooW... (${source})`)
        }
      }
      return list
    }
    case 'hosts': {
      const list = listOf(value)
      if (list == null || list.length > type.max) {
        errors.push(`${setting.path}: expected a list of at most ${type.max} host names, got ${shown} (${source})`)
        return value
      }
      for (const item of list) {
        if (typeof item !== 'string' || !/^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9][a-zA-Z0-9.-]{0,252})(?::\d{1,5})?$/.test(item)) {
          errors.push(`${setting.path}: ${JSON.stringify(item)} is not a host name or host:port such as faas.example.com or faas.example.com:8787 (${source})`)
        }
      }
      return list.map((item) => String(item).toLowerCase())
    }
    case 'tags': {
      const tags: Record<string, string> = {}
      const entries: Array<[unknown, unknown]> = value != null && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value)
        : (listOf(value) ?? [value]).map((item) => typeof item === 'string' && item.includes('=') ? [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)] : [item, undefined])
      for (const [key, val] of entries) {
        if (typeof key !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(key) || typeof val !== 'string' || val.length > 64) {
          errors.push(`${setting.path}: expected key=value labels (key: a-z, 0-9, '.', '_', '-'; value: at most 64 characters), got ${JSON.stringify(val == null ? key : `${String(key)}=${String(val)}`)} (${source})`)
          continue
        }
        tags[key] = val
      }
      if (Object.keys(tags).length > type.max) errors.push(`${setting.path}: at most ${type.max} tags (${source})`)
      return tags
    }
  }
}

/** `127.0.0.1:8787` -> `{ host, port }`; `[::1]:80` works too. Undefined when malformed. */
export function parseHostPort (text: string): { host: string, port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim())
  if (match == null) return undefined
  const port = Number(match[3])
  if (port > 65535) return undefined
  return { host: match[1] ?? match[2]!, port }
}

/** Flattens a JSON config file to dotted paths; records errors rather than throwing. */
function readConfigFile (file: string, errors: string[]): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err: any) {
    errors.push(`config file ${file}: ${err?.code === 'ENOENT' ? 'not found' : String(err?.message ?? err)}`)
    return {}
  }
  if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    errors.push(`config file ${file}: expected a JSON object`)
    return {}
  }
  const flat: Record<string, unknown> = {}
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix === '' ? key : `${prefix}.${key}`
      // `tags` is itself an object of labels, not a section
      if (value != null && typeof value === 'object' && !Array.isArray(value) && path !== 'tags') walk(value as Record<string, unknown>, path)
      else flat[path] = value
    }
  }
  walk(parsed as Record<string, unknown>, '')
  return flat
}

function setPath (target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.')
  let node = target
  for (const key of keys.slice(0, -1)) {
    node = (node[key] ??= {}) as Record<string, unknown>
  }
  node[keys.at(-1)!] = value
}
