import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import postgres from 'postgres'
import { admin, auditPage, DEMO_PASSWORD, env, open, signIn, uniqueEmail, watchConsole } from './helpers'

const FIXTURES = join(process.cwd(), 'tests/fixtures/import')

/** A fresh agency with its owner, so the import's figures are exact. */
async function freshAgency(): Promise<{ email: string; tenantId: string; sql: postgres.Sql }> {
  const email = uniqueEmail('import')
  const { data, error } = await admin().auth.admin.createUser({ email, password: DEMO_PASSWORD, email_confirm: true, user_metadata: { full_name: 'Inès Import' } })
  if (error) throw error
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  const slug = `import-${Date.now().toString(36)}`
  const [t] = await sql`insert into public.tenants (slug, legal_name, onboarding_step, onboarding_completed_at) values (${slug}, 'Agence Import Test', 6, now()) returning id`
  await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${t!.id}, ${data.user!.id}, 'owner')`
  return { email, tenantId: t!.id as string, sql }
}

async function pickFile(page: Page, name: string) {
  await page.getByTestId('import-file').setInputFiles(join(FIXTURES, name))
}

test('a French Windows-1252 ";" file with dirty rows: imported, rejects downloaded, re-import creates nothing, undo', async ({ page }) => {
  test.setTimeout(180_000)
  const c = await watchConsole(page)
  const { email, tenantId, sql } = await freshAgency()
  await signIn(page, email)
  await expect(page).toHaveURL(/\/$/)
  await open(page, '/prospects/import')
  await expect(page.getByRole('heading', { level: 1, name: 'Importer des contacts' })).toBeVisible()
  await auditPage(page, 'import-fichier')

  await pickFile(page, 'french-1252.csv')
  await expect(page.getByTestId('import-detected')).toContainText('Windows-1252')
  await expect(page.getByTestId('import-detected')).toContainText('point-virgule')
  await expect(page.getByTestId('import-detected')).toContainText('1 ligne de titre ignorée')
  await expect(page.getByTestId('map-Prénom')).toHaveValue('first_name')
  await expect(page.getByTestId('map-E-mail')).toHaveValue('email')
  await expect(page.getByTestId('map-Budget (€)')).toHaveValue('custom:budget')
  await auditPage(page, 'import-colonnes')
  // save the mapping as a preset for next time
  await page.getByRole('textbox', { name: 'Enregistrer comme modèle' }).fill('Export Hektor')
  await page.getByRole('button', { name: 'Enregistrer', exact: true }).click()
  await expect(page.getByText('Modèle « Export Hektor » enregistré.')).toBeVisible()

  await page.getByRole('button', { name: 'Vérifier les données' }).click()
  const checked = page.getByTestId('import-check')
  await expect(checked).toContainText('Lignes9')
  await expect(checked).toContainText('Valides5')
  await expect(checked).toContainText('Rejetées4')
  await expect(page.getByTestId('import-rejects')).toContainText('Ligne 5 — Adresse e-mail invalide.')
  await expect(page.getByTestId('import-rejects')).toContainText('Ligne 9 — La colonne « Prénom » commence par une formule de tableur')
  await expect(page.getByTestId('import-rejects')).toContainText('Ligne 10 — La colonne « Prénom » contient du code HTML ou un script')
  await expect(page.getByTestId('import-warnings')).toContainText('jp.delafontaine@gmial.com → jp.delafontaine@gmail.com')
  await expect(page.getByTestId('import-warnings')).toContainText('code postal complété : 1000 → 01000')
  await expect(page.getByRole('table', { name: 'Aperçu tel qu\'enregistré' })).toContainText('Jean-Pierre De la Fontaine')
  await expect(page.getByRole('table', { name: 'Aperçu tel qu\'enregistré' })).toContainText('+33612345678')
  await auditPage(page, 'import-verification')

  await page.getByTestId('import-start').click()
  const report = page.getByTestId('import-report')
  await expect(report).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('count-created')).toContainText('4')
  await expect(page.getByTestId('count-duplicates')).toContainText('1')
  await expect(page.getByTestId('count-rejected')).toContainText('4')
  await auditPage(page, 'import-rapport')

  const [contacts] = await sql`select count(*)::int as n from public.contacts where tenant_id = ${tenantId} and deleted_at is null`
  expect(contacts!.n).toBe(4)
  const [jp] = await sql`select first_name, last_name, email, phone, postal_code, city, custom_fields from public.contacts where tenant_id = ${tenantId} and email = 'jp.delafontaine@gmail.com'`
  expect(jp).toMatchObject({ first_name: 'Jean-Pierre', last_name: 'De la Fontaine', phone: '+33612345678', postal_code: '92200', city: 'Neuilly-sur-Seine' })
  expect(jp!.custom_fields).toMatchObject({ budget: 450000.5, civilite: 'M.' })
  const [multi] = await sql`select custom_fields->>'remarque' as r from public.contacts where tenant_id = ${tenantId} and email = 'elodie.marchand@orange.fr'`
  expect(multi!.r).toBe('Appeler après 18h;\nsauf vendredi')
  const [note] = await sql`select count(*)::int as n from public.notifications where tenant_id = ${tenantId} and kind = 'import.finished'`
  expect(note!.n).toBe(1)

  // The CSV of rejects: original values, the line, the reason in French; formulas neutralised.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Télécharger les rejets (CSV)' }).click()])
  const csv = readFileSync((await download.path())!, 'utf8')
  expect(csv.charCodeAt(0)).toBe(0xfeff)
  expect(csv).toContain('Civilité;Prénom;Nom;E-mail;Téléphone;Société;Code postal;Ville;Budget (€);Remarque;Ligne;Motif du rejet')
  expect(csv).toContain('M.;Paul;Lévêque;paul.leveque@@free.fr;06 12 34 56 80;;92300;Levallois-Perret;;E-mail invalide;5;Adresse e-mail invalide.')
  expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`)
  expect(csv).toContain('<script>alert(1)</script>')

  // Re-import of the same file: nothing created.
  await page.getByRole('button', { name: 'Importer un autre fichier' }).click()
  await pickFile(page, 'french-1252.csv')
  await page.getByRole('button', { name: 'Vérifier les données' }).click()
  await expect(page.getByTestId('import-check')).toContainText('Valides5')
  await expect(page.getByText('5 des 2 000 premières lignes correspondent à des contacts existants')).toBeVisible()
  await page.getByText('Compléter les champs vides', { exact: true }).click()
  await expect(page.getByTestId('import-changes')).toContainText('Aucune modification sur les contacts existants.')
  await page.getByText('Ignorer', { exact: true }).click()
  await page.getByTestId('import-start').click()
  await expect(page.getByTestId('import-report')).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('count-created')).toContainText('0')
  await expect(page.getByTestId('count-duplicates')).toContainText('5')
  const [after] = await sql`select count(*)::int as n from public.contacts where tenant_id = ${tenantId}`
  expect(after!.n).toBe(4)

  // Undo the first import from the history.
  await open(page, '/prospects/imports')
  const history = page.getByTestId('import-history')
  await expect(history.getByRole('button')).toHaveCount(2)
  await auditPage(page, 'imports-historique')
  await history.getByRole('button').nth(1).click()
  await page.getByRole('button', { name: "Annuler l'import" }).click()
  await page.getByTestId('confirm-undo').click()
  await expect(page.getByText('Import annulé : 4 contacts supprimés, 0 restaurés.')).toBeVisible()
  await expect(history.getByRole('button').nth(1)).toContainText('Annulé')
  const [live] = await sql`select count(*)::int as n from public.contacts where tenant_id = ${tenantId} and deleted_at is null`
  expect(live!.n).toBe(0)
  await sql.end()
  c.assertClean()
})

