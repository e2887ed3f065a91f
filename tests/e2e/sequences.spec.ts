import { createHash, randomUUID } from 'node:crypto'
import { expect, test, type Page } from '@playwright/test'
import postgres from 'postgres'
import { admin, auditPage, DEMO_OWNER, env, open, signIn, watchConsole } from './helpers'

const TENANT = 'e7011e00-0000-4000-8000-000000000001'
const OWNER = 'a1e7d0e0-0000-4000-8000-000000000001'

interface Mail { id: string; subject: string; text: string; headers: Record<string, string> }

/**
 * The e-mails the mail catcher holds for `to`, waiting for the first one: the catcher holds each
 * request up to 30 s (event-driven); the worker is woken through pg_net and boots on its first
 * call, which takes longer on a loaded machine, so up to four holds.
 */
async function mailsTo(to: string): Promise<Mail[]> {
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`${env('MAIL_URL')}/api/messages?to=${encodeURIComponent(to)}&wait=30000`)
    const list = (r.ok ? await r.json() : []) as Mail[]
    if (list.length) return list
  }
  throw new Error(`no e-mail to ${to} reached the mail catcher: did the tick wake send-worker?`)
}

/** A base of three B2B prospects (legitimate interest for e-mail and SMS); the third has no first name. */
async function fixtureBase(tag: string) {
  const db = admin()
  const phone = () => `+3366${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`
  const people = [
    { kind: 'person', first_name: 'Paul', last_name: `Morel-${tag}`, company_name: `Morel Conseil ${tag}`, job_title: 'Gérant', email: `paul.morel.${tag}@agence-test.fr`, phone: phone() },
    { kind: 'person', first_name: 'Lina', last_name: `Perrin-${tag}`, company_name: `Perrin Patrimoine ${tag}`, job_title: 'Directrice', email: `lina.perrin.${tag}@agence-test.fr`, phone: phone() },
    { kind: 'company', company_name: `SCI Sans Prénom ${tag}`, email: `contact.sci.${tag}@agence-test.fr` },
  ]
  const { data: contacts, error } = await db.from('contacts').insert(people.map((p) => ({ ...p, tenant_id: TENANT, owner_id: OWNER }))).select('id, email, phone, first_name')
  if (error) throw error
  const { data: base, error: e2 } = await db.from('prospect_bases').insert({ tenant_id: TENANT, name: `E2E séquence ${tag}`, owner_id: OWNER }).select('id, name').single()
  if (e2) throw e2
  const { error: e3 } = await db.from('prospect_base_members').insert(contacts!.map((c) => ({ tenant_id: TENANT, prospect_base_id: base.id, contact_id: c.id })))
  if (e3) throw e3
  const byEmail = (e: string) => contacts!.find((c) => c.email === e)!
  return { base, paul: byEmail(people[0]!.email!), lina: byEmail(people[1]!.email!), sci: byEmail(people[2]!.email!) }
}

/**
 * Tuesday 10:00 Paris at least a day ahead, then Thursday 11:00: two sending days later and a
 * little more than the 48 h frequency cap after the first touch.
 */
function clockDays(): [Date, Date] {
  const paris = (d: Date, h: number) => {
    const ymd = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(d)
    const probe = new Date(`${ymd}T${String(h).padStart(2, '0')}:00:00Z`)
    const offset = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hour12: false }).format(probe)) - h
    return new Date(probe.getTime() - offset * 3600_000)
  }
  const d = new Date(Date.now() + 36 * 3600_000)
  while (new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short' }).format(d) !== 'Tue') d.setUTCDate(d.getUTCDate() + 1)
  const t1 = paris(d, 10)
  const t2 = paris(new Date(d.getTime() + 2 * 86400_000), 11)
  return [t1, t2]
}

async function runClock(at: Date) {
  const { data, error } = await admin().rpc('sending_run_clock', { p_at: at.toISOString() })
  if (error) throw new Error(`the engine's test clock (public.sending_run_clock) failed: ${error.message}`)
  return data as { enqueued?: number; woken?: string[] }
}

