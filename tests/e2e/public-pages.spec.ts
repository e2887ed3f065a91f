import { expect, test } from '@playwright/test'
import { auditPage, open, watchConsole } from './helpers'

const PAGES: [string, string, RegExp][] = [
  ['/connexion', 'connexion', /Connexion à votre agence/],
  ['/inscription', 'inscription', /Créez votre compte/],
  ['/mot-de-passe-oublie', 'mot-de-passe-oublie', /Mot de passe oublié/],
  ['/reinitialiser', 'reinitialiser-sans-session', /Lien nécessaire/],
  ['/auth/confirmation', 'confirmation', /Adresse confirmée/],
  ['/invitation/jeton-inconnu', 'invitation-deconnecte', /Rejoindre une agence/],
]

for (const [path, name, heading] of PAGES) {
  test(`${path} renders in French, accessible, without console errors`, async ({ page }) => {
    const c = await watchConsole(page)
    await open(page, path)
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading)
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr-FR')
    await auditPage(page, name)
    c.assertClean()
  })
}

test('a protected page sends a signed-out visitor to sign-in and keeps where they were going', async ({ page }) => {
  await open(page, '/reglages/equipe')
  await expect(page).toHaveURL(/\/connexion\?suite=(%2F|\/)reglages(%2F|\/)equipe/)
})

test('an expired e-mail link lands on sign-in with a French explanation', async ({ page }) => {
  await open(page, '/auth/callback?error=access_denied&error_code=otp_expired')
  await expect(page).toHaveURL(/\/connexion\?erreur=lien_expire/)
  await expect(page.getByRole('alert')).toContainText('Ce lien a expiré')
})

test('a callback without code or token is refused without a stack trace', async ({ page }) => {
  await open(page, '/auth/callback?code=not-a-real-code')
  await expect(page).toHaveURL(/\/connexion\?erreur=lien_invalide/)
  await expect(page.getByRole('alert')).toContainText("Ce lien n'est pas valide")
})

test('sign-in switches to English and back; the choice survives a reload (messages load per locale)', async ({ page }) => {
  const c = await watchConsole(page)
  await open(page, '/connexion')
  await page.getByRole('navigation', { name: 'Langue' }).getByRole('button', { name: 'English' }).click()
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in to your agency')
  await expect(page.locator('html')).toHaveAttribute('lang', 'en-GB')
  await open(page, '/connexion')
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in to your agency')
  await auditPage(page, 'connexion-en')
  await page.getByRole('navigation', { name: 'Language' }).getByRole('button', { name: 'Français' }).click()
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Connexion à votre agence')
  c.assertClean()
})