test('bad files get a clear French message and write nothing', async ({ page }) => {
  test.setTimeout(120_000)
  const c = await watchConsole(page)
  const { email, tenantId, sql } = await freshAgency()
  await signIn(page, email)
  await expect(page).toHaveURL(/\/$/)
  await open(page, '/prospects/import')
  const cases: [string, string][] = [
    ['empty.csv', 'Le fichier est vide : aucune ligne à importer.'],
    ['header-only.csv', "Le fichier ne contient que la ligne d'en-tête : aucun contact à importer."],
    ['binary.csv', "Ce fichier n'est ni un texte (CSV, TXT) ni un classeur Excel"],
  ]
  for (const [file, message] of cases) {
    await pickFile(page, file)
    await expect(page.getByTestId('import-error')).toContainText(message)
  }
  await auditPage(page, 'import-fichier-binaire')

  // An unterminated quote is found before anything is written.
  await pickFile(page, 'unterminated.csv')
  await expect(page.getByTestId('import-error')).toContainText('Guillemet non fermé à partir de la ligne 3')

  // Duplicated headers are renamed and reported; 10,000-character cells are rejected row by row.
  await pickFile(page, 'duplicated-headers.csv')
  await expect(page.getByTestId('import-detected')).toContainText('En-têtes en double renommés : Nom, Téléphone')
  await page.getByRole('button', { name: 'Retour' }).click()
  await pickFile(page, 'long-cell.csv')
  await page.getByRole('button', { name: 'Vérifier les données' }).click()
  await expect(page.getByTestId('import-rejects')).toContainText('Ligne 2 — La colonne « Nom » est trop longue.')
  const [n] = await sql`select (select count(*) from public.contact_imports where tenant_id = ${tenantId})::int as imports, (select count(*) from public.contacts where tenant_id = ${tenantId})::int as contacts`
  expect(n).toEqual({ imports: 0, contacts: 0 })
  await sql.end()
  c.assertClean()
})
