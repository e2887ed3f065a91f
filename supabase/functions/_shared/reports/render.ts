/**
 * The weekly success report and the monthly ROI report: one data shape (the
 * analytics_report / analytics_roi RPCs), rendered as an HTML e-mail with
 * inline SVG charts and as a PDF (pdf-lib). French formats, Paris dates; a
 * period without data renders zeros and dashes, never NaN.
 */
import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'npm:pdf-lib@^1.17.1'
import { z } from 'zod'

const num = z.coerce.number()
const rate = z.number().nullable()
const totals = z.object({ sent: num, delivered: num, opened: num, clicked: num, replied: num, unsubscribed: num, bounced: num,
  open_rate: rate, click_rate: rate, reply_rate: rate, bounce_rate: rate, unsubscribe_rate: rate, delivery_rate: rate })
const funnelCounts = z.object({ prospects: num, contacted: num, engaged: num, qualified: num, appointment: num, proposal: num, won: num })
export const reportDataSchema = z.object({
  from: z.string(), to: z.string(),
  funnel: z.object({ current: funnelCounts, previous: funnelCounts }),
  engagement: z.object({ current: totals, previous: totals, daily: z.array(z.object({ day: z.string(), sent: num, opened: num, replied: num })) }),
  pipeline: z.object({
    current: z.object({ won_count: num, won_value: num, lost_count: num }),
    previous: z.object({ won_count: num, won_value: num, lost_count: num }),
    loss_reasons: z.array(z.object({ reason: z.string(), deals: num, value: num })),
  }),
  templates: z.array(z.object({ sequence_name: z.string().nullable(), step_position: num.nullable(), variant: z.string().nullable(), channel: z.string(), subject: z.string().nullable(), sent: num, reply_rate: rate, open_rate: rate })),
})
export type ReportData = z.infer<typeof reportDataSchema>
export const roiDataSchema = z.object({
  costs: z.object({ total: num, subscription: num, ai: num, email: num, sms: num }),
  revenue: z.object({ won_deals: num, attributed_deals: num, attributed_value: num, attributed_fees: num, other_currency: num }),
  rule: z.object({ model: z.string(), window_days: num, fee_rate: num }),
  roi: num.nullable(), net: num, payback_days: num.nullable(),
})
export type RoiData = z.infer<typeof roiDataSchema>

export interface ReportInput {
  kind: 'weekly' | 'monthly'
  agency: string
  appUrl?: string
  data: ReportData
  roi?: RoiData | null
}

const FUNNEL = [['prospects', 'Prospects'], ['contacted', 'Contactés'], ['engaged', 'Engagés'], ['qualified', 'Qualifiés'], ['appointment', 'Rendez-vous'], ['proposal', 'Propositions'], ['won', 'Gagnés']] as const
const MODELS: Record<string, string> = { any_touch: 'tout contact', first_touch: 'premier contact', last_touch: 'dernier contact' }

// French formats (Intl, with the narrow no-break spaces replaced for PDF fonts).
const fin = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 }).format(v))
const fmoney = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 }).format(v))
const frate = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 }).format(v))
const fdate = (iso: string) => new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' }).format(new Date(`${iso}T12:00:00Z`))
const fday = (iso: string) => new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', timeZone: 'Europe/Paris' }).format(new Date(`${iso}T12:00:00Z`))
const fdec = (v: number) => new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }).format(v)
function fpts(cur: number | null, prev: number | null): string {
  if (cur == null || prev == null) return 'pas de comparaison'
  const d = (cur - prev) * 100
  return `${d > 0 ? '+' : d < 0 ? '−' : ''}${fdec(Math.abs(d))} pt`
}
function fdelta(cur: number, prev: number): string {
  if (!prev) return 'pas de comparaison'
  const d = (cur - prev) / prev
  return new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(d)
}
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
const pdfText = (s: string) => s.replace(/[\u202f\u00a0]/g, ' ').replace(/[−]/g, '-').replace(/[^\x20-\x7e\u00a0-\u00ff€’…–—]/g, '')

export function reportTitle(input: ReportInput): string {
  const p = `du ${fdate(input.data.from)} au ${fdate(input.data.to)}`
  return input.kind === 'weekly' ? `Rapport hebdomadaire ${input.agency} — ${p}` : `Rapport ROI mensuel ${input.agency} — ${p}`
}

