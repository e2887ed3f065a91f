/**
 * `npm test`: a throwaway local stack on free ports, every suite against it,
 * everything stopped afterwards, and one closing line totalling all suites:
 * `N passed, N failed, N skipped`. Exit code 1 when anything failed.
 *
 * Suites: pgTAP (supabase/tests/database), deno test (supabase/functions),
 * vitest (tests/unit, tests/stack), Playwright (tests/e2e).
 * `npm test -- --only=vitest,pgtap` runs a subset (local convenience); `--pw="<args>"`,
 * `--vitest="<args>"` and `--deno="<paths>"` narrow a suite (e.g. `--pw="tests/e2e/pipeline.spec.ts"`).
 * IMMO_BUILD_DIR=<dir> builds the app into <dir> instead of the checkout.
 */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { ROOT } from './local-stack/config.ts'
import { startStack, startApp, type Stack } from './local-stack/stack.ts'

interface Counts { passed: number; failed: number; skipped: number }
const zero = (): Counts => ({ passed: 0, failed: 0, skipped: 0 })
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',')
const wants = (s: string) => !only || only.includes(s)
const extra = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(/\s+/).filter(Boolean) ?? []

function run(cmd: string, args: string[], env: Record<string, string>, opts: { quiet?: boolean } = {}): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const onData = (b: Buffer) => {
      out += b.toString()
      if (!opts.quiet) process.stdout.write(b)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('close', (code) => res({ code: code ?? 1, out }))
  })
}

