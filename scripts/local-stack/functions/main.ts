/**
 * The local edge runtime (Deno). One process listens on FUNCTIONS_PORT and
 * serves every `supabase/functions/<name>/index.ts` at `/<name>/…`, each in
 * its own Deno Worker (own isolate and module graph), booted on first request
 * and kept warm. What the Supabase CLI's `main.ts` does, without Docker:
 *
 * - unknown function → 404 text/plain "Function not found";
 * - boot failure (import throws, no `Deno.serve`) → 503 BOOT_ERROR; the next
 *   request tries to boot it again;
 * - an uncaught error in the handler → 500 WORKER_ERROR (see worker.ts);
 *   a worker that dies is dropped and rebooted on the next request.
 *
 * In watch mode (FUNCTIONS_WATCH=1) any change under the functions folder
 * terminates every worker, so the next request runs the new code, and
 * re-reads `supabase/functions/.env`.
 * `GET /_internal/health` answers 200 (names starting with `_` are never functions).
 */
import type { FromWorker } from './worker.ts'

const DIR = Deno.env.get('FUNCTIONS_DIR')
const PORT = Number(Deno.env.get('FUNCTIONS_PORT'))
const WATCH = Deno.env.get('FUNCTIONS_WATCH') === '1'
const ENV_FILE = Deno.env.get('FUNCTIONS_ENV_FILE')
if (!DIR || !Number.isInteger(PORT) || PORT <= 0) {
  console.error('FUNCTIONS_DIR and FUNCTIONS_PORT must be set')
  Deno.exit(2)
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
const WORKER_URL = new URL('./worker.ts', import.meta.url)

function log(level: 'info' | 'error', message: string, extra: Record<string, unknown> = {}) {
  const line = JSON.stringify({ timestamp: new Date().toISOString(), level, service: 'functions', message, ...extra })
  if (level === 'error') console.error(line)
  else console.log(line)
}

function relayJson(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-relay-error': 'true' },
  })
}

function notFound(): Response {
  return new Response('Function not found', { status: 404, headers: { 'content-type': 'text/plain', 'x-relay-error': 'true' } })
}

