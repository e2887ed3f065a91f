/** Stable error codes from Auth (GoTrue), PostgREST and our RPCs → i18n keys under `errors.`. */
const KNOWN = new Set([
  'invalid_credentials', 'email_not_confirmed', 'weak_password', 'over_email_send_rate_limit', 'over_request_rate_limit', 'user_already_exists',
  'email_exists', 'same_password', 'otp_disabled', 'otp_expired', 'session_not_found', 'validation_failed', 'signup_disabled',
  'invitation_not_found', 'invitation_already_used', 'invitation_expired', 'invitation_email_mismatch', 'insufficient_role',
  'invalid_siret', 'slug_taken', 'not_authenticated', 'owner_cannot_leave', 'member_not_found', 'invalid_role', 'rate_limited',
  'companies_unavailable', 'query_too_short',
])

export function errorCode(e: unknown): string {
  if (!e || typeof e !== 'object') return 'unknown'
  const o = e as { code?: unknown; message?: unknown; status?: unknown; name?: unknown; data?: { data?: { code?: unknown } } }
  const nested = o.data?.data?.code
  if (typeof nested === 'string' && KNOWN.has(nested)) return nested
  if (typeof o.code === 'string' && KNOWN.has(o.code)) return o.code
  if (typeof o.message === 'string' && KNOWN.has(o.message)) return o.message
  if (o.name === 'AuthWeakPasswordError') return 'weak_password'
  if (o.name === 'AuthRetryableFetchError' || o.status === 0) return 'network'
  if (o.status === 501) return 'unavailable'
  if (o.status === 429) return 'rate_limited'
  return 'unknown'
}
