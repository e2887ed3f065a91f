import { expect, type Page, test } from '@playwright/test'
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { admin, auditPage, env, open, signIn, uniqueEmail, watchConsole } from './helpers'

const PASSWORD = 'Agence2026Modeles!'

/** A confirmed user owning a fresh agency with its questionnaire filled and onboarding done. */
async function freshAgency(prefix: string, locale: 'fr' | 'en') {
  const email = uniqueEmail(prefix)
  const a = admin()
  const { error } = await a.auth.admin.createUser({ email, password: PASSWORD, email_confirm: true, user_metadata: { full_name: 'Paul Lefèvre', locale } })
  if (error) throw error
  const c = createClient(env('SUPABASE_URL'), env('SUPABASE_ANON_KEY'), { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
  const s = await c.auth.signInWithPassword({ email, password: PASSWORD })
  if (s.error) throw s.error
  const slug = `modeles-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const { data: tenant, error: e2 } = await c.rpc('create_tenant', { p_slug: slug, p_legal_name: 'Agence Lefèvre Immobilier' }).single()
  if (e2) throw e2
  const { error: e3 } = await a.from('tenants').update({
    city: 'Lyon', specialisations: ['residential'], geographic_zones: ['Lyon 6e Arrondissement (69006)'], onboarding_step: 6, onboarding_completed_at: new Date().toISOString(),
    onboarding: { questionnaire: { offer: 'Vente de logements familiaux, estimation offerte', tone: 'warm', objective: 'valuation', objections: [], differentiators: '', personas: ['sellers'] } },
  }).eq('id', (tenant as { id: string }).id)
  if (e3) throw e3
  return { email }
}

async function signInFresh(page: Page, email: string) {
  await signIn(page, email, PASSWORD)
  await expect(page).toHaveURL(/\/$/)
}

test('template library in French: browse, filter, preview, copy, edit with variable validation, generate with streaming, teach, fallback', async ({ page }) => {
  test.setTimeout(180_000)
  const c = await watchConsole(page)
  const { email } = await freshAgency('paul', 'fr')
  await signInFresh(page, email)

  await page.getByRole('link', { name: 'Modèles' }).first().click()
  await expect(page).toHaveURL(/\/modeles$/)
  await expect(page.getByRole('heading', { level: 1, name: 'Modèles de messages' })).toBeVisible()
  const cards = page.getByTestId('library-list').getByRole('listitem')
  expect(await cards.count()).toBeGreaterThanOrEqual(50)
  await auditPage(page, 'modeles-bibliotheque')

  // Filters: SMS only, then a search.
  await page.getByLabel('Canal').selectOption('sms')
  await expect(cards.first()).toContainText('SMS')
  const smsCount = await cards.count()
  expect(smsCount).toBeGreaterThan(3)
  expect(smsCount).toBeLessThan(20)
  await page.getByLabel('Canal').selectOption('')
  await page.getByLabel('Catégorie').selectOption('valuation')
  await page.getByRole('textbox', { name: 'Rechercher' }).fill('estimation offerte')
  await expect(cards.filter({ hasText: 'Estimation offerte' }).first()).toBeVisible()
  await page.getByRole('textbox', { name: 'Rechercher' }).fill('zzzz introuvable')
  await expect(page.getByText('Aucun modèle ne correspond')).toBeVisible()
  await page.getByRole('textbox', { name: 'Rechercher' }).fill('Estimation offerte')

  // Live preview with a sample contact: variables filled, none left.
  await page.getByRole('button', { name: 'Aperçu de « Estimation offerte »' }).click()
  const preview = page.getByTestId('template-preview')
  await expect(preview).toContainText('Bonjour Claire,')
  await expect(preview).toContainText('Agence Lefèvre Immobilier')
  await expect(preview).not.toContainText('{{')
  await preview.getByLabel('Contact').selectOption({ index: 2 })
  await expect(preview).toContainText('Bonjour Hélène,')
  await auditPage(page, 'modeles-apercu')

  // Copy to the agency, then edit.
  await page.getByRole('button', { name: 'Copier et modifier' }).click()
  await expect(page).toHaveURL(/\/modeles\/[0-9a-f-]{36}$/)
  await expect(page.getByRole('heading', { level: 1, name: 'Estimation offerte' })).toBeVisible()
  const body = page.getByRole('textbox', { name: 'Message' }).first()
  await body.fill('Bonjour {{prénom}}, {{agencyName}} vous propose une estimation à {{ville}}.')
  await page.getByRole('button', { name: 'Enregistrer' }).click()
  await expect(page.getByTestId('template-save-error')).toHaveText(/Variables inconnues : \{\{prénom\}\}, \{\{ville\}\}/)
  await body.fill('Bonjour , {{agencyName}} vous propose une estimation offerte de votre bien.')
  await body.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(8, 8))
  await page.getByRole('button', { name: 'Insérer la variable prénom' }).click()
  await expect(body).toHaveValue('Bonjour {{firstName}}, {{agencyName}} vous propose une estimation offerte de votre bien.')
  await page.getByRole('textbox', { name: 'Nom du modèle' }).fill('Estimation offerte — Lyon 6e')
  await page.getByRole('button', { name: 'Enregistrer' }).click()
  await expect(page.getByText('Modèle enregistré.')).toBeVisible()
  await expect(page.getByTestId('template-preview-body')).toHaveText('Bonjour Claire, Agence Lefèvre Immobilier vous propose une estimation offerte de votre bien.')
  await open(page, page.url())
  await expect(page.getByRole('heading', { level: 1, name: 'Estimation offerte — Lyon 6e' })).toBeVisible()
  await auditPage(page, 'modele-edition')

  // Generate three variants, streamed through the functions relay.
  const composer = page.getByTestId('ai-composer')
  await composer.getByRole('button', { name: 'Rédiger 3 variantes' }).click()
  await expect(composer.getByTestId('ai-variant-2')).toBeVisible({ timeout: 30_000 })
  expect(Number(await composer.getAttribute('data-stream-updates'))).toBeGreaterThan(3)
  await expect(composer.getByTestId('ai-variant-0')).toContainText('IA')
  await expect(composer.getByTestId('ai-fallback')).toHaveCount(0)
  await composer.getByTestId('ai-facts').locator('summary').click()
  await expect(composer.getByTestId('ai-facts')).toContainText('Lyon')
  await expect(composer.getByTestId('ai-variant-0')).toContainText(/Personnalisation \d+\/100/)
  await composer.getByTestId('ai-variant-1').click()
  await expect(composer.getByRole('textbox', { name: 'Message' })).toBeVisible()
  await composer.getByRole('textbox', { name: 'Objet' }).fill('Votre bien à Lyon : estimation offerte')
  await composer.getByRole('textbox', { name: 'Message' }).click()
  await page.keyboard.press('Control+End')
  await page.keyboard.type(' À très bientôt.')
  await composer.getByTestId('ai-keep').click()
  await expect(page.getByText('Version enregistrée.')).toBeVisible()
  await auditPage(page, 'modele-generation')

  // Teach the AI; the lesson shows in the AI settings.
  await composer.getByRole('textbox', { name: "Ce que l'IA doit retenir" }).fill('Toujours proposer un café à l’agence')
  await composer.getByRole('button', { name: 'Retenir' }).click()
  await expect(page.getByText("C'est noté : l'IA en tiendra compte.")).toBeVisible()

  // Fallback: the sandbox fails every attempt for this instruction; the standard template is labelled.
  await composer.getByRole('textbox', { name: 'Consigne' }).fill('[sandbox:503]')
  await composer.getByRole('button', { name: 'Réécrire' }).click()
  await expect(composer.getByTestId('ai-fallback')).toBeVisible({ timeout: 30_000 })
  await expect(composer.getByTestId('ai-fallback')).toContainText('Mode secours')
  await expect(composer.getByTestId('ai-variant-0')).toContainText('Modèle standard')
  await auditPage(page, 'modele-mode-secours')

  await open(page, '/reglages/ia')
  await expect(page.getByTestId('ai-budget-state')).toContainText('la rédaction par IA est disponible')
  await expect(page.getByTestId('ai-guidelines')).toContainText('Toujours proposer un café à l’agence')
  await expect(page.getByTestId('ai-usage')).toContainText('Modèles standards servis')
  await expect(page.getByTestId('ai-cost-per-message')).toHaveText(/€/)
  await auditPage(page, 'reglages-ia')

  // My templates: the copy with an honest "not sent yet".
  await open(page, '/modeles')
  await page.getByRole('tab', { name: /Mes modèles/ }).click()
  await expect(page.getByTestId('mine-table')).toContainText('Estimation offerte — Lyon 6e')
  await expect(page.getByTestId('mine-table')).toContainText("Pas encore d'envoi")
  await auditPage(page, 'modeles-mes-modeles')
  c.assertClean()
})

test('template library in English: copy, edit, save and generate', async ({ page }) => {
  test.setTimeout(120_000)
  const c = await watchConsole(page)
  const { email } = await freshAgency('tom', 'en')
  await signInFresh(page, email)
  await open(page, '/modeles')
  await expect(page.getByRole('heading', { level: 1, name: 'Message templates' })).toBeVisible()
  await page.getByRole('textbox', { name: 'Search' }).fill('Relance sans réponse')
  await page.getByRole('button', { name: 'Copy “Relance sans réponse” to my templates' }).click()
  await expect(page).toHaveURL(/\/modeles\/[0-9a-f-]{36}$/)
  await page.getByRole('textbox', { name: 'Subject' }).first().fill('Following up, {{firstName}}')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByText('Template saved.')).toBeVisible()
  await expect(page.getByTestId('template-preview')).toContainText('Following up, Claire')
  const composer = page.getByTestId('ai-composer')
  await composer.getByRole('button', { name: 'Write 3 variants' }).click()
  await expect(composer.getByTestId('ai-variant-2')).toBeVisible({ timeout: 30_000 })
  await expect(composer.getByTestId('ai-variant-0')).toContainText('Variant 1')
  await composer.getByTestId('ai-keep').click()
  await expect(page.getByText('Version saved.')).toBeVisible()
  await auditPage(page, 'templates-en')
  c.assertClean()
})
