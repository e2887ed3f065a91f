import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'

export function env(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: run Playwright through \`npx tsx scripts/test.ts --only=playwright\``)
  return v
}

export const DEMO_PASSWORD = 'ImmoDemo2026!'
export const DEMO_OWNER = 'demo@immo-ai.test'
export const RIVE_GAUCHE_OWNER = 'rivegauche@immo-ai.test'

/** A service-role client for fixtures (users created confirmed, cleanup). */
export function admin() {
  return createClient(env('SUPABASE_URL'), env('SUPABASE_SERVICE_ROLE_KEY'), {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never }, // Node 20 has no global WebSocket
  })
}

let realtimeDown: boolean | undefined
/** Realtime is another engineer's module; until the gateway serves it, its refused socket is the one console error we tolerate. */
async function realtimeUnavailable(): Promise<boolean> {
  if (realtimeDown === undefined) {
    const r = await fetch(`${env('SUPABASE_URL')}/realtime/v1/websocket?vsn=1.0.0`).catch(() => null)
    realtimeDown = !r || r.status === 501
  }
  return realtimeDown
}

/**
 * Collects console errors and uncaught exceptions; `assertClean()` fails the test on any.
 * `expectedHttpErrors`: statuses of API calls the test provokes on purpose (Chromium logs
 * every 4xx response as a console error); each tolerated once, nothing else.
 */
export async function watchConsole(page: Page, expectedHttpErrors: number[] = []) {
  const allowance = [...expectedHttpErrors]
  const errors: string[] = []
  const tolerateRealtime = await realtimeUnavailable()
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    const text = m.text()
    if (tolerateRealtime && /realtime\/v1\/websocket/.test(text + (m.location()?.url ?? ''))) return
    const http = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(text)
    const i = http ? allowance.indexOf(Number(http[1])) : -1
    if (i >= 0) return void allowance.splice(i, 1)
    errors.push(text)
  })
  page.on('pageerror', (e) => errors.push(e.message))
  return {
    errors,
    assertClean: () => expect(errors, 'console errors').toEqual([]),
  }
}

/** Waits for two frames and the end of running CSS animations (drawers, toasts, popovers). */
export async function settled(page: Page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running' || (a.effect?.getTiming().iterations ?? 1) === Infinity))
}

/**
 * Scrolls through the page so content loaded when it nears the screen (charts) is there,
 * then back to the top: a full-page capture taken while scrolled draws the fixed top bar
 * and sidebar in the middle of the image.
 */
async function revealWholePage(page: Page) {
  await page.evaluate(async () => {
    const step = window.innerHeight
    for (let y = 0; y < document.documentElement.scrollHeight; y += step) {
      window.scrollTo(0, y)
      await new Promise((r) => requestAnimationFrame(() => r(null)))
    }
  })
  await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {})
  await page.evaluate(() => window.scrollTo(0, 0))
  await settled(page)
}

/** Full-page screenshots at 1440 px and 375 px into tests/e2e/screenshots/ (git-ignored). */
export async function screenshots(page: Page, name: string) {
  const dir = join(process.cwd(), 'tests/e2e/screenshots')
  mkdirSync(dir, { recursive: true })
  const original = page.viewportSize() ?? { width: 1440, height: 900 }
  for (const width of [1440, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 900 })
    await settled(page)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    expect(overflow, `${name} overflows horizontally at ${width}px`).toBeLessThanOrEqual(0)
    await revealWholePage(page)
    await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true })
  }
  await page.setViewportSize(original)
}

/** axe-core: no serious or critical violation (WCAG 2.1 A/AA rules). */
export async function expectAccessible(page: Page) {
  // Colours are judged once fades and slides have ended (a toast half faded in is not the page's contrast).
  await settled(page)
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(bad.map((v) => `${v.id}: ${v.help} → ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([])
}

/** Screenshots, accessibility and untranslated keys for the page as it is. */
export async function auditPage(page: Page, name: string) {
  const text = await page.locator('body').innerText()
  expect(text, 'no untranslated i18n key on the page').not.toMatch(/\b[a-z]+(\.[a-zA-Z]+){2,}\b/)
  await expectAccessible(page)
  await screenshots(page, name)
}

/** Navigates and waits until Vue has hydrated the page (typing earlier would be wiped by hydration). */
export async function open(page: Page, path: string) {
  await page.goto(path)
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' })
}

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await open(page, '/connexion')
  await page.getByRole('textbox', { name: 'Adresse e-mail' }).fill(email)
  await page.getByRole('textbox', { name: 'Mot de passe', exact: true }).fill(password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
}

interface Mail { id: string; subject: string; text: string; html: string }
/** The newest message to `to` in the mail catcher, waiting for it to arrive. */
export async function latestMail(to: string, match: (m: Mail) => boolean = () => true): Promise<Mail> {
  let found: Mail | undefined
  await expect.poll(async () => {
    const r = await fetch(`${env('MAIL_URL')}/api/messages?to=${encodeURIComponent(to)}`)
    const list = (r.ok ? await r.json() : []) as Mail[]
    found = list.find(match)
    return Boolean(found)
  }, { timeout: 20_000, message: `an e-mail to ${to}` }).toBe(true)
  return found!
}

/** Ids of the messages already in the catcher for `to` (to wait for a new one). */
export async function mailIds(to: string): Promise<Set<string>> {
  const r = await fetch(`${env('MAIL_URL')}/api/messages?to=${encodeURIComponent(to)}`)
  return new Set(((r.ok ? await r.json() : []) as Mail[]).map((m) => m.id))
}

/** The first link of an e-mail that goes through the Auth server's /verify. */
export function verifyLink(m: Mail): string {
  const src = `${m.text}\n${m.html}`
  const link = /https?:\/\/[^\s"'<>]+\/auth\/v1\/verify\?[^\s"'<>]+/.exec(src)?.[0]
  if (!link) throw new Error(`no verification link in “${m.subject}”`)
  return link.replace(/&amp;/g, '&')
}

export function uniqueEmail(prefix: string) {
  return `${prefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@agence-test.fr`
}
