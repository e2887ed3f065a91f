import { expect, test } from '@playwright/test'
import { admin, auditPage, latestMail, open, signIn, uniqueEmail, verifyLink, watchConsole } from './helpers'

test('password reset: e-mailed link → new password (rules enforced) → sign in with it', async ({ page }) => {
  const c = await watchConsole(page, [400]) // the old password's refusal
  const email = uniqueEmail('marc')
  const { error } = await admin().auth.admin.createUser({ email, password: 'Ancien2026Motdepasse', email_confirm: true, user_metadata: { full_name: 'Marc Durand' } })
  expect(error).toBeNull()

  await open(page, '/mot-de-passe-oublie')
  await page.getByRole('textbox', { name: 'Adresse e-mail' }).fill(email)
  await page.getByRole('button', { name: 'Envoyer le lien' }).click()
  await expect(page.getByRole('heading', { name: 'E-mail envoyé' })).toBeVisible()
  await auditPage(page, 'mot-de-passe-oublie-envoye')

  const mail = await latestMail(email, (m) => /mot de passe/i.test(m.subject))
  await page.goto(verifyLink(mail))
  await expect(page).toHaveURL(/\/reinitialiser$/)
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' })
  await expect(page.getByText(`Choisissez un nouveau mot de passe pour ${email}`)).toBeVisible()
  await page.getByRole('textbox', { name: 'Nouveau mot de passe' }).fill('courtmdp')
  await page.getByRole('textbox', { name: 'Confirmez le mot de passe' }).fill('autre')
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'Mot de passe trop faible' })).toBeVisible()
  await expect(page.getByRole('alert').filter({ hasText: 'ne sont pas identiques' })).toBeVisible()
  await auditPage(page, 'reinitialiser-erreurs')
  await page.getByRole('textbox', { name: 'Nouveau mot de passe' }).fill('Nouveau2026Motdepasse')
  await page.getByRole('textbox', { name: 'Confirmez le mot de passe' }).fill('Nouveau2026Motdepasse')
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click()
  // No agency yet: the app continues to onboarding.
  await expect(page).toHaveURL(/\/onboarding$/)

  await page.getByTestId('user-menu').click()
  await page.getByRole('menuitem', { name: 'Se déconnecter', exact: true }).click()
  await expect(page).toHaveURL(/\/connexion/)
  await signIn(page, email, 'Ancien2026Motdepasse')
  await expect(page.getByRole('alert')).toHaveText('E-mail ou mot de passe incorrect.')
  await signIn(page, email, 'Nouveau2026Motdepasse')
  await expect(page).toHaveURL(/\/onboarding$/)
  c.assertClean()
})