export function keyFigures(input: ReportInput): { label: string; value: string; note: string }[] {
  const e = input.data.engagement, p = input.data.pipeline
  const rows = [
    { label: 'Messages envoyés', value: fin(e.current.sent), note: fdelta(e.current.sent, e.previous.sent) },
    { label: "Taux d'ouverture", value: frate(e.current.open_rate), note: fpts(e.current.open_rate, e.previous.open_rate) },
    { label: 'Taux de réponse', value: frate(e.current.reply_rate), note: fpts(e.current.reply_rate, e.previous.reply_rate) },
    { label: 'Gagné sur la période', value: fmoney(p.current.won_value), note: `${fin(p.current.won_count)} affaire(s) · ${fdelta(p.current.won_value, p.previous.won_value)}` },
  ]
  if (input.roi) {
    rows.push(
      { label: 'Honoraires attribués', value: fmoney(input.roi.revenue.attributed_fees), note: `${fin(input.roi.revenue.attributed_deals)} affaire(s) sur ${fin(input.roi.revenue.won_deals)}` },
      { label: 'Coût de la plateforme', value: fmoney(input.roi.costs.total), note: 'abonnement, IA, envois' },
      { label: 'Retour sur investissement', value: input.roi.roi == null ? '—' : `× ${fdec(input.roi.roi)}`, note: `gain net ${fmoney(input.roi.net)}` },
    )
  }
  return rows
}

// ---------------------------------------------------------------- SVG

