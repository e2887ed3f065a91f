import { describe, expect, it } from 'vitest'
import { loadMessages } from '../../i18n/messages'
import {
  abReading, addStepVariant, buildSequenceTimeline, effectiveSendWindow, enrolmentReasonLabel, funnelByStep, moveSequenceStep, newSequenceStep,
  normalCdf, removeStepVariant, sendDaysSummary, sendQuotaState, sendRate, sequenceHealth, stepChannelLabel, stepConditionLabel, stepIssueMessage,
  stepsSavePayload, stepWindowSummary, templatePlaceholders, validateSequenceSteps, type SequenceStep, type StepStatRow, type Tr,
} from '../../composables/useSequenceLogic'

type Tree = { [k: string]: string | Tree }
/** A translator over the real French messages ({param} interpolation, "a | b | c" plurals by `n`). */
function translator(code: 'fr' | 'en'): Tr {
  const messages = loadMessages(code) as Tree
  return (key, params = {}) => {
    const v = key.split('.').reduce<string | Tree | undefined>((o, k) => (typeof o === 'object' ? o[k] : undefined), messages)
    if (typeof v !== 'string') throw new Error(`missing message ${key}`)
    let text = v
    if (v.includes(' | ') && typeof params.n === 'number') {
      const forms = v.split(' | ')
      text = forms[Math.min(params.n as number, forms.length - 1)]!
    }
    return text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`))
  }
}
const fr = translator('fr')
const en = translator('en')

const email = (p: Partial<SequenceStep> = {}): SequenceStep => ({
  day_offset: 0, channel: 'email', task_kind: null, condition: 'always',
  variants: [{ key: 'A', subject: 'Bonjour {{firstName}}', body: 'Votre bien à {{city}}' }], window_days: null, window_start: null, window_end: null, ...p,
})
const sms = (p: Partial<SequenceStep> = {}): SequenceStep => ({ ...email(), channel: 'sms', variants: [{ key: 'A', body: 'Relance {{firstName}}' }], ...p })

describe('timeline', () => {
  it('counts sending days cumulatively and marks conditions and A/B steps', () => {
    const steps = [
      email(),
      email({ day_offset: 3, condition: 'not_opened', variants: [{ key: 'A', subject: 'a', body: 'a' }, { key: 'B', subject: 'b', body: 'b' }] }),
      sms({ day_offset: 2, condition: 'no_reply' }),
      { ...newSequenceStep(3, 'task'), day_offset: 4 },
    ]
    const t = buildSequenceTimeline(steps)
    expect(t.map((i) => i.day)).toEqual([0, 3, 5, 9])
    expect(t.map((i) => i.isAB)).toEqual([false, true, false, false])
    expect(t.map((i) => i.dependsOn)).toEqual([null, 1, 2, 3])
    expect(t[3]!.taskKind).toBe('call')
  })

  it('moving a step keeps the first one unconditional', () => {
    const moved = moveSequenceStep([email(), sms({ day_offset: 2, condition: 'not_opened' })], 1, 0)
    expect(moved.map((s) => s.channel)).toEqual(['sms', 'email'])
    expect(moved[0]!.condition).toBe('always')
    expect(moveSequenceStep(moved, 0, -1)).toBe(moved)
  })

  it('adds up to three variants and re-letters after a removal', () => {
    let s = addStepVariant(addStepVariant(email()))
    expect(s.variants.map((v) => v.key)).toEqual(['A', 'B', 'C'])
    expect(addStepVariant(s).variants).toHaveLength(3)
    s = removeStepVariant(s, 'A')
    expect(s.variants.map((v) => v.key)).toEqual(['A', 'B'])
    expect(removeStepVariant(removeStepVariant(s, 'B'), 'A').variants).toHaveLength(1)
  })
})

describe('labels in French', () => {
  it('says what a condition waits for, about the previous step', () => {
    expect(stepConditionLabel(fr, 'always', null)).toBe('Toujours')
    expect(stepConditionLabel(fr, 'opened', 1)).toBe('Si l’étape 1 a été ouverte')
    expect(stepConditionLabel(fr, 'not_opened', 2)).toBe('Si l’étape 2 n’a pas été ouverte')
    expect(stepConditionLabel(fr, 'clicked', 1)).toBe('Si un lien de l’étape 1 a été cliqué')
    expect(stepConditionLabel(fr, 'no_reply', 3)).toBe('Si pas de réponse depuis l’étape 3')
    expect(stepConditionLabel(fr, 'replied', 3)).toBe('Si le contact a répondu depuis l’étape 3')
    expect(stepConditionLabel(en, 'opened', 1)).toBe('If step 1 was opened')
  })

  it('names channels and tasks', () => {
    expect(stepChannelLabel(fr, 'email')).toBe('E-mail')
    expect(stepChannelLabel(fr, 'task', 'visit')).toBe('Visite')
    expect(stepChannelLabel(fr, 'task', null)).toBe('Appel')
  })

  it('explains a held enrolment and known exit reasons, and shows unknown codes as such', () => {
    const known = () => true
    expect(enrolmentReasonLabel(fr, 'missing_variable:city,firstName', known)).toBe('Retenu : variable manquante (city, firstName)')
    expect(enrolmentReasonLabel(fr, 'no_consent', known)).toBe('Pas de consentement enregistré')
    expect(enrolmentReasonLabel(fr, 'quelque_chose', () => false)).toBe('Motif : quelque_chose')
    expect(enrolmentReasonLabel(fr, null, known)).toBe('')
  })
})

describe('send windows', () => {
  it('compacts days into French ranges', () => {
    expect(sendDaysSummary(fr, [1, 2, 3, 4, 5])).toBe('lun.–ven.')
    expect(sendDaysSummary(fr, [5, 1, 3])).toBe('lun., mer., ven.')
    expect(sendDaysSummary(fr, [1, 2, 4, 5, 6])).toBe('lun., mar., jeu.–sam.')
    expect(sendDaysSummary(fr, [1, 2, 3, 4, 5, 6, 7])).toBe('tous les jours')
  })

  it('an e-mail step follows the agency window unless it narrows it', () => {
    expect(stepWindowSummary(fr, email())).toBe('lun.–ven., 08:00–19:00 (heure du destinataire), jours fériés exclus')
    expect(stepWindowSummary(fr, email({ window_days: [2, 4], window_start: '09:30:00', window_end: '12:00:00' })))
      .toBe('mar., jeu., 09:30–12:00 (heure du destinataire), jours fériés exclus')
    // a step cannot widen the agency's hours
    expect(effectiveSendWindow(email({ window_start: '06:00', window_end: '22:00' }))).toMatchObject({ start: '08:00', end: '19:00' })
  })

  it('SMS never go out on Sundays nor outside 08:00–20:00, whatever the step says', () => {
    const w = effectiveSendWindow(sms({ window_days: [6, 7], window_start: '07:00', window_end: '21:00' }), {
      email_days: [1, 2, 3, 4, 5], email_start: '08:00', email_end: '19:00', sms_days: [1, 2, 3, 4, 5, 6, 7], sms_start: '07:00', sms_end: '22:00', default_timezone: null,
    })
    expect(w).toEqual({ days: [6], start: '08:00', end: '20:00', empty: false })
    expect(stepWindowSummary(fr, sms({ window_days: [7] }))).toBe('Aucun créneau possible : élargissez les jours ou les heures')
  })
})

describe('validation', () => {
  it('accepts a complete path', () => {
    expect(validateSequenceSteps([email(), sms({ day_offset: 2, condition: 'not_opened' })])).toEqual([])
  })

  it('reports each problem with its step and variant, in French', () => {
    const issues = validateSequenceSteps([
      email({ condition: 'opened', variants: [{ key: 'A', subject: ' ', body: 'Bonjour {{prenom}}' }] }),
      sms({ day_offset: 2, variants: [{ key: 'A', body: '   ' }], window_start: '18:00', window_end: '09:00' }),
    ])
    expect(issues.map((i) => stepIssueMessage(fr, i))).toEqual([
      'Étape 1 : la première étape ne peut pas dépendre d’une étape précédente.',
      'Étape 1, variante A : l’objet de l’e-mail est obligatoire.',
      'Étape 1, variante A : la variable « prenom » n’existe pas. Vérifiez l’orthographe (ex. firstName, companyName).',
      'Étape 2, variante A : le message est vide.',
      'Étape 2 : le créneau est incomplet ou l’heure de fin précède l’heure de début.',
    ])
  })

  it('knows the agency’s custom fields as variables', () => {
    const s = email({ variants: [{ key: 'A', subject: 'Budget', body: 'Votre budget de {{budget_eur}} €' }] })
    expect(validateSequenceSteps([s])).toHaveLength(1)
    expect(validateSequenceSteps([s], ['budget_eur'])).toEqual([])
  })

  it('finds placeholders with spaces and repeats once', () => {
    expect(templatePlaceholders('{{ firstName }} {{firstName}} {{city}} {x}')).toEqual(['firstName', 'city'])
  })

  it('saves subjects only for e-mail and a sorted window', () => {
    const [a, b] = stepsSavePayload([email({ window_days: [5, 1] }), { ...sms(), variants: [{ key: 'A', subject: 'ignored', body: 'x' }] }])
    expect(a!.window_days).toEqual([1, 5])
    expect(b!.variants[0]!.subject).toBeNull()
    expect(b!.task_kind).toBeNull()
  })
})

describe('figures', () => {
  const row = (p: Partial<StepStatRow>): StepStatRow => ({
    step_id: 's', version: 1, position: 1, channel: 'email', variant: 'A', queued: 0, sent: 0, delivered: 0, opened: 0, clicked: 0, replied: 0,
    bounced: 0, complained: 0, unsubscribed: 0, failed: 0, cancelled: 0, ...p,
  })

  it('rates are null without sends (shown as a dash, not 0 %)', () => {
    expect(sendRate(0, 0)).toBeNull()
    expect(sendRate(1, 4)).toBe(0.25)
  })

  it('sums versions per position and keeps variants apart', () => {
    const f = funnelByStep([
      row({ variant: 'A', sent: 10, opened: 4 }), row({ variant: 'B', sent: 10, opened: 6 }),
      row({ version: 2, step_id: 't', variant: 'A', sent: 5, opened: 1 }), row({ position: 2, variant: null }),
    ])
    expect(f.get(1)!.total).toMatchObject({ sent: 25, opened: 11 })
    expect(f.get(1)!.variants.get('A')).toMatchObject({ sent: 15, opened: 5 })
    expect(f.get(2)!.total.sent).toBe(0)
    expect(f.get(2)!.variants.size).toBe(0)
  })

  it('health: complaints above 0.1 % or bounces above 5 % are a danger, bounces above 2 % a warning', () => {
    expect(sequenceHealth({ sent: 0, bounced: 0, complained: 0 })).toEqual({ bounceRate: null, complaintRate: null, level: 'ok', reasons: [] })
    expect(sequenceHealth({ sent: 1000, bounced: 10, complained: 1 }).level).toBe('ok')
    expect(sequenceHealth({ sent: 1000, bounced: 30, complained: 1 })).toMatchObject({ level: 'warning', reasons: ['bounces'] })
    expect(sequenceHealth({ sent: 1000, bounced: 10, complained: 2 })).toMatchObject({ level: 'danger', reasons: ['complaints'] })
    expect(sequenceHealth({ sent: 100, bounced: 6, complained: 0 })).toMatchObject({ level: 'danger', reasons: ['bounces'] })
  })

  it('quota meter: warning from 80 %, exceeded at the quota, unlimited plans', () => {
    expect(sendQuotaState(100, 500)).toMatchObject({ level: 'ok', pct: 20, remaining: 400 })
    expect(sendQuotaState(400, 500).level).toBe('warning')
    expect(sendQuotaState(500, 500)).toMatchObject({ level: 'exceeded', pct: 100, remaining: 0 })
    expect(sendQuotaState(600, 500)).toMatchObject({ level: 'exceeded', pct: 100, remaining: 0 })
    expect(sendQuotaState(12, null)).toMatchObject({ level: 'unlimited', pct: null })
  })
})

describe('A/B reading', () => {
  it('the normal CDF matches reference values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6)
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5)
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5)
  })

  it('waits for the minimum sample, then declares a significant leader', () => {
    const small = abReading([{ key: 'A', sent: 50, successes: 10 }, { key: 'B', sent: 50, successes: 2 }], 100)
    expect(small).toMatchObject({ leader: 'A', sampleReached: false, significant: false })
    const big = abReading([{ key: 'A', sent: 200, successes: 30 }, { key: 'B', sent: 200, successes: 10 }], 100)
    expect(big.leader).toBe('A')
    expect(big.sampleReached).toBe(true)
    // pooled z = (0.15-0.05)/sqrt(0.1*0.9*(2/200)) = 3.333 → p ≈ 0.000858
    expect(big.pValue!).toBeCloseTo(0.000858, 5)
    expect(big.significant).toBe(true)
  })

  it('a small gap on a large sample is not significant; a tie has no leader', () => {
    const r = abReading([{ key: 'A', sent: 300, successes: 33 }, { key: 'B', sent: 300, successes: 30 }, { key: 'C', sent: 300, successes: 21 }], 100)
    expect(r.leader).toBe('A')
    expect(r.significant).toBe(false)
    expect(abReading([{ key: 'A', sent: 100, successes: 5 }, { key: 'B', sent: 100, successes: 5 }], 100)).toMatchObject({ leader: null, pValue: 1, significant: false })
  })
})
