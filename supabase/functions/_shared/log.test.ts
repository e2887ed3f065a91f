import assert from 'node:assert/strict'
import { createLogger, type LogLevel } from './log.ts'

function capture(level: LogLevel = 'debug') {
  const lines: { line: Record<string, unknown>; level: LogLevel }[] = []
  const logger = createLogger('test-svc', {}, {
    level,
    sink: (l, lv) => lines.push({ line: JSON.parse(l), level: lv }),
    now: () => new Date('2026-01-02T03:04:05.678Z'),
  })
  return { logger, lines }
}

Deno.test('log: one JSON line with the documented fields', () => {
  const { logger, lines } = capture()
  logger.child({ traceId: 't-1', userId: 'u-1', tenantId: 'tn-1' }).info('contact imported', { count: 3 })
  assert.equal(lines.length, 1)
  assert.deepEqual(lines[0].line, {
    timestamp: '2026-01-02T03:04:05.678Z',
    level: 'info',
    service: 'test-svc',
    traceId: 't-1',
    userId: 'u-1',
    tenantId: 'tn-1',
    message: 'contact imported',
    context: { count: 3 },
  })
})

Deno.test('log: levels below the threshold are dropped', () => {
  const { logger, lines } = capture('warn')
  logger.debug('d')
  logger.info('i')
  logger.warn('w')
  logger.error('e')
  assert.deepEqual(lines.map((l) => l.line.level), ['warn', 'error'])
})

Deno.test('log: errors are serialised with name, message, code, stack and cause', () => {
  const { logger, lines } = capture()
  const cause = new Error('socket closed')
  const err = Object.assign(new Error('send failed', { cause }), { code: 'ECONNRESET' })
  logger.error('email send failed', err, { provider: 'brevo' })
  const e = lines[0].line.error as Record<string, unknown>
  assert.equal(e.name, 'Error')
  assert.equal(e.message, 'send failed')
  assert.equal(e.code, 'ECONNRESET')
  assert.match(String(e.stack), /send failed/)
  assert.equal((e.cause as Record<string, unknown>).message, 'socket closed')
  assert.deepEqual(lines[0].line.context, { provider: 'brevo' })
  logger.error('odd', { not: 'an error' })
  assert.deepEqual(lines[1].line.error, { name: 'NonError', message: '{"not":"an error"}' })
})

Deno.test('log: child loggers merge fields and context', () => {
  const { logger, lines } = capture()
  const a = logger.child({ traceId: 't', context: { queue: 'email' } })
  const b = a.child({ tenantId: 'tn', context: { msgId: '7' } })
  b.warn('retry', { attempt: 2 })
  assert.equal(lines[0].line.traceId, 't')
  assert.equal(lines[0].line.tenantId, 'tn')
  assert.deepEqual(lines[0].line.context, { queue: 'email', msgId: '7', attempt: 2 })
})

Deno.test('log: credentials in context are redacted, at any depth', () => {
  const { logger, lines } = capture()
  const circular: Record<string, unknown> = { name: 'loop' }
  circular.self = circular
  logger.info('request', {
    headers: { Authorization: 'Bearer abc', 'content-type': 'application/json' },
    body: { password: 'hunter2', nested: [{ apiKey: 'k', ok: 1 }] },
    circular,
  })
  const ctx = lines[0].line.context as Record<string, any>
  assert.equal(ctx.headers.Authorization, '[redacted]')
  assert.equal(ctx.headers['content-type'], 'application/json')
  assert.equal(ctx.body.password, '[redacted]')
  assert.deepEqual(ctx.body.nested, [{ apiKey: '[redacted]', ok: 1 }])
  assert.equal(ctx.circular.self, '[truncated]')
  assert.ok(!JSON.stringify(lines[0].line).includes('hunter2'))
})
