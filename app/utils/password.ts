/**
 * Password rules, the same as the Auth server's (supabase/config.toml:
 * minimum_password_length = 10, password_requirements = lower_upper_letters_digits).
 */
export const PASSWORD_MIN_LENGTH = 10

export type PasswordRule = 'length' | 'lower' | 'upper' | 'digit'

export function passwordRules(pw: string): Record<PasswordRule, boolean> {
  return {
    length: [...pw].length >= PASSWORD_MIN_LENGTH,
    lower: /[a-z]/.test(pw),
    upper: /[A-Z]/.test(pw),
    digit: /[0-9]/.test(pw),
  }
}

export function missingPasswordRules(pw: string): PasswordRule[] {
  const r = passwordRules(pw)
  return (Object.keys(r) as PasswordRule[]).filter((k) => !r[k])
}

/** 0–4: how many rules pass (for the strength meter). */
export function passwordScore(pw: string): number {
  return 4 - missingPasswordRules(pw).length
}

export const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]{2,}$/

export function isEmail(s: string): boolean {
  return EMAIL_RE.test(s.trim())
}
