/** Where CLI client commands find the daemon: `--api`, else `FAASMESH_API`, else the default gateway. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8787'

export function resolveApiUrl (flag: string | undefined, env: Record<string, string | undefined>): string {
  const url = flag ?? env.FAASMESH_API ?? DEFAULT_API_URL
  return url.replace(/\/+$/, '')
}

/** The gateway token CLI client commands send: `--token`, else `FAASMESH_TOKEN`, else none. */
export function resolveApiToken (flag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const token = (flag ?? env.FAASMESH_TOKEN ?? '').trim()
  return token === '' ? undefined : token
}