const bootError = () => relayJson(503, { code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' })
const workerError = () =>
  new Response(JSON.stringify({ code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' }), {
    status: 500,
    headers: { 'content-type': 'application/json' },
  })

class BootError extends Error {}

interface Booted {
  worker: Worker
  port: number
  /** Requests being relayed to this worker right now. */
  inflight: number
  /** Replaced after a reload: terminated once its in-flight requests finish. */
  stale: boolean
}

function retire(b: Booted) {
  b.stale = true
  if (b.inflight === 0) b.worker.terminate()
}

const workers = new Map<string, Promise<Booted>>()

function entryFor(name: string): string | undefined {
  const file = `${DIR}/${name}/index.ts`
  try {
    return Deno.statSync(file).isFile ? file : undefined
  } catch {
    return undefined
  }
}

function drop(name: string, p: Promise<Booted>) {
  if (workers.get(name) === p) workers.delete(name)
}

function boot(name: string, entry: string): Promise<Booted> {
  const worker = new Worker(WORKER_URL, { type: 'module', name: `fn:${name}` })
  const started = performance.now()
  const p = new Promise<Booted>((resolve, reject) => {
    let settled = false
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      if (settled) return
      settled = true
      if (ev.data.type === 'ready') {
        log('info', `booted ${name}`, { function: name, bootMs: Math.round(performance.now() - started) })
        resolve({ worker, port: ev.data.port, inflight: 0, stale: false })
      } else {
        log('error', `boot failed: ${name}`, { function: name, error: ev.data.message })
        worker.terminate()
        reject(new BootError(ev.data.message))
      }
    }
    worker.onerror = (ev: ErrorEvent) => {
      // Never let a function's uncaught error reach this process.
      ev.preventDefault()
      log('error', `worker error: ${name}`, { function: name, error: ev.message })
      worker.terminate()
      drop(name, p)
      if (!settled) {
        settled = true
        reject(new BootError(ev.message))
      }
    }
  })
  p.catch(() => drop(name, p))
  workers.set(name, p)
  worker.postMessage({ type: 'boot', entry: new URL(`file://${entry}`).href, name })
  return p
}

function terminateAll(reason: string) {
  if (!workers.size) return
  log('info', `restarting functions (${reason})`)
  // Running requests finish on the old code; new ones boot the new code.
  for (const p of workers.values()) p.then(retire, () => {})
  workers.clear()
}

/** A small `.env` reader: KEY=VALUE lines, optional `export`, quotes, `#` comments. */
function loadEnvFile(file: string) {
  let text: string
  try {
    text = Deno.readTextFileSync(file)
  } catch {
    return
  }
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)?\s*$/.exec(raw)
    if (!m) continue
    let v = (m[2] ?? '').trim()
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      const dq = v.startsWith('"')
      v = v.slice(1, -1)
      if (dq) v = v.replace(/\\n/g, '\n').replace(/\\"/g, '"')
    } else {
      v = v.replace(/\s+#.*$/, '')
    }
    Deno.env.set(m[1], v)
  }
}

async function serve(req: Request): Promise<Response> {
  const url = new URL(req.url)
  if (url.pathname === '/_internal/health') return new Response('ok')
  const name = decodeURIComponent(url.pathname.split('/')[1] ?? '')
  if (!NAME_RE.test(name)) return notFound()
  const entry = entryFor(name)
  if (!entry) return notFound()

  let booted: Booted
  try {
    booted = await (workers.get(name) ?? boot(name, entry))
  } catch {
    return bootError()
  }
  const headers = new Headers(req.headers)
  headers.delete('host')
  booted.inflight++
  const done = () => {
    booted.inflight--
    if (booted.stale && booted.inflight === 0) booted.worker.terminate()
  }
  try {
    const r = await fetch(`http://127.0.0.1:${booted.port}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: req.body,
      redirect: 'manual',
    })
    if (!r.body) {
      done()
      return r
    }
    // Count the request as running until its (possibly streamed) body is sent or cancelled.
    let released = false
    const release = () => {
      if (!released) (released = true, done())
    }
    const reader = r.body.getReader()
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        try {
          const { done: end, value } = await reader.read()
          if (end) {
            release()
            c.close()
          } else c.enqueue(value)
        } catch (e) {
          release()
          c.error(e)
        }
      },
      cancel(reason) {
        release()
        return reader.cancel(reason)
      },
    })
    return new Response(body, { status: r.status, statusText: r.statusText, headers: r.headers })
  } catch (e) {
    done()
    // The worker went away mid-request (crash, or terminated by a reload).
    log('error', `relay to ${name} failed`, { function: name, error: String(e) })
    return workerError()
  }
}

if (ENV_FILE) loadEnvFile(ENV_FILE)

/**
 * Watches the functions folder without descending into `node_modules` (a link
 * to the project's packages): the folder itself non-recursively (new
 * functions, `.env`), each sub-folder recursively. A change at the top level
 * re-plans the watchers, so a new function is watched too.
 */
function watch() {
  let timer: ReturnType<typeof setTimeout> | undefined
  let watchers: Deno.FsWatcher[] = []
  const changed = (why: string, replan: boolean) => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      if (ENV_FILE) loadEnvFile(ENV_FILE)
      terminateAll(why)
      if (replan) plan()
    }, 150)
  }
  const pump = async (w: Deno.FsWatcher, top: boolean) => {
    try {
      for await (const ev of w) {
        if (ev.kind === 'access') continue
        changed(`${ev.kind} ${ev.paths[0]?.slice(DIR!.length + 1) ?? ''}`, top)
      }
    } catch {
      // closed by plan()
    }
  }
  const plan = () => {
    for (const w of watchers) w.close()
    watchers = []
    const top = Deno.watchFs(DIR!, { recursive: false })
    watchers.push(top)
    void pump(top, true)
    for (const e of Deno.readDirSync(DIR!)) {
      if (!e.isDirectory || e.name === 'node_modules') continue
      const w = Deno.watchFs(`${DIR}/${e.name}`, { recursive: true })
      watchers.push(w)
      void pump(w, false)
    }
  }
  plan()
}

if (WATCH) watch()

Deno.serve({
  hostname: '127.0.0.1',
  port: PORT,
  onListen: ({ port }) => log('info', `edge runtime listening on 127.0.0.1:${port}`),
}, serve)

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  Deno.addSignalListener(sig, () => {
    terminateAll('shutdown')
    Deno.exit(0)
  })
}
