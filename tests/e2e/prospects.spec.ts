import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import postgres from 'postgres'
import { auditPage, DEMO_OWNER, env, open, signIn, watchConsole } from './helpers'

test('prospects list: search, filters, pages, bulk tag, delete with undo, audited export', async ({ page }) => {
  test.setTimeout(120_000)
  const c = await watchConsole(page)
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  const [tenant] = await sql`select id from public.tenants where slug = 'etoile-immobilier'`
  const [newest] = await sql`select id, first_name, last_name, company_name, email from public.contacts where tenant_id = ${tenant!.id} and deleted_at is null order by last_activity_at desc, id desc limit 1`
  await signIn(page, DEMO_OWNER)
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  await open(page, '/prospects')
  const table = page.getByRole('table', { name: 'Prospects' })
  await expect(table.locator('tbody tr')).toHaveCount(50)
  await expect(table.locator('tbody tr').first()).toContainText(newest!.last_name ?? newest!.company_name ?? newest!.email)
  await auditPage(page, 'prospects')

  // keyset pages: page 2 holds none of page 1's contacts, and back
  // (the demo agency is live — the sequences tick touches contacts — so rows are compared by link, not by position)
  const page1 = await table.locator('tbody tr a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
  await page.getByRole('button', { name: 'Suivant' }).click()
  await expect(page.getByRole('button', { name: 'Précédent' })).toBeEnabled()
  // the rows of page 1 stay on screen until page 2 has arrived
  await expect(table.locator('tbody tr').first().locator('a')).not.toHaveAttribute('href', page1[0]!)
  await expect(table.locator('tbody tr')).toHaveCount(50)
  const page2 = await table.locator('tbody tr a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
  expect(page2.filter((h) => page1.includes(h))).toEqual([])
  await page.getByRole('button', { name: 'Précédent' }).click()
  await expect(page.getByRole('button', { name: 'Précédent' })).toBeDisabled()
  await expect(table.locator('tbody tr')).toHaveCount(50)

  // filters: companies of Neuilly
  const [n] = await sql`select count(*)::int as n from public.contacts where tenant_id = ${tenant!.id} and deleted_at is null and kind = 'company' and postal_code like '92200%'`
  await page.getByRole('combobox', { name: 'Type' }).selectOption('company')
  await page.getByRole('textbox', { name: 'Ville ou code postal' }).fill('92200')
  await expect(table.locator('tbody tr')).toHaveCount(Math.min(50, n!.n))

  // search through the trigram RPC
  await page.getByRole('button', { name: 'Effacer les filtres' }).click()
  await page.getByTestId('prospects-search').getByRole('textbox').fill(newest!.email ?? newest!.last_name ?? newest!.company_name ?? '')
  await expect(table.locator('tbody tr').first()).toContainText(newest!.last_name ?? newest!.company_name ?? '')
  await page.getByRole('button', { name: 'Effacer les filtres' }).click()
  await expect(table.locator('tbody tr')).toHaveCount(50)

  // bulk: tag two contacts, delete them, undo
  // The list reloads after the filters are cleared (a typed search waits for its debounce): select once it has settled.
  const results = page.getByTestId('prospects-results')
  await expect(results).toHaveAttribute('aria-busy', 'false')
  const ids = (await table.locator('tbody tr a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))))
    .slice(0, 2).map((h) => ({ id: h!.replace('/prospects/', '') }))
  expect(ids).toHaveLength(2)
  const rowOf = (id: string) => table.locator('tbody tr', { has: page.locator(`a[href="/prospects/${id}"]`) })
  await rowOf(ids[0]!.id).getByRole('checkbox').check()
  await rowOf(ids[1]!.id).getByRole('checkbox').check()
  await expect(rowOf(ids[1]!.id).getByRole('checkbox')).toBeChecked()
  await page.getByRole('button', { name: 'Étiqueter' }).click()
  await expect(page.getByRole('dialog', { name: 'Étiqueter 2 contacts' })).toBeVisible()
  // a change made elsewhere while the dialog is open (an import finishing, through Realtime) does not
  // reload the rows under the user's cursor nor touch the selection: a discreet notice says the list changed
  await sql`update public.contact_imports set finished_at = finished_at where tenant_id = ${tenant!.id} and status = 'completed'`
  await expect(page.getByTestId('list-updated')).toContainText('La liste a changé', { timeout: 15_000 })
  await page.getByRole('dialog').getByRole('textbox', { name: 'Étiquette' }).fill('salon-e2e')
  await page.getByRole('button', { name: "Ajouter l'étiquette" }).click()
  await expect(page.getByText('Étiquette « salon-e2e » ajoutée à 2 contacts.')).toBeVisible()
  const tagged = await sql`select count(*)::int as n from public.contacts where id = any(${ids.map((r) => r.id)}) and 'salon-e2e' = any(tags)`
  expect(tagged[0]!.n).toBe(2)
  // the list reloaded after the action: the notice is gone, the acted-on contacts left the selection
  await expect(page.getByTestId('list-updated')).toBeHidden()
  await expect(results).toHaveAttribute('aria-busy', 'false')
  await expect(rowOf(ids[0]!.id).getByRole('checkbox')).not.toBeChecked()

  await rowOf(ids[0]!.id).getByRole('checkbox').check()
  await rowOf(ids[1]!.id).getByRole('checkbox').check()
  await page.getByTestId('bulk-delete').click()
  await expect(page.getByTestId('undo-delete')).toContainText('2 contacts supprimés.')
  const [gone] = await sql`select count(*)::int as n from public.contacts where id = any(${ids.map((r) => r.id)}) and deleted_at is not null`
  expect(gone!.n).toBe(2)
  await page.getByRole('button', { name: 'Annuler la suppression' }).click()
  await expect(page.getByText('2 contacts restaurés.')).toBeVisible()
  const [back] = await sql`select count(*)::int as n from public.contacts where id = any(${ids.map((r) => r.id)}) and deleted_at is null`
  expect(back!.n).toBe(2)

  // export the tagged contacts: CSV, formula-safe, written to the audit trail
  await sql`update public.contacts set job_title = '=1+1' where id = ${ids[0]!.id}`
  await page.getByRole('combobox', { name: 'Étiquette' }).selectOption('salon-e2e')
  await expect(table.locator('tbody tr')).toHaveCount(2)
  const [auditBefore] = await sql`select count(*)::int as n from public.audit_log where tenant_id = ${tenant!.id} and action = 'export'`
  await page.getByTestId('export-open').click()
  // the dialog states the caller's export limit (an owner: the 50,000-row ceiling, no daily cap)
  await expect(page.getByTestId('export-allowance')).toContainText(/jusqu.à 50\s000 contacts à la fois/)
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()])
  const csv = readFileSync((await download.path())!, 'utf8')
  expect(csv.split('\r\n').filter(Boolean)).toHaveLength(3)
  expect(csv).toContain(";'=1+1;")
  const [auditAfter] = await sql`select count(*)::int as n from public.audit_log where tenant_id = ${tenant!.id} and action = 'export'`
  expect(auditAfter!.n - auditBefore!.n).toBe(2)
  await sql`update public.contacts set tags = array_remove(tags, 'salon-e2e'), job_title = null where id = any(${ids.map((r) => r.id)})`
  await sql.end()
  c.assertClean()
})

test('contact page: identity, consents, live timeline, edit, merge a duplicate', async ({ page }) => {
  test.setTimeout(120_000)
  const c = await watchConsole(page)
  const frames: string[] = []
  page.on('websocket', (ws) => { if (ws.url().includes('/realtime/')) ws.on('framereceived', (f) => { frames.push(String(f.payload).slice(0, 300)) }) })
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  const [tenant] = await sql`select id from public.tenants where slug = 'etoile-immobilier'`
  const [keep] = await sql`insert into public.contacts (tenant_id, kind, first_name, last_name, email, city, email_consent, sms_consent)
    values (${tenant!.id}, 'person', 'Bérénice', 'Fusion', 'berenice.fusion@exemple.fr', 'Neuilly-sur-Seine', 'opt_in', 'opt_out') returning id`
  const [dup] = await sql`insert into public.contacts (tenant_id, kind, first_name, last_name, phone, city, do_not_contact)
    values (${tenant!.id}, 'person', 'Berenice', 'Fusion', '+33699887766', 'Neuilly-sur-Seine', true) returning id`
  await sql`insert into public.activities (tenant_id, kind, contact_id, subject) values (${tenant!.id}, 'call', ${dup!.id}, 'Appel du doublon')`
  await signIn(page, DEMO_OWNER)
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  await open(page, `/prospects/${keep!.id}`)
  await expect(page.getByTestId('contact-name')).toHaveText('Bérénice Fusion')
  await expect(page.getByTestId('consents')).toContainText('E-mailAccepté')
  await expect(page.getByTestId('consents')).toContainText('SMSRefusé')

  // a note appears in the timeline
  await page.getByTestId('note-input').getByRole('textbox').fill('Souhaite vendre avant l’été')
  await page.getByRole('button', { name: 'Ajouter', exact: true }).click()
  await expect(page.getByTestId('timeline')).toContainText('Souhaite vendre avant l’été')
  // an activity written elsewhere shows up live (Realtime)
  await expect(page.getByTestId('timeline-live')).toBeVisible()
  await sql`insert into public.activities (tenant_id, kind, contact_id, subject) values (${tenant!.id}, 'meeting', ${keep!.id}, 'Estimation sur place')`
  await expect(page.getByTestId('timeline'), `Realtime frames: ${frames.join('\n')}`).toContainText('Estimation sur place', { timeout: 15_000 })
  await auditPage(page, 'prospect-fiche')

  // edit: a French phone is stored in E.164
  await page.getByRole('button', { name: 'Modifier' }).click()
  await page.getByRole('dialog').getByRole('textbox', { name: 'Téléphone' }).fill('06 11 22 33 44')
  await page.getByRole('button', { name: 'Enregistrer' }).click()
  await expect(page.getByText('Contact enregistré.')).toBeVisible()
  const [edited] = await sql`select phone from public.contacts where id = ${keep!.id}`
  expect(edited!.phone).toBe('+33611223344')

  // merge the duplicate (opened from an import report's "compare and merge")
  await open(page, `/prospects/${keep!.id}?fusion=${dup!.id}`)
  const dialog = page.getByRole('dialog', { name: 'Fusionner un doublon' })
  await expect(dialog).toContainText('Fusion de Berenice Fusion dans ce contact')
  await auditPage(page, 'prospect-fusion')
  await dialog.getByTestId('merge-confirm').click()
  await expect(page.getByText('Berenice Fusion a été fusionné dans ce contact.')).toBeVisible()
  await expect(page.getByTestId('timeline')).toContainText('Appel du doublon')
  await expect(page.getByTestId('timeline')).toContainText('Fusion d\'un doublon')
  await expect(page.getByText('Ne pas contacter').first()).toBeVisible()
  const [merged] = await sql`select deleted_at is not null as gone from public.contacts where id = ${dup!.id}`
  expect(merged!.gone).toBe(true)
  await sql.end()
  c.assertClean()
})
