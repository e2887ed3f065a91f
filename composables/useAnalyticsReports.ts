import type { Period } from './useAnalytics'

/**
 * The e-mailed reports, downloadable: the `reports` edge function renders the
 * same HTML and PDF for the signed-in member (RLS applies: it runs as them).
 */
export function useAnalyticsReports() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const config = useRuntimeConfig()

  async function download(kind: 'weekly' | 'monthly', format: 'html' | 'pdf', period: Period) {
    const tenantId = session.currentTenantId
    if (!tenantId) throw new Error('no_tenant')
    const { data: { session: auth } } = await supabase.auth.getSession()
    if (!auth) throw new Error('not_authenticated')
    const res = await fetch(`${config.public.supabaseUrl}/functions/v1/reports`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${auth.access_token}`, apikey: String(config.public.supabaseKey) },
      body: JSON.stringify({ tenant_id: tenantId, kind, format, from: period.from, to: period.to }),
    })
    if (!res.ok) throw new Error(`report_failed_${res.status}`)
    const blob = await res.blob()
    downloadBlob(blob, `rapport-${kind === 'weekly' ? 'hebdomadaire' : 'roi'}-${period.from}-${period.to}.${format}`)
  }
  return { download }
}
