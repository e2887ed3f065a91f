import { expect, test } from '@playwright/test'
import postgres from 'postgres'
import { admin, auditPage, env, open, signIn, uniqueEmail, watchConsole } from './helpers'

const fr = (n: number) => new Intl.NumberFormat('fr-FR').format(n)

test('a user of two agencies switches between them; the choice survives a reload', async ({ page }) => {
  const c = await watchConsole(page)
  const email = uniqueEmail('double')
  const { data, error } = await admin().auth.admin.createUser({ email, password: 'Double2026Agences', email_confirm: true, user_metadata: { full_name: 'Nina Roux' } })
  expect(error).toBeNull()
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  const counts = new Map<string, number>()
  try {
    await sql`insert into public.tenant_members (tenant_id, user_id, role) select id, ${data.user!.id}, 'agent' from public.tenants where slug in ('etoile-immobilier', 'rive-gauche')`
    for (const r of await sql`select t.slug, count(c.id)::int as n from public.tenants t left join public.contacts c on c.tenant_id = t.id and c.deleted_at is null where t.slug in ('etoile-immobilier', 'rive-gauche') group by t.slug`) counts.set(r.slug, r.n)
  } finally {
    await sql.end()
  }

  await signIn(page, email, 'Double2026Agences')
  const switcher = page.getByTestId('tenant-switcher')
  // At first sign-in the first agency by name is shown; read which one it is.
  await expect(switcher).toBeVisible()
  const first = (await switcher.innerText()).includes('Étoile') ? 'etoile-immobilier' : 'rive-gauche'
  const other = first === 'etoile-immobilier' ? 'rive-gauche' : 'etoile-immobilier'
  await expect(page.getByTestId('kpi-contacts')).toContainText(fr(counts.get(first)!))

  await switcher.click()
  await expect(page.getByRole('menu')).toBeVisible()
  await auditPage(page, 'changement-agence-menu')
  await page.getByRole('menuitem', { name: other === 'etoile-immobilier' ? /Étoile/ : /Rive Gauche/ }).click()
  await expect(switcher).toContainText(other === 'etoile-immobilier' ? 'Étoile' : 'Rive Gauche')
  await expect(page.getByTestId('kpi-contacts')).toContainText(fr(counts.get(other)!))

  await open(page, '/')
  await expect(switcher).toContainText(other === 'etoile-immobilier' ? 'Étoile' : 'Rive Gauche')
  await expect(page.getByTestId('kpi-contacts')).toContainText(fr(counts.get(other)!))

  // Sign out everywhere: the session is gone, protected pages send back to sign-in.
  await page.getByTestId('user-menu').click()
  await page.getByRole('menuitem', { name: 'Se déconnecter de tous les appareils' }).click()
  await expect(page).toHaveURL(/\/connexion/)
  await open(page, '/reglages/equipe')
  await expect(page).toHaveURL(/\/connexion\?suite=/)
  c.assertClean()
})
