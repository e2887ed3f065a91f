import assert from 'node:assert/strict'
import { buildFacts, contextText, type GenerationContext, questionnaireFrom } from './context.ts'
import { buildPrompt, variantsSchema } from './prompt.ts'
import { fallbackVariants, renderTemplate, templateVariables, variablesFor } from './render.ts'
import { checkVariant } from './checks.ts'
import { strictJsonSchema } from './client.ts'

const onboarding = {
  questionnaire: {
    offer: 'Estimation et vente d’appartements familiaux',
    differentiators: ['Photos par un professionnel', '', 'Visites virtuelles'],
    objections: [{ objection: 'Vos honoraires sont élevés', answer: 'Nous vendons en 45 jours en moyenne' }, { objection: 'sans réponse' }],
    tone: 'chaleureux et précis',
    objective: 'obtenir un rendez-vous d’estimation',
  },
}
const base: GenerationContext = {
  channel: 'email',
  language: 'fr',
  agency: { name: 'Agence du Parc', city: 'Neuilly-sur-Seine', specialisations: ['residential', 'luxury'], questionnaire: questionnaireFrom(onboarding) },
  prospect: {
    kind: 'person', firstName: 'Anne', lastName: 'Aubert', city: 'Levallois-Perret', signals: ['propriétaire bailleur'],
    history: [{ date: '2026-03-02T10:00:00Z', kind: 'call', summary: 'Intéressée par une estimation au printemps' }],
  },
  marketFacts: ['Prix médian au m² à Levallois-Perret : 9 850 € en 2025'],
}

Deno.test('prompt: the questionnaire is read from tenants.onboarding; empty parts and incomplete objections are dropped', () => {
  const q = questionnaireFrom(onboarding)
  assert.deepEqual(q.differentiators, ['Photos par un professionnel', 'Visites virtuelles'])
  assert.equal(q.objections?.length, 1)
  assert.deepEqual(questionnaireFrom({}), {})
  assert.deepEqual(questionnaireFrom(null), {})
  assert.deepEqual(questionnaireFrom({ questionnaire: 'oops' }), {})
})

Deno.test('prompt: facts used are listed in plain French, from every source', () => {
  const p = buildPrompt(base)
  assert.ok(p.factsUsed.includes('Nom de l’agence : Agence du Parc'))
  assert.ok(p.factsUsed.includes('Spécialités de l’agence : résidentiel, prestige'))
  assert.ok(p.factsUsed.includes('Objection fréquente et réponse : Vos honoraires sont élevés → Nous vendons en 45 jours en moyenne'))
  assert.ok(p.factsUsed.includes('Prénom du prospect : Anne'))
  assert.ok(p.factsUsed.includes('Historique avec l’agence : 2026-03-02 — call : Intéressée par une estimation au printemps'))
  assert.ok(p.factsUsed.includes('Fait de marché local : Prix médian au m² à Levallois-Perret : 9 850 € en 2025'))
  assert.ok(p.factsUsed.includes('Objectif du message : obtenir un rendez-vous d’estimation'))
  assert.deepEqual(new Set(p.facts.map((f) => f.source)), new Set(['agency', 'questionnaire', 'prospect', 'history', 'market', 'request']))
})

Deno.test('prompt: register per language, channel rules, the no-invention rule and every fact reach the model', () => {
  const fr = buildPrompt(base)
  const system = String(fr.messages[0].content)
  const user = String(fr.messages[1].content)
  assert.match(system, /vouvoiement/)
  assert.match(system, /Never invent numbers/)
  assert.match(system, /unsubscribe/)
  for (const f of fr.facts) assert.ok(user.includes(f.value), `fact ${f.key} in the prompt`)
  assert.match(String(buildPrompt({ ...base, language: 'de' }).messages[0].content), /"Sie"/)
  assert.match(String(buildPrompt({ ...base, language: 'it' }).messages[0].content), /"Lei"/)
  assert.match(String(buildPrompt({ ...base, language: 'es' }).messages[0].content), /"usted"/)
  assert.match(String(buildPrompt({ ...base, channel: 'sms' }).messages[0].content), /160 characters.*GSM-7/)
  assert.match(String(buildPrompt({ ...base, instruction: 'plus court' }).messages[1].content), /INSTRUCTION for this version: plus court/)
})

