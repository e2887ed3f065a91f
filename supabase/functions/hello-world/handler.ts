/**
 * hello-world: a tiny demo function, also the local stack's functions test
 * target. `POST /hello-world` echoes what the function received (method,
 * path, query, selected headers, body decoded by content type). Sub-paths:
 * `/text` (text/plain reply), `/binary` (echoes the body as
 * application/octet-stream), `/status/<code>` (replies with that status),
 * `/stream` (three server-sent events, streamed), `/env` (which platform variables the runtime provides, never their secret
 * values), `/throw` (an uncaught error, for the runtime's WORKER_ERROR path).
 */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, x-client-info, apikey, content-type',
}

const ECHOED_HEADERS = ['authorization', 'apikey', 'x-client-info', 'content-type', 'x-custom-header']

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...CORS, 'content-type': 'application/json' } })
}

async function readBody(req: Request): Promise<unknown> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
  if (req.body === null) return null
  if (type === 'application/json') {
    const text = await req.text()
    return text === '' ? null : JSON.parse(text)
  }
  if (type.startsWith('text/')) return await req.text()
  const bytes = new Uint8Array(await req.arrayBuffer())
  return { bytes: bytes.length }
}

export async function handler(req: Request): Promise<Response> {
  if (req.method === 'OPTIONS') return new Response('ok', { headers: CORS })
  const url = new URL(req.url)
  // The platform passes the path with the function name first: /hello-world/…
  const sub = url.pathname.split('/').slice(2).join('/')

  if (sub === 'throw') throw new Error('hello-world was asked to throw')
  if (sub === 'text') return new Response(`Hello ${url.searchParams.get('name') ?? 'world'}!`, { headers: { ...CORS, 'content-type': 'text/plain; charset=utf-8' } })
  if (sub === 'stream') {
    const enc = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      async start(c) {
        for (let i = 1; i <= 3; i++) {
          c.enqueue(enc.encode(`data: ${JSON.stringify({ n: i })}\n\n`))
          await new Promise((r) => setTimeout(r, 5))
        }
        c.close()
      },
    })
    return new Response(body, { headers: { ...CORS, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
  }
  if (sub === 'binary') {
    return new Response(await req.arrayBuffer(), { headers: { ...CORS, 'content-type': 'application/octet-stream' } })
  }
  const status = /^status\/(\d{3})$/.exec(sub)
  if (status) {
    const code = Number(status[1])
    if (code < 200 || code > 599) return json({ error: 'status must be 200-599' }, 400)
    return json({ status: code }, code)
  }
  if (sub === 'env') {
    return json({
      SUPABASE_URL: Deno.env.get('SUPABASE_URL') ?? null,
      has: Object.fromEntries(
        ['SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL', 'SUPABASE_PUBLISHABLE_KEYS', 'SUPABASE_SECRET_KEYS']
          .map((k) => [k, Boolean(Deno.env.get(k))]),
      ),
    })
  }
  if (sub !== '') return json({ error: `unknown path /${sub}` }, 404)

  let body: unknown
  try {
    body = await readBody(req)
  } catch {
    return json({ error: 'invalid JSON body' }, 400)
  }
  const name = typeof body === 'object' && body !== null && typeof (body as { name?: unknown }).name === 'string'
    ? (body as { name: string }).name
    : url.searchParams.get('name') ?? 'world'
  return json({
    message: `Hello ${name}!`,
    method: req.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(ECHOED_HEADERS.filter((h) => req.headers.has(h)).map((h) => [h, req.headers.get(h)])),
    body,
  })
}
