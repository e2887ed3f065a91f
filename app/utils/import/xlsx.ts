/**
 * Excel workbooks (.xlsx) through exceljs: the first worksheet with data, as
 * rows of display text (dates and numbers as Excel shows them, formulas by their
 * cached result — a formula is never evaluated or imported as such).
 */
import ExcelJS from 'exceljs'

/** Only the import worker imports this module (its bundle must not code-split: Vite's worker format is IIFE). */
export async function readXlsx(buffer: ArrayBuffer): Promise<string[][]> {
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(buffer)
  const ws = wb.worksheets.find((w) => w.actualRowCount > 0)
  if (!ws) return []
  const rows: string[][] = []
  const width = ws.actualColumnCount
  ws.eachRow({ includeEmpty: true }, (row) => {
    const cells: string[] = []
    for (let i = 1; i <= width; i++) {
      const cell = row.getCell(i)
      const v = cell.value as unknown
      let text: string
      if (v && typeof v === 'object' && 'result' in (v as object)) text = String((v as { result?: unknown }).result ?? '')
      else if (v instanceof Date) text = v.toISOString().slice(0, 10)
      else text = cell.text ?? ''
      cells.push(text)
    }
    rows.push(cells)
  })
  return rows
}
