/** Only same-site relative paths are followed after sign-in; anything else goes home. */
export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string') return fallback
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback
  if (/[\r\n]/.test(next)) return fallback
  return next
}
