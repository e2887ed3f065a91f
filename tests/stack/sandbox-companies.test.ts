/**
 * The recherche-entreprises sandbox: search by NAF code, commune, postal code
 * and département, SIREN/SIRET lookup, pagination and errors; and the bundled
 * dataset's quality (size, check digits, real NAF codes and communes).
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { CompaniesDataset, luhnValid } from '../../scripts/local-stack/sandbox/companies/dataset'
import { env } from '../helpers/stack'

const require = createRequire(import.meta.url)
interface Etab { siret: string; code_postal: string; commune: string; departement: string; libelle_commune: string; activite_principale: string; adresse: string }
interface Result { siren: string; nom_complet: string; activite_principale: string; siege: Etab; matching_etablissements: Etab[]; dirigeants: { nom: string }[]; etat_administratif: string }
interface Page { results: Result[]; total_results: number; page: number; per_page: number; total_pages: number }
const search = async (q: Record<string, string | number>) => {
  const r = await fetch(`${env('COMPANIES_API_URL')}/search?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]))}`)
  return { status: r.status, body: (await r.json()) as Page & { erreur?: string } }
}
const data = CompaniesDataset.load()

describe('companies sandbox', () => {
  it('filters by NAF code and département, with the API page shape', async () => {
    const { status, body } = await search({ activite_principale: '68.31Z', departement: '69', per_page: 25 })
    expect(status).toBe(200)
    expect(body.total_results).toBeGreaterThan(10)
    expect(body).toMatchObject({ page: 1, per_page: 25, total_pages: Math.ceil(body.total_results / 25) })
    for (const c of body.results) {
      expect(c.activite_principale).toBe('68.31Z')
      expect(c.matching_etablissements.length).toBeGreaterThan(0)
      expect(c.matching_etablissements.every((e) => e.departement === '69')).toBe(true)
    }
  })

  it('filters by postal code and by commune code, several values at once', async () => {
    const sample = data.all().find((c) => c.etat_administratif === 'A')!.siege
    const byCp = await search({ code_postal: sample.code_postal })
    expect(byCp.body.results.length).toBeGreaterThan(0)
    expect(byCp.body.results.every((c) => c.matching_etablissements.every((e) => e.code_postal === sample.code_postal))).toBe(true)
    const other = data.all().find((c) => c.siege.commune !== sample.commune)!.siege.commune
    const byCommunes = await search({ commune: `${sample.commune},${other}`, per_page: 25 })
    expect(new Set(byCommunes.body.results.flatMap((c) => c.matching_etablissements.map((e) => e.commune)))).toEqual(new Set([sample.commune, other].filter((x) => byCommunes.body.results.some((c) => c.matching_etablissements.some((e) => e.commune === x)))))
    expect(byCommunes.body.results.some((c) => c.matching_etablissements.some((e) => e.commune === sample.commune))).toBe(true)
  })

  it('looks companies up by SIREN and by SIRET (spaces allowed)', async () => {
    const c = data.all().find((x) => x.nombre_etablissements > 1)!
    const bySiren = await search({ q: c.siren })
    expect(bySiren.body.results.map((r) => r.siren)).toEqual([c.siren])
    const secondary = data.bySirenOrSiret(c.siren)!.company
    expect(secondary.siren).toBe(c.siren)
    const etabs = (await search({ q: c.siren, departement: c.siege.departement })).body
    expect(etabs.total_results).toBe(1)
    const siret = c.siege.siret
    const bySiret = await search({ q: `${siret.slice(0, 3)} ${siret.slice(3, 6)} ${siret.slice(6, 9)} ${siret.slice(9)}` })
    expect(bySiret.body.results[0].matching_etablissements[0].siret).toBe(siret)
    expect((await search({ q: '123456782' })).body.total_results).toBe(0)
  })

  it('searches text over names, addresses and directors, accent- and case-insensitively', async () => {
    const c = data.all().find((x) => x.dirigeants.length > 0 && x.nom_complet.startsWith('AGENCE'))!
    const word = c.nom_complet.split(' ')[1]
    const byName = await search({ q: word.toLowerCase(), per_page: 25 })
    expect(byName.body.results.map((r) => r.siren)).toContain(c.siren)
    const byDirector = await search({ q: `${c.dirigeants[0].prenoms} ${c.dirigeants[0].nom}`.normalize('NFD').replace(/[\u0300-\u036f]/g, ''), per_page: 25 })
    expect(byDirector.body.results.map((r) => r.siren)).toContain(c.siren)
  })

  it('paginates without overlap and answers errors like the real API', async () => {
    const p1 = await search({ activite_principale: '68.31Z', per_page: 5, page: 1 })
    const p2 = await search({ activite_principale: '68.31Z', per_page: 5, page: 2 })
    expect(p1.body.results).toHaveLength(5)
    expect(p2.body.results.map((r) => r.siren).filter((s) => p1.body.results.some((r) => r.siren === s))).toEqual([])
    const tooMany = await search({ q: 'agence', per_page: 26 })
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.erreur).toMatch(/per_page/)
    expect((await search({})).status).toBe(400)
    expect((await search({ activite_principale: '6831Z' })).status).toBe(400)
    expect((await search({ q: 'ab' })).status).toBe(400)
  })

  it('ships 5,000+ fictional companies with valid check digits, real NAF codes and communes', () => {
    const nafCodes = new Set((require('@socialgouv/codes-naf') as { id: string }[]).map((n) => n.id))
    const communes = new Map(
      (require('@etalab/decoupage-administratif/data/communes.json') as { code: string; type: string; codesPostaux?: string[] }[])
        .filter((c) => c.type === 'commune-actuelle' || c.type === 'arrondissement-municipal')
        .map((c) => [c.code, c.codesPostaux ?? []]),
    )
    const all = data.all()
    expect(all.length).toBeGreaterThanOrEqual(5000)
    expect(new Set(all.map((c) => c.siren)).size).toBe(all.length)
    for (const c of all) {
      expect(luhnValid(c.siren), c.siren).toBe(true)
      expect(nafCodes.has(c.activite_principale), c.activite_principale).toBe(true)
      for (const e of data.etablissements(c.siren)) {
        expect(e.siret.startsWith(c.siren) && luhnValid(e.siret), e.siret).toBe(true)
        expect(communes.get(e.commune), e.commune).toContain(e.code_postal)
      }
    }
    expect(luhnValid('732829320')).toBe(true)
    expect(luhnValid('732829321')).toBe(false)
    expect(all.filter((c) => c.activite_principale === '68.31Z').length).toBeGreaterThan(1500)
  })
})
