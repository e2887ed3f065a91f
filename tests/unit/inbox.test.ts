import './components/nuxt-shims'
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { h } from 'vue'
import UiAvatar from '~~/components/ui/UiAvatar.vue'
import UiBadge from '~~/components/ui/UiBadge.vue'
import UiButton from '~~/components/ui/UiButton.vue'
import UiIcon from '~~/components/ui/UiIcon.vue'
import UiSpinner from '~~/components/ui/UiSpinner.vue'
import InboxThreadList from '~~/components/inbox/InboxThreadList.vue'
import SequenceTimeline from '~~/components/sequences/SequenceTimeline.vue'
import { replySchema, type Thread } from '~~/composables/useInbox'
import { DEFAULT_SEND_WINDOWS, type SequenceStep } from '~~/composables/useSequenceLogic'

const g = globalThis as Record<string, unknown>
g.useRelativeTime = () => (iso: string) => `rel:${iso.slice(0, 10)}`
const NuxtLink = { props: ['to'], setup: (p: { to: string }, { slots }: { slots: { default?: () => unknown } }) => () => h('a', { href: p.to }, slots.default?.() as never) }
const global = { components: { UiAvatar, UiBadge, UiButton, UiIcon, UiSpinner, NuxtLink } }

const thread = (p: Partial<Thread>): Thread => ({
  id: 't1', contact_id: 'c1', channel: 'email', status: 'open', assigned_user_id: null, subject: 'Estimation', last_message_at: '2026-12-07T10:00:00Z',
  last_message_preview: 'Oui, rappelez-moi', last_direction: 'in', unread_count: 0, display_name: 'Anne Aubert', email: 'anne@example.fr', phone: null, company_name: null, ...p,
})

describe('replySchema', () => {
  it('refuses an empty or blank reply and a too long SMS, keeps e-mail up to 10,000 characters', () => {
    expect(replySchema('email').safeParse({ body: '   ' }).error?.issues[0]?.message).toBe('empty')
    expect(replySchema('sms').safeParse({ body: 'x'.repeat(1001) }).error?.issues[0]?.message).toBe('tooLong')
    expect(replySchema('email').safeParse({ body: 'x'.repeat(10000) }).success).toBe(true)
    expect(replySchema('email').safeParse({ body: 'Bonjour', subject: 's'.repeat(251) }).error?.issues[0]?.message).toBe('subjectTooLong')
    expect(replySchema('sms').parse({ body: '  Bonjour  ' }).body).toBe('Bonjour')
  })
})

describe('InboxThreadList', () => {
  it('shows the contact, the preview (ours prefixed "Vous"), the unread count and the open thread', async () => {
    const w = mount(InboxThreadList, {
      props: { threads: [thread({ unread_count: 2 }), thread({ id: 't2', display_name: 'Bruno Blanc', channel: 'sms', last_direction: 'out', last_message_preview: 'Je vous rappelle demain' })], selectedId: 't2', hasMore: false, loading: false },
      global,
    })
    const items = w.findAll('li')
    expect(items[0]!.text()).toContain('Anne Aubert')
    expect(items[0]!.text()).toContain('Oui, rappelez-moi')
    // (the shim's plural rule is simpler than vue-i18n's three forms: only the presence of a label is checked here)
    expect(items[0]!.get('[aria-label]').text()).toBe('2')
    expect(items[1]!.find('[aria-label]').exists()).toBe(false)
    expect(items[1]!.text()).toContain('Vous : Je vous rappelle demain')
    expect(items[1]!.get('button').attributes('aria-current')).toBe('true')
    expect(items[0]!.get('button').attributes('aria-current')).toBeUndefined()
    await items[0]!.get('button').trigger('click')
    expect(w.emitted('select')).toEqual([['t1']])
    expect(w.text()).not.toContain('Afficher plus')
  })
})

describe('SequenceTimeline', () => {
  it('draws each step with its day, channel, condition, A/B badge and live figures', () => {
    const steps: SequenceStep[] = [
      { day_offset: 0, channel: 'email', task_kind: null, condition: 'always', variants: [{ key: 'A', subject: 'a', body: 'a' }, { key: 'B', subject: 'b', body: 'b' }], window_days: null, window_start: null, window_end: null },
      { day_offset: 3, channel: 'sms', task_kind: null, condition: 'not_opened', variants: [{ key: 'A', body: 'b' }], window_days: null, window_start: null, window_end: null },
    ]
    const funnel = new Map([[1, { total: { sent: 10, delivered: 10, opened: 4, clicked: 1, replied: 2, bounced: 0, unsubscribed: 0, queued: 0, failed: 0 } }]])
    const w = mount(SequenceTimeline, { props: { steps, selected: 1, windows: DEFAULT_SEND_WINDOWS, funnel }, global })
    const [first, second] = w.findAll('li')
    expect(first!.text()).toContain('Jour 0')
    expect(first!.text()).toContain('Test A/B · 2 variantes')
    expect(first!.text()).toContain('Toujours')
    expect(first!.get('[data-testid="timeline-stats-1"]').text()).toContain('10 envoyés')
    expect(second!.text()).toContain('Jour 3')
    expect(second!.text()).toContain('Si l’étape 1 n’a pas été ouverte')
    expect(second!.text()).toContain('lun.–sam., 08:00–20:00 (heure du destinataire), jours fériés exclus')
    expect(second!.get('button').attributes('aria-pressed')).toBe('true')
    expect(second!.find('[data-testid="timeline-stats-2"]').exists()).toBe(false)
  })
})
