/**
 * The PostgreSQL 15 cluster of the local stack: a project-local data folder,
 * loopback only, pg_cron preloaded, logical replication on (Realtime reads it).
 * Runs as a child process of the supervisor; when started as root the server
 * drops to the `postgres` system user (Postgres refuses to run as root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chownSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { ROOT } from './config.ts'

export const PG_BIN = '/usr/lib/postgresql/15/bin'
const isRoot = process.getuid?.() === 0

function pgUser(): { uid: number; gid: number } | null {
  if (!isRoot) return null
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (id.status !== 0) throw new Error('Running as root needs the `postgres` system user (apt-get install postgresql-15)')
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

/** Wraps a command so it runs as the postgres user when we are root. */
function asPgUser(cmd: string, args: string[]): [string, string[]] {
  if (!isRoot) return [cmd, args]
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]]
}

/** Can the postgres user reach this folder? (a root-owned 0700 parent hides it) */
function reachableByPg(dir: string): boolean {
  if (!isRoot) return true
  const [cmd, args] = asPgUser('test', ['-x', dir])
  return spawnSync(cmd, args).status === 0
}

/** Where the cluster's files live for a stack data folder. */
export function clusterDir(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true })
  if (reachableByPg(dataDir)) return join(dataDir, 'db')
  const hash = createHash('sha1').update(dataDir).digest('hex').slice(0, 12)
  return join('/var/lib/immo-ai', hash, 'db')
}

export function checkPostgresInstalled(): void {
  const missing: string[] = []
  if (!existsSync(join(PG_BIN, 'postgres'))) missing.push('postgresql-15')
  if (!existsSync('/usr/lib/postgresql/15/lib/pg_cron.so')) missing.push('postgresql-15-cron')
  if (!existsSync('/usr/share/postgresql/15/extension/pgtap.control')) missing.push('postgresql-15-pgtap')
  if (missing.length) {
    throw new Error(`Missing Debian packages: ${missing.join(', ')} — install with: apt-get install ${missing.join(' ')}`)
  }
}

export interface PgHandle {
  child: ChildProcess
  dir: string
  stop(): Promise<void>
}

function initCluster(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const owner = pgUser()
  if (owner) chownSync(dir, owner.uid, owner.gid)
  if (existsSync(join(dir, 'PG_VERSION'))) return
  if (readdirSync(dir).length > 0) throw new Error(`${dir} is not empty and holds no cluster; remove it or run the reset command`)
  const [cmd, args] = asPgUser(join(PG_BIN, 'initdb'), [
    '-D', dir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions',
  ])
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`)
}

export async function startPostgres(opts: { dataDir: string; port: number; fast?: boolean; log?: (l: string) => void }): Promise<PgHandle> {
  checkPostgresInstalled()
  const dir = clusterDir(opts.dataDir)
  initCluster(dir)
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(opts.port),
    unix_socket_directories: '/tmp',
    shared_preload_libraries: 'pg_cron',
    'cron.database_name': 'postgres',
    'cron.use_background_workers': 'on',
    'cron.timezone': 'UTC',
    max_worker_processes: '32',
    max_connections: '300',
    wal_level: 'logical',
    max_replication_slots: '20',
    max_wal_senders: '20',
    timezone: 'UTC',
    log_min_messages: 'warning',
    log_min_error_statement: 'panic',
    shared_buffers: '256MB',
    // Durability is not needed for a throwaway test cluster; it halves the suite's time.
    ...(opts.fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
  }
  const args = ['-D', dir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]
  const [cmd, cargs] = asPgUser(join(PG_BIN, 'postgres'), args)
  const child = spawn(cmd, cargs, { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const onData = (b: Buffer) => {
    for (const l of b.toString().split('\n').filter(Boolean)) {
      lines.push(l)
      if (lines.length > 50) lines.shift()
      opts.log?.(l)
    }
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)

  const url = `postgresql://postgres@127.0.0.1:${opts.port}/postgres`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}):\n${lines.join('\n')}`)
    try {
      const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 })
      await sql`select 1`
      await sql.end()
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections in 30 s:\n${lines.join('\n')}`)
      await new Promise((r) => setTimeout(r, 150))
    }
  }
  return {
    child,
    dir,
    async stop() {
      if (child.exitCode !== null || child.signalCode) return
      await new Promise<void>((res) => {
        const t = setTimeout(() => child.kill('SIGQUIT'), 10_000)
        child.once('exit', () => {
          clearTimeout(t)
          res()
        })
        child.kill('SIGINT') // fast shutdown: aborts sessions, clean checkpoint
      })
    },
  }
}

export function isDirEmpty(dir: string): boolean {
  return !existsSync(dir) || (statSync(dir).isDirectory() && readdirSync(dir).length === 0)
}

export { ROOT }
