import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCsvStream, detectDelimiter, detectHeaderRow, uniqueHeaders } from '~/utils/import/csv'
import { completeUtf8Length, decodeAll, detectEncoding, sniffKind, createDecoder } from '~/utils/import/encoding'
import { blobChunks, createPipeline, csvRecords, ImportFatal, sniffCsv, checkSize, MAX_CSV_BYTES, type Sniffed } from '~/utils/import/engine'
import { autoMapping, fieldForHeader, fieldForValues, normalizeHeader, toPreset } from '~/utils/import/fields'
import { capitalizeName, cityKey, normalizeEmail, normalizePhone, normalizeRow, parseFrenchNumber, suggestDomain, type Communes } from '~/utils/import/normalize'

const fixture = (name: string) => new Uint8Array(readFileSync(join(__dirname, '../../fixtures/import', name)))
const unnamed = (i: number) => `Colonne ${i}`

async function parseAll(bytes: Uint8Array, chunk = 7): Promise<{ s: Sniffed; rows: string[][] }> {
  const s = sniffCsv(bytes, unnamed, true)
  const rows: string[][] = []
  for await (const recs of csvRecords(blobChunks(new Blob([bytes]), chunk), s)) rows.push(...recs.map((r) => r.cells))
  return { s, rows }
}

describe('encoding', () => {
  it('tells UTF-8, UTF-8 with BOM, Windows-1252 and a mix apart', () => {
    expect(detectEncoding(new TextEncoder().encode('Prénom;Nom'))).toBe('utf-8')
    expect(detectEncoding(fixture('utf8-bom.csv'))).toBe('utf-8-bom')
    expect(detectEncoding(fixture('french-1252.csv'))).toBe('windows-1252')
    expect(detectEncoding(fixture('mixed-encoding.csv'))).toBe('mixed')
  })
  it('decodes a mixed file line by line', () => {
    expect(decodeAll(fixture('mixed-encoding.csv'))).toBe('Prénom;Nom;Ville\nÉlodie;Marchand;Paris\nHélène;Lefèvre;Orléans\n')
  })
  it('drops the BOM and never splits a multi-byte character across chunks', () => {
    const bytes = fixture('utf8-bom.csv')
    const d = createDecoder('utf-8-bom')
    let text = ''
    for (let i = 0; i < bytes.length; i += 3) text += d.push(bytes.subarray(i, i + 3))
    text += d.end()
    expect(text.startsWith('Prénom,Nom,Email')).toBe(true)
    expect(completeUtf8Length(new Uint8Array([0x41, 0xc3]))).toBe(1)
    expect(completeUtf8Length(new Uint8Array([0x41, 0xc3, 0xa9]))).toBe(3)
  })
  it('recognises binary files, Excel workbooks and empty files', () => {
    expect(sniffKind(fixture('binary.csv'))).toBe('binary')
    expect(sniffKind(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2]))).toBe('xlsx')
    expect(sniffKind(new Uint8Array())).toBe('empty')
    expect(() => sniffCsv(fixture('binary.csv'), unnamed, true)).toThrowError(ImportFatal)
    expect(() => sniffCsv(fixture('empty.csv'), unnamed, true)).toThrowError('empty')
  })
  it('refuses a file above the size limit with its size', () => {
    try { checkSize('csv', MAX_CSV_BYTES + 1); expect.unreachable() } catch (e) {
      expect((e as ImportFatal).code).toBe('too_large')
      expect((e as ImportFatal).detail).toEqual({ size_mb: 101, max_mb: 100 })
    }
    expect(() => checkSize('csv', MAX_CSV_BYTES)).not.toThrow()
  })
})

