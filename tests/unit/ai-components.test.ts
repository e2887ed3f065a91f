import './components/nuxt-shims'
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import UiBadge from '~~/components/ui/UiBadge.vue'
import AiVariantChecks from '~~/components/ai/AiVariantChecks.vue'
import TemplatePerformance from '~~/components/templates/TemplatePerformance.vue'
import TemplatePreview from '~~/components/templates/TemplatePreview.vue'

const global = { components: { UiBadge } }
const checks = (over: Record<string, unknown> = {}) => ({
  characters: 120, words: 20, limit: 160, lengthOk: true, sms: { encoding: 'GSM-7', segments: 1, units: 120, perSegment: 160 },
  unresolvedPlaceholders: [], spam: { words: [], exclamations: 0, capsWords: [], ok: true }, personalisation: 72, readingSeconds: 6,
  inventedFacts: { numbers: [], names: [], ok: true }, warnings: [], ...over,
})

describe('AiVariantChecks', () => {
  it('says the score, reading time, SMS parts and spam state in French', () => {
    const w = mount(AiVariantChecks, { props: { checks: checks(), channel: 'sms' }, global })
    expect(w.text()).toContain('Personnalisation 72/100')
    expect(w.text()).toContain('Lecture 6 s')
    expect(w.text()).toContain('1 SMS (GSM-7)')
    expect(w.text()).toContain('Pas de mot spam')
  })
  it('names spam words and facts absent from the context', () => {
    const w = mount(AiVariantChecks, {
      props: { channel: 'email', checks: checks({ sms: undefined, lengthOk: false, limit: 100, spam: { words: ['gratuit'], exclamations: 0, capsWords: [], ok: false }, inventedFacts: { numbers: ['12 %'], names: ['Dupont'], ok: false }, warnings: ['spam_triggers', 'invented_facts'] }) },
      global,
    })
    expect(w.text()).toContain('120/100 caractères')
    expect(w.text()).toContain('Mots à éviter : gratuit')
    expect(w.text()).toContain('À vérifier, absent du contexte : 12 %, Dupont')
    expect(w.text()).not.toContain('Pas de mot spam')
  })
})

describe('TemplatePerformance', () => {
  it('is honest before the first send', () => {
    expect(mount(TemplatePerformance, { props: {} }).text()).toBe("Pas encore d'envoi")
  })
  it('shows rates with the sample size', () => {
    const w = mount(TemplatePerformance, { props: { perf: { template_id: 'x', source_key: null, sent: 40, opened: 20, replied: 4, converted: 2 } } })
    expect(w.text()).toMatch(/Envois\s*40/)
    expect(w.text()).toMatch(/Ouverture\s*50\s%/)
    expect(w.text()).toMatch(/Conversion\s*5\s%/)
  })
})

describe('TemplatePreview', () => {
  it('fills the variables for the sample contact and names unknown ones', async () => {
    const w = mount(TemplatePreview, { props: { channel: 'email', subject: 'Votre bien à {{city}}', body: 'Bonjour {{firstName}}, {{agencyName}} {{ville}}', agency: { agencyName: 'Agence du Parc' } }, global })
    expect(w.get('[data-testid="template-preview-body"]').text()).toBe('Bonjour Claire, Agence du Parc')
    expect(w.text()).toContain('Votre bien à Lyon')
    expect(w.get('[role="alert"]').text()).toContain('{{ville}}')
    await w.get('select').setValue('1')
    expect(w.get('[data-testid="template-preview-body"]').text()).toBe('Bonjour Julien, Agence du Parc')
  })
  it('counts SMS parts for SMS templates', () => {
    const w = mount(TemplatePreview, { props: { channel: 'sms', subject: null, body: 'Bonjour {{firstName}}', agency: { agencyName: 'A' } }, global })
    expect(w.text()).toContain('1 SMS (GSM-7)')
  })
})