Deno.test('prompt: an empty questionnaire and a prospect without a name still build a prompt', () => {
  const p = buildPrompt({ channel: 'sms', language: 'fr', agency: { name: 'Agence X', questionnaire: questionnaireFrom({}) }, prospect: { kind: 'person', city: 'Lyon' } })
  assert.deepEqual(p.factsUsed, ['Nom de l’agence : Agence X', 'Ville du prospect : Lyon'])
  assert.match(String(p.messages[1].content), /OBJECTIVE: obtain a first conversation/)
})

Deno.test('prompt: the output schema is strict JSON schema (closed objects, all fields required)', () => {
  const s = strictJsonSchema(variantsSchema) as { additionalProperties: boolean; required: string[]; properties: { variants: { items: { additionalProperties: boolean; required: string[] } } } }
  assert.equal(s.additionalProperties, false)
  assert.deepEqual(s.required, ['variants'])
  assert.equal(s.properties.variants.items.additionalProperties, false)
  assert.deepEqual(s.properties.variants.items.required, ['subject', 'body', 'angle'])
})

Deno.test('render: variables resolve, missing ones vanish without leaving stray spaces or commas', () => {
  const vars = variablesFor(base)
  assert.equal(renderTemplate('Bonjour {{firstName}} {{lastName}}, {{agencyName}} à {{city}}.', vars), 'Bonjour Anne Aubert, Agence du Parc à Levallois-Perret.')
  assert.equal(renderTemplate('Bonjour {{firstName}} , {{agencyName}}', { agencyName: 'Agence X' }), 'Bonjour, Agence X')
  assert.deepEqual(templateVariables('{{ firstName }} {{prenom}} {{city}}'), { used: ['firstName', 'prenom', 'city'], unknown: ['prenom'] })
})

Deno.test('render: the fallback gives three distinct variants that pass the invented-facts check, per channel and language', () => {
  for (const language of ['fr', 'en', 'it', 'es', 'de'] as const) {
    for (const channel of ['email', 'sms', 'whatsapp'] as const) {
      const ctx = { ...base, language, channel }
      const vs = fallbackVariants(ctx)
      assert.equal(vs.length, 3)
      assert.equal(new Set(vs.map((v) => v.body)).size, 3, `${language}/${channel} distinct`)
      for (const v of vs) {
        const c = checkVariant(v, ctx, contextText(ctx))
        assert.deepEqual(c.unresolvedPlaceholders, [])
        assert.deepEqual(c.inventedFacts.numbers, [], `${language}/${channel}: ${v.body}`)
        assert.deepEqual(c.inventedFacts.names, [], `${language}/${channel}: ${v.body}`)
        if (channel === 'sms') assert.ok(c.sms!.segments === 1, `${language} sms fits one part: ${v.body}`)
        if (channel === 'email') assert.ok(v.subject.length > 0)
      }
    }
  }
})

Deno.test('render: the fallback follows the chosen template and greets a nameless prospect formally', () => {
  const template = { name: 'Estimation', channel: 'email' as const, language: 'fr' as const, subject: 'Votre bien à {{city}}', body: 'Bonjour {{firstName}}, {{agencyName}} vous propose une estimation.' }
  const vs = fallbackVariants({ ...base, template })
  assert.equal(vs[0].subject, 'Votre bien à Levallois-Perret')
  assert.ok(vs.every((v) => v.body.startsWith('Bonjour Anne, Agence du Parc vous propose une estimation.')))
  const nameless = fallbackVariants({ ...base, prospect: { kind: 'person', city: 'Lyon' } })
  assert.ok(nameless[0].body.startsWith('Madame, Monsieur,'))
  assert.equal(buildFacts({ ...base, template }).at(-1)?.label, 'Modèle choisi')
})
