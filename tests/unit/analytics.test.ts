import { describe, expect, it } from 'vitest'
import { addIsoDays, stepConversion, daysBetween, relativeChange, parisToday, presetPeriod, previousPeriod } from '~~/composables/useAnalytics'
import { dashboardSchema, roiSchema } from '~~/composables/useAnalyticsSchemas'
import { analyticsCsv } from '~~/composables/useAnalyticsExport'

describe('analytics periods', () => {
  it('take today in Paris, whatever the browser zone', () => {
    expect(parisToday(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01')
    expect(parisToday(new Date('2026-07-01T21:59:00Z'))).toBe('2026-07-01')
    expect(parisToday(new Date('2026-07-01T22:00:00Z'))).toBe('2026-07-02')
  })
  it('count both ends and cross month, year and DST boundaries', () => {
    expect(daysBetween('2026-03-25', '2026-04-02')).toBe(9)
    expect(addIsoDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(addIsoDays('2024-02-28', 1)).toBe('2024-02-29')
    expect(presetPeriod('7d', '2026-12-07')).toEqual({ from: '2026-12-01', to: '2026-12-07' })
    expect(presetPeriod('30d', '2026-03-29')).toEqual({ from: '2026-02-28', to: '2026-03-29' })
    expect(presetPeriod('month', '2026-12-07')).toEqual({ from: '2026-12-01', to: '2026-12-07' })
  })
  it('compare with the previous period of the same length, as the RPCs do', () => {
    expect(previousPeriod({ from: '2026-12-01', to: '2026-12-07' })).toEqual({ from: '2026-11-24', to: '2026-11-30' })
    expect(previousPeriod({ from: '2026-03-01', to: '2026-03-31' })).toEqual({ from: '2026-01-29', to: '2026-02-28' })
  })
})

describe('deltas and conversions never give NaN or Infinity', () => {
  it('delta is null without a base', () => {
    expect(relativeChange(10, 0)).toBeNull()
    expect(relativeChange(null, 5)).toBeNull()
    expect(relativeChange(5, null)).toBeNull()
    expect(relativeChange(Number.NaN, 5)).toBeNull()
    expect(relativeChange(15, 10)).toBeCloseTo(0.5)
    expect(relativeChange(5, 10)).toBeCloseTo(-0.5)
  })
  it('conversion is null from an empty step', () => {
    expect(stepConversion(0, 0)).toBeNull()
    expect(stepConversion(3, 12)).toBe(0.25)
  })
})

describe('RPC payloads are validated', () => {
  const totals = { from: '2026-01-01', to: '2026-01-07', sent: 0, delivered: 0, opened: 0, clicked: 0, replied: 0, unsubscribed: 0, bounced: 0, failed: 0,
    delivery_rate: null, open_rate: null, click_rate: null, reply_rate: null, unsubscribe_rate: null, bounce_rate: null }
  const funnel = { from: '2026-01-01', to: '2026-01-07', prospects: 0, contacted: 0, engaged: 0, qualified: 0, appointment: 0, proposal: 0, won: 0 }
  const won = { won_count: 0, won_value: 0, lost_count: 0, other_currency: 0 }
  it('an empty period parses (null rates, empty lists)', () => {
    const d = dashboardSchema.parse({
      from: '2026-01-01', to: '2026-01-07', funnel: { current: funnel, previous: funnel },
      engagement: { current: totals, previous: totals, daily: [], by_channel: [] },
      pipeline: { current: won, previous: won, stages: [], time_in_stage: [], loss_reasons: [] },
      hot_leads: [], today: { date: '2026-01-07', overdue: 0, tasks: [] },
    })
    expect(d.engagement.current.open_rate).toBeNull()
  })
  it('numeric strings from Postgres become numbers; a wrong shape is refused', () => {
    const r = roiSchema.safeParse({ from: 'x' })
    expect(r.success).toBe(false)
    expect(dashboardSchema.shape.pipeline.shape.current.parse({ won_count: '2', won_value: '1500.50', lost_count: 0, other_currency: 0 }).won_value).toBe(1500.5)
  })
})

describe('CSV export for French Excel', () => {
  it('has a BOM, semicolons, decimal commas, percentages and quoted text', () => {
    const csv = analyticsCsv(
      [{ key: 'name', label: 'Base' }, { key: 'n', label: 'Contactés', kind: 'integer' }, { key: 'r', label: 'Réponse', kind: 'rate' }, { key: 'v', label: 'Montant', kind: 'money' }],
      [{ name: 'Farming "Levallois"; nord', n: 1234, r: 0.1234, v: 1500.5 }, { name: 'Sans valeur', n: 0, r: null, v: Number.NaN }],
    )
    expect(csv.startsWith('\uFEFFBase;Contactés;Réponse (%);Montant\r\n')).toBe(true)
    expect(csv).toContain('"Farming ""Levallois""; nord";1234;12,34;1500,5\r\n')
    expect(csv).toContain('Sans valeur;0;;\r\n')
  })
})