async function fillStep(page: Page, p: { subject?: string; body: string; bodyLabel?: RegExp }) {
  const editor = page.getByTestId('step-editor')
  if (p.subject !== undefined) await editor.getByRole('textbox', { name: /^Objet/ }).fill(p.subject)
  await editor.getByRole('textbox', { name: p.bodyLabel ?? /^Message/ }).fill(p.body)
}

test('a 4-step sequence with a condition and an A/B step: build, enrol a base, run the clock, sends, events, live stats, one-click unsubscribe', async ({ page }) => {
  test.setTimeout(240_000)
  const c = await watchConsole(page)
  const tag = randomUUID().slice(0, 8)
  const fx = await fixtureBase(tag)
  const name = `Relance E2E ${tag}`

  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await open(page, '/sequences')
  await expect(page.getByRole('heading', { level: 1, name: 'Séquences' })).toBeVisible()
  await expect(page.getByTestId('quota-meters')).toContainText('Envois du mois')
  await auditPage(page, 'sequences')

  // Create: bad input first.
  await page.getByTestId('new-sequence').click()
  const dialog = page.getByRole('dialog', { name: 'Nouvelle séquence' })
  await dialog.getByRole('button', { name: 'Créer et composer' }).click()
  await expect(dialog).toContainText('Donnez un nom à la séquence.')
  await expect(dialog).toContainText('Choisissez la base de prospects de la séquence.')
  await dialog.getByRole('textbox', { name: /Nom de la séquence/ }).fill(name)
  await dialog.getByRole('combobox', { name: 'Base de prospects' }).selectOption({ label: `${fx.base.name} (3 contacts)` })
  await dialog.getByRole('button', { name: 'Créer et composer' }).click()
  await expect(page).toHaveURL(/\/sequences\/[0-9a-f-]{36}$/)
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible()

  // Step 1: e-mail with two A/B variants.
  await fillStep(page, { subject: 'Bonjour {{firstName}}', body: '{{firstName}}, {{agencyName}} vous offre une estimation de votre bien.' })
  await page.getByTestId('add-variant').click()
  await expect(page.getByRole('tab', { name: 'Variante B' })).toHaveAttribute('aria-selected', 'true')
  await fillStep(page, { subject: '{{firstName}}, une estimation offerte ?', body: 'Bonjour {{firstName}}, voulez-vous connaître la valeur de votre bien ? {{agencyName}}' })

  // Step 2: SMS if step 1 was not opened, 2 sending days later.
  await page.getByTestId('add-sms').click()
  const editor = page.getByTestId('step-editor')
  await expect(editor.getByRole('heading', { name: 'Étape 2' })).toBeVisible()
  await editor.getByRole('spinbutton', { name: 'Délai (jours d’envoi)' }).fill('2')
  await editor.getByRole('combobox', { name: 'Condition' }).selectOption({ label: 'Si l’étape 1 n’a pas été ouverte' })
  // A typo in a variable is caught before saving, in French.
  await fillStep(page, { body: '{{prenom}}, avez-vous vu notre e-mail ? {{agencyName}}' })
  await page.getByTestId('save-steps').click()
  await expect(page.getByTestId('step-errors')).toContainText('la variable « prenom » n’existe pas')
  await fillStep(page, { body: '{{firstName}}, avez-vous vu notre e-mail ? {{agencyName}} vous offre l’estimation.' })

  // Step 3: last e-mail without reply; step 4: a call task.
  await page.getByTestId('add-email').click()
  await editor.getByRole('spinbutton', { name: 'Délai (jours d’envoi)' }).fill('2')
  await expect(editor.getByRole('combobox', { name: 'Condition' })).toHaveValue('no_reply')
  await fillStep(page, { subject: 'Dernière relance', body: 'Bonjour {{firstName}}, notre proposition tient toujours. {{agencyName}}' })
  await page.getByTestId('add-task').click()
  await editor.getByRole('spinbutton', { name: 'Délai (jours d’envoi)' }).fill('1')
  await fillStep(page, { body: 'Appeler pour fixer le rendez-vous d’estimation.', bodyLabel: /^Consigne pour l’agent/ })

  const timeline = page.getByTestId('sequence-timeline')
  await expect(timeline.getByTestId('timeline-step-1')).toContainText('Test A/B · 2 variantes')
  await expect(timeline.getByTestId('timeline-step-2')).toContainText('Jour 2')
  await expect(timeline.getByTestId('timeline-step-2')).toContainText('Si l’étape 1 n’a pas été ouverte')
  await expect(timeline.getByTestId('timeline-step-2')).toContainText('lun.–sam., 08:00–20:00 (heure du destinataire), jours fériés exclus')
  await expect(timeline.getByTestId('timeline-step-4')).toContainText('Jour 5')
  await page.getByTestId('save-steps').click()
  await expect(page.getByText('Parcours enregistré.')).toBeVisible()
  await auditPage(page, 'sequence-parcours')

  // Preview: the contact without a first name is held, with the reason.
  await page.getByTestId('tab-preview').click()
  await expect(page.getByTestId('preview-totals')).toHaveText('3 contacts dans l’audience, 1 retenu.')
  await expect(page.getByTestId(`preview-contact-${fx.sci.id}`)).toContainText('Retenu : variable manquante (firstName)')
  await page.getByTestId(`preview-contact-${fx.paul.id}`).click()
  await expect(page.getByTestId('preview-render')).toContainText('Paul, Étoile Immobilier vous offre une estimation de votre bien.')
  await auditPage(page, 'sequence-apercu')

  // Launch: the base is enrolled.
  await page.getByTestId('launch').click()
  await expect(page.getByText('Séquence lancée : 3 contacts inscrits.')).toBeVisible()
  await expect(page.getByTestId('sequence-status-active')).toBeVisible()
  const sequenceId = page.url().split('/').pop()!

  // Stats tab stays open: every figure below arrives through Realtime, without a reload.
  await page.getByTestId('tab-stats').click()
  const step1 = page.getByTestId('stats-step-1')
  await expect(step1.getByTestId('stat-sent')).toHaveText('0')

  // Run the clock: Tuesday 10:00 → step 1 for Paul and Lina; the company is held.
  const [t1, t2] = clockDays()
  const tick1 = await runClock(t1)
  expect(tick1.enqueued).toBe(2)
  expect(tick1.woken, 'the tick wakes send-worker for the e-mail queue').toContain('email')
  const paulMail = (await mailsTo(fx.paul.email))[0]!
  const linaMail = (await mailsTo(fx.lina.email))[0]!
  expect([paulMail.subject, linaMail.subject].sort()).toEqual(
    expect.arrayContaining([expect.stringMatching(/^(Bonjour Paul|Paul, une estimation offerte \?)$/)]))
  expect(linaMail.subject).toMatch(/^(Bonjour Lina|Lina, une estimation offerte \?)$/)
  expect(linaMail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click')
  await expect(step1.getByTestId('stat-sent')).toHaveText('2')

  // Paul opens and clicks, then replies (sandbox → Brevo webhooks).
  const sql = postgres(env('SUPABASE_DB_URL'), { max: 1, onnotice: () => {} })
  try {
    // The worker records Brevo's message id right after the call (the e-mail may reach the catcher first).
    let messageId = ''
    await expect.poll(async () => {
      const [row] = await sql`select provider_message_id from public.message_sends where sequence_id = ${sequenceId} and contact_id = ${fx.paul.id} and provider_message_id is not null`
      messageId = (row?.provider_message_id as string | undefined) ?? ''
      return messageId
    }, { message: 'Paul’s send has its Brevo message id' }).not.toBe('')
    for (const event of ['opened', 'click']) {
      const r = await fetch(`${env('SANDBOX_URL')}/_sandbox/brevo/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messageId, event, link: 'https://etoile-immobilier.fr/estimation' }) })
      expect((await r.json() as { status?: number }).status, `brevo-webhook accepted ${event}`).toBe(200)
    }
    await expect(step1.getByTestId('stat-opened')).toContainText('1')
    await expect(step1.getByTestId('stat-clicked')).toHaveText('1')
    const reply = await fetch(`${env('SANDBOX_URL')}/_sandbox/brevo/reply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messageId, text: 'Oui, passez jeudi à 18 h.' }) })
    expect((await reply.json() as { status?: number }).status, 'brevo-webhook accepted the reply').toBe(200)
    await expect(step1.getByTestId('stat-replied')).toHaveText('1')
    await expect(page.getByTestId('stats-step-1-A').or(page.getByTestId('stats-step-1-B')).first()).toBeVisible()
    await auditPage(page, 'sequence-statistiques')

    // Thursday 11:00: Lina did not open → the SMS; Paul replied → out of the sequence.
    await runClock(t2)
    await expect.poll(async () => {
      const r = await fetch(`${env('SANDBOX_URL')}/_sandbox/twilio/messages`)
      const items = (await r.json()) as { to: string; body: string }[]
      return items.find((m) => m.to === fx.lina.phone)?.body ?? ''
    }, { message: 'the SMS to Lina in the sandbox log', timeout: 30_000 }).toMatch(/^Lina, avez-vous vu notre e-mail \? Étoile Immobilier vous offre l’estimation\.[\s\S]*STOP/)
    await expect(page.getByTestId('stats-step-2').getByTestId('stat-sent')).toHaveText('1')

    // Lina unsubscribes in one click from her e-mail's List-Unsubscribe link (RFC 8058 POST).
    const link = /<(https?:[^>]+)>/.exec(linaMail.headers['list-unsubscribe'] ?? '')?.[1]
    expect(link, 'List-Unsubscribe carries an https link').toBeTruthy()
    const un = await fetch(link!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })
    expect(un.status).toBe(200)
    const [lina] = await sql`select e.status, e.exit_reason, c.email_consent from public.sequence_enrolments e join public.contacts c on c.id = e.contact_id
                              where e.sequence_id = ${sequenceId} and e.contact_id = ${fx.lina.id}`
    expect(lina).toMatchObject({ status: 'exited', exit_reason: 'unsubscribed', email_consent: 'opt_out' })
  } finally {
    await sql.end()
    await runClock(new Date()) // back to real time for the other tests
  }

  // Per-contact status: Paul replied, Lina unsubscribed, the company held with its reason.
  await page.getByTestId('tab-contacts').click()
  await expect(page.getByTestId(`enrolment-${fx.paul.id}`)).toContainText('A répondu')
  await expect(page.getByTestId(`enrolment-${fx.lina.id}`)).toContainText('Désinscrit')
  await expect(page.getByTestId(`enrolment-${fx.sci.id}`)).toContainText('Retenu : variable manquante (firstName)')
  await auditPage(page, 'sequence-contacts')

  // Editing the live path makes version 2; running contacts keep version 1.
  await page.getByTestId('tab-path').click()
  await expect(page.getByTestId('version-rule')).toContainText('crée la version 2')
  await page.getByTestId('timeline-step-4').click()
  await fillStep(page, { body: 'Appeler pour proposer deux créneaux d’estimation.', bodyLabel: /^Consigne pour l’agent/ })
  await expect(page.getByTestId('save-steps')).toHaveText('Enregistrer en version 2')
  await page.getByTestId('save-steps').click()
  await expect(page.getByTestId('sequence-version')).toHaveText('Version 2')

  // The list shows the sequence running with its figures.
  await open(page, '/sequences')
  const row = page.getByTestId(`sequence-row-${sequenceId}`)
  await expect(row).toContainText('En cours')
  await expect(row).toContainText(`Base « ${fx.base.name} » · 3 contacts`)
  c.assertClean()
})

