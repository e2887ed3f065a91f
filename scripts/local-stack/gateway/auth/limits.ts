/**
 * In-memory sliding-window counters for the e-mail-sending endpoints: per
 * address (config.toml [auth.rate_limit] email_sent, per hour) and per client
 * IP. They reset when the gateway restarts, as a local stand-in may.
 */
export class SlidingWindow {
  private hits = new Map<string, number[]>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records a hit unless the key is over its limit; returns the seconds to wait when refused. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfter: number } {
    const since = now - this.windowMs
    const list = (this.hits.get(key) ?? []).filter((t) => t > since)
    if (list.length >= this.limit) {
      this.hits.set(key, list)
      return { ok: false, retryAfter: Math.max(1, Math.ceil(((list[0] ?? now) + this.windowMs - now) / 1000)) }
    }
    list.push(now)
    this.hits.set(key, list)
    if (this.hits.size > 10_000) this.prune(since)
    return { ok: true }
  }

  private prune(since: number) {
    for (const [k, v] of this.hits) if (!v.some((t) => t > since)) this.hits.delete(k)
  }
}
