/**
 * Signed tokens for unsubscribe and tracking links: `<payload>.<mac>`, the
 * payload base64url JSON, the MAC HMAC-SHA-256 over the payload with
 * SENDING_LINK_SECRET (falls back to the service key so a project works
 * without extra setup; set a dedicated secret in production). Verification is
 * constant-time.
 */
const enc = new TextEncoder()

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}
function unb64url(s: string): Uint8Array<ArrayBuffer> {
  const b = atob(s.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (s.length % 4)) % 4))
  return Uint8Array.from(b, (c) => c.charCodeAt(0))
}

async function key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

export interface LinkPayload {
  /** message_sends.id */
  s: string
  /** purpose: u = unsubscribe, o = open, c = click */
  p: 'u' | 'o' | 'c'
  /** target URL for clicks */
  url?: string
}

export async function signLink(payload: LinkPayload, secret: string): Promise<string> {
  const body = b64url(enc.encode(JSON.stringify(payload)))
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key(secret), enc.encode(body)))
  return `${body}.${b64url(mac)}`
}

/** The payload when the token is authentic, else null. */
export async function verifyLink(token: string, secret: string): Promise<LinkPayload | null> {
  const [body, mac, extra] = token.split('.')
  if (!body || !mac || extra !== undefined) return null
  let ok = false
  try {
    ok = await crypto.subtle.verify('HMAC', await key(secret), unb64url(mac), enc.encode(body))
  } catch {
    return null
  }
  if (!ok) return null
  try {
    const p = JSON.parse(new TextDecoder().decode(unb64url(body)))
    return typeof p?.s === 'string' && ['u', 'o', 'c'].includes(p?.p) ? p : null
  } catch {
    return null
  }
}
