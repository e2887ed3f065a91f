import { expect, test } from '@playwright/test'
import postgres from 'postgres'
import { auditPage, DEMO_OWNER, env, open, signIn, watchConsole } from './helpers'

test.describe.configure({ mode: 'serial' })

test('a base generated for a sector and an area: masked preview, confirmation, the base, enrichment and a score breakdown', async ({ page }) => {
  test.setTimeout(120_000)
  const c = await watchConsole(page)
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)

  await open(page, '/bases')
  await expect(page.getByRole('heading', { level: 1, name: 'Bases de prospects' })).toBeVisible()
  await expect(page.getByTestId('credits-card')).toContainText('crédits restants')
  await expect(page.getByRole('link', { name: 'Import Neuilly 2026' })).toBeVisible()
  await auditPage(page, 'bases')

  await page.getByRole('link', { name: 'Générer une base' }).first().click()
  await expect(page).toHaveURL(/\/bases\/nouvelle$/)
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' })
  // Nothing chosen: clear French messages, no request.
  await page.getByRole('button', { name: 'Voir l’aperçu' }).or(page.getByRole('button', { name: "Voir l'aperçu" })).click()
  await expect(page.getByText('Choisissez au moins un secteur d\'activité.')).toBeVisible()
  await expect(page.getByText('Choisissez au moins une commune, un code postal ou un département.')).toBeVisible()

  await page.getByRole('searchbox', { name: 'Rechercher une activité ou un code NAF' }).fill('agence immobili')
  await page.getByRole('option').filter({ hasText: '68.31Z' }).click()
  await expect(page.getByTestId('naf-selected')).toContainText('Agences immobilières')
  await page.getByRole('textbox', { name: 'Codes postaux et départements' }).fill('92, 7500')
  await expect(page.getByText('Ces codes ne sont ni des codes postaux (5 chiffres) ni des départements : 7500.')).toBeVisible()
  await page.getByRole('textbox', { name: 'Codes postaux et départements' }).fill('92')
  const name = `Agences des Hauts-de-Seine ${Date.now().toString(36)}`
  await page.getByRole('textbox', { name: 'Nom de la base' }).fill(name)
  await auditPage(page, 'bases-nouvelle')
  await page.getByRole('button', { name: "Voir l'aperçu" }).click()

  const preview = page.getByTestId('generation-preview')
  await expect(preview).toBeVisible({ timeout: 30_000 })
  const total = Number((await page.getByTestId('preview-total').innerText()).replace(/\D/g, ''))
  expect(total).toBeGreaterThan(10)
  const rows = page.getByTestId('preview-row')
  expect(await rows.count()).toBeGreaterThan(0)
  for (const address of await page.getByTestId('masked-address').allInnerTexts()) expect(address).toContain('•')
  await expect(rows.first()).toContainText('•••••@•••••.fr')
  await auditPage(page, 'bases-apercu')

  await page.getByRole('button', { name: /Confirmer et débloquer/ }).click()
  await expect(page).toHaveURL(/\/bases\/[0-9a-f-]{36}$/)
  await expect(page.getByTestId('base-name')).toHaveText(name)
  await expect(page.getByTestId('generation-info')).toContainText(`${total} fiches débloquées, 0 verrouillées`)
  await expect(page.getByTestId('contact-open').first()).toBeVisible()
  await auditPage(page, 'bases-detail')

  // The contacts came from the sandbox's SIRENE stand-in, with their source; one watermark record was planted.
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  try {
    const [b] = await sql`select id from public.prospect_bases where name = ${name}`
    const [m] = await sql`select count(*)::int as n, count(*) filter (where c.custom_fields -> 'field_sources' ->> 'source' = 'recherche-entreprises')::int as sourced
      from public.prospect_base_members pm join public.contacts c on c.id = pm.contact_id where pm.prospect_base_id = ${b!.id}`
    expect(m!.n).toBe(total + 1)
    expect(m!.sourced).toBe(total)
  } finally {
    await sql.end()
  }

  // Enrichment through the enrich-worker and the sandbox's web search.
  await page.getByRole('button', { name: 'Enrichir les entreprises' }).click()
  await expect(page.getByText('Enrichissement terminé.')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('enrichment-panel')).toContainText(/Site web : [1-9]\d* sur/)

  await page.getByTestId('contact-open').first().click()
  const breakdown = page.getByTestId('score-breakdown')
  await expect(breakdown.getByTestId('score-value')).toHaveText(/^\d{1,3}$/)
  await expect(breakdown).toContainText('Adéquation')
  await expect(breakdown).toContainText('Prochaine action conseillée')
  await expect(breakdown.getByRole('listitem').first()).toBeVisible()
  await auditPage(page, 'bases-score')
  c.assertClean()
})

