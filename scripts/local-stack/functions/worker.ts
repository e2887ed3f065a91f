/**
 * Worker bootstrap of the local edge runtime (runs inside a Deno Worker, one
 * per function, so every function has its own isolate and module graph).
 *
 * A function's `index.ts` is just `Deno.serve(handler)`. Before importing it,
 * `Deno.serve` is replaced by a version that captures the handler and serves
 * it on an ephemeral loopback port; the main process relays requests there
 * (streaming both ways) and learns the port from a `ready` message.
 * Boot failures (import throws, no `Deno.serve` call) are reported as
 * `boot_error`; an exception thrown by the handler becomes 500 WORKER_ERROR.
 */
/// <reference lib="deno.worker" />

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>

type FromMain = { type: 'boot'; entry: string; name: string }
export type FromWorker =
  | { type: 'ready'; port: number }
  | { type: 'boot_error'; message: string }

const BOOT_TIMEOUT_MS = 15_000

const realServe = Deno.serve.bind(Deno)
let served = false

function workerError(name: string, e: unknown): Response {
  const err = e instanceof Error ? e : new Error(String(e))
  console.error(JSON.stringify({
    timestamp: new Date().toISOString(), level: 'error', service: `functions/${name}`,
    message: 'uncaught error in function', error: err.stack ?? err.message,
  }))
  return new Response(JSON.stringify({ code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' }), {
    status: 500,
    headers: { 'content-type': 'application/json' },
  })
}

/** Accepts every `Deno.serve` overload: (handler), (options, handler), (options with handler). */
function pickHandler(args: unknown[]): Handler | undefined {
  for (const a of args) {
    if (typeof a === 'function') return a as Handler
    if (a && typeof a === 'object' && typeof (a as { handler?: unknown }).handler === 'function') {
      return (a as { handler: Handler }).handler
    }
  }
  return undefined
}

function boot(entry: string, name: string) {
  const timer = setTimeout(() => {
    if (!served) self.postMessage({ type: 'boot_error', message: `${name}/index.ts did not call Deno.serve within ${BOOT_TIMEOUT_MS} ms` } satisfies FromWorker)
  }, BOOT_TIMEOUT_MS)

  ;(Deno as { serve: unknown }).serve = (...args: unknown[]) => {
    const handler = pickHandler(args)
    if (!handler) throw new TypeError('Deno.serve: no handler given')
    if (served) throw new Error('Deno.serve called twice in one function')
    served = true
    clearTimeout(timer)
    return realServe({
      hostname: '127.0.0.1',
      port: 0,
      onListen: ({ port }) => self.postMessage({ type: 'ready', port } satisfies FromWorker),
      onError: (e) => workerError(name, e),
    }, async (req, info) => {
      try {
        return await handler(req, info)
      } catch (e) {
        return workerError(name, e)
      }
    })
  }

  import(entry).catch((e: unknown) => {
    clearTimeout(timer)
    const err = e instanceof Error ? e : new Error(String(e))
    self.postMessage({ type: 'boot_error', message: err.stack ?? err.message } satisfies FromWorker)
  })
}

self.onmessage = (ev: MessageEvent<FromMain>) => {
  if (ev.data?.type === 'boot') boot(ev.data.entry, ev.data.name)
}
