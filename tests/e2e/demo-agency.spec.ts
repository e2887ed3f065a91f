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

/** The sidebar of issue 5, in its order (Modèles sits between Séquences and the inbox). */
const SIDEBAR = ['Tableau de bord', 'Prospects', 'Bases', 'Séquences', 'Boîte de réception', 'Pipeline', 'Agenda', 'Formulaires', 'Documents', 'Analytique', 'Réglages']

test('the demo owner signs in and the dashboard shows the demo agency’s real figures', async ({ page }) => {
  const c = await watchConsole(page)
  const figures = await demoFigures()
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/(Bonjour|Bonsoir) Claire/)
  await expect(page.getByTestId('tenant-switcher')).toContainText('Étoile')
  // No broken logo in the top bar: any logo image there has loaded.
  await expect.poll(() => page.getByTestId('tenant-switcher').locator('img').evaluateAll((els) => els.every((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0))).toBe(true)
  await expect(page.getByTestId('kpi-contacts')).toContainText(fr(figures.contacts))
  await expect(page.getByTestId('kpi-openDeals')).toContainText(fr(figures.openDeals))
  await expect(page.getByTestId('kpi-pipelineValue')).toContainText('€')
  if (figures.lastActivity) await expect(page.getByRole('region', { name: 'Activité récente' })).toContainText(figures.lastActivity.slice(0, 20))
  // Every module of the product is in the sidebar, as a link (none disabled, none leading to a 404).
  const nav = page.getByRole('navigation', { name: 'Navigation principale' })
  await expect(nav.getByRole('link', { name: 'Tableau de bord' })).toHaveAttribute('aria-current', 'page')
  for (const label of SIDEBAR) await expect(nav.getByRole('link', { name: label, exact: true })).toHaveAttribute('href', /^\//)
  await expect(nav.locator('[aria-disabled="true"]')).toHaveCount(0)
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

test('Agenda, Formulaires and Documents: honest pages that say what is coming and where to work meanwhile, in French and English', async ({ page, context }) => {
  const c = await watchConsole(page)
  await signIn(page, DEMO_OWNER)
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  const nav = page.getByRole('navigation', { name: 'Navigation principale' })
  const modules = [
    { label: 'Agenda', path: '/agenda', action: "Ouvrir la vue Aujourd'hui", to: '/pipeline/aujourdhui', shot: 'agenda' },
    { label: 'Formulaires', path: '/formulaires', action: 'Importer des contacts', to: '/prospects/import', shot: 'formulaires' },
    { label: 'Documents', path: '/documents', action: 'Ouvrir le pipeline', to: '/pipeline', shot: 'documents' },
  ]
  for (const m of modules) {
    await nav.getByRole('link', { name: m.label, exact: true }).click()
    await expect(page).toHaveURL(new RegExp(`${m.path}$`))
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(m.label)
    await expect(nav.getByRole('link', { name: m.label, exact: true })).toHaveAttribute('aria-current', 'page')
    await expect(page.getByText('En préparation')).toBeVisible()
    await expect(page.getByText('En attendant', { exact: true })).toBeVisible()
    await expect(page.getByRole('link', { name: m.action })).toHaveAttribute('href', m.to)
    await auditPage(page, m.shot)
  }
  await page.getByRole('link', { name: 'Ouvrir le pipeline' }).click()
  await expect(page).toHaveURL(/\/pipeline$/)

  // English: the same pages, their messages loaded for that locale only.
  await context.addCookies([{ name: 'immo_locale', value: 'en', url: page.url() }])
  await open(page, '/agenda')
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Calendar')
  await expect(page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Forms', exact: true })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Open the Today view' })).toHaveAttribute('href', '/pipeline/aujourdhui')
  await auditPage(page, 'agenda-en')
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Forms', exact: true }).click()
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Forms')
  await expect(page.getByText('Coming soon')).toBeVisible()
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
  // The top bar's copy is served by storage to another origin: it must be an image the browser decodes
  // (a JSON error or a wrong content type is blocked as ERR_BLOCKED_BY_ORB and leaves a broken image).
  const topLogo = page.getByTestId('tenant-switcher').locator('img')
  await expect(topLogo).toBeVisible()
  await expect.poll(() => topLogo.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true)
  const served = await page.request.get((await topLogo.getAttribute('src'))!)
  expect(served.status()).toBe(200)
  expect(served.headers()['content-type']).toBe('image/svg+xml')
  await auditPage(page, 'reglages-agence-logo')
  await page.getByRole('button', { name: 'Retirer' }).click()
  await expect(img).toHaveCount(0)
  await expect(topLogo).toHaveCount(0)
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
