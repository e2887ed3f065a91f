/**
 * The mail catcher's memory: the last N messages, newest first. Nothing is
 * written to disk; a restart of the stack empties the inbox.
 */
import { randomUUID } from 'node:crypto'
import { simpleParser, type AddressObject } from 'mailparser'

export interface CaughtMessage {
  id: string
  from: string
  /** Envelope recipients (To, Cc and Bcc), lower-cased. */
  to: string[]
  subject: string
  /** ISO 8601, when the catcher received it. */
  date: string
  text: string
  html: string
  /** Header names lower-cased; repeated headers joined with "\n". */
  headers: Record<string, string>
}

interface Stored extends CaughtMessage {
  raw: Buffer
}

export const DEFAULT_CAP = 2_000

export class MessageStore {
  private messages: Stored[] = []
  private listeners = new Set<(m: CaughtMessage) => void>()

  constructor(readonly cap = DEFAULT_CAP) {}

  /** Parses a raw RFC 5322 message and keeps it; the envelope decides the recipients. */
  async add(raw: Buffer, envelope: { from?: string; to: string[] }): Promise<CaughtMessage> {
    const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true })
    const headers: Record<string, string> = {}
    for (const { key, line } of parsed.headerLines) {
      const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim()
      headers[key] = headers[key] === undefined ? value : `${headers[key]}\n${value}`
    }
    const fromHeader = parsed.from?.value[0]?.address
    const headerRcpts = [parsed.to, parsed.cc]
      .flatMap((a) => (Array.isArray(a) ? a : a ? [a] : []))
      .flatMap((a: AddressObject) => a.value.map((v) => v.address ?? ''))
    const to = [...new Set((envelope.to.length ? envelope.to : headerRcpts).filter(Boolean).map((a) => a.toLowerCase()))]
    const msg: Stored = {
      id: randomUUID(),
      from: (fromHeader ?? envelope.from ?? '').toLowerCase(),
      to,
      subject: parsed.subject ?? '',
      date: new Date().toISOString(),
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      headers,
      raw,
    }
    this.messages.unshift(msg)
    if (this.messages.length > this.cap) this.messages.length = this.cap
    const pub = strip(msg)
    for (const l of this.listeners) l(pub)
    return pub
  }

  /** Newest first; `to` matches any recipient, case-insensitively. */
  list(filter: { to?: string; limit?: number } = {}): CaughtMessage[] {
    const to = filter.to?.trim().toLowerCase()
    const hits = to ? this.messages.filter((m) => m.to.includes(to)) : this.messages
    return hits.slice(0, filter.limit ?? hits.length).map(strip)
  }

  get(id: string): CaughtMessage | undefined {
    const m = this.messages.find((x) => x.id === id)
    return m && strip(m)
  }

  raw(id: string): Buffer | undefined {
    return this.messages.find((x) => x.id === id)?.raw
  }

  /** Deletes every message, or those addressed to `to`; returns how many went. */
  clear(to?: string): number {
    const before = this.messages.length
    const addr = to?.trim().toLowerCase()
    this.messages = addr ? this.messages.filter((m) => !m.to.includes(addr)) : []
    return before - this.messages.length
  }

  remove(id: string): boolean {
    const i = this.messages.findIndex((m) => m.id === id)
    if (i >= 0) this.messages.splice(i, 1)
    return i >= 0
  }

  get size(): number {
    return this.messages.length
  }

  onMessage(fn: (m: CaughtMessage) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }
}

function strip(m: Stored): CaughtMessage {
  const { raw: _raw, ...rest } = m
  return rest
}
