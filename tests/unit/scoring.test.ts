import './components/nuxt-shims'
import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import ScoreBreakdown from '~~/components/scoring/ScoreBreakdown.vue'
import UiBadge from '~~/components/ui/UiBadge.vue'
import UiButton from '~~/components/ui/UiButton.vue'
import UiIcon from '~~/components/ui/UiIcon.vue'
import UiProgress from '~~/components/ui/UiProgress.vue'
import UiSkeleton from '~~/components/ui/UiSkeleton.vue'
import UiSpinner from '~~/components/ui/UiSpinner.vue'
import { contactScoreSchema, DEFAULT_SCORING, groupScoreReasons, scoringSettingsSchema, type ContactScore } from '~~/composables/useScoring'

const score: ContactScore = contactScoreSchema.parse({
  tenant_id: 't', contact_id: 'c1', score: 72, fit: 100, engagement: 65, timing: 45, label: 'hot', next_action: 'call_now',
  computed_at: '2026-12-07T10:00:00Z',
  breakdown: [
    { component: 'fit', code: 'zone_match', points: 40, params: { zone: 'Neuilly-sur-Seine' }, text: 'Dans votre secteur (Neuilly-sur-Seine)' },
    { component: 'fit', code: 'reachable', points: 20, params: {}, text: 'Joignable (e-mail)' },
    { component: 'engagement', code: 'replied', points: 40, params: { count: 2 }, text: 'A répondu à vos messages (2 fois)' },
    { component: 'timing', code: 'some_future_code', points: 5, params: {}, text: 'Une raison que l’application ne connaît pas encore' },
  ],
})

describe('scoring settings', () => {
  it('accepts the defaults and refuses weights that do not add up to 100 or inverted thresholds', () => {
    expect(scoringSettingsSchema.safeParse(DEFAULT_SCORING).success).toBe(true)
    const sum = scoringSettingsSchema.safeParse({ ...DEFAULT_SCORING, weight_fit: 60 })
    expect(sum.success).toBe(false)
    expect(sum.error?.issues[0]?.message).toBe('weights_sum')
    const order = scoringSettingsSchema.safeParse({ ...DEFAULT_SCORING, warm_threshold: 80 })
    expect(order.error?.issues.map((i) => i.message)).toContain('thresholds_order')
  })
  it('groups reasons by component, strongest first', () => {
    const g = groupScoreReasons(score.breakdown)
    expect(g.fit.map((r) => r.code)).toEqual(['zone_match', 'reachable'])
    expect(g.engagement).toHaveLength(1)
    expect(g.timing).toHaveLength(1)
  })
})

describe('ScoreBreakdown', () => {
  const global = { components: { UiBadge, UiButton, UiIcon, UiProgress, UiSkeleton, UiSpinner, NuxtLink: { template: '<a><slot /></a>' } } }
  const g = globalThis as Record<string, unknown>

  it('shows the score, the label, translated reasons (stored French text for unknown codes) and the next action', async () => {
    const asked: string[] = []
    g.useScoring = () => ({ contactScore: async (id: string) => (asked.push(id), score) })
    g.useErrorMessage = () => () => 'erreur'
    const w = mount(ScoreBreakdown, { props: { contactId: 'c1' }, global })
    await flushPromises()
    expect(asked).toEqual(['c1'])
    expect(w.get('[data-testid="score-value"]').text()).toBe('72')
    expect(w.get('[data-testid="score-label"]').text()).toBe('Chaud')
    expect(w.text()).toContain('Dans votre secteur (Neuilly-sur-Seine)')
    expect(w.text()).toContain('A répondu à vos messages (2 fois)')
    expect(w.text()).toContain('Une raison que l’application ne connaît pas encore')
    expect(w.get('[data-testid="score-next-action"]').text()).toBe("Appelez-le aujourd'hui : il est prêt à parler de son projet.")
    expect(w.findAll('[role="progressbar"]').length).toBe(3)
  })

  it('says so when the score cannot be read, with a retry', async () => {
    let calls = 0
    g.useScoring = () => ({ contactScore: async () => { calls++; throw new Error('boom') } })
    g.useErrorMessage = () => () => 'Une erreur est survenue.'
    const w = mount(ScoreBreakdown, { props: { contactId: 'c2' }, global })
    await flushPromises()
    expect(w.get('[role="alert"]').text()).toContain('Une erreur est survenue.')
    await w.get('[role="alert"] button').trigger('click')
    await flushPromises()
    expect(calls).toBe(2)
  })
})
