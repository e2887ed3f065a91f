import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { neutralize, toCsv } from '~/utils/import/export'
import { fromRows } from '~/utils/import/engine'
import { autoMapping } from '~/utils/import/fields'
import { readXlsx } from '~/utils/import/xlsx'

describe('xlsx import', () => {
  it('reads the first sheet with data as display text; formulas by their cached result, dates as ISO', async () => {
    const wb = new ExcelJS.Workbook()
    wb.addWorksheet('Vide')
    const ws = wb.addWorksheet('Contacts')
    ws.addRow(['Prénom', 'Nom', 'E-mail', 'Téléphone', 'Code postal', 'Date', 'Total'])
    ws.addRow(['Élodie', 'Marchand', 'elodie@exemple.fr', '0612345678', 75008, new Date(Date.UTC(2026, 0, 15)), { formula: 'SUM(1,2)', result: 3 }])
    const buf = await wb.xlsx.writeBuffer()
    const rows = await readXlsx(buf as ArrayBuffer)
    expect(rows).toEqual([
      ['Prénom', 'Nom', 'E-mail', 'Téléphone', 'Code postal', 'Date', 'Total'],
      ['Élodie', 'Marchand', 'elodie@exemple.fr', '0612345678', '75008', '2026-01-15', '3'],
    ])
    const s = fromRows('xlsx', rows, (i) => `Colonne ${i}`, { encoding: null, delimiter: null, newline: '\n' })
    expect(autoMapping(s.headers, s.sample)).toMatchObject({ Prénom: 'first_name', 'E-mail': 'email', 'Code postal': 'postal_code' })
  })
})

describe('export', () => {
  it('neutralises spreadsheet formulas', () => {
    expect(neutralize('=1+1')).toBe("'=1+1")
    expect(neutralize('+33612345678')).toBe("'+33612345678")
    expect(neutralize('-2')).toBe("'-2")
    expect(neutralize('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(neutralize('\t=cmd')).toBe("'\t=cmd")
    expect(neutralize('Dupont')).toBe('Dupont')
    expect(neutralize(['a', 'b'])).toBe('a, b')
    expect(neutralize(null)).toBe('')
  })
  it('writes a French-Excel CSV: BOM, semicolons, quoted multi-line cells', () => {
    const csv = toCsv(['Nom', 'Remarque'], [['Dupont', 'ligne 1\nligne 2; fin'], ['=HYPERLINK("x")', '"citée"']])
    expect(csv).toBe('\uFEFFNom;Remarque\r\nDupont;"ligne 1\nligne 2; fin"\r\n"\'=HYPERLINK(""x"")";"""citée"""\r\n')
  })
})
