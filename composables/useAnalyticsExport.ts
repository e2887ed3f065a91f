/**
 * CSV and XLSX exports of the tables shown on /analytique. CSV is what French
 * Excel opens without a wizard: UTF-8 with a BOM, `;` between fields, decimal
 * comma; XLSX keeps numbers as numbers (exceljs, loaded only when asked for).
 */
export interface ExportColumn { key: string; label: string; kind?: 'text' | 'integer' | 'money' | 'rate' | 'days' | 'date' }
export type ExportRow = Record<string, string | number | boolean | null | undefined>

function csvCell(v: unknown, kind: ExportColumn['kind']): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return ''
  let s: string
  if (typeof v === 'number') {
    const n = kind === 'rate' ? Math.round(v * 10000) / 100 : v
    s = String(n).replace('.', ',')
  } else s = String(v)
  return /[;"\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function analyticsCsv(columns: ExportColumn[], rows: ExportRow[]): string {
  const head = columns.map((c) => csvCell(c.kind === 'rate' ? `${c.label} (%)` : c.label, 'text')).join(';')
  const body = rows.map((r) => columns.map((c) => csvCell(r[c.key], c.kind)).join(';'))
  return '\uFEFF' + [head, ...body].join('\r\n') + '\r\n'
}

export async function analyticsXlsx(sheet: string, columns: ExportColumn[], rows: ExportRow[]): Promise<Blob> {
  const { default: ExcelJS } = await import('exceljs')
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet(sheet.slice(0, 31))
  ws.columns = columns.map((c) => ({
    header: c.label, key: c.key, width: Math.max(12, c.label.length + 2),
    style: { numFmt: c.kind === 'rate' ? '0.0%' : c.kind === 'money' ? '#,##0 "€"' : c.kind === 'integer' ? '#,##0' : c.kind === 'days' ? '0.0' : undefined },
  }))
  ws.getRow(1).font = { bold: true }
  for (const r of rows) ws.addRow(Object.fromEntries(columns.map((c) => [c.key, r[c.key] ?? null])))
  const buf = await wb.xlsx.writeBuffer()
  return new Blob([buf], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' })
}

export function downloadBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function useAnalyticsExport() {
  async function exportTable(format: 'csv' | 'xlsx', name: string, columns: ExportColumn[], rows: ExportRow[]) {
    const base = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-zA-Z0-9-]+/g, '-').toLowerCase()
    if (format === 'csv') downloadBlob(new Blob([analyticsCsv(columns, rows)], { type: 'text/csv;charset=utf-8' }), `${base}.csv`)
    else downloadBlob(await analyticsXlsx(name, columns, rows), `${base}.xlsx`)
  }
  return { exportTable }
}
