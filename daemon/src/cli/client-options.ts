/** The options every command that talks to a gateway takes, and the client they configure. */
import { resolveApiToken, resolveApiUrl } from '../config/index.js'
import { ApiClient } from './client.js'
import type { CliIo } from './io.js'
import type { OptionSpec, ParsedArgs } from './commands.js'

export const CLIENT_OPTIONS: Record<string, OptionSpec> = {
  api: { type: 'string', arg: '<url>', help: 'Gateway of the daemon to talk to (default: $FAASMESH_API or http://127.0.0.1:8787)' },
  token: { type: 'string', arg: '<token>', help: 'Gateway token sent as Authorization: Bearer (default: $FAASMESH_TOKEN); needed beyond loopback' },
  json: { type: 'boolean', help: 'Print machine-readable JSON instead of text' }
}

/** The gateway client for `--api` and `--token` (or their environment defaults). */
export function client (args: ParsedArgs, io: CliIo): ApiClient {
  return new ApiClient(resolveApiUrl(args.values.api as string | undefined, io.env), undefined, resolveApiToken(args.values.token as string | undefined, io.env))
}
