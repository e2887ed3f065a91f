/**
 * The AI evaluation set (tests/fixtures/ai-eval, scripts/ai-eval.ts) in the
 * test suite: the deterministic renderer must pass every check; against the
 * stack's provider sandbox the plumbing must hold (90 generations, 270 checked
 * outputs, charged, no placeholder left, French detected for French prospects);
 * and the checks themselves must catch a bad output.
 */
import { describe, expect, it } from 'vitest'
import { CHECKS, contextFor, detectLanguage, evaluateOutput, fixtures, formatReport, runEval } from '../../scripts/ai-eval'
import { checkVariant } from '../../supabase/functions/_shared/ai/checks'

describe('AI evaluation set', () => {
  it('has 30 prospects and 3 templates', () => {
    const f = fixtures()
    expect(f.prospects).toHaveLength(30)
    expect(f.templates.map((t) => t.channel)).toEqual(['email', 'sms', 'whatsapp'])
    expect(new Set(f.prospects.map((p) => p.language))).toEqual(new Set(['fr', 'en', 'it', 'es', 'de']))
  })

  it('the checks catch a leftover placeholder, an invented figure, a missing name, a wrong language and an overlong SMS', () => {
    const { prospects, templates, agency } = fixtures()
    const p = prospects[0]!
    const sms = templates[1]!
    const ctx = contextFor(p, sms, agency)
    const bad = { subject: '', body: `Hello {{firstName}}, prices rose by 37 % last month according to Mr Durand, call us now for a free valuation of your flat. ${'x'.repeat(120)}` }
    const r = evaluateOutput({ ...bad, checks: checkVariant(bad, ctx) }, p, { ...sms, required: ['firstName', 'agencyName'] }, agency)
    expect(r.failed.sort()).toEqual([...CHECKS].sort())
    expect(detectLanguage('Bonjour Madame, je me permets de vous écrire au sujet de votre appartement.')).toBe('fr')
  })

  it('the deterministic renderer passes every check for all 270 outputs', async () => {
    const report = await runEval({ mode: 'renderer' })
    expect(report.generations).toBe(90)
    expect(report.outputs).toHaveLength(270)
    expect(report.fallbacks).toBe(90)
    expect(report.costEur).toBe(0)
    expect(report.outputs.filter((o) => o.failed.length), formatReport(report)).toEqual([])
  })

  it.skipIf(!process.env.OPENAI_BASE_URL)('against the provider sandbox: every pair generated, charged and checked', async () => {
    const report = await runEval({ mode: 'sandbox' })
    console.log(formatReport(report))
    expect(report.generations).toBe(90)
    expect(report.outputs).toHaveLength(270)
    expect(report.fallbacks).toBe(0)
    expect(report.costEur).toBeGreaterThan(0)
    expect(report.costEur / 270).toBeLessThan(0.02)
    const all = Object.values(report.byTemplate)
    expect(all.every((b) => b.pass.placeholders === b.outputs)).toBe(true)
    const french = report.outputs.filter((o) => o.language === 'fr')
    expect(french.filter((o) => o.failed.includes('language'))).toEqual([])
  }, 120_000)
})
