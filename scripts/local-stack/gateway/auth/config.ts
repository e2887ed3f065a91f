/**
 * The [auth] settings of supabase/config.toml that the local GoTrue stand-in
 * honours, with the Supabase CLI's defaults for what the file leaves out.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { z } from 'zod'
import { ROOT } from '../../config.ts'

export type PasswordRequirements = '' | 'letters_digits' | 'lower_upper_letters_digits' | 'lower_upper_letters_digits_symbols'

export interface AuthSettings {
  siteUrl: string
  additionalRedirectUrls: string[]
  jwtExpiry: number
  refreshTokenRotation: boolean
  refreshTokenReuseInterval: number
  enableSignup: boolean
  enableAnonymousSignIns: boolean
  minimumPasswordLength: number
  passwordRequirements: PasswordRequirements
  /** [auth.email] */
  emailSignup: boolean
  enableConfirmations: boolean
  doubleConfirmChanges: boolean
  /** Seconds between two e-mails of the same kind to one user (GoTrue's max_frequency). */
  maxFrequency: number
  otpLength: number
  /** Seconds an e-mailed link or code stays valid. */
  otpExpiry: number
  /** [auth.rate_limit] email_sent: e-mails per address per hour. */
  emailsPerAddressPerHour: number
  /** E-mail-sending requests per client IP per hour (local policy, not a config.toml key). */
  emailsPerIpPerHour: number
  /** PKCE flow states live this long once their code is issued (GoTrue: 5 minutes). */
  flowStateExpiry: number
}

const AuthToml = z.looseObject({
  site_url: z.string().default('http://127.0.0.1:3000'),
  additional_redirect_urls: z.array(z.string()).default([]),
  jwt_expiry: z.number().int().positive().default(3600),
  enable_refresh_token_rotation: z.boolean().default(true),
  refresh_token_reuse_interval: z.number().int().nonnegative().default(10),
  enable_signup: z.boolean().default(true),
  enable_anonymous_sign_ins: z.boolean().default(false),
  minimum_password_length: z.number().int().positive().default(6),
  password_requirements: z.enum(['', 'letters_digits', 'lower_upper_letters_digits', 'lower_upper_letters_digits_symbols']).default(''),
  rate_limit: z.looseObject({ email_sent: z.number().int().positive().default(5) }).default({ email_sent: 5 }),
  email: z
    .looseObject({
      enable_signup: z.boolean().default(true),
      enable_confirmations: z.boolean().default(false),
      double_confirm_changes: z.boolean().default(true),
      max_frequency: z.string().default('1s'),
      otp_length: z.number().int().min(6).max(10).default(6),
      otp_expiry: z.number().int().positive().default(3600),
    })
    .default({ enable_signup: true, enable_confirmations: false, double_confirm_changes: true, max_frequency: '1s', otp_length: 6, otp_expiry: 3600 }),
})

/** Parses a Go duration such as "1m0s", "24h", "1h30m", "500ms" into seconds. */
export function goDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g
  if (!/^(\d+(?:\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(s)) throw new Error(`invalid duration "${s}"`)
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 }
  let total = 0
  for (const m of s.matchAll(re)) total += Number(m[1]) * (unit[m[2] ?? 's'] ?? 1)
  return total
}

export function loadAuthSettings(file = join(ROOT, 'supabase/config.toml')): AuthSettings {
  const doc = existsSync(file) ? (parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  const a = AuthToml.parse(doc.auth ?? {})
  return {
    siteUrl: a.site_url,
    additionalRedirectUrls: a.additional_redirect_urls,
    jwtExpiry: a.jwt_expiry,
    refreshTokenRotation: a.enable_refresh_token_rotation,
    refreshTokenReuseInterval: a.refresh_token_reuse_interval,
    enableSignup: a.enable_signup,
    enableAnonymousSignIns: a.enable_anonymous_sign_ins,
    minimumPasswordLength: a.minimum_password_length,
    passwordRequirements: a.password_requirements,
    emailSignup: a.email.enable_signup,
    enableConfirmations: a.email.enable_confirmations,
    doubleConfirmChanges: a.email.double_confirm_changes,
    maxFrequency: goDuration(a.email.max_frequency),
    otpLength: a.email.otp_length,
    otpExpiry: a.email.otp_expiry,
    emailsPerAddressPerHour: a.rate_limit.email_sent,
    emailsPerIpPerHour: 100,
    flowStateExpiry: 300,
  }
}