describe('csv', () => {
  it('detects the delimiter', () => {
    expect(detectDelimiter('a;b;c\n1;2,5;3\n')).toBe(';')
    expect(detectDelimiter('a,b,c\n1,2,3\n')).toBe(',')
    expect(detectDelimiter('a\tb\tc\n1\t2\t3\n')).toBe('\t')
    expect(detectDelimiter('"x;y",b,c\n1,2,3\n')).toBe(',')
  })
  it('skips a title line before the header, and sees a file without header', () => {
    expect(detectHeaderRow([['Export du 03/12'], ['Nom', 'Prénom', 'E-mail'], ['Dupont', 'Jean', 'j@x.fr']])).toBe(1)
    expect(detectHeaderRow([['Dupont', 'Jean', 'j@x.fr'], ['Durand', 'Anne', 'a@x.fr']])).toBe(-1)
  })
  it('renames duplicated and empty header names', () => {
    expect(uniqueHeaders(['Nom', 'Nom', '', 'nom'], unnamed)).toEqual({ headers: ['Nom', 'Nom (2)', 'Colonne 3', 'nom (3)'], duplicates: ['Nom', 'nom'] })
  })
  it('parses quoted multi-line fields across chunk boundaries', async () => {
    const { s, rows } = await parseAll(fixture('french-1252.csv'), 5)
    expect(s.encoding).toBe('windows-1252')
    expect(s.delimiter).toBe(';')
    expect(s.headerRecord).toBe(2)
    expect(s.headers.slice(0, 5)).toEqual(['Civilité', 'Prénom', 'Nom', 'E-mail', 'Téléphone'])
    expect(rows[3]![9]).toBe('Appeler après 18h;\nsauf vendredi')
  })
  it('reports an unterminated quote with its row', async () => {
    const bytes = fixture('unterminated.csv')
    await expect(parseAll(bytes)).rejects.toMatchObject({ code: 'unterminated_quote', detail: { row: 3 } })
  })
  it('gives up on a single row longer than a megabyte', () => {
    const csv = createCsvStream(';', '\n')
    expect(() => csv.push('a;b\n"' + 'x'.repeat(1_000_001))).toThrowError('row_too_long')
  })
})

describe('mapping', () => {
  it('maps French and English headers', () => {
    expect(normalizeHeader('E-mail (pro)')).toBe('e mail pro')
    expect(fieldForHeader('Prénom')).toBe('first_name')
    expect(fieldForHeader('Téléphone portable')).toBe('phone')
    expect(fieldForHeader('Raison sociale')).toBe('company_name')
    expect(fieldForHeader('Zip code')).toBe('postal_code')
    expect(fieldForHeader('Last Name')).toBe('last_name')
    expect(fieldForHeader('Budget max')).toBeNull()
    expect(fieldForHeader('Date de contact')).toBeNull()
  })
  it('maps columns from their values', () => {
    expect(fieldForValues(['a@b.fr', 'c@d.com', ''])).toBe('email')
    expect(fieldForValues(['06 12 34 56 78', '+33612345679'])).toBe('phone')
    expect(fieldForValues(['73282932000074', '73282932000074'])).toBe('siret')
    expect(fieldForValues(['75008', '92200', '1000'])).toBe('postal_code')
  })
  it('maps each field once; the rest becomes custom fields; presets win', () => {
    const m = autoMapping(['Nom', 'Nom (2)', 'Colonne 3', 'Budget (€)'], [['Dupont', 'Jean', 'a@b.fr', '1'], ['Durand', 'Anne', 'c@d.fr', '2']])
    expect(m).toEqual({ Nom: 'last_name', 'Nom (2)': 'custom:nom_2', 'Colonne 3': 'email', 'Budget (€)': 'custom:budget' })
    const preset = toPreset({ 'Nom (2)': 'first_name' })
    expect(autoMapping(['Nom', 'Nom (2)'], [], preset)['Nom (2)']).toBe('first_name')
  })
})

