/**
 * The local mail catcher: an SMTP server on 127.0.0.1:<smtp> that accepts every
 * message (no auth, no TLS, any sender, any recipient) and an HTTP server on
 * 127.0.0.1:<mail> with a JSON API for tests and a web inbox for people.
 *
 *   GET    /api/messages?to=<addr>&limit=<n>  newest first; `wait=<ms>` (≤ 30 s) holds
 *                                              an empty answer until a message for `to` arrives
 *   GET    /api/messages/:id
 *   GET    /api/messages/:id/html             the HTML body (scripts blocked)
 *   GET    /api/messages/:id/raw              the message as received (message/rfc822)
 *   DELETE /api/messages[?to=<addr>]
 *   DELETE /api/messages/:id
 *   GET    /                                   the inbox (French UI)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import type { StackConfig } from '../config.ts'
import type { Service } from '../stack.ts'
import { inboxPage } from './page.ts'
import { DEFAULT_CAP, MessageStore } from './store.ts'

export { MessageStore, type CaughtMessage } from './store.ts'

/** Largest message accepted, in bytes (attachments included). */
const MAX_SIZE = 25 * 1024 * 1024

export interface MailCatcher extends Service {
  store: MessageStore
  smtpPort: number
  httpPort: number
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

export function createSmtp(store: MessageStore): SMTPServer {
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'immo-ai local mail catcher',
    size: MAX_SIZE,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('error', callback)
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = new Error('Message exceeds the size limit') as Error & { responseCode: number }
          err.responseCode = 552
          return callback(err)
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined
        store
          .add(Buffer.concat(chunks), { from, to: session.envelope.rcptTo.map((r) => r.address) })
          .then(() => callback(), (e: Error) => callback(e))
      })
    },
  })
}

export function createHttp(store: MessageStore) {
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const parts = url.pathname.split('/').filter(Boolean)
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-allow-methods', 'GET, DELETE, OPTIONS')
    try {
      if (req.method === 'OPTIONS') return send(res, 204, '')
      if (url.pathname === '/' && req.method === 'GET') {
        return send(res, 200, inboxPage(), { 'content-type': 'text/html; charset=utf-8' })
      }
      if (url.pathname === '/health') return send(res, 200, { status: 'ok', messages: store.size })
      if (parts[0] !== 'api' || parts[1] !== 'messages') return send(res, 404, { error: 'not_found' })
      const to = url.searchParams.get('to') ?? undefined
      if (parts.length === 2) {
        if (req.method === 'GET') {
          const limit = Number(url.searchParams.get('limit'))
          const filter = { to, limit: Number.isInteger(limit) && limit > 0 ? limit : undefined }
          const wait = Math.min(Number(url.searchParams.get('wait')) || 0, 30_000)
          if (wait > 0 && store.list(filter).length === 0) await waitForMessage(store, to, wait, req)
          return send(res, 200, store.list(filter))
        }
        if (req.method === 'DELETE') return send(res, 200, { deleted: store.clear(to) })
        return send(res, 405, { error: 'method_not_allowed' })
      }
      const id = decodeURIComponent(parts[2])
      const msg = store.get(id)
      if (!msg) return send(res, 404, { error: 'not_found', message: `No message ${id}` })
      if (parts.length === 3) {
        if (req.method === 'GET') return send(res, 200, msg)
        if (req.method === 'DELETE') return send(res, 200, { deleted: store.remove(id) ? 1 : 0 })
        return send(res, 405, { error: 'method_not_allowed' })
      }
      if (parts.length === 4 && parts[3] === 'html' && req.method === 'GET') {
        const body = msg.html || `<pre style="white-space:pre-wrap;font:14px/1.5 system-ui,sans-serif">${escapeHtml(msg.text)}</pre>`
        // The message is foreign content: no scripts, no forms, no plugins.
        return send(res, 200, body, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "script-src 'none'; object-src 'none'; form-action 'none'",
        })
      }
      if (parts.length === 4 && parts[3] === 'raw' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        return void res.end(store.raw(id))
      }
      return send(res, 404, { error: 'not_found' })
    } catch (e) {
      if (!res.headersSent) send(res, 500, { error: 'internal', message: (e as Error).message })
    }
  })
}

/** Resolves when a message for `to` (any message when unset) arrives, after `ms`, or when the client goes away. */
function waitForMessage(store: MessageStore, to: string | undefined, ms: number, req: IncomingMessage): Promise<void> {
  const addr = to?.trim().toLowerCase()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      off()
      req.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    const off = store.onMessage((m) => {
      if (!addr || m.to.includes(addr)) done()
    })
    req.once('close', done)
  })
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

function listen(server: { listen: (port: number, host: string, cb: () => void) => unknown; once: (ev: 'error', cb: (e: Error) => void) => unknown }, port: number) {
  return new Promise<void>((res, rej) => {
    server.once('error', rej)
    server.listen(port, '127.0.0.1', () => res())
  })
}

export async function start(cfg: StackConfig, _env: Record<string, string>, opts: { cap?: number } = {}): Promise<MailCatcher> {
  const store = new MessageStore(opts.cap ?? DEFAULT_CAP)
  const smtp = createSmtp(store)
  const http = createHttp(store)
  await listen(smtp, cfg.ports.smtp)
  try {
    await listen(http, cfg.ports.mail)
  } catch (e) {
    await new Promise<void>((r) => smtp.close(() => r()))
    throw e
  }
  const smtpPort = (smtp.server.address() as AddressInfo).port
  const httpPort = (http.address() as AddressInfo).port
  return {
    name: 'mail',
    url: `http://127.0.0.1:${httpPort}`,
    store,
    smtpPort,
    httpPort,
    stop: async () => {
      http.closeAllConnections()
      await Promise.all([
        new Promise<void>((r) => http.close(() => r())),
        new Promise<void>((r) => smtp.close(() => r())),
      ])
    },
  }
}