/** pgTAP: every supabase/tests/database/*.test.sql through psql, TAP parsed. */
async function pgtap(stack: Stack): Promise<Counts> {
  const dir = join(ROOT, 'supabase/tests/database')
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sql')).sort() : []
  const c = zero()
  if (!files.length) return c
  const sql = postgres(stack.cfg.dbUrl, { max: 1, onnotice: () => {} })
  await sql`create extension if not exists pgtap with schema extensions`
  await sql.end()
  for (const f of files) {
    const r = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', stack.cfg.dbUrl, '-f', join(dir, f)], {}, { quiet: true })
    const ok = (r.out.match(/^ok \d+/gm) ?? []).length
    const skipped = (r.out.match(/^ok \d+.*# SKIP/gm) ?? []).length
    const notOk = (r.out.match(/^not ok \d+/gm) ?? []).length
    const plan = /^1\.\.(\d+)/m.exec(r.out)
    const missing = plan ? Math.max(0, Number(plan[1]) - ok - notOk) : 0
    const crashed = r.code !== 0 && notOk === 0 && missing === 0 ? 1 : 0
    c.passed += ok - skipped
    c.skipped += skipped
    c.failed += notOk + missing + crashed
    const status = notOk + missing + crashed ? 'FAIL' : 'ok'
    console.log(`  pgtap ${status} ${f}: ${ok} ok, ${notOk} not ok${missing ? `, ${missing} missing` : ''}${crashed ? ' (psql error)' : ''}`)
    if (status === 'FAIL') console.log(r.out.split('\n').filter((l) => /^not ok|^#|ERROR|psql:/.test(l)).slice(0, 40).join('\n'))
  }
  return c
}

/** deno test over supabase/functions (edge functions and _shared). */
async function denoTests(stack: Stack): Promise<Counts> {
  const c = zero()
  const hasTests = (d: string): boolean =>
    existsSync(d) && readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? hasTests(join(d, e.name)) : /\.test\.ts$/.test(e.name)))
  if (!hasTests(join(ROOT, 'supabase/functions'))) return c
  const r = await run(join(ROOT, 'node_modules/.bin/deno'), ['test', '-A', '--config', 'supabase/functions/deno.json', ...(extra('deno').length ? extra('deno') : ['supabase/functions/'])], { ...stack.env, NO_COLOR: '1' })
  const m = /(ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored)?/.exec(r.out)
  if (!m) return { passed: 0, failed: 1, skipped: 0 }
  c.passed = Number(m[2])
  c.failed = Number(m[4])
  c.skipped = Number(m[6] ?? 0)
  if (r.code !== 0 && c.failed === 0) c.failed = 1
  return c
}

async function vitest(stack: Stack, out: string): Promise<Counts> {
  const r = await run(join(ROOT, 'node_modules/.bin/vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra('vitest')], stack.env)
  if (!existsSync(out)) return { passed: 0, failed: 1, skipped: 0 }
  const j = JSON.parse(readFileSync(out, 'utf8'))
  const c = { passed: j.numPassedTests, failed: j.numFailedTests, skipped: j.numPendingTests + (j.numTodoTests ?? 0) }
  // A file that fails to load has no test counted; count it once.
  const broken = (j.testResults ?? []).filter((t: { status: string; assertionResults: unknown[] }) => t.status === 'failed' && !t.assertionResults.length).length
  c.failed += broken
  if (r.code !== 0 && c.failed === 0) c.failed = 1
  return c
}

async function playwright(stack: Stack, out: string): Promise<Counts> {
  if (!existsSync(join(ROOT, 'tests/e2e')) || !readdirSync(join(ROOT, 'tests/e2e')).some((f) => f.endsWith('.spec.ts'))) return zero()
  const r = await run(join(ROOT, 'node_modules/.bin/playwright'), ['test', '--reporter=list,json', ...extra('pw')], { ...stack.env, PLAYWRIGHT_JSON_OUTPUT_NAME: out })
  if (!existsSync(out)) return { passed: 0, failed: 1, skipped: 0 }
  const s = JSON.parse(readFileSync(out, 'utf8')).stats
  const c = { passed: s.expected + (s.flaky ?? 0), failed: s.unexpected, skipped: s.skipped }
  if (r.code !== 0 && c.failed === 0) c.failed = 1
  return c
}

async function main() {
  const started = Date.now()
  const tmp = mkdtempSync(join(tmpdir(), 'immo-ai-test-'))
  chmodSync(tmp, 0o755) // the postgres system user must reach the cluster folder
  const results: [string, Counts][] = []
  let stack: Stack | undefined
  const needApp = wants('playwright') && existsSync(join(ROOT, 'tests/e2e'))
  // The production build runs while the database suites do.
  const build = needApp ? run(join(ROOT, 'node_modules/.bin/nuxt'), ['build'], {}, { quiet: true }) : undefined
  let exitCode = 0
  try {
    stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, log: () => {} })
    console.log(`Local stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (gateway ${stack.cfg.apiUrl})`)
    const guard = <T>(p: Promise<T>) => Promise.race([p, stack!.crashed])
    const suite = async (name: string, fn: () => Promise<Counts>) => {
      if (!wants(name)) return
      console.log(`\n=== ${name} ===`)
      let c: Counts
      try {
        c = await guard(fn())
      } catch (e) {
        console.log(`${name} could not run: ${(e as Error).message}`)
        c = { passed: 0, failed: 1, skipped: 0 }
      }
      results.push([name, c])
      console.log(`${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`)
    }
    await suite('pgtap', () => pgtap(stack!))
    await suite('deno', () => denoTests(stack!))
    await suite('vitest', () => vitest(stack!, join(tmp, 'vitest.json')))
    if (needApp) {
      await suite('playwright', async () => {
        const b = await build!
        if (b.code !== 0) {
          console.log(b.out.slice(-4000))
          throw new Error('nuxt build failed')
        }
        const app = await startApp(stack!.cfg, stack!.env, 'built', () => {})
        stack!.services.push(app)
        return playwright(stack!, join(tmp, 'playwright.json'))
      })
    }
  } catch (e) {
    console.error(`The test stack failed: ${(e as Error).message}`)
    results.push(['stack', { passed: 0, failed: 1, skipped: 0 }])
  } finally {
    await stack?.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
  const total = results.reduce((a, [, c]) => ({ passed: a.passed + c.passed, failed: a.failed + c.failed, skipped: a.skipped + c.skipped }), zero())
  console.log(`\nSuites: ${results.map(([n, c]) => `${n} ${c.passed}/${c.failed}/${c.skipped}`).join(', ')} (passed/failed/skipped) in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  if (total.failed > 0) exitCode = 1
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
  process.exit(exitCode)
}

void main()
