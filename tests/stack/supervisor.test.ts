/**
 * The supervisor's promises: a busy port is replaced by a free one, a crashed
 * child is named, Ctrl-C (even twice) leaves no process behind, and a missing
 * system dependency names what to install.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, ROOT } from '../../scripts/local-stack/config.ts'
import { checkPostgresInstalled } from '../../scripts/local-stack/postgres.ts'
import { startStack } from '../../scripts/local-stack/stack.ts'

const dirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'immo-ai-sup-'))
  chmodSync(d, 0o755)
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** Postgres processes whose command line names this data folder. */
function postgresFor(dir: string): string[] {
  const r = spawnSync('pgrep', ['-af', `postgres -D ${dir}`], { encoding: 'utf8' })
  return r.stdout.split('\n').filter((l) => l.includes(dir) && !l.includes('pgrep'))
}

describe('supervisor', () => {
  it('replaces a busy port with a free one', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const busy = (blocker.address() as { port: number }).port
    try {
      const got = await freePort(busy)
      expect(got).not.toBe(busy)
      expect(got).toBeGreaterThan(0)
    } finally {
      blocker.close()
    }
  })

  it('names the Debian packages to install when Postgres pieces are missing', () => {
    // On this machine everything is installed, so the check passes…
    expect(() => checkPostgresInstalled()).not.toThrow()
    // …and its message format is what a user sees otherwise.
    const src = readFileSync(join(ROOT, 'scripts/local-stack/postgres.ts'), 'utf8')
    expect(src).toMatch(/Missing Debian packages: .*apt-get install/)
  })

  it('names a child that crashes', { timeout: 120_000 }, async () => {
    const stack = await startStack({ mode: 'test', dataDir: join(tempDir(), 'stack'), app: false, seed: false, log: () => {} })
    try {
      const pg = stack.services.find((s) => s.name === 'postgres')!
      expect(pg).toBeDefined()
      const pids = postgresFor(stack.cfg.dataDir)
      expect(pids.length).toBe(1)
      process.kill(Number(pids[0].split(' ')[0]), 'SIGKILL')
      await expect(stack.crashed).rejects.toThrow(/postgres exited unexpectedly/)
    } finally {
      await stack.stop()
    }
  })

  it('stops every child on Ctrl-C, also when pressed twice', { timeout: 240_000 }, async () => {
    const dir = tempDir()
    // As `npm run dev` runs it: one Node process (no tsx wrapper relaying signals).
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local-stack/cli.ts', 'start', '--no-app'], {
      cwd: ROOT,
      env: { ...process.env, STACK_DATA_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (b) => (out += b))
    child.stderr.on('data', (b) => (out += b))
    // Migrations and every feature's demo seed run first: allow for a busy machine.
    const deadline = Date.now() + 180_000
    while (!out.includes('local stack is running') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(out).toContain('local stack is running')
    expect(out).toMatch(/API gateway\s+http:\/\/127\.0\.0\.1:\d+/)
    expect(postgresFor(dir).length).toBe(1)
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGINT')
    // The second press once the graceful stop has begun (two signals sent at once merge into one).
    while (!out.includes('Stopping the local stack') && child.exitCode === null) await new Promise((r) => setTimeout(r, 20))
    child.kill('SIGINT')
    await exited
    expect(out).toContain('Stopping now.')
    // The supervisor waits for Postgres' immediate shutdown before it exits.
    expect(postgresFor(dir)).toEqual([])
  })
})