test('a saved segment with a live count, and the scoring settings', async ({ page }) => {
  const c = await watchConsole(page)
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await open(page, '/bases/segments')
  await expect(page.getByTestId('segment-list')).toContainText('Contacts chauds')
  const count = page.getByTestId('segment-count')
  await expect(count).toContainText(/\d+ contacts? correspond/)

  const segName = `Neuilly chauds ${Date.now().toString(36)}`
  await page.getByRole('textbox', { name: 'Nom du segment' }).fill(segName)
  await page.getByRole('button', { name: 'Ajouter un filtre' }).click()
  const second = page.getByTestId('segment-filter').nth(1)
  await second.getByRole('combobox', { name: 'Champ' }).selectOption('city')
  await second.getByRole('textbox', { name: 'Valeur' }).fill('Neuilly-sur-Seine')
  await page.getByRole('button', { name: 'Ajouter un filtre' }).click()
  const third = page.getByTestId('segment-filter').nth(2)
  await third.getByRole('combobox', { name: 'Champ' }).selectOption('has_email')

  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  let expected = 0
  try {
    const [r] = await sql`select count(*)::int as n from public.contacts c join public.contact_scores s on s.contact_id = c.id
      join public.tenants t on t.id = c.tenant_id
      where t.slug = 'etoile-immobilier' and c.deleted_at is null and s.label = 'hot' and lower(c.city) = 'neuilly-sur-seine' and c.email is not null`
    expected = r!.n
  } finally {
    await sql.end()
  }
  await expect(count).toContainText(expected === 0 ? 'Aucun contact ne correspond' : `${expected} contact`)
  await page.getByRole('button', { name: 'Enregistrer le segment' }).click()
  await expect(page.getByTestId('segment-list')).toContainText(segName)
  await auditPage(page, 'bases-segments')

  await open(page, '/reglages/scoring')
  await expect(page.getByTestId('weights-total')).toHaveText('Total : 100 / 100')
  await expect(page.getByTestId('score-distribution')).toContainText('chauds')
  await page.getByRole('slider', { name: /Adéquation/ }).fill('60')
  await expect(page.getByTestId('weights-total')).toHaveText('Total : 120 / 100')
  await page.getByRole('button', { name: 'Enregistrer et recalculer' }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'Le total des poids doit faire exactement 100 (actuellement 120).' })).toBeVisible()
  await page.getByRole('slider', { name: /Engagement/ }).fill('20')
  await page.getByRole('button', { name: 'Enregistrer et recalculer' }).click()
  await expect(page.getByText(/Réglages enregistrés : [\d\s\u202f]+ scores recalculés\./)).toBeVisible()
  await auditPage(page, 'reglages-scoring')
  c.assertClean()
})

test('a base page: enrol a selection in a sequence, delete contacts and undo', async ({ page }) => {
  test.setTimeout(120_000)
  const c = await watchConsole(page)
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  const baseId = 'ba5e0000-0000-4000-8000-000000000001'
  const [tenant] = await sql`select id from public.tenants where slug = 'etoile-immobilier'`
  // A paused sequence: the enrolments wait, nothing is sent during the test.
  const seqName = `Relance e2e ${Date.now().toString(36)}`
  const [seq] = await sql`insert into public.sequences (tenant_id, name, status, audience, prospect_base_id)
    values (${tenant!.id}, ${seqName}, 'paused', 'base', ${baseId}) returning id`
  try {
    await signIn(page, DEMO_OWNER)
    await expect(page).toHaveURL(/\/$/)
    await open(page, `/bases/${baseId}`)
    await expect(page.getByTestId('base-name')).toHaveText('Import Neuilly 2026')
    const table = page.getByRole('table', { name: 'Contacts de la base' })
    await expect(table.getByTestId('contact-open').nth(1)).toBeVisible()

    // enrol two contacts in the sequence
    await table.locator('tbody tr').nth(0).getByRole('checkbox').check()
    await table.locator('tbody tr').nth(1).getByRole('checkbox').check()
    await expect(table.locator('tbody tr').nth(1).getByRole('checkbox')).toBeChecked()
    await auditPage(page, 'bases-selection')
    await page.getByRole('button', { name: 'Inscrire dans une séquence' }).click()
    const dialog = page.getByRole('dialog', { name: 'Inscrire 2 contacts dans une séquence' })
    await expect(dialog).toBeVisible()
    await dialog.getByRole('combobox', { name: 'Séquence' }).selectOption({ label: `${seqName} (en pause)` })
    await auditPage(page, 'bases-inscription')
    await dialog.getByRole('button', { name: 'Appliquer' }).click()
    await expect(page.getByText(`2 contacts inscrits dans « ${seqName} ».`)).toBeVisible()
    const [enrolled] = await sql`select count(*)::int as n from public.sequence_enrolments where sequence_id = ${seq!.id}`
    expect(enrolled!.n).toBe(2)
    // the acted-on contacts left the selection
    await expect(table.locator('tbody tr').nth(0).getByRole('checkbox')).not.toBeChecked()

    // delete two contacts, then undo
    const [{ now }] = await sql`select now() as now`
    await table.locator('tbody tr').nth(0).getByRole('checkbox').check()
    await table.locator('tbody tr').nth(1).getByRole('checkbox').check()
    await expect(table.locator('tbody tr').nth(1).getByRole('checkbox')).toBeChecked()
    await page.getByTestId('bulk-delete').click()
    await expect(page.getByTestId('undo-delete')).toContainText('2 contacts supprimés.')
    const deleted = await sql`select c.id from public.contacts c join public.prospect_base_members m on m.contact_id = c.id and m.prospect_base_id = ${baseId}
      where c.tenant_id = ${tenant!.id} and c.deleted_at >= ${now}`
    expect(deleted).toHaveLength(2)
    await auditPage(page, 'bases-suppression')
    await page.getByRole('button', { name: 'Annuler la suppression' }).click()
    await expect(page.getByText('2 contacts restaurés.')).toBeVisible()
    await expect(page.getByTestId('undo-delete')).toBeHidden()
    const [back] = await sql`select count(*)::int as n from public.contacts where id = any(${deleted.map((r) => r.id)}) and deleted_at is null`
    expect(back!.n).toBe(2)
    c.assertClean()
  } finally {
    await sql`delete from public.sequence_enrolments where sequence_id = ${seq!.id}`
    await sql`delete from public.sequences where id = ${seq!.id}`
    await sql.end()
  }
})
