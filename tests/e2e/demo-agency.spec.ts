import { expect, test } from '@playwright/test'
import postgres from 'postgres'
import { auditPage, DEMO_OWNER, env, open, signIn, watchConsole } from './helpers'

/** French integer formatting as the app shows it (narrow no-break space thousands). */
const fr = (n: number) => new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 }).format(n)

async function demoFigures() {
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  try {
    const [t] = await sql`select id from public.tenants where slug = 'etoile-immobilier'`
    const [c] = await sql`select count(*)::int as n from public.contacts where tenant_id = ${t!.id} and deleted_at is null`
    const [d] = await sql`select count(*)::int as n from public.deals d join public.pipeline_stages s on s.id = d.stage_id where d.tenant_id = ${t!.id} and s.kind = 'open'`
    const [a] = await sql`select coalesce(subject, body) as s from public.activities where tenant_id = ${t!.id} order by occurred_at desc limit 1`
    return { contacts: c!.n as number, openDeals: d!.n as number, lastActivity: a?.s as string | undefined }
  } finally {
    await sql.end()
  }
}

test('the demo owner signs in and the dashboard shows the demo agency’s real figures', async ({ page }) => {
  const c = await watchConsole(page)
  const figures = await demoFigures()
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/(Bonjour|Bonsoir) Claire/)
  await expect(page.getByTestId('tenant-switcher')).toContainText('Étoile')
  await expect(page.getByTestId('kpi-contacts')).toContainText(fr(figures.contacts))
  await expect(page.getByTestId('kpi-openDeals')).toContainText(fr(figures.openDeals))
  await expect(page.getByTestId('kpi-pipelineValue')).toContainText('€')
  if (figures.lastActivity) await expect(page.getByRole('region', { name: 'Activité récente' })).toContainText(figures.lastActivity.slice(0, 20))
  // Modules other issues build are disabled, not broken links.
  const nav = page.getByRole('navigation', { name: 'Navigation principale' })
  await expect(nav.getByRole('link', { name: 'Tableau de bord' })).toHaveAttribute('aria-current', 'page')
  const disabled = nav.locator('[aria-disabled="true"]')
  for (const label of await disabled.allInnerTexts()) {
    await expect(nav.getByRole('link', { name: label.trim(), exact: true })).toHaveAttribute('aria-disabled', 'true')
  }
  await auditPage(page, 'tableau-de-bord')
  c.assertClean()
})

test('global search finds the demo agency’s contacts with the keyboard shortcut', async ({ page }) => {
  const c = await watchConsole(page)
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  const [contact] = await sql`select last_name from public.contacts c join public.tenants t on t.id = c.tenant_id where t.slug = 'etoile-immobilier' and c.last_name is not null and c.deleted_at is null order by c.last_activity_at desc limit 1`
  await sql.end()
  await signIn(page, DEMO_OWNER)
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  await page.keyboard.press('Control+k')
  const box = page.getByRole('combobox', { name: 'Recherche' })
  await expect(box).toBeFocused()
  await box.fill(contact!.last_name)
  await expect(page.getByRole('option').first()).toContainText(contact!.last_name)
  await expectAccessibleDialog(page)
  await page.keyboard.press('Escape')
  await expect(box).toBeHidden()
  c.assertClean()
})

async function expectAccessibleDialog(page: import('@playwright/test').Page) {
  const { expectAccessible } = await import('./helpers')
  await expectAccessible(page)
}

test('notifications: the bell shows the unread count and marks everything read', async ({ page }) => {
  const c = await watchConsole(page)
  await signIn(page, DEMO_OWNER)
  const bell = page.getByTestId('notifications-bell')
  await expect(bell).toBeVisible()
  await bell.click()
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible()
  const markAll = page.getByRole('button', { name: 'Tout marquer comme lu' })
  if (await markAll.isVisible()) {
    await markAll.click()
    await expect(bell).toHaveAccessibleName('Notifications')
  }
  c.assertClean()
})

