import { randomUUID } from 'node:crypto'
import { expect, test } from '@playwright/test'
import postgres from 'postgres'
import { admin, auditPage, DEMO_OWNER, env, open, signIn, watchConsole } from './helpers'

const TENANT = 'e7011e00-0000-4000-8000-000000000001'
const OWNER = 'a1e7d0e0-0000-4000-8000-000000000001'

/**
 * A prospect of the demo agency who got an SMS from a sequence (a ledger row,
 * as the worker leaves it): B2B (company + job title), so a reply by SMS passes
 * the consent gate on legitimate interest.
 */
async function smsProspect() {
  const db = admin()
  const tag = randomUUID().slice(0, 8)
  const phone = `+3365${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`
  const { data: c, error } = await db.from('contacts').insert({
    tenant_id: TENANT, kind: 'person', first_name: 'Inès', last_name: `Garnier-${tag}`, company_name: `Cabinet Garnier ${tag}`, job_title: 'Gérante',
    email: `ines.garnier.${tag}@agence-test.fr`, phone, owner_id: OWNER,
  }).select('id, last_name').single()
  if (error) throw error
  const { error: e2 } = await db.from('message_sends').insert({
    tenant_id: TENANT, contact_id: c.id, channel: 'sms', idempotency_key: `e2e-inbox:${tag}`, to_address: phone,
    body: 'Étoile Immobilier : estimation offerte cette semaine. Répondez OUI pour être rappelée. STOP au 36173',
    status: 'sent', provider: 'twilio', provider_message_id: `SMe2e${tag}`, sent_at: new Date().toISOString(),
  })
  if (e2) throw e2
  return { id: c.id as string, name: `Inès ${c.last_name}`, phone }
}

test('a reply lands in the inbox live and the agent answers it by SMS', async ({ page }) => {
  const c = await watchConsole(page)
  const prospect = await smsProspect()
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await open(page, '/boite-de-reception')
  await expect(page.getByRole('heading', { level: 1, name: 'Boîte de réception' })).toBeVisible()
  const list = page.getByTestId('inbox-threads')
  await expect(list).toBeVisible()
  await expect(list).not.toContainText(prospect.name)

  // The prospect answers by SMS: Twilio's inbound webhook, signed, through the sandbox.
  const r = await fetch(`${env('SANDBOX_URL')}/_sandbox/twilio/inbound`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: prospect.phone, to: '+33170000001', body: 'Bonjour, oui je veux bien une estimation. Je suis disponible jeudi.' }),
  })
  expect(r.ok).toBe(true)
  const delivery = await r.json() as { status?: number }
  expect(delivery.status, 'twilio-webhook accepted the inbound message').toBe(200)

  // Live: no reload.
  const thread = list.getByRole('button', { name: new RegExp(prospect.name) })
  await expect(thread).toBeVisible()
  await expect(thread).toContainText('je veux bien une estimation')
  await thread.click()
  const view = page.getByTestId('inbox-thread')
  await expect(view.getByTestId('message-in')).toContainText('Je suis disponible jeudi')
  await expect(page.getByTestId('inbox-context')).toContainText(`Cabinet Garnier`)

  // Bad input first: an empty reply is refused with a French message.
  await view.getByRole('button', { name: 'Envoyer' }).click()
  await expect(view.getByRole('alert')).toHaveText('Écrivez votre réponse avant d’envoyer.')

  const answer = 'Merci ! Je vous propose jeudi à 18 h pour l’estimation. Bonne journée.'
  await view.getByRole('textbox', { name: 'Votre réponse par SMS' }).fill(answer)
  await view.getByRole('button', { name: 'Envoyer' }).click()
  await expect(view.getByTestId('message-out').filter({ hasText: answer })).toBeVisible()

  // The reply is a ledger row of the thread (worker, gates, quota), queued for the legal hours.
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql`select ms.channel, ms.to_address, ms.status, ms.conversation_id is not null as threaded
                              from public.message_sends ms where ms.contact_id = ${prospect.id} and ms.body = ${answer}`
    expect(row).toMatchObject({ channel: 'sms', to_address: prospect.phone, threaded: true })
  } finally {
    await sql.end()
  }

  // Assign to me, then mark handled: the thread leaves "À traiter".
  await view.getByRole('combobox', { name: 'Assigner la conversation' }).selectOption({ label: 'Claire Dubois (moi)' })
  await expect(page.getByText('Conversation assignée à Claire Dubois.')).toBeVisible()
  await page.getByTestId('mine-filter').check()
  await expect(list.getByRole('button', { name: new RegExp(prospect.name) })).toBeVisible()
  await auditPage(page, 'boite-de-reception')
  await view.getByRole('button', { name: 'Marquer comme traitée' }).click()
  await expect(list.getByRole('button', { name: new RegExp(prospect.name) })).toHaveCount(0)
  await page.getByTestId('status-handled').click()
  await expect(list.getByRole('button', { name: new RegExp(prospect.name) })).toBeVisible()
  c.assertClean()
})

test('the inbox says what to do when nothing matches', async ({ page }) => {
  const c = await watchConsole(page)
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await open(page, '/boite-de-reception?statut=snoozed')
  await expect(page.getByTestId('inbox-empty')).toContainText('Aucune conversation pour ces filtres')
  await expect(page.getByTestId('inbox-empty')).toContainText('choisissez « Toutes »')
  c.assertClean()
})