test('pause and resume a sequence, held contacts listed with their reason', async ({ page }) => {
  const c = await watchConsole(page)
  await runClock(new Date()) // the sending clock at real time: resuming must not send the demo's future steps
  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await open(page, '/sequences/5e900000-0000-4000-8000-000000000042')
  await expect(page.getByTestId('sequence-status-paused')).toBeVisible()
  await expect(page.getByText('En pause : mise en pause par un membre de l’équipe.')).toBeVisible()
  await page.getByTestId('resume').click()
  await expect(page.getByTestId('sequence-status-active')).toBeVisible()
  await page.getByTestId('pause').click()
  await expect(page.getByTestId('sequence-status-paused')).toBeVisible()
  await page.getByTestId('tab-contacts').click()
  await page.getByTestId('filter-held').click()
  await expect(page.getByTestId('sequence-contacts')).toContainText('Retenu : variable manquante (firstName)')
  c.assertClean()
})

test('a consumer on the phone opposition list is held with the reason, not sent the SMS', async ({ page }) => {
  const c = await watchConsole(page)
  const db = admin()
  const tag = randomUUID().slice(0, 8)
  const phone = `+3377${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`
  // A consumer who consented to SMS, whose number is on the agency's opposition list (stored hashed).
  const { data: contact, error } = await db.from('contacts').insert({ tenant_id: TENANT, owner_id: OWNER, kind: 'person', first_name: 'Inès', last_name: `Opposée-${tag}`, phone, sms_consent: 'opt_in' }).select('id').single()
  if (error) throw error
  const { error: e1 } = await db.from('consent_evidence').insert({ tenant_id: TENANT, contact_id: contact.id, channel: 'sms', status: 'opt_in', text_shown: 'J’accepte de recevoir des SMS de l’agence.', source: 'form:estimation' })
  if (e1) throw e1
  const { error: e2 } = await db.from('phone_oppositions').insert({ tenant_id: TENANT, phone_hash: createHash('sha256').update(phone).digest('hex'), source: 'bloctel' })
  if (e2) throw e2
  const { data: seq, error: e3 } = await db.from('sequences').insert({ tenant_id: TENANT, owner_id: OWNER, name: `Opposition E2E ${tag}`, status: 'active', audience: 'segment' }).select('id').single()
  if (e3) throw e3
  const { error: e4 } = await db.from('sequence_steps').insert({ tenant_id: TENANT, sequence_id: seq.id, position: 1, day_offset: 0, channel: 'sms', variants: [{ key: 'A', body: 'Bonjour {{firstName}}, {{agencyName}} vous offre l’estimation de votre bien.' }] })
  if (e4) throw e4
  const { error: e5 } = await db.from('sequence_enrolments').insert({ tenant_id: TENANT, sequence_id: seq.id, contact_id: contact.id, next_due_at: new Date().toISOString() })
  if (e5) throw e5

  // The list is checked before the time rules: the tick holds the enrolment whatever the hour.
  const tick = await runClock(new Date())
  expect((tick as { held?: number }).held ?? 0).toBeGreaterThanOrEqual(1)
  const { data: sends } = await db.from('message_sends').select('id').eq('sequence_id', seq.id)
  expect(sends).toEqual([])

  await signIn(page, DEMO_OWNER)
  await expect(page).toHaveURL(/\/$/)
  await open(page, `/sequences/${seq.id}`)
  await page.getByTestId('tab-contacts').click()
  await page.getByTestId('filter-held').click()
  await expect(page.getByTestId(`enrolment-${contact.id}`)).toContainText('Retenu : numéro inscrit sur la liste d’opposition au démarchage téléphonique (Bloctel)')
  await auditPage(page, 'sequence-contacts-opposition')
  c.assertClean()
})
