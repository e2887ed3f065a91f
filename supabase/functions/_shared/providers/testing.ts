/**
 * Helpers for the provider tests, which run against the local stack's
 * provider sandbox (`npm test` exports SANDBOX_URL and the provider
 * variables). Without a sandbox the tests are reported as ignored.
 */
export const env = Deno.env.toObject()
export const noSandbox = !env.SANDBOX_URL

export interface Captured {
  url: string
  headers: Headers
  body: string
}

/** A local HTTP server recording the webhooks it receives; `next` waits for one matching `pred`. */
export function receiver() {
  const hits: Captured[] = []
  const waiters: { pred: (c: Captured) => boolean; resolve: (c: Captured) => void }[] = []
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, async (req) => {
    const c = { url: req.url, headers: req.headers, body: await req.text() }
    hits.push(c)
    for (const w of [...waiters]) {
      if (w.pred(c)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(c)
      }
    }
    return new Response('ok')
  })
  const base = `http://127.0.0.1:${server.addr.port}`
  return {
    base,
    hits,
    next(pred: (c: Captured) => boolean): Promise<Captured> {
      const hit = hits.find(pred)
      if (hit) return Promise.resolve(hit)
      return new Promise((resolve) => waiters.push({ pred, resolve }))
    },
    close: () => server.shutdown(),
  }
}

export async function sandbox(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${env.SANDBOX_URL}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const j = await r.json()
  if (!r.ok) throw new Error(`sandbox ${path}: ${r.status} ${JSON.stringify(j)}`)
  return j
}