export function funnelSvg(data: ReportData): string {
  const c = data.funnel.current
  const top = Math.max(1, c.prospects)
  const w = 560, rowH = 28, labelW = 120, valueW = 70
  const bars = FUNNEL.map(([k, label], i) => {
    const v = c[k]
    const bw = Math.max(2, ((w - labelW - valueW) * v) / top)
    const y = i * rowH
    return `<text x="0" y="${y + 18}" font-size="13" fill="#334155">${label}</text>` +
      `<rect x="${labelW}" y="${y + 5}" width="${bw.toFixed(1)}" height="18" rx="3" fill="#0072B2" fill-opacity="${(1 - i * 0.1).toFixed(2)}"/>` +
      `<text x="${w}" y="${y + 18}" font-size="13" font-weight="bold" fill="#0f172a" text-anchor="end">${fin(v)}</text>`
  }).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="100%" style="max-width:${w}px;height:auto;display:block" viewBox="0 0 ${w} ${FUNNEL.length * rowH}" role="img" aria-label="Entonnoir de prospection" font-family="Arial, sans-serif">${bars}</svg>`
}

export function dailySvg(data: ReportData): string {
  const d = data.engagement.daily
  const w = 560, h = 180, padL = 36, padB = 24, padT = 10
  const max = Math.max(1, ...d.map((x) => x.sent))
  const x = (i: number) => padL + (d.length <= 1 ? 0 : (i * (w - padL - 8)) / (d.length - 1))
  const y = (v: number) => padT + (h - padT - padB) * (1 - v / max)
  const line = (k: 'sent' | 'opened' | 'replied') => d.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p[k]).toFixed(1)}`).join(' ')
  const ticks = [0, Math.round(max / 2), max].map((v) => `<text x="${padL - 6}" y="${y(v) + 4}" font-size="10" fill="#64748b" text-anchor="end">${fin(v)}</text><line x1="${padL}" x2="${w - 8}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e8f0"/>`).join('')
  const labels = d.length ? [0, Math.floor((d.length - 1) / 2), d.length - 1].map((i, k) => `<text x="${x(i)}" y="${h - 6}" font-size="10" fill="#64748b" text-anchor="${k === 0 ? 'start' : k === 2 ? 'end' : 'middle'}">${fday(d[i]!.day)}</text>`).join('') : ''
  const legend = [['Envoyés', '#0072B2'], ['Ouverts', '#E69F00'], ['Réponses', '#009E73']].map(([l, c], i) => `<rect x="${padL + i * 100}" y="${h + 6}" width="10" height="10" fill="${c}"/><text x="${padL + 14 + i * 100}" y="${h + 15}" font-size="11" fill="#334155">${l}</text>`).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="100%" style="max-width:${w}px;height:auto;display:block" viewBox="0 0 ${w} ${h + 22}" role="img" aria-label="Envois, ouvertures et réponses par jour" font-family="Arial, sans-serif">${ticks}${labels}` +
    (d.length ? `<path d="${line('sent')}" fill="none" stroke="#0072B2" stroke-width="2"/><path d="${line('opened')}" fill="none" stroke="#E69F00" stroke-width="2"/><path d="${line('replied')}" fill="none" stroke="#009E73" stroke-width="2"/>` : '') +
    `${legend}</svg>`
}

// ---------------------------------------------------------------- HTML

export function renderReportHtml(input: ReportInput): string {
  const { data } = input
  const title = reportTitle(input)
  // Inline blocks, not a table: they wrap two by two (or one by one) on a phone.
  const figures = keyFigures(input).map((f) => `<div style="display:inline-block;vertical-align:top;box-sizing:border-box;width:140px;margin:0 6px 8px 0;padding:10px;border:1px solid #e2e8f0;border-radius:6px"><div style="font-size:12px;color:#64748b">${esc(f.label)}</div><div style="font-size:18px;font-weight:bold;color:#0f172a;margin-top:4px">${esc(f.value)}</div><div style="font-size:11px;color:#64748b;margin-top:2px">${esc(f.note)}</div></div>`).join('')
  const templates = data.templates.slice(0, 5).map((t) => `<tr><td style="padding:6px 8px;border-bottom:1px solid #e2e8f0">${esc(t.sequence_name ?? 'Séquence supprimée')} · étape ${t.step_position ?? '—'}${t.variant ? ` (${esc(t.variant)})` : ''}<div style="font-size:11px;color:#64748b">${esc(t.subject ?? (t.channel === 'sms' ? 'SMS' : ''))}</div></td><td style="padding:6px 8px;border-bottom:1px solid #e2e8f0;text-align:right">${fin(t.sent)}</td><td style="padding:6px 8px;border-bottom:1px solid #e2e8f0;text-align:right">${frate(t.reply_rate)}</td></tr>`).join('')
  const losses = data.pipeline.loss_reasons.slice(0, 5).map((l) => `<tr><td style="padding:6px 8px;border-bottom:1px solid #e2e8f0">${esc(l.reason === '—' ? 'Motif non renseigné' : l.reason)}</td><td style="padding:6px 8px;border-bottom:1px solid #e2e8f0;text-align:right">${fin(l.deals)}</td></tr>`).join('')
  const roi = input.roi
  const roiBlock = roi ? `<h2 style="font-size:16px;margin:28px 0 8px">Comment le ROI est calculé</h2><p style="font-size:13px;line-height:1.5;color:#334155">Règle d'attribution : <strong>${esc(MODELS[roi.rule.model] ?? roi.rule.model)}</strong> sur ${fin(roi.rule.window_days)} jours avant la signature. ${fin(roi.revenue.attributed_deals)} affaire(s) gagnée(s) sur ${fin(roi.revenue.won_deals)} ont été touchées par une séquence, pour ${fmoney(roi.revenue.attributed_value)} ; à ${fdec(roi.rule.fee_rate)} % d'honoraires, cela fait ${fmoney(roi.revenue.attributed_fees)}. La plateforme a coûté ${fmoney(roi.costs.total)} (abonnement ${fmoney(roi.costs.subscription)}, IA ${fmoney(roi.costs.ai)}, e-mails ${fmoney(roi.costs.email)}, SMS ${fmoney(roi.costs.sms)}).${roi.payback_days != null ? ` Délai de rentabilité : ${roi.payback_days < 1 ? "moins d'un jour" : `${fdec(roi.payback_days)} jours`}.` : ''}${roi.revenue.other_currency ? ` ${fin(roi.revenue.other_currency)} affaire(s) dans une autre devise ne sont pas converties.` : ''}</p>` : ''
  const link = input.appUrl ? `<p style="margin-top:24px"><a href="${esc(input.appUrl.replace(/\/$/, ''))}/analytique?du=${data.from}&amp;au=${data.to}" style="color:#1d4ed8">Ouvrir l'analytique complète</a></p>` : ''
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title></head>` +
    `<body style="margin:0;background:#f8fafc;font-family:Arial,Helvetica,sans-serif;color:#0f172a"><div style="max-width:640px;margin:0 auto;background:#ffffff;padding:24px">` +
    `<p style="font-size:12px;color:#64748b;margin:0">${esc(input.agency)} · immo-ai</p>` +
    `<h1 style="font-size:20px;margin:4px 0 4px">${input.kind === 'weekly' ? 'Votre semaine de prospection' : 'Votre retour sur investissement du mois'}</h1>` +
    `<p style="font-size:13px;color:#64748b;margin:0 0 16px">Du ${fdate(data.from)} au ${fdate(data.to)}, comparé à la période précédente.</p>` +
    `<div>${figures}</div>` +
    `<h2 style="font-size:16px;margin:24px 0 8px">Entonnoir de prospection</h2><p style="font-size:12px;color:#64748b;margin:0 0 8px">Contacts contactés pour la première fois sur la période, suivis jusqu'à aujourd'hui.</p>${funnelSvg(data)}` +
    `<h2 style="font-size:16px;margin:24px 0 8px">Envois et réponses par jour</h2>${dailySvg(data)}` +
    `<h2 style="font-size:16px;margin:24px 0 8px">Meilleurs modèles</h2>` +
    (templates ? `<table style="width:100%;border-collapse:collapse;font-size:13px"><thead><tr><th style="text-align:left;padding:6px 8px;color:#64748b">Modèle</th><th style="text-align:right;padding:6px 8px;color:#64748b">Envoyés</th><th style="text-align:right;padding:6px 8px;color:#64748b">Réponse</th></tr></thead><tbody>${templates}</tbody></table>` : '<p style="font-size:13px;color:#64748b">Aucun envoi sur la période.</p>') +
    `<h2 style="font-size:16px;margin:24px 0 8px">Motifs de perte</h2>` +
    (losses ? `<table style="width:100%;border-collapse:collapse;font-size:13px"><tbody>${losses}</tbody></table>` : '<p style="font-size:13px;color:#64748b">Aucune affaire perdue sur la période.</p>') +
    roiBlock + link +
    `<p style="font-size:11px;color:#94a3b8;margin-top:24px">Rapport envoyé aux propriétaires et administrateurs de l'agence. Chiffres calculés à l'heure de Paris ; le PDF joint reprend le même contenu.</p>` +
    `</div></body></html>`
}

// ---------------------------------------------------------------- PDF

export async function renderReportPdf(input: ReportInput): Promise<Uint8Array> {
  const { data } = input
  const doc = await PDFDocument.create()
  doc.setTitle(pdfText(reportTitle(input)))
  doc.setLanguage('fr-FR')
  doc.setCreator('immo-ai')
  const font = await doc.embedFont(StandardFonts.Helvetica)
  const bold = await doc.embedFont(StandardFonts.HelveticaBold)
  const page = doc.addPage([595.28, 841.89])
  const ink = rgb(0.06, 0.09, 0.16), muted = rgb(0.39, 0.45, 0.55), blue = rgb(0, 0.447, 0.698)
  let y = 800
  const text = (p: PDFPage, s: string, x: number, yy: number, size: number, f: PDFFont = font, color = ink) => p.drawText(pdfText(s), { x, y: yy, size, font: f, color })
  text(page, `${input.agency} · immo-ai`, 48, y, 9, font, muted)
  y -= 22
  text(page, input.kind === 'weekly' ? 'Votre semaine de prospection' : 'Votre retour sur investissement du mois', 48, y, 18, bold)
  y -= 16
  text(page, `Du ${fdate(data.from)} au ${fdate(data.to)}, comparé à la période précédente.`, 48, y, 10, font, muted)
  y -= 24
  const figs = keyFigures(input)
  const colW = 125
  figs.forEach((f, i) => {
    const col = i % 4, row = Math.floor(i / 4)
    const x = 48 + col * (colW + 5), yy = y - row * 62
    page.drawRectangle({ x, y: yy - 50, width: colW, height: 56, borderColor: rgb(0.89, 0.91, 0.94), borderWidth: 1 })
    text(page, f.label, x + 8, yy - 8, 8, font, muted)
    text(page, f.value, x + 8, yy - 26, f.value.length > 16 ? 10 : 13, bold)
    text(page, f.note, x + 8, yy - 40, 7.5, font, muted)
  })
  y -= Math.ceil(figs.length / 4) * 62 + 16
  text(page, 'Entonnoir de prospection', 48, y, 13, bold)
  y -= 8
  const top = Math.max(1, data.funnel.current.prospects)
  for (const [k, label] of FUNNEL) {
    y -= 20
    const v = data.funnel.current[k]
    text(page, label, 48, y + 4, 10)
    page.drawRectangle({ x: 150, y, width: Math.max(2, (330 * v) / top), height: 14, color: blue })
    text(page, fin(v), 500, y + 3, 10, bold)
  }
  y -= 30
  text(page, 'Envois et réponses par jour', 48, y, 13, bold)
  const d = data.engagement.daily
  const chartH = 110, chartW = 480, x0 = 60, y0 = y - 20 - chartH
  page.drawLine({ start: { x: x0, y: y0 }, end: { x: x0 + chartW, y: y0 }, thickness: 0.5, color: muted })
  const max = Math.max(1, ...d.map((p) => p.sent))
  const series: ['sent' | 'opened' | 'replied', ReturnType<typeof rgb>, string][] = [['sent', blue, 'Envoyés'], ['opened', rgb(0.9, 0.62, 0), 'Ouverts'], ['replied', rgb(0, 0.62, 0.45), 'Réponses']]
  for (const [k, color] of series) {
    for (let i = 1; i < d.length; i++) {
      const px = (j: number) => x0 + (j * chartW) / Math.max(1, d.length - 1)
      page.drawLine({ start: { x: px(i - 1), y: y0 + (d[i - 1]![k] / max) * chartH }, end: { x: px(i), y: y0 + (d[i]![k] / max) * chartH }, thickness: 1.4, color })
    }
  }
  text(page, fin(max), 48 - 4, y0 + chartH - 3, 7, font, muted)
  series.forEach(([, color, label], i) => {
    page.drawRectangle({ x: x0 + i * 90, y: y0 - 18, width: 8, height: 8, color })
    text(page, label, x0 + 12 + i * 90, y0 - 17, 8, font, muted)
  })
  y = y0 - 40
  text(page, 'Meilleurs modèles', 48, y, 13, bold)
  if (!data.templates.length) { y -= 16; text(page, 'Aucun envoi sur la période.', 48, y, 10, font, muted) }
  for (const t of data.templates.slice(0, 5)) {
    y -= 16
    const name = `${t.sequence_name ?? 'Séquence supprimée'} · étape ${t.step_position ?? '—'}${t.variant ? ` (${t.variant})` : ''}`
    text(page, name.length > 70 ? `${name.slice(0, 69)}…` : name, 48, y, 9.5)
    text(page, `${fin(t.sent)} envoyés · réponse ${frate(t.reply_rate)}`, 400, y, 9.5, font, muted)
  }
  if (input.roi) {
    y -= 28
    text(page, 'Comment le ROI est calculé', 48, y, 13, bold)
    const r = input.roi
    const lines = [
      `Règle : ${MODELS[r.rule.model] ?? r.rule.model}, ${fin(r.rule.window_days)} jours avant la signature, honoraires ${fdec(r.rule.fee_rate)} %.`,
      `${fin(r.revenue.attributed_deals)} affaire(s) attribuée(s) sur ${fin(r.revenue.won_deals)} : ${fmoney(r.revenue.attributed_fees)} d'honoraires.`,
      `Coût : ${fmoney(r.costs.total)} (abonnement ${fmoney(r.costs.subscription)}, IA ${fmoney(r.costs.ai)}, e-mails ${fmoney(r.costs.email)}, SMS ${fmoney(r.costs.sms)}).`,
    ]
    for (const l of lines) { y -= 14; text(page, l, 48, y, 9.5) }
  }
  text(page, 'Chiffres calculés à l’heure de Paris. immo-ai', 48, 36, 8, font, muted)
  return await doc.save()
}

/** Base64 of bytes (for the e-mail attachment). */
export function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

/** The period a scheduled report covers: last Monday–Sunday, or last calendar month (Paris). */
export function reportPeriod(kind: 'weekly' | 'monthly', now = new Date()): { from: string; to: string } {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
  const [y, m, d] = today.split('-').map(Number) as [number, number, number]
  const iso = (dt: Date) => dt.toISOString().slice(0, 10)
  if (kind === 'monthly') return { from: iso(new Date(Date.UTC(y, m - 2, 1))), to: iso(new Date(Date.UTC(y, m - 1, 0))) }
  const t = new Date(Date.UTC(y, m - 1, d))
  const dow = (t.getUTCDay() + 6) % 7 // 0 = Monday
  const lastMonday = new Date(Date.UTC(y, m - 1, d - dow - 7))
  return { from: iso(lastMonday), to: iso(new Date(lastMonday.getTime() + 6 * 86_400_000)) }
}