describe('normalisation', () => {
  it('corrects obvious e-mail domain typos and refuses malformed addresses', () => {
    expect(suggestDomain('gmial.com')).toBe('gmail.com')
    expect(suggestDomain('hotmial.fr')).toBe('hotmail.fr')
    expect(suggestDomain('agence-etoile.fr')).toBeNull()
    expect(normalizeEmail(' Jean@GMIAL.com ')).toEqual({ email: 'jean@gmail.com', suggestion: 'gmail.com', valid: true })
    expect(normalizeEmail('paul@@free.fr').valid).toBe(false)
    expect(normalizeEmail('paul@free').valid).toBe(false)
  })
  it('puts phones in E.164, French numbers without +33', () => {
    expect(normalizePhone('06 12 34 56 78')).toBe('+33612345678')
    expect(normalizePhone('612345678')).toBe('+33612345678')
    expect(normalizePhone('0033 1 45 67 89 01')).toBe('+33145678901')
    expect(normalizePhone('+32 470 12 34 56')).toBe('+32470123456')
    expect(normalizePhone('06.12.34.56.78 / 01 45 67 89 01')).toBe('+33612345678')
    expect(normalizePhone('07.12.34.56.78')).toBe('+33712345678')
    expect(normalizePhone('09 70 12 34 56')).toBe('+33970123456')
    expect(normalizePhone('+33 (0)6 12 34 56 78')).toBe('+33612345678')
    expect(normalizePhone('08 00 12 34 56')).toBe('+33800123456')
    expect(normalizePhone('06 12 34 56 7')).toBe(false)
    expect(normalizePhone('12 34')).toBe(false)
    expect(normalizePhone('')).toBeNull()
  })
  it('capitalises names typed in one case only', () => {
    expect(capitalizeName('JEAN-PIERRE')).toBe('Jean-Pierre')
    expect(capitalizeName('de la fontaine')).toBe('De la Fontaine')
    expect(capitalizeName("d'ARTAGNAN")).toBe("d'ARTAGNAN")
    expect(capitalizeName("O'NEIL")).toBe("O'Neil")
    expect(capitalizeName('McDonald')).toBe('McDonald')
  })
  it('reads decimal commas', () => {
    expect(parseFrenchNumber('450 000,50')).toBe(450000.5)
    expect(parseFrenchNumber('12,5')).toBe(12.5)
    expect(parseFrenchNumber('1 200 000')).toBeNull()
    expect(parseFrenchNumber('06,12')).toBe(6.12)
    expect(parseFrenchNumber('abc')).toBeNull()
  })

  const headers = ['Prénom', 'Nom', 'E-mail', 'Téléphone', 'Code postal', 'Ville', 'SIRET', 'Note']
  const mapping = { Prénom: 'first_name', Nom: 'last_name', 'E-mail': 'email', Téléphone: 'phone', 'Code postal': 'postal_code', Ville: 'city', SIRET: 'siret', Note: 'custom:note' } as const
  const communes: Communes = new Map([['92200', [{ name: 'Neuilly-sur-Seine', key: cityKey('Neuilly-sur-Seine') }]], ['01000', [{ name: 'Bourg-en-Bresse', key: cityKey('Bourg-en-Bresse') }]]])
  const row = (cells: string[]) => normalizeRow(cells, headers, mapping, communes)

  it('produces the contact as it will be stored', () => {
    const r = row(['JEAN', 'DUPONT', 'jean@gmial.com', '06 12 34 56 78', '1000', '', '732 829 320 00074', '12,5'])
    expect(r.error).toBeNull()
    expect(r.contact).toMatchObject({ kind: 'person', first_name: 'Jean', last_name: 'Dupont', email: 'jean@gmail.com', phone: '+33612345678',
      postal_code: '01000', city: 'Bourg-en-Bresse', siret: '73282932000074', siren: '732829320', custom_fields: { note: 12.5 } })
    expect(r.warnings.map((w) => w.code)).toEqual(['email_corrected', 'postal_code_padded', 'city_filled'])
  })
  it('warns when the city does not match the postal code', () => {
    expect(row(['Anne', 'Aubert', '', '', '92200', 'Paris', '', '']).warnings).toEqual([{ field: 'city', code: 'city_mismatch', value: 'Paris', suggestion: 'Neuilly-sur-Seine' }])
    expect(row(['Anne', 'Aubert', '', '', '92200', 'neuilly sur seine', '', '']).warnings).toEqual([])
  })
  it('rejects with the field and the reason', () => {
    expect(row(['Anne', 'Aubert', 'anne@', '', '', '', '', '']).error).toMatchObject({ field: 'email', code: 'invalid_email' })
    expect(row(['Anne', 'Aubert', '', '12', '', '', '', '']).error).toMatchObject({ field: 'phone', code: 'invalid_phone' })
    expect(row(['Anne', 'Aubert', '', '', '', '', '73282932000075', '']).error).toMatchObject({ field: 'siret', code: 'invalid_siret' })
    // the 14 digits pass the Luhn check but the SIREN inside does not
    expect(row(['Anne', 'Aubert', '', '', '', '', '12345678000014', '']).error).toMatchObject({ field: 'siret', code: 'invalid_siret' })
    expect(row(['=SUM(A1)', 'Aubert', '', '', '', '', '', '']).error).toMatchObject({ field: 'first_name', code: 'formula' })
    expect(row(['@cmd', 'Aubert', '', '', '', '', '', '']).error).toMatchObject({ code: 'formula' })
    expect(row(['<img src=x onerror=alert(1)>', 'Aubert', '', '', '', '', '', '']).error).toMatchObject({ field: 'first_name', code: 'html' })
    expect(row(['A'.repeat(10_000), 'Aubert', '', '', '', '', '', '']).error).toMatchObject({ field: 'first_name', code: 'too_long' })
    expect(row(['', '', '', '', '75008', 'Paris', '', '']).error).toMatchObject({ code: 'missing_identity' })
    expect(row(['Anne', 'Aubert', '', '', '', '', '', '', 'en trop']).error).toMatchObject({ field: 'row', code: 'too_many_cells' })
    expect(row(['Anne', 'Aubert', '', '', 'ABCDE', '', '', '']).error).toMatchObject({ field: 'postal_code', code: 'invalid_postal_code' })
  })
  it('accepts a negative number or an international phone that start with - or +', () => {
    expect(row(['Anne', 'Aubert', '', '+33 6 12 34 56 78', '', '', '', '-12,5']).error).toBeNull()
  })
})

