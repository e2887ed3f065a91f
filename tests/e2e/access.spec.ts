import { expect, test } from '@playwright/test'
import postgres from 'postgres'
import { admin, auditPage, DEMO_OWNER, env, latestMail, mailIds, open, RIVE_GAUCHE_OWNER, signIn, uniqueEmail, verifyLink, watchConsole } from './helpers'

test('magic link: the e-mailed link signs the user in', async ({ page }) => {
  const c = await watchConsole(page)
  const email = 'sophie.martin@immo-ai.test'
  const before = await mailIds(email)
  await open(page, '/connexion')
  await page.getByRole('tab', { name: 'Lien par e-mail' }).click()
  await page.getByRole('textbox', { name: 'Adresse e-mail' }).fill(email)
  await page.getByRole('button', { name: 'Recevoir un lien de connexion' }).click()
  await expect(page.getByRole('heading', { name: 'Vérifiez votre boîte de réception' })).toBeVisible()
  await auditPage(page, 'connexion-lien-envoye')
  const mail = await latestMail(email, (m) => !before.has(m.id) && /lien de connexion/i.test(m.subject))
  const link = verifyLink(mail)
  await page.goto(link)
  await expect(page).toHaveURL(/\/$/)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/(Bonjour|Bonsoir) Sophie/)
  // The same link cannot be used twice.
  await page.context().clearCookies()
  await page.goto(link)
  await expect(page).toHaveURL(/\/connexion\?erreur=lien_(expire|invalide)/)
  await expect(page.getByRole('alert')).toContainText(/expiré|pas valide/)
  c.assertClean()
})

test("a second tenant's user sees none of the first tenant's data", async ({ page }) => {
  const c = await watchConsole(page)
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  const [rg] = await sql`select count(*)::int as n from public.contacts c join public.tenants t on t.id = c.tenant_id where t.slug = 'rive-gauche' and c.deleted_at is null`
  const [etoile] = await sql`select c.last_name from public.contacts c join public.tenants t on t.id = c.tenant_id where t.slug = 'etoile-immobilier' and c.last_name is not null
    and not exists (select 1 from public.contacts x join public.tenants y on y.id = x.tenant_id where y.slug = 'rive-gauche' and x.search_text like '%' || lower(c.last_name) || '%') limit 1`
  await sql.end()
  await signIn(page, RIVE_GAUCHE_OWNER)
  await expect(page.getByTestId('tenant-switcher')).toContainText('Rive Gauche')
  await expect(page.getByTestId('kpi-contacts')).toContainText(String(rg!.n))
  await expect(page.locator('body')).not.toContainText('Étoile')
  await page.keyboard.press('Control+k')
  await page.getByRole('combobox', { name: 'Recherche' }).fill(etoile!.last_name)
  await expect(page.getByText(`Aucun contact ni affaire pour « ${etoile!.last_name} »`)).toBeVisible()
  await page.keyboard.press('Escape')
  await open(page, '/reglages/equipe')
  await expect(page.getByRole('table', { name: "Membres de l'équipe" })).toContainText(RIVE_GAUCHE_OWNER)
  await expect(page.getByRole('table', { name: "Membres de l'équipe" })).not.toContainText(DEMO_OWNER)
  await expect(page.getByRole('table', { name: "Membres de l'équipe" })).not.toContainText('thomas.lefevre')
  await open(page, '/reglages/agence')
  await expect(page.getByRole('textbox', { name: 'Raison sociale' })).not.toHaveValue(/Étoile/)
  c.assertClean()
})

test('invite a colleague: the owner creates the link, the colleague joins with the chosen role, the link cannot be reused', async ({ page, browser }) => {
  test.setTimeout(120_000)
  const c = await watchConsole(page)
  const email = uniqueEmail('julie')
  await signIn(page, DEMO_OWNER)
  await expect(page.getByTestId('kpi-contacts')).toBeVisible()
  await open(page, '/reglages/equipe')
  await page.getByRole('button', { name: 'Inviter un membre' }).click()
  const dialog = page.getByRole('dialog', { name: 'Inviter un membre' })
  await dialog.getByRole('textbox', { name: 'Adresse e-mail' }).fill(email)
  await dialog.getByRole('combobox', { name: 'Rôle' }).selectOption('assistant')
  await dialog.getByRole('button', { name: "Créer l'invitation" }).click()
  const link = await dialog.getByTestId('invite-link').inputValue()
  expect(link).toMatch(/\/invitation\/[0-9a-f]{64}$/)
  await auditPage(page, 'reglages-equipe-invitation')
  await dialog.getByRole('button', { name: 'Terminé' }).click()
  await expect(page.getByRole('region', { name: 'Invitations en attente' }).or(page.locator('section', { hasText: 'Invitations en attente' }))).toContainText(email)

  // The colleague has an account (created confirmed through the admin API) and opens the link.
  const { error } = await admin().auth.admin.createUser({ email, password: 'Julie2026Agence', email_confirm: true, user_metadata: { full_name: 'Julie Petit' } })
  expect(error).toBeNull()
  const ctx = await browser.newContext()
  const colleague = await ctx.newPage()
  const c2 = await watchConsole(colleague, [400, 400]) // the reused and the expired links' refusals
  await open(colleague, new URL(link).pathname)
  await auditPage(colleague, 'invitation-deconnecte-lien')
  await colleague.getByRole('link', { name: "J'ai déjà un compte" }).click()
  await colleague.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' })
  await colleague.getByRole('textbox', { name: 'Adresse e-mail' }).fill(email)
  await colleague.getByRole('textbox', { name: 'Mot de passe', exact: true }).fill('Julie2026Agence')
  await colleague.getByRole('button', { name: 'Se connecter' }).click()
  await expect(colleague).toHaveURL(/\/invitation\//)
  await expect(colleague.getByText(`Vous êtes connecté en tant que ${email}`)).toBeVisible()
  await auditPage(colleague, 'invitation-connecte')
  await colleague.getByRole('button', { name: "Accepter l'invitation" }).click()
  await expect(colleague).toHaveURL(/\/$/)
  await expect(colleague.getByTestId('tenant-switcher')).toContainText('Étoile')
  await expect(colleague.getByTestId('tenant-switcher')).toContainText('Assistant')

  // Reused link → a clear French message, no stack trace.
  await open(colleague, new URL(link).pathname)
  await colleague.getByRole('button', { name: "Accepter l'invitation" }).click()
  await expect(colleague.getByRole('alert')).toHaveText('Cette invitation a déjà été utilisée.')

  // An expired invitation (written directly, 8 days old) → its own French message.
  const token = 'e2e' + Date.now().toString(16)
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  await sql`insert into public.tenant_invitations (tenant_id, email, role, token_hash, expires_at, created_at)
    select id, ${email.replace('julie', 'julie2')}, 'agent', encode(extensions.digest(${token}, 'sha256'), 'hex'), now() - interval '1 day', now() - interval '8 days'
    from public.tenants where slug = 'etoile-immobilier'`
  await sql.end()
  await open(colleague, `/invitation/${token}`)
  await colleague.getByRole('button', { name: "Accepter l'invitation" }).click()
  await expect(colleague.getByRole('alert')).toHaveText('Cette invitation a expiré. Demandez à votre agence de vous en envoyer une nouvelle.')
  c2.assertClean()
  await ctx.close()

  // The owner sees the new member with the role chosen.
  await open(page, '/reglages/equipe')
  await expect(page.getByRole('row', { name: new RegExp(email) })).toBeVisible()
  c.assertClean()
})