test('settings pages of the demo owner: team, agency, profile', async ({ page }) => {
  const c = await watchConsole(page)
  await signIn(page, DEMO_OWNER)
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  await open(page, '/reglages/equipe')
  await expect(page.getByRole('table', { name: "Membres de l'équipe" })).toContainText('thomas.lefevre@immo-ai.test')
  await expect(page.getByRole('table', { name: "Membres de l'équipe" })).toContainText('Propriétaire')
  await auditPage(page, 'reglages-equipe')
  await open(page, '/reglages/agence')
  await expect(page.getByLabel('Raison sociale')).toHaveValue(/Étoile/)
  await auditPage(page, 'reglages-agence')
  await open(page, '/reglages/profil')
  await expect(page.getByLabel('Adresse e-mail')).toHaveValue(DEMO_OWNER)
  await auditPage(page, 'reglages-profil')
  await open(page, '/onboarding')
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Configurons votre agence')
  await auditPage(page, 'onboarding-agence-demo')
  c.assertClean()
})

test('the mobile menu opens the navigation at 375 px', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 })
  await signIn(page, DEMO_OWNER)
  await page.getByRole('button', { name: 'Ouvrir le menu' }).click()
  await expect(page.getByRole('dialog').getByRole('link', { name: 'Tableau de bord' })).toBeVisible()
  await screenshotsOnly(page)
})

async function screenshotsOnly(page: import('@playwright/test').Page) {
  const { mkdirSync } = await import('node:fs')
  const { settled } = await import('./helpers')
  mkdirSync('tests/e2e/screenshots', { recursive: true })
  await settled(page)
  await page.screenshot({ path: 'tests/e2e/screenshots/menu-mobile-375.png' })
}

test('agency settings: the logo goes to storage and shows in the top bar; a wrong file type is refused in French', async ({ page }) => {
  const c = await watchConsole(page)
  await signIn(page, 'rivegauche@immo-ai.test')
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  await open(page, '/reglages/agence')
  const input = page.getByTestId('logo-input')
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('pas une image') })
  await expect(page.getByRole('alert')).toHaveText('Format non accepté : PNG, JPEG, WebP ou SVG.')
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0a7"/></svg>'
  await input.setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) })
  const img = page.getByTestId('agency-logo')
  await expect(img).toBeVisible()
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true)
  await expect(page.getByTestId('tenant-switcher').locator('img')).toBeVisible()
  await auditPage(page, 'reglages-agence-logo')
  await page.getByRole('button', { name: 'Retirer' }).click()
  await expect(img).toHaveCount(0)
  c.assertClean()
})

test('notifications arrive live: a row inserted for the user bumps the bell without reloading', async ({ page }) => {
  const c = await watchConsole(page)
  await signIn(page, 'thomas.lefevre@immo-ai.test')
  const bell = page.getByTestId('notifications-bell')
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  try {
    const [u] = await sql`select u.id as user_id, m.tenant_id, (select count(*)::int from public.notifications n where n.user_id = u.id and n.tenant_id = m.tenant_id and n.read_at is null) as unread
      from auth.users u join public.tenant_members m on m.user_id = u.id where u.email = 'thomas.lefevre@immo-ai.test'`
    await expect(bell).toHaveAccessibleName(u!.unread ? new RegExp(`${u!.unread} non lue`) : 'Notifications')
    // The channel subscribes after mount; retry the insert until the bell reflects a live event.
    const title = `Nouveau lead chaud ${Date.now()}`
    await expect.poll(async () => {
      await sql`insert into public.notifications (tenant_id, user_id, kind, title, body, link) values (${u!.tenant_id}, ${u!.user_id}, 'lead.hot', ${title}, 'Score 92/100', '/reglages/profil')`
      await bell.click()
      const seen = await page.getByRole('button', { name: new RegExp(title) }).first().isVisible()
      await page.keyboard.press('Escape')
      return seen
    }, { timeout: 20_000 }).toBe(true)
    await bell.click()
    await page.getByRole('button', { name: 'Tout marquer comme lu' }).click()
    await expect(bell).toHaveAccessibleName('Notifications')
  } finally {
    await sql.end()
  }
  c.assertClean()
})
