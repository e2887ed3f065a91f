import { expect, test } from '@playwright/test'

test('the app answers through the local stack in French', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/')
  await expect(page).toHaveURL(/\/connexion/)
  await expect(page.locator('html')).toHaveAttribute('lang', /fr/)
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
  expect(errors).toEqual([])
})

test('the health route answers', async ({ request }) => {
  const r = await request.get('/api/health')
  expect(r.ok()).toBe(true)
  expect(await r.json()).toMatchObject({ status: 'ok' })
})
