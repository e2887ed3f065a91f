/**
 * Structured JSON logging: one line per event with timestamp, level, service,
 * traceId, userId, tenantId, message, context and error. Values under keys
 * that look like credentials are redacted. Supabase collects stdout/stderr of
 * edge functions; the local runner prints them.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|cookie|signature/i

export interface LogFields {
  traceId?: string
  userId?: string
  tenantId?: string
  context?: Record<string, unknown>
}

export interface LogEntry extends LogFields {
  timestamp: string
  level: LogLevel
  service: string
  message: string
  error?: SerializedError
}

export interface SerializedError {
  name: string
  message: string
  code?: string
  stack?: string
  cause?: SerializedError
}

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void
  info(message: string, context?: Record<string, unknown>): void
  warn(message: string, context?: Record<string, unknown>, error?: unknown): void
  error(message: string, error?: unknown, context?: Record<string, unknown>): void
  /** A logger that adds these fields (traceId, userId, tenantId, context) to every line. */
  child(fields: LogFields): Logger
  readonly fields: Readonly<LogFields>
}

export interface LoggerOptions {
  level?: LogLevel
  /** Where lines go; stdout (stderr for warn/error) by default. */
  sink?: (line: string, level: LogLevel) => void
  now?: () => Date
}

export function serializeError(e: unknown, depth = 0): SerializedError {
  if (e instanceof Error) {
    const out: SerializedError = { name: e.name, message: e.message }
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' || typeof code === 'number') out.code = String(code)
    if (e.stack) out.stack = e.stack
    if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1)
    return out
  }
  return { name: 'NonError', message: typeof e === 'string' ? e : safeJson(e) }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

/** Copies `value`, replacing credentials with "[redacted]" (bounded depth, cycles cut). */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value) || depth > 6) return '[truncated]'
  seen.add(value)
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen))
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Error) return serializeError(value)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1, seen)
  return out
}

const defaultSink = (line: string, level: LogLevel) => (level === 'error' || level === 'warn' ? console.error(line) : console.log(line))

export function createLogger(service: string, fields: LogFields = {}, opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info']
  const sink = opts.sink ?? defaultSink
  const now = opts.now ?? (() => new Date())
  const emit = (level: LogLevel, message: string, context?: Record<string, unknown>, error?: unknown) => {
    if (ORDER[level] < min) return
    const merged = fields.context || context ? { ...fields.context, ...context } : undefined
    const entry: LogEntry = {
      timestamp: now().toISOString(),
      level,
      service,
      traceId: fields.traceId,
      userId: fields.userId,
      tenantId: fields.tenantId,
      message,
      context: merged ? (redact(merged) as Record<string, unknown>) : undefined,
      error: error === undefined ? undefined : serializeError(error),
    }
    sink(JSON.stringify(entry), level)
  }
  return {
    fields,
    debug: (m, c) => emit('debug', m, c),
    info: (m, c) => emit('info', m, c),
    warn: (m, c, e) => emit('warn', m, c, e),
    error: (m, e, c) => emit('error', m, c, e),
    child: (more) =>
      createLogger(
        service,
        { ...fields, ...more, context: fields.context || more.context ? { ...fields.context, ...more.context } : undefined },
        opts,
      ),
  }
}
