/**
 * Phoenix channel framing as realtime-js speaks it: serializer vsn 1.0.0
 * (JSON objects), vsn 2.0.0 (JSON arrays, plus Supabase's binary broadcast
 * frames: kind 3 from the client, kind 4 to the client), and the zod schemas
 * of the payloads we read.
 */
import { z } from 'zod'

export type Vsn = '1.0.0' | '2.0.0'

export interface Message {
  joinRef: string | null
  ref: string | null
  topic: string
  event: string
  payload: unknown
}

/** A user broadcast, carried either as JSON or as raw bytes (binary encoding). */
export interface BroadcastBody {
  event: string
  /** JSON value, or bytes when `binary`. */
  payload: unknown
  binary: boolean
  meta?: unknown
}

export class ProtocolError extends Error {}

const ref = z.union([z.string(), z.number().transform(String), z.null()]).optional().transform((v) => v ?? null)

const arrayFrame = z.tuple([ref, ref, z.string(), z.string(), z.unknown()])
const objectFrame = z.object({ join_ref: ref, ref, topic: z.string(), event: z.string(), payload: z.unknown() })

/** Decodes a text frame; throws ProtocolError when it is not a Phoenix message. */
export function decodeText(vsn: Vsn, text: string): Message {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new ProtocolError('malformed JSON')
  }
  if (vsn === '2.0.0' || Array.isArray(raw)) {
    const r = arrayFrame.safeParse(raw)
    if (!r.success) throw new ProtocolError('malformed message')
    const [joinRef, mref, topic, event, payload] = r.data
    return { joinRef, ref: mref, topic, event, payload: payload ?? {} }
  }
  const r = objectFrame.safeParse(raw)
  if (!r.success) throw new ProtocolError('malformed message')
  return { joinRef: r.data.join_ref, ref: r.data.ref, topic: r.data.topic, event: r.data.event, payload: r.data.payload ?? {} }
}

export function encodeText(vsn: Vsn, m: Message): string {
  if (vsn === '2.0.0') return JSON.stringify([m.joinRef, m.ref, m.topic, m.event, m.payload])
  return JSON.stringify({ join_ref: m.joinRef, ref: m.ref, topic: m.topic, event: m.event, payload: m.payload })
}

/** Kind 3 "user broadcast push" (client to server). */
export function decodeBinary(buf: Buffer): Message & { broadcast: BroadcastBody } {
  if (buf.length < 7 || buf[0] !== 3) throw new ProtocolError(`unsupported binary frame kind ${buf[0]}`)
  const lens = [buf[1]!, buf[2]!, buf[3]!, buf[4]!, buf[5]!] as const
  const encoding = buf[6]
  let off = 7
  const take = (n: number) => {
    if (off + n > buf.length) throw new ProtocolError('truncated binary frame')
    const s = buf.toString('utf8', off, off + n)
    off += n
    return s
  }
  const joinRef = take(lens[0])
  const mref = take(lens[1])
  const topic = take(lens[2])
  const event = take(lens[3])
  const metaText = take(lens[4])
  const body = buf.subarray(off)
  let payload: unknown
  let meta: unknown
  try {
    payload = encoding === 1 ? JSON.parse(body.toString('utf8') || 'null') : Buffer.from(body)
    meta = metaText ? JSON.parse(metaText) : undefined
  } catch {
    throw new ProtocolError('malformed JSON in binary frame')
  }
  const broadcast: BroadcastBody = { event, payload, binary: encoding !== 1, ...(meta !== undefined ? { meta } : {}) }
  return {
    joinRef: joinRef || null,
    ref: mref || null,
    topic,
    event: 'broadcast',
    payload: { type: 'broadcast', event, payload },
    broadcast,
  }
}

/** Kind 4 "user broadcast" (server to client). */
export function encodeBinaryBroadcast(topic: string, b: BroadcastBody): Buffer {
  const t = Buffer.from(topic)
  const e = Buffer.from(b.event)
  const m = Buffer.from(b.meta === undefined ? '' : JSON.stringify(b.meta))
  if (t.length > 255 || e.length > 255 || m.length > 255) throw new ProtocolError('broadcast header field over 255 bytes')
  const body = b.binary ? (b.payload as Buffer) : Buffer.from(JSON.stringify(b.payload ?? null))
  const head = Buffer.from([4, t.length, e.length, m.length, b.binary ? 0 : 1])
  return Buffer.concat([head, t, e, m, body])
}

export const postgresChangeParams = z
  .object({
    event: z.string(),
    schema: z.string(),
    table: z.string().optional(),
    filter: z.string().optional(),
  })
  .passthrough()
export type PostgresChangeParams = z.infer<typeof postgresChangeParams>

export const joinPayload = z
  .object({
    config: z
      .object({
        broadcast: z
          .object({ self: z.boolean().optional(), ack: z.boolean().optional(), replication_ready: z.boolean().optional() })
          .passthrough()
          .nullish(),
        presence: z.object({ key: z.string().nullish(), enabled: z.boolean().optional() }).passthrough().nullish(),
        postgres_changes: z.array(postgresChangeParams).nullish(),
        private: z.boolean().nullish(),
      })
      .passthrough()
      .nullish(),
    access_token: z.string().nullish(),
  })
  .passthrough()
export type JoinPayload = z.infer<typeof joinPayload>

export const accessTokenPayload = z.object({ access_token: z.string().nullish() }).passthrough()

export const presencePayload = z
  .object({ type: z.literal('presence').optional(), event: z.enum(['track', 'untrack']), payload: z.record(z.string(), z.unknown()).nullish() })
  .passthrough()

export const broadcastPayload = z.object({ type: z.literal('broadcast').optional(), event: z.string(), payload: z.unknown() }).passthrough()

export const restBroadcast = z.object({
  messages: z
    .array(
      z.object({
        topic: z.string().min(1),
        event: z.string().min(1),
        payload: z.unknown().optional(),
        private: z.boolean().optional(),
      }),
    )
    .max(1000),
})

/**
 * A stable numeric id for a postgres_changes binding, derived from its params
 * (real Realtime hashes them too); made unique within a join by the caller.
 */
export function bindingHash(p: PostgresChangeParams): number {
  const s = `${p.event}|${p.schema}|${p.table ?? ''}|${p.filter ?? ''}`
  let h = 2166136261
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return ((h >>> 0) % 99_999_999) + 1 // never 0: the client ignores a falsy id
}
