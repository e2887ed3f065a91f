import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseSse, partialVariants } from '~~/composables/useAiGenerate'
import { summariseUsage } from '~~/composables/useAiSettings'
import { htmlToText, readingSeconds, smsCount, textToHtml } from '~~/composables/useAiText'
import {
  performanceRates, renderTemplate, SAMPLE_CONTACTS, sampleVariables, TEMPLATE_VARIABLES, templateVariables, TemplateValidationError, validateTemplate,
} from '~~/composables/useTemplates'

describe('template variables', () => {
  it('match the database list and the edge renderer list exactly', () => {
    const sql = readFileSync('supabase/migrations/20261122030200_ai_message_templates.sql', 'utf8')
    const fromSql = /select array\[([^\]]+)\]/.exec(sql)![1]!.match(/'(\w+)'/g)!.map((s) => s.slice(1, -1))
    const ts = readFileSync('supabase/functions/_shared/ai/render.ts', 'utf8')
    const fromTs = /TEMPLATE_VARIABLES = \[([^\]]+)\]/.exec(ts)![1]!.match(/'(\w+)'/g)!.map((s) => s.slice(1, -1))
    expect([...TEMPLATE_VARIABLES]).toEqual(fromSql)
    expect([...TEMPLATE_VARIABLES]).toEqual(fromTs)
  })
  it('names unknown variables and unclosed braces', () => {
    expect(templateVariables('Bonjour {{firstName}} de {{ ville }} {{prénom}}')).toEqual({ used: ['firstName', 'ville', 'prénom'], unknown: ['ville', 'prénom'], malformed: false })
    expect(templateVariables('Bonjour {{firstName').malformed).toBe(true)
  })
  it('validateTemplate refuses before any request, with the unknown names', () => {
    const ok = { name: 'Relance', channel: 'email' as const, subject: 'Votre bien à {{city}}', body: 'Bonjour {{firstName}}' }
    expect(() => validateTemplate(ok)).not.toThrow()
    try {
      validateTemplate({ ...ok, body: 'Bonjour {{prenom}}' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateValidationError)
      expect((e as TemplateValidationError).variables).toEqual(['prenom'])
    }
    expect(() => validateTemplate({ ...ok, subject: '' })).toThrow('subject_required')
    expect(() => validateTemplate({ ...ok, channel: 'sms', subject: null, body: '  ' })).toThrow('body_required')
    expect(() => validateTemplate({ ...ok, name: ' ' })).toThrow('name_required')
  })
  it('renders a preview like the server renderer: empty variables disappear tidily', () => {
    const vars = sampleVariables(SAMPLE_CONTACTS[0]!, { agencyName: 'Agence du Parc' })
    expect(renderTemplate('Bonjour {{firstName}}, {{agencyName}} à {{city}}.', vars)).toBe('Bonjour Claire, Agence du Parc à Lyon.')
    expect(renderTemplate('Bonjour {{civility}} {{firstName}} , {{agentName}}.', vars)).toBe('Bonjour Claire,.')
    expect(renderTemplate('{{inconnue}}Texte', vars)).toBe('Texte')
  })
})

describe('streaming', () => {
  it('parses server-sent events across chunk boundaries, ignoring comments', () => {
    const a = parseSse(': stream\n\nevent: delta\ndata: {"text":"{\\"va"}\n\nevent: del')
    expect(a.events).toEqual([{ event: 'delta', data: '{"text":"{\\"va"}' }])
    const b = parseSse(`${a.rest}ta\ndata: {"text":"x"}\n\n`)
    expect(b.events).toEqual([{ event: 'delta', data: '{"text":"x"}' }])
    expect(b.rest).toBe('')
  })
  it('reads the variants out of unfinished JSON as the model writes it', () => {
    const full = JSON.stringify({ variants: [
      { subject: 'Votre bien à Lyon', body: 'Bonjour Claire,\n\n« Estimation » offerte.', angle: 'direct' },
      { subject: 'Deuxième', body: 'Texte 2', angle: 'local' },
      { subject: 'Troisième', body: 'Texte 3 ?', angle: 'question' },
    ] })
    expect(partialVariants(full)).toEqual([
      { subject: 'Votre bien à Lyon', body: 'Bonjour Claire,\n\n« Estimation » offerte.' },
      { subject: 'Deuxième', body: 'Texte 2' },
      { subject: 'Troisième', body: 'Texte 3 ?' },
    ])
    const cut = full.slice(0, full.indexOf('offerte') + 3)
    expect(partialVariants(cut)).toEqual([{ subject: 'Votre bien à Lyon', body: 'Bonjour Claire,\n\n« Estimation » off' }])
    // A cut in the middle of an escape sequence never shows a backslash.
    const esc = full.slice(0, full.indexOf('\\n') + 1)
    expect(partialVariants(esc)[0]!.body).toBe('Bonjour Claire,')
    expect(partialVariants('')).toEqual([])
  })
})

describe('text helpers', () => {
  it('plain text ⇄ HTML keeps paragraphs and escapes markup', () => {
    const html = textToHtml('Bonjour <Claire>,\n\nLigne 1\nLigne 2')
    expect(html).toBe('<p>Bonjour &lt;Claire&gt;,</p><p>Ligne 1<br>Ligne 2</p>')
    expect(htmlToText(html)).toBe('Bonjour <Claire>,\n\nLigne 1\nLigne 2')
  })
  it('counts SMS parts like the edge functions (GSM-7 vs UCS-2) and reading time', () => {
    expect(smsCount('a'.repeat(160)).segments).toBe(1)
    expect(smsCount('a'.repeat(161)).segments).toBe(2)
    expect(smsCount(`l’agence ${'a'.repeat(70)}`).encoding).toBe('UCS-2')
    expect(readingSeconds('mot '.repeat(200))).toBe(60)
    expect(readingSeconds('court')).toBe(5)
  })
})

describe('usage and performance figures', () => {
  it('cost per message divides the month cost by the messages written (3 per successful generation)', () => {
    const u = summariseUsage([
      { task: 'message.generate', outcome: 'ok', cost_eur: '0.000360', prompt_tokens: 1000, completion_tokens: 400 },
      { task: 'message.generate', outcome: 'ok', cost_eur: 0.00024, prompt_tokens: 800, completion_tokens: 300 },
      { task: 'message.generate', outcome: 'fallback', cost_eur: 0, prompt_tokens: 0, completion_tokens: 0 },
      { task: 'message.generate', outcome: 'error', cost_eur: 0, prompt_tokens: 0, completion_tokens: 0 },
    ])
    expect(u).toMatchObject({ calls: 4, ok: 2, fallback: 1, errors: 1, messages: 6, tokens: 2500 })
    expect(u.costPerMessageEur).toBeCloseTo(0.0001, 8)
    expect(summariseUsage([]).costPerMessageEur).toBeNull()
  })
  it('performance rates exist only once something was sent', () => {
    expect(performanceRates(undefined)).toBeNull()
    expect(performanceRates({ template_id: 'x', source_key: null, sent: 0, opened: 0, replied: 0, converted: 0 })).toBeNull()
    expect(performanceRates({ template_id: 'x', source_key: null, sent: 20, opened: 10, replied: 2, converted: 1 })).toEqual({ sent: 20, open: 0.5, reply: 0.1, conversion: 0.05 })
  })
})
