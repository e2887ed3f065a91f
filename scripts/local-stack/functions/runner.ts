/**
 * Starts the local edge runtime: one Deno process (`main.ts`) on
 * cfg.ports.functions serving every `supabase/functions/<name>/index.ts`.
 * The gateway's `/functions/v1` relay forwards to it.
 *
 * Environment of the functions: the stack's env (SUPABASE_URL, keys,
 * SUPABASE_DB_URL, provider sandbox URLs…), SUPABASE_PUBLISHABLE_KEYS and
 * SUPABASE_SECRET_KEYS as JSON like the platform, then `supabase/functions/.env`
 * if present (read by the runtime itself, so dev mode picks up edits).
 * In dev mode the runtime watches supabase/functions and reloads on change.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, type StackConfig } from '../config.ts'
import type { Service } from '../stack.ts'

export const FUNCTIONS_DIR = join(ROOT, 'supabase/functions')

export async function start(cfg: StackConfig, env: Record<string, string>): Promise<Service & { child: ChildProcess }> {
  const deno = join(ROOT, 'node_modules/.bin/deno')
  const main = join(import.meta.dirname, 'main.ts')
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...env,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: cfg.keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: cfg.keys.secretKey }),
    FUNCTIONS_DIR,
    FUNCTIONS_PORT: String(cfg.ports.functions),
    FUNCTIONS_WATCH: cfg.mode === 'dev' ? '1' : '0',
    FUNCTIONS_ENV_FILE: join(FUNCTIONS_DIR, '.env'),
    NO_COLOR: '1',
  }
  const child = spawn(deno, ['run', '-A', '--no-prompt', '--config', join(FUNCTIONS_DIR, 'deno.json'), main], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  // Dev: function logs on the terminal. Test: into <dataDir>/logs/functions.log.
  const logDir = join(cfg.dataDir, 'logs')
  if (!existsSync(logDir)) mkdirSync(logDir, { recursive: true })
  const logFile = join(logDir, 'functions.log')
  const tail: string[] = []
  const out = (b: Buffer) => {
    const text = b.toString()
    for (const line of text.split('\n').filter(Boolean)) {
      tail.push(line)
      if (tail.length > 50) tail.shift()
      if (cfg.mode === 'dev') process.stdout.write(`[functions] ${line}\n`)
    }
    appendFileSync(logFile, text)
  }
  child.stdout!.on('data', out)
  child.stderr!.on('data', out)

  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the edge runtime exited while starting (${child.signalCode ?? `code ${child.exitCode}`}):\n${tail.join('\n')}`)
    }
    try {
      const r = await fetch(`${cfg.functionsUrl}/_internal/health`)
      if (r.ok) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the edge runtime did not answer within 60 s:\n${tail.join('\n')}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }

  return {
    name: 'functions',
    url: cfg.functionsUrl,
    child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res()
        const t = setTimeout(() => child.kill('SIGKILL'), 5000)
        child.once('exit', () => (clearTimeout(t), res()))
        child.kill('SIGTERM')
      }),
  }
}
