/**
 * reports: the weekly success report and the monthly ROI report.
 *
 * - Service role (pg_cron → private.run_reports → pg_net): `{ kind }` e-mails
 *   the report of the period just ended to the owners and admins of every
 *   tenant, HTML with inline SVG charts plus the PDF, through the Brevo
 *   adapter. The figures are computed *as the tenant's owner* (withUser: RLS
 *   applies); the service role only lists tenants and recipients and records
 *   the delivery in private.report_deliveries (one per tenant, kind and
 *   period: a doubled cron run sends nothing twice).
 * - A signed-in member: `{ tenant_id, kind, format: 'html' | 'pdf', from, to }`
 *   returns the same report for download, computed as that member.
 */
import { z } from 'zod'
import { authenticate } from '../_shared/auth.ts'
import { config } from '../_shared/config.ts'
import { withService, withUser, type Tx } from '../_shared/db.ts'
import { errorResponse, HttpError, json, parseBody, preflight, corsHeaders } from '../_shared/http.ts'
import { createLogger } from '../_shared/log.ts'
import { providers } from '../_shared/providers/mod.ts'
import { renderReportHtml, renderReportPdf, reportDataSchema, reportPeriod, reportTitle, roiDataSchema, toBase64, type ReportInput } from '../_shared/reports/render.ts'

const log = createLogger('reports')
const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)
const cronBody = z.object({ kind: z.enum(['weekly', 'monthly']), now: z.string().datetime().optional(), tenant_id: z.uuid().optional() })
const userBody = z.object({ tenant_id: z.uuid(), kind: z.enum(['weekly', 'monthly']), format: z.enum(['html', 'pdf']), from: iso, to: iso })
const FROM = { email: 'rapports@immo-ai.fr', name: 'immo-ai' }

async function buildInput(tx: Tx, tenantId: string, kind: 'weekly' | 'monthly', from: string, to: string): Promise<ReportInput> {
  // The RPC checks membership first (42501 → 403), before anything about the tenant is read.
  const [r] = await tx`select public.analytics_report(${tenantId}::uuid, ${from}::date, ${to}::date) as data`
  const [t] = await tx`select coalesce(display_name, legal_name) as name from public.tenants where id = ${tenantId}`
  if (!t) throw new HttpError('not_found', 'Unknown tenant')
  let roi = null
  if (kind === 'monthly') {
    const [admin] = await tx`select private.has_role_on_tenant(${tenantId}::uuid, 'admin') as ok`
    if (admin?.ok) {
      const [x] = await tx`select public.analytics_roi(${tenantId}::uuid, ${from}::date, ${to}::date) as data`
      roi = roiDataSchema.parse(x!.data)
    }
  }
  return { kind, agency: String(t.name), appUrl: config().APP_URL, data: reportDataSchema.parse(r!.data), roi }
}

async function sendScheduled(kind: 'weekly' | 'monthly', now: Date, onlyTenant?: string) {
  const { from, to } = reportPeriod(kind, now)
  const tenants = await withService('reports: list every tenant with its owners and admins to e-mail the scheduled report', (tx) => tx`
    select t.id, (select m.user_id from public.tenant_members m where m.tenant_id = t.id and m.role = 'owner' limit 1) as owner_id,
           private.report_recipients(t.id) as recipients
      from public.tenants t
     where (${onlyTenant ?? null}::uuid is null or t.id = ${onlyTenant ?? null}::uuid)
       and not exists (select 1 from private.report_deliveries d where d.tenant_id = t.id and d.kind = ${kind} and d.period_from = ${from}::date)
     order by t.id`)
  const sent: string[] = []
  for (const t of tenants) {
    const recipients = (t.recipients as string[]) ?? []
    if (!t.owner_id || !recipients.length) continue
    try {
      const input = await withUser({ sub: String(t.owner_id), role: 'authenticated' }, (tx) => buildInput(tx, String(t.id), kind, from, to))
      const html = renderReportHtml(input)
      const pdf = await renderReportPdf(input)
      // Claim first (unique per tenant, kind and period), then send: a parallel run skips.
      const claimed = await withService('reports: record the delivery once per tenant and period', (tx) => tx`
        insert into private.report_deliveries (tenant_id, kind, period_from, period_to, recipients)
        values (${t.id}, ${kind}, ${from}::date, ${to}::date, string_to_array(${recipients.join(',')}, ',')) on conflict do nothing returning id`)
      if (!claimed.length) continue
      const res = await providers().email().send({
        from: FROM, to: recipients.map((email) => ({ email })), subject: reportTitle(input), html,
        tags: [`report-${kind}`], attachments: [{ name: `rapport-${kind === 'weekly' ? 'hebdomadaire' : 'roi'}-${from}.pdf`, contentBase64: toBase64(pdf) }],
      })
      await withService('reports: store the provider message id of the delivery', (tx) => tx`
        update private.report_deliveries set provider_message_id = ${res.providerMessageId} where id = ${claimed[0]!.id}`)
      sent.push(String(t.id))
    } catch (e) {
      log.error('report failed', e, { tenantId: String(t.id), kind })
    }
  }
  return { kind, from, to, sent: sent.length, tenants: sent }
}

export async function handler(req: Request): Promise<Response> {
  const pre = preflight(req)
  if (pre) return pre
  const cors = corsHeaders(req.headers.get('origin'))
  try {
    if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'POST only')
    const caller = await authenticate(req)
    if (caller.kind === 'service') {
      const body = await parseBody(req, cronBody)
      const out = await sendScheduled(body.kind, body.now ? new Date(body.now) : new Date(), body.tenant_id)
      log.info('scheduled reports sent', out)
      return json(out, { cors })
    }
    if (caller.kind !== 'user') throw new HttpError('unauthorized', 'Sign in first')
    const body = await parseBody(req, userBody)
    const input = await withUser(caller.claims, (tx) => buildInput(tx, body.tenant_id, body.kind, body.from, body.to))
    if (body.format === 'html') {
      return new Response(renderReportHtml(input), { headers: { ...cors, 'Content-Type': 'text/html; charset=utf-8' } })
    }
    const pdf = await renderReportPdf(input)
    return new Response(new Blob([pdf as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), { headers: { ...cors, 'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="rapport-${body.from}-${body.to}.pdf"` } })
  } catch (e) {
    return errorResponse(dbError(e), { logger: log, cors })
  }
}

/** The database's refusals in the API's words: not a member (42501) → 403, a bad period (22023) → 422. */
function dbError(e: unknown): unknown {
  const code = (e as { code?: string } | null)?.code
  if (code === '42501') return new HttpError('forbidden', 'Not a member of this agency with the required role')
  if (code === '22023') return new HttpError('validation_failed', (e as Error).message)
  return e
}

