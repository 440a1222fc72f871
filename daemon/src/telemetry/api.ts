/**
 * `@opentelemetry/api` and `@opentelemetry/core`, loaded at their first use: only a node that
 * traces (`telemetry.otlpUrl` set) creates spans or reads trace context, so one that traces
 * nothing never loads them (~10 MiB resident, see docs/performance.md). Both packages are
 * CommonJS, so a synchronous `require` gives the same instances the SDK's imports get.
 */
import { createRequire } from 'node:module'

type Api = typeof import('@opentelemetry/api')
type Core = typeof import('@opentelemetry/core')

const require = createRequire(import.meta.url)
let api: Api | undefined
let core: Core | undefined

export function otelApi (): Api {
  api ??= require('@opentelemetry/api') as Api
  return api
}

export function otelCore (): Core {
  core ??= require('@opentelemetry/core') as Core
  return core
}
