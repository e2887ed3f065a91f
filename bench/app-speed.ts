/**
 * The agency app's first-load speed, on the production build and the local stack.
 *
 *   npx tsx bench/app-speed.ts [--runs=5] [--build]
 *
 * Starts a throwaway test-mode stack (demo data seeded) and the built app
 * (`nuxt build` first with --build, or when no build exists), then with Debian's
 * Chromium (Playwright, cache disabled, a fresh context per run):
 * - Largest Contentful Paint of the dashboard for the signed-in demo owner
 *   (budget 1.0 s), next to the LCP of a static page served by the same Nitro
 *   server (`/api/health` rendered as a document: the floor for this machine,
 *   browser and server — the "physical limit" the ratio is taken against);
 * - the JavaScript each page downloads on its first load, gzip-compressed
 *   (budget 250 kB per page), over every page of the sidebar that exists.
 *
 * Figures are printed; nothing is asserted (speed targets never live in tests).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser, type Page } from '@playwright/test'
import { ROOT } from '../scripts/local-stack/config.ts'
import { startApp, startStack } from '../scripts/local-stack/stack.ts'
import { percentile as pct } from './lib/stats.ts'

const arg = (name: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
const RUNS = arg('runs', 5)
const DEMO = { email: 'demo@immo-ai.test', password: 'ImmoDemo2026!' }
const PAGES = ['/', '/prospects', '/bases', '/sequences', '/boite-de-reception', '/pipeline', '/modeles', '/analytique', '/reglages/equipe', '/reglages/agence', '/reglages/profil']
const LCP_BUDGET_MS = 1000
const JS_BUDGET_KB = 250


/** LCP of the page now loading, read from the browser's own PerformanceObserver. */
async function lcp(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let last = 0
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) last = e.startTime
        }).observe({ type: 'largest-contentful-paint', buffered: true })
        // LCP is final once the page is idle; two frames after load is enough here.
        requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => resolve(last), 300)))
      }),
  )
}

async function signedInState(browser: Browser, appUrl: string) {
  const ctx = await browser.newContext({ locale: 'fr-FR' })
  const page = await ctx.newPage()
  await page.goto(`${appUrl}/connexion`)
  // Type only once Vue has hydrated the form (as tests/e2e/helpers.ts `open` does).
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 60_000 })
  await page.getByRole('textbox', { name: 'Adresse e-mail' }).fill(DEMO.email)
  await page.getByRole('textbox', { name: 'Mot de passe', exact: true }).fill(DEMO.password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await page.waitForURL((u) => u.pathname === '/', { timeout: 120_000 })
  const state = await ctx.storageState()
  await ctx.close()
  return state
}

async function main() {
  const outDir = process.env.IMMO_BUILD_DIR ?? ROOT
  if (process.argv.includes('--build') || !existsSync(join(outDir, '.output/server/index.mjs'))) {
    console.log('building the app (nuxt build)…')
    const b = spawnSync(join(ROOT, 'node_modules/.bin/nuxt'), ['build'], { cwd: ROOT, stdio: 'inherit' })
    if (b.status !== 0) throw new Error('nuxt build failed')
  }
  const tmp = mkdtempSync(join(tmpdir(), 'immo-bench-app-'))
  chmodSync(tmp, 0o755)
  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, log: () => {} })
  const app = await startApp(stack.cfg, stack.env, 'built', () => {})
  stack.services.push(app)
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] })
  try {
    const base = stack.cfg.appUrl
    const state = await signedInState(browser, base)

    // LCP: dashboard (signed in) vs the floor (a minimal document from the same server).
    const measure = async (path: string, signedIn: boolean) => {
      const xs: number[] = []
      for (let i = 0; i < RUNS + 1; i++) {
        const ctx = await browser.newContext(signedIn ? { storageState: state, locale: 'fr-FR' } : { locale: 'fr-FR' })
        const page = await ctx.newPage()
        await page.route('**/*', (r) => r.continue({ headers: { ...r.request().headers(), 'cache-control': 'no-cache' } }))
        await page.goto(base + path, { waitUntil: 'load' })
        const v = await lcp(page)
        if (i > 0) xs.push(v) // the first run warms the server (SSR caches, connections)
        await ctx.close()
      }
      return xs
    }
    const dash = await measure('/', true)
    const floor = await measure('/api/health', false)
    const p50 = pct(dash, 50)
    const p95 = pct(dash, 95)
    console.log(`\nDashboard LCP (signed in, ${RUNS} cold contexts): p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms — budget ${LCP_BUDGET_MS} ms (${((p95 / LCP_BUDGET_MS) * 100).toFixed(0)} % of budget)`)
    console.log(`Floor (document from the same server): p50 ${pct(floor, 50).toFixed(0)} ms — dashboard/floor ratio ${(p50 / Math.max(1, pct(floor, 50))).toFixed(2)}`)

    // First-load JS per page, gzip.
    console.log('\nFirst-load JavaScript per page (gzip):')
    let worst = 0
    for (const path of PAGES) {
      const ctx = await browser.newContext({ storageState: state, locale: 'fr-FR' })
      const page = await ctx.newPage()
      const scripts = new Map<string, Promise<number>>()
      page.on('response', (res) => {
        if (res.request().resourceType() !== 'script' || scripts.has(res.url())) return
        scripts.set(res.url(), res.body().then((b) => gzipSync(b, { level: 6 }).length).catch(() => 0))
      })
      const r = await page.goto(base + path, { waitUntil: 'networkidle' })
      const final = new URL(page.url()).pathname
      const sizes = await Promise.all(scripts.values())
      const kb = sizes.reduce((a, b) => a + b, 0) / 1024
      await ctx.close()
      if (!r || r.status() === 404 || final !== path) {
        console.log(`  ${path.padEnd(22)} (not available: ${r?.status() ?? 'no response'}${final !== path ? ` → ${final}` : ''})`)
        continue
      }
      worst = Math.max(worst, kb)
      console.log(`  ${path.padEnd(22)} ${kb.toFixed(1).padStart(7)} kB in ${sizes.length} files — ${((kb / JS_BUDGET_KB) * 100).toFixed(0)} % of ${JS_BUDGET_KB} kB`)
    }
    console.log(`\nHeaviest page: ${worst.toFixed(1)} kB gzip (budget ${JS_BUDGET_KB} kB)`)
  } finally {
    await browser.close()
    await stack.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
