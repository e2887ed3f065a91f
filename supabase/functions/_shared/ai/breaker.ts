/**
 * Circuit breaker around a provider.
 *
 * closed: calls go through; `threshold` consecutive failures open it.
 * open: calls are refused (the caller falls back) until `cooldownMs` passed.
 * half_open: exactly one probe call goes through; success closes the circuit,
 * failure opens it again for another cooldown. Other callers keep falling
 * back while the probe is in flight.
 *
 * State lives in the isolate (one breaker per provider and model); each edge
 * function instance learns on its own, which is the usual trade-off for a
 * breaker without shared storage.
 */
export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerOptions {
  threshold: number
  cooldownMs: number
  now?: () => number
}

export class CircuitBreaker {
  #state: BreakerState = 'closed'
  #failures = 0
  #openedAt = 0
  #probing = false
  readonly #now: () => number

  constructor(readonly opts: BreakerOptions) {
    this.#now = opts.now ?? Date.now
  }

  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.opts.cooldownMs) this.#state = 'half_open'
    return this.#state
  }

  get consecutiveFailures(): number {
    return this.#failures
  }

  /** Whether a call may go to the provider now; in half-open, only the first asker gets the probe. */
  tryAcquire(): boolean {
    const s = this.state
    if (s === 'closed') return true
    if (s === 'open') return false
    if (this.#probing) return false
    this.#probing = true
    return true
  }

  onSuccess(): void {
    this.#failures = 0
    this.#probing = false
    this.#state = 'closed'
  }

  onFailure(): void {
    this.#probing = false
    this.#failures++
    if (this.#state === 'half_open' || this.#failures >= this.opts.threshold) {
      this.#state = 'open'
      this.#openedAt = this.#now()
    }
  }

  /** Forget everything (tests). */
  reset(): void {
    this.#state = 'closed'
    this.#failures = 0
    this.#probing = false
  }
}

const breakers = new Map<string, CircuitBreaker>()

/** The isolate's breaker for `key` (provider + model). */
export function breakerFor(key: string, opts: BreakerOptions): CircuitBreaker {
  let b = breakers.get(key)
  if (!b) breakers.set(key, (b = new CircuitBreaker(opts)))
  return b
}

export function resetBreakers(): void {
  breakers.clear()
}