describe('pipeline over the fixtures', () => {
  it('imports the dirty French Windows-1252 file with the expected verdicts', async () => {
    const bytes = fixture('french-1252.csv')
    const s = sniffCsv(bytes, unnamed, true)
    const mapping = autoMapping(s.headers, s.sample)
    expect(mapping).toMatchObject({ Prénom: 'first_name', Nom: 'last_name', 'E-mail': 'email', Téléphone: 'phone', Société: 'company_name', 'Code postal': 'postal_code', Ville: 'city', 'Budget (€)': 'custom:budget', Civilité: 'custom:civilite' })
    const p = createPipeline(s, mapping)
    const out = []
    for await (const recs of csvRecords(blobChunks(new Blob([bytes]), 64), s)) out.push(...p.process(recs).rows)
    expect(p.tally).toMatchObject({ rows: 9, valid: 5, rejected: 4, inFileDuplicates: 1 })
    expect(out.filter((r) => r.error_reason).map((r) => `${r.n}:${r.error_field}:${r.error_reason}`))
      .toEqual(['5:email:invalid_email', '6:phone:invalid_phone', '9:first_name:formula', '10:first_name:html'])
    expect(out[0]).toMatchObject({ n: 3, first_name: 'Jean-Pierre', last_name: 'De la Fontaine', email: 'jp.delafontaine@gmail.com', custom_fields: { budget: 450000.5 } })
  })
  it('survives the other bad files', async () => {
    expect(() => sniffCsv(fixture('header-only.csv'), unnamed, true)).not.toThrow()
    expect(sniffCsv(fixture('header-only.csv'), unnamed, true).sample).toEqual([])
    const dup = sniffCsv(fixture('duplicated-headers.csv'), unnamed, true)
    expect(dup.headers).toEqual(['Nom', 'Nom (2)', 'E-mail', 'Téléphone', 'Téléphone (2)'])
    expect(dup.duplicateHeaders).toEqual(['Nom', 'Téléphone'])
    const ragged = await parseAll(fixture('ragged.csv'))
    const p = createPipeline(ragged.s, autoMapping(ragged.s.headers, ragged.s.sample))
    const rows = p.process(ragged.rows.map((cells, index) => ({ index, cells }))).rows
    expect(rows.map((r) => r.error_reason ?? 'ok')).toEqual(['ok', 'ok', 'too_many_cells'])
    const tab = sniffCsv(fixture('tab-separated.txt'), unnamed, true)
    expect(tab.delimiter).toBe('\t')
    expect(autoMapping(tab.headers, tab.sample)).toEqual({ 'first name': 'first_name', 'last name': 'last_name', email: 'email', zip: 'postal_code' })
    const long = await parseAll(fixture('long-cell.csv'))
    const pl = createPipeline(long.s, autoMapping(long.s.headers, long.s.sample))
    expect(pl.process(long.rows.map((cells, index) => ({ index, cells }))).rows.map((r) => r.error_reason ?? 'ok')).toEqual(['too_long', 'ok'])
  })
})
