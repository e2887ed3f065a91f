/**
 * Spreadsheet-safe output: CSV (UTF-8 with BOM and ';' so French Excel opens it
 * right) and .xlsx through exceljs. Any cell starting with =, +, -, @, a tab or
 * a carriage return is prefixed with an apostrophe, so no spreadsheet ever runs
 * it as a formula (CSV/formula injection).
 */
export function neutralize(value: unknown): string {
  if (value === null || value === undefined) return ''
  const s = Array.isArray(value) ? value.join(', ') : String(value)
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
}

export function toCsv(headers: string[], rows: unknown[][], delimiter = ';'): string {
  const cell = (v: unknown) => {
    const s = neutralize(v)
    return /["\n\r;,]/.test(s) || s.includes(delimiter) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return '\uFEFF' + [headers, ...rows].map((r) => r.map(cell).join(delimiter)).join('\r\n') + '\r\n'
}

export async function toXlsx(sheetName: string, headers: string[], rows: unknown[][]): Promise<Blob> {
  const ExcelJS = (await import('exceljs')).default
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet(sheetName.slice(0, 31))
  ws.addRow(headers).font = { bold: true }
  for (const r of rows) ws.addRow(r.map(neutralize))
  ws.columns.forEach((c) => { c.width = 20 })
  const buf = await wb.xlsx.writeBuffer()
  return new Blob([buf], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' })
}

export function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
