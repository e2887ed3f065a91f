/**
 * Reading the e-mails the stack sent, from tests. The stack's mail catcher
 * answers `GET MAIL_URL/api/messages?to=` (newest first). When no mail catcher
 * runs (it is optional in the supervisor), this helper listens on SMTP_PORT
 * itself — only if that port is free — and keeps the messages in memory.
 */
import { createServer } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { env } from './stack.ts'

export interface Mail {
  id: string
  from: string
  to: string[]
  subject: string
  date: string
  text: string
  html: string
  headers: Record<string, string>
}

let mode: Promise<'api' | 'capture'> | undefined
const captured: Mail[] = []

/** The stack's mail catcher answers (a few tries: a busy machine can be slow to answer the first one). */
async function apiUp(): Promise<boolean> {
  if (!process.env.MAIL_URL) return false
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const r = await fetch(`${env('MAIL_URL')}/api/messages?to=probe@invalid`, { signal: AbortSignal.timeout(5000) })
      if (r.ok) return true
    } catch {
      // refused or timed out: try again
    }
  }
  return false
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer()
    s.once('error', () => res(false))
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)))
  })
}

async function startCapture(): Promise<void> {
  const port = Number(env('SMTP_PORT'))
  if (!(await portFree(port))) throw new Error(`no mail catcher API at MAIL_URL and SMTP port ${port} is taken`)
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((m) => {
          const headers: Record<string, string> = {}
          for (const [k, v] of m.headers) headers[k] = typeof v === 'string' ? v : JSON.stringify(v)
          captured.unshift({
            id: String(captured.length + 1),
            from: m.from?.text ?? '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: m.subject ?? '',
            date: (m.date ?? new Date()).toISOString(),
            text: m.text ?? '',
            html: typeof m.html === 'string' ? m.html : '',
            headers,
          })
          cb()
        })
        .catch(cb)
    },
  })
  await new Promise<void>((res, rej) => {
    server.once('error', rej)
    server.listen(port, '127.0.0.1', () => res())
  })
  server.server.unref()
}

/** Call once before the first e-mail is sent (beforeAll). */
export function mailReady(): Promise<'api' | 'capture'> {
  mode ??= apiUp().then(async (up) => {
    if (up) return 'api'
    await startCapture()
    return 'capture'
  })
  return mode
}

export async function messagesTo(to: string): Promise<Mail[]> {
  if ((await mailReady()) === 'capture') return captured.filter((m) => m.to.includes(to.toLowerCase()))
  const r = await fetch(`${env('MAIL_URL')}/api/messages?to=${encodeURIComponent(to)}`)
  if (!r.ok) throw new Error(`mail catcher answered ${r.status}`)
  return (await r.json()) as Mail[]
}

/** The newest e-mail to `to` once at least `count` arrived (polls for up to 10 s). */
export async function latestMail(to: string, count = 1): Promise<Mail> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const list = await messagesTo(to)
    if (list.length >= count && list[0]) return list[0]
    if (Date.now() > deadline) throw new Error(`no e-mail #${count} to ${to} within 10 s (have ${list.length})`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The /verify link and the 6-digit code of an auth e-mail. */
export function linkAndCode(m: Mail): { link: string; code: string } {
  const link = /(https?:\/\/\S+\/auth\/v1\/verify\?\S+)/.exec(m.text)?.[1]
  const code = /\b(\d{6})\b/.exec(m.text.replace(/https?:\/\/\S+/g, ''))?.[1]
  if (!link || !code) throw new Error(`no link or code in e-mail "${m.subject}"`)
  return { link, code }
}
