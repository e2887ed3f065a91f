import '../components/nuxt-shims'
import { describe, expect, it } from 'vitest'
import { useImportMessages } from '~~/composables/useImportMessages'

// the app's generic wording, for codes the import does not know
;(globalThis as Record<string, unknown>).useErrorMessage = () => () => 'generic'

const rpcError = (message: string, detail: Record<string, unknown>) => ({ message, details: JSON.stringify(detail), code: '54000' })
const plain = (s: string) => s.replace(/[\u202f\u00a0]/g, ' ')

describe('export refusals in French', () => {
  const { apiError } = useImportMessages()
  it('names the role cap per export with its figure formatted', () => {
    expect(plain(apiError(rpcError('export_role_limit', { max_rows: 1000, role: 'agent' }))))
      .toBe("Votre rôle permet d'exporter 1 000 contacts au plus à la fois : affinez les filtres ou sélectionnez moins de contacts.")
  })
  it('says how many rows are left in the 24 hours', () => {
    expect(plain(apiError(rpcError('export_daily_limit', { max_rows: 5000, used: 4800, remaining: 200, role: 'agent' }))))
      .toBe("Limite d'export atteinte : votre rôle permet 5 000 contacts par 24 heures, il en reste 200. Un administrateur peut exporter davantage.")
  })
  it('explains the plan allowance for generated bases', () => {
    expect(plain(apiError(rpcError('export_plan_limit', { max_rows: 500, used: 480, remaining: 20, generated: 35 }))))
      .toContain("Votre offre permet d'exporter 500 fiches de bases générées par mois ; cet export en contient 35 et il en reste 20.")
  })
  it('falls back to the generic wording for an unknown code', () => {
    expect(apiError(rpcError('something_else', {}))).toBe('generic')
  })
})
