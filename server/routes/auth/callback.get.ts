import type { EmailOtpType } from '@supabase/supabase-js'
import { safeNext } from '~~/app/utils/redirect'

const OTP_TYPES: EmailOtpType[] = ['signup', 'invite', 'magiclink', 'recovery', 'email_change', 'email']

/**
 * Landing of every e-mail link (confirmation, magic link, recovery, invite):
 * exchanges the PKCE code (or verifies a token hash) for a session stored in
 * cookies, then continues to `next`. Failures land on the sign-in page with a
 * reason the page translates.
 */
export default defineEventHandler(async (event) => {
  const q = getQuery(event)
  const next = safeNext(q.next)
  const fail = (reason: string) => sendRedirect(event, `/connexion?erreur=${encodeURIComponent(reason)}`, 303)

  if (typeof q.error_code === 'string' || typeof q.error === 'string') {
    return fail(q.error_code === 'otp_expired' ? 'lien_expire' : 'lien_invalide')
  }
  const supabase = serverSupabase(event)
  if (typeof q.code === 'string' && q.code) {
    const { error } = await supabase.auth.exchangeCodeForSession(q.code)
    if (error) return fail(error.code === 'flow_state_expired' || error.code === 'otp_expired' ? 'lien_expire' : 'lien_invalide')
  } else if (typeof q.token_hash === 'string' && OTP_TYPES.includes(q.type as EmailOtpType)) {
    const { error } = await supabase.auth.verifyOtp({ token_hash: q.token_hash, type: q.type as EmailOtpType })
    if (error) return fail('lien_expire')
  } else {
    return fail('lien_invalide')
  }
  const dest = q.type === 'recovery' || next === '/reinitialiser' ? '/reinitialiser' : q.type === 'signup' && next === '/' ? '/auth/confirmation' : next
  return sendRedirect(event, dest, 303)
})
