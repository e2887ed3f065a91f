import assert from 'node:assert/strict'
import { checkVariant, inventedFacts, personalisationScore, readingSeconds, spamCheck } from './checks.ts'
import type { GenerationContext } from './context.ts'

const ctx: GenerationContext = {
  channel: 'email',
  language: 'fr',
  agency: { name: 'Agence du Parc', city: 'Neuilly-sur-Seine' },
  prospect: { kind: 'person', firstName: 'Anne', lastName: 'Aubert', city: 'Levallois-Perret', signals: ['propriétaire bailleur'] },
  marketFacts: ['Prix médian au m² à Levallois-Perret : 9 850 € en 2025'],
}
const context = 'Agence du Parc\nNeuilly-sur-Seine\nAnne\nAubert\nLevallois-Perret\nPrix médian au m² à Levallois-Perret : 9 850 € en 2025'

Deno.test('checks: numbers absent from the context are flagged, present ones (any spacing) are not', () => {
  const ok = inventedFacts('Le prix médian atteint 9850 € en 2025 à Levallois-Perret.', context, 'fr')
  assert.deepEqual(ok.numbers, [])
  const bad = inventedFacts('Nous avons vendu 37 biens, à 12 000 € le m².', context, 'fr')
  assert.deepEqual(bad.numbers, ['37', '12 000'])
  assert.equal(bad.ok, false)
})

Deno.test('checks: proper names absent from the context are flagged; greetings, sentence starts and context names are not', () => {
  const r = inventedFacts('Bonjour Madame Aubert,\nNotre agence du Parc, à Neuilly-sur-Seine, a accompagné la famille Martin à Courbevoie.', context, 'fr')
  assert.deepEqual(r.names, ['Martin', 'Courbevoie'])
  assert.equal(r.namesChecked, true)
  assert.deepEqual(inventedFacts('Bonjour Anne, Agence du Parc vous remercie.', context, 'fr').names, [])
  // German capitalises nouns: names are not checked there, numbers still are.
  const de = inventedFacts('Guten Tag Frau Aubert, Ihre Wohnung in 3 Zimmern', context, 'de')
  assert.deepEqual([de.namesChecked, de.names, de.numbers], [false, [], ['3']])
})

Deno.test('checks: spam triggers, shouting and exclamation marks', () => {
  assert.deepEqual(spamCheck('Estimation GRATUITE, cliquez ici !!!', 'fr').words, ['gratuit', 'cliquez ici'])
  const s = spamCheck('Estimation GRATUITE, cliquez ici !!!', 'fr')
  assert.deepEqual([s.exclamations, s.capsWords, s.ok], [3, ['GRATUITE'], false])
  assert.equal(spamCheck('Je vous propose un rendez-vous.', 'fr').ok, true)
  assert.deepEqual(spamCheck('Click here for a free valuation', 'en').words, ['free', 'click here'])
  // A word containing a trigger is not a trigger.
  assert.deepEqual(spamCheck('Un crédit immobilier accrédité', 'fr').words, ['credit'])
  assert.deepEqual(spamCheck('Une agence accréditée', 'fr').words, [])
})

Deno.test('checks: personalisation score rewards the prospect’s name, city, signals, local facts and the agency', () => {
  assert.equal(personalisationScore('Bonjour, nous vendons des biens.', ctx), 0)
  assert.equal(personalisationScore('Bonjour Madame Aubert, à Levallois-Perret le prix médian progresse ; en tant que propriétaire bailleur, Agence du Parc peut vous aider.', ctx), 100)
  assert.equal(personalisationScore('Bonjour Anne, Agence du Parc', ctx), 45)
})

Deno.test('checks: reading time at 200 words a minute', () => {
  assert.equal(readingSeconds(''), 0)
  assert.equal(readingSeconds('un deux'), 1)
  assert.equal(readingSeconds(Array(200).fill('mot').join(' ')), 60)
})

Deno.test('checks: an SMS must be one GSM-7 part; placeholders left and subject length are reported', () => {
  const sms = { ...ctx, channel: 'sms' as const }
  assert.deepEqual(checkVariant({ subject: '', body: 'Agence du Parc : bonjour Anne, un echange cette semaine ?' }, sms).warnings, [])
  assert.deepEqual(checkVariant({ subject: '', body: 'Agence du Parc : ça vous dirait ?' }, sms).warnings, ['sms_not_gsm7'])
  assert.deepEqual(checkVariant({ subject: '', body: 'a'.repeat(161) }, sms).warnings, ['sms_too_long'])
  const e = checkVariant({ subject: '', body: 'Bonjour {{firstName}}, rendez-vous ?' }, ctx)
  assert.deepEqual(e.warnings, ['subject_length', 'unresolved_placeholder'])
  assert.deepEqual(e.unresolvedPlaceholders, ['{{firstName}}'])
})
