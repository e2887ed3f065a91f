/**
 * Twilio webhook bodies (form-encoded), pure parsing: message status
 * callbacks (`MessageSid`, `MessageStatus`, `ErrorCode`) and incoming
 * messages (`From`, `To`, `Body`, `MessageSid`, `whatsapp:` prefixes).
 */
import { z } from 'zod'

const sid = z.string().regex(/^(SM|MM)[0-9a-f]{32}$/i)
const address = z.string().min(3).max(64)

export const statusCallback = z.looseObject({
  MessageSid: sid,
  MessageStatus: z.string().min(1).max(30),
  AccountSid: z.string().min(1),
  To: address.optional(),
  From: address.optional(),
  ErrorCode: z.string().max(10).optional(),
})
export const inboundMessage = z.looseObject({
  MessageSid: sid,
  AccountSid: z.string().min(1),
  From: address,
  To: address,
  Body: z.string().max(10_000).default(''),
  NumMedia: z.string().optional(),
  ProfileName: z.string().max(200).optional(),
})

export type TwilioBody =
  | { kind: 'status'; data: z.infer<typeof statusCallback> }
  | { kind: 'inbound'; data: z.infer<typeof inboundMessage> }

/** A status callback has MessageStatus and no inbound `SmsStatus=received`. */
export function parseTwilio(params: Record<string, string>): TwilioBody {
  if (params.MessageStatus && params.MessageStatus !== 'received' && params.SmsStatus !== 'received') {
    return { kind: 'status', data: statusCallback.parse(params) }
  }
  return { kind: 'inbound', data: inboundMessage.parse(params) }
}

/** Twilio's status → our event type (null: intermediate, acknowledged only). */
export function mapStatus(status: string, errorCode?: string): { type: 'delivered' | 'failed' | 'bounced' } | null {
  switch (status) {
    case 'delivered': case 'read': return { type: 'delivered' }
    // 21211 invalid number, 30005 unknown handset, 30006 landline: the address is bad for good.
    case 'undelivered': case 'failed': return { type: ['21211', '30005', '30006', '21614'].includes(errorCode ?? '') ? 'bounced' : 'failed' }
    default: return null
  }
}

export const bareNumber = (a: string) => a.replace(/^whatsapp:/, '')
export const channelOf = (a: string): 'sms' | 'whatsapp' => (a.startsWith('whatsapp:') ? 'whatsapp' : 'sms')
