/**
 * The supervisor: starts every piece of the local stack in order, watches the
 * children, and stops everything cleanly. Used by `npm run dev` (persistent
 * data folder) and by `npm test` (throwaway folder, free ports).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { resolveConfig, ROOT, stackEnv, type StackConfig, type StackPorts } from './config.ts'
import { bootstrap, migrate } from './migrate.ts'
import { startPostgres } from './postgres.ts'

export interface Service {
  name: string
  url?: string
  stop(): Promise<void>
}

/** What each in-process service module exports. */
export type ServiceStarter = (cfg: StackConfig, env: Record<string, string>) => Promise<Service>

export interface Stack {
  cfg: StackConfig
  env: Record<string, string>
  services: Service[]
  /** Rejects when a child process dies unexpectedly, naming it. */
  crashed: Promise<never>
  stop(): Promise<void>
  /** Second Ctrl-C: immediate shutdown of every child still running (Postgres: SIGQUIT, others: SIGKILL). */
  killNow(): void
  /** killNow, then wait (bounded) until every child has exited, so none outlives the supervisor. */
  killAndWait(timeoutMs?: number): Promise<void>
}

export interface StartOptions {
  mode: 'dev' | 'test'
  dataDir: string
  preferredPorts?: Partial<StackPorts>
  /** 'dev' runs `nuxt dev`, 'built' serves .output, false skips the app. */
  app?: 'dev' | 'built' | false
  seed?: boolean
  log?: (service: string, line: string) => void
}

const log0 = (service: string, line: string) => process.stdout.write(`[${service}] ${line}\n`)

export async function startStack(opts: StartOptions): Promise<Stack> {
  const log = opts.log ?? log0
  const cfg = await resolveConfig({ mode: opts.mode, dataDir: opts.dataDir, preferredPorts: opts.preferredPorts })
  const env = stackEnv(cfg)
  const services: Service[] = []
  const children: { name: string; child: ChildProcess }[] = []
  let stopping = false
  let crash!: (e: Error) => void
  const crashed = new Promise<never>((_, rej) => (crash = rej))
  crashed.catch(() => {})

  const watch = (name: string, child: ChildProcess) => {
    children.push({ name, child })
    child.once('exit', (code, signal) => {
      if (!stopping) crash(new Error(`${name} exited unexpectedly (${signal ?? `code ${code}`})`))
    })
  }

  const killNow = () => {
    stopping = true
    for (const { name, child } of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill(name === 'postgres' ? 'SIGQUIT' : 'SIGKILL')
    }
  }

  /** Kill now, then wait (bounded) until every child has really exited. */
  const killAndWait = async (timeoutMs = 30_000) => {
    killNow()
    const deadline = Date.now() + timeoutMs
    for (const { child } of children) {
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }

  const stop = async () => {
    if (stopping) return
    stopping = true
    for (const s of [...services].reverse()) {
      try {
        await s.stop()
      } catch (e) {
        log('stack', `stopping ${s.name}: ${(e as Error).message}`)
      }
    }
  }

  try {
    const pg = await startPostgres({ dataDir: cfg.dataDir, port: cfg.ports.db, fast: opts.mode === 'test' })
    watch('postgres', pg.child)
    services.push({ name: 'postgres', url: cfg.dbUrl, stop: () => pg.stop() })

    const sql = postgres(cfg.dbUrl, { max: 1, onnotice: () => {} })
    try {
      await bootstrap(sql, { projectUrl: cfg.apiUrl, serviceRoleKey: cfg.keys.serviceRoleKey })
      const res = await migrate(sql, { seed: opts.seed, log: (m) => log('migrate', m) })
      log('migrate', `${res.applied.length} migration(s) applied${res.seeded ? ', demo data seeded' : ''}`)
    } finally {
      await sql.end()
    }

    // In-process services, in dependency order. Each module owns one job.
    const modules: [string, string][] = [
      ['mail', './mailcatcher/index.ts'],
      ['sandbox', './sandbox/index.ts'],
      ['functions', './functions/runner.ts'],
      ['gateway', './gateway/server.ts'],
      ['pg_net', './pgnet/worker.ts'],
    ]
    for (const [name, path] of modules) {
      const file = join(import.meta.dirname, path)
      if (!existsSync(file)) continue
      const mod = (await import(file)) as { start: ServiceStarter; child?: (s: Service) => ChildProcess | undefined }
      const svc = await mod.start(cfg, env)
      services.push(svc)
      const child = (svc as Service & { child?: ChildProcess }).child
      if (child) watch(name, child)
    }

    if (opts.app) {
      const app = await startApp(cfg, env, opts.app, log)
      watch('nuxt', app.child)
      services.push(app)
    }
    // Whatever happens to this process, no child outlives it.
    process.once('exit', () => killNow())

    writeFileSync(
      join(cfg.dataDir, 'env.local'),
      Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n',
    )
    return { cfg, env, services, crashed, stop, killNow, killAndWait }
  } catch (e) {
    await stop()
    throw e
  }
}

export async function startApp(cfg: StackConfig, env: Record<string, string>, how: 'dev' | 'built', log: (s: string, l: string) => void) {
  const childEnv = { ...process.env, ...env, PORT: String(cfg.ports.app), HOST: '127.0.0.1', NITRO_PORT: String(cfg.ports.app) }
  const child =
    how === 'dev'
      ? spawn(join(ROOT, 'node_modules/.bin/nuxt'), ['dev', '--port', String(cfg.ports.app), '--host', '127.0.0.1'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [join(process.env.IMMO_BUILD_DIR ?? ROOT, '.output/server/index.mjs')], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  const out = (b: Buffer) => b.toString().split('\n').filter(Boolean).forEach((l) => log('nuxt', l))
  child.stdout!.on('data', out)
  child.stderr!.on('data', out)
  const deadline = Date.now() + 180_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nuxt exited with code ${child.exitCode} while starting`)
    try {
      const r = await fetch(`http://127.0.0.1:${cfg.ports.app}/api/health`)
      if (r.ok) break
    } catch {}
    if (Date.now() > deadline) throw new Error('nuxt did not answer /api/health within 180 s')
    await new Promise((r) => setTimeout(r, 300))
  }
  return {
    name: 'nuxt',
    url: cfg.appUrl,
    child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res()
        const t = setTimeout(() => child.kill('SIGKILL'), 5000)
        child.once('exit', () => (clearTimeout(t), res()))
        child.kill('SIGTERM')
      }),
  }
}
