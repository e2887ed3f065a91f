/**
 * The fictional companies behind the sandbox's recherche-entreprises API:
 * the compact rows of data.json (written by generate.ts), expanded into the
 * API's result objects, and the search itself.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** [nic, numero, type de voie, libellé de voie, code postal, code commune, date de création, état A|F] */
export type EtabRow = [string, string, string, string, string, string, string, 'A' | 'F']
/** [nom, prénoms, qualité, date de naissance YYYY-MM] */
export type DirRow = [string, string, string, string]
/** [siren, dénomination, sigle, NAF, nature juridique, date de création, tranche d'effectif, état A|C, [prénom, nom] for a sole trader, établissements (siège first), dirigeants] */
export type CompanyRow = [string, string, string | null, string, string, string, string, 'A' | 'C', [string, string] | null, EtabRow[], DirRow[]]

export interface CompaniesFile {
  version: 1
  seed: number
  generatedBy: string
  naf: Record<string, string>
  /** code INSEE → [nom, département, région] */
  communes: Record<string, [string, string, string]>
  companies: CompanyRow[]
}

/** Luhn check over a digit string (SIREN: 9 digits, SIRET: 14). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/** Appends the digit that makes `prefix` + digit pass the Luhn check. */
export function luhnComplete(prefix: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(prefix + d)) return prefix + d
  throw new Error('unreachable')
}

const SECTIONS: [number, number, string][] = [
  [1, 3, 'A'], [5, 9, 'B'], [10, 33, 'C'], [35, 35, 'D'], [36, 39, 'E'], [41, 43, 'F'], [45, 47, 'G'], [49, 53, 'H'],
  [55, 56, 'I'], [58, 63, 'J'], [64, 66, 'K'], [68, 68, 'L'], [69, 75, 'M'], [77, 82, 'N'], [84, 84, 'O'], [85, 85, 'P'],
  [86, 88, 'Q'], [90, 93, 'R'], [94, 96, 'S'], [97, 98, 'T'], [99, 99, 'U'],
]
export function nafSection(naf: string): string {
  const div = Number(naf.slice(0, 2))
  return SECTIONS.find(([a, b]) => div >= a && div <= b)?.[2] ?? ''
}

const NATURES: Record<string, string> = {
  '1000': 'Entrepreneur individuel',
  '5498': 'SARL unipersonnelle',
  '5499': 'Société à responsabilité limitée (sans autre indication)',
  '5710': 'SAS, société par actions simplifiée',
  '5720': 'Société par actions simplifiée à associé unique',
  '6540': 'Société civile immobilière',
}

export interface Etablissement {
  siret: string
  est_siege: boolean
  activite_principale: string
  adresse: string
  numero_voie: string
  type_voie: string
  libelle_voie: string
  code_postal: string
  commune: string
  libelle_commune: string
  departement: string
  region: string
  date_creation: string
  etat_administratif: 'A' | 'F'
  tranche_effectif_salarie: string | null
  latitude: null
  longitude: null
}

export interface Company {
  siren: string
  nom_complet: string
  nom_raison_sociale: string | null
  sigle: string | null
  nombre_etablissements: number
  nombre_etablissements_ouverts: number
  siege: Etablissement
  activite_principale: string
  section_activite_principale: string
  categorie_entreprise: 'PME' | 'ETI' | 'GE'
  date_creation: string
  date_mise_a_jour: string
  etat_administratif: 'A' | 'C'
  nature_juridique: string
  libelle_nature_juridique: string
  tranche_effectif_salarie: string | null
  dirigeants: { nom: string; prenoms: string; annee_de_naissance: string; date_de_naissance: string; qualite: string; nationalite: string; type_dirigeant: 'personne physique' }[]
  complements: { est_entrepreneur_individuel: boolean; est_ess: boolean; est_service_public: boolean }
  /** Present in search results: the establishments matching the query's filters. */
  matching_etablissements?: Etablissement[]
}

interface Indexed {
  company: Company
  etabs: Etablissement[]
  /** Lower-case, accent-free text searched by `q`. */
  haystack: string
  name: string
}

export const normalize = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()

export class CompaniesDataset {
  readonly file: CompaniesFile
  private items: Indexed[]
  private bySiren = new Map<string, Indexed>()
  private bySiret = new Map<string, [Indexed, Etablissement]>()

  constructor(file: CompaniesFile) {
    this.file = file
    this.items = file.companies.map((row) => this.expand(row))
    for (const it of this.items) {
      this.bySiren.set(it.company.siren, it)
      for (const e of it.etabs) this.bySiret.set(e.siret, [it, e])
    }
  }

  static load(path = join(import.meta.dirname, 'data.json')): CompaniesDataset {
    return new CompaniesDataset(JSON.parse(readFileSync(path, 'utf8')) as CompaniesFile)
  }

  get size(): number {
    return this.items.length
  }

  all(): Company[] {
    return this.items.map((i) => i.company)
  }

  nafLabel(code: string): string | undefined {
    return this.file.naf[code]
  }

  private expand(row: CompanyRow): Indexed {
    const [siren, name, sigle, naf, nature, created, tranche, etat, person, etabRows, dirRows] = row
    const trancheOrNull = tranche === 'NN' ? null : tranche
    const etabs = etabRows.map(([nic, numero, typeVoie, voie, cp, commune, date, etatE], i): Etablissement => {
      const [libelle, dep, region] = this.file.communes[commune]
      return {
        siret: siren + nic,
        est_siege: i === 0,
        activite_principale: naf,
        adresse: `${numero} ${typeVoie} ${voie} ${cp} ${libelle.toUpperCase()}`,
        numero_voie: numero,
        type_voie: typeVoie,
        libelle_voie: voie,
        code_postal: cp,
        commune,
        libelle_commune: libelle.toUpperCase(),
        departement: dep,
        region,
        date_creation: date,
        etat_administratif: etatE,
        tranche_effectif_salarie: i === 0 ? trancheOrNull : null,
        latitude: null,
        longitude: null,
      }
    })
    const bigTranche = ['31', '32', '41', '42', '51', '52', '53'].includes(tranche)
    const company: Company = {
      siren,
      nom_complet: sigle ? `${name} (${sigle})` : name,
      nom_raison_sociale: person ? null : name,
      sigle,
      nombre_etablissements: etabs.length,
      nombre_etablissements_ouverts: etabs.filter((e) => e.etat_administratif === 'A').length,
      siege: etabs[0],
      activite_principale: naf,
      section_activite_principale: nafSection(naf),
      categorie_entreprise: bigTranche ? 'ETI' : 'PME',
      date_creation: created,
      date_mise_a_jour: '2025-01-15T00:00:00',
      etat_administratif: etat,
      nature_juridique: nature,
      libelle_nature_juridique: NATURES[nature] ?? nature,
      tranche_effectif_salarie: trancheOrNull,
      dirigeants: dirRows.map(([nom, prenoms, qualite, born]) => ({
        nom, prenoms, qualite, annee_de_naissance: born.slice(0, 4), date_de_naissance: born, nationalite: 'Française', type_dirigeant: 'personne physique' as const,
      })),
      complements: { est_entrepreneur_individuel: nature === '1000', est_ess: false, est_service_public: false },
    }
    const haystack = normalize([company.nom_complet, ...etabs.map((e) => e.adresse), ...company.dirigeants.map((d) => `${d.prenoms} ${d.nom}`)].join(' '))
    return { company, etabs, haystack, name: normalize(company.nom_complet) }
  }

  /** Every establishment of a company, head office first. */
  etablissements(siren: string): Etablissement[] {
    return this.bySiren.get(siren)?.etabs ?? []
  }

  bySirenOrSiret(id: string): { company: Company; etab?: Etablissement } | undefined {
    if (id.length === 9) {
      const it = this.bySiren.get(id)
      return it && { company: it.company }
    }
    const hit = this.bySiret.get(id)
    return hit && { company: hit[0].company, etab: hit[1] }
  }

  /** The recherche-entreprises /search semantics, over the fictional companies. */
  search(p: SearchParams): { results: Company[]; total_results: number; page: number; per_page: number; total_pages: number } {
    const digits = p.q?.replace(/\s/g, '') ?? ''
    let hits: { it: Indexed; score: number; etabs: Etablissement[] }[] = []
    const etabFilter = (e: Etablissement) =>
      (!p.code_postal || p.code_postal.includes(e.code_postal)) &&
      (!p.commune || p.commune.includes(e.commune)) &&
      (!p.departement || p.departement.includes(e.departement)) &&
      (!p.region || p.region.includes(e.region)) &&
      (!p.etat_etablissement || p.etat_etablissement === e.etat_administratif)
    const geo = !!(p.code_postal || p.commune || p.departement || p.region)
    if (/^\d{9}$|^\d{14}$/.test(digits)) {
      const hit = this.bySirenOrSiret(digits)
      const it = hit && this.bySiren.get(hit.company.siren)
      if (it) hits = [{ it, score: 1, etabs: hit.etab ? [hit.etab] : it.etabs.slice(0, 1) }]
    } else {
      const tokens = p.q ? normalize(p.q).split(/[^a-z0-9]+/).filter(Boolean) : []
      for (const it of this.items) {
        const c = it.company
        if (p.activite_principale && !p.activite_principale.includes(c.activite_principale)) continue
        if (p.section_activite_principale && !p.section_activite_principale.includes(c.section_activite_principale)) continue
        if (p.etat_administratif && c.etat_administratif !== p.etat_administratif) continue
        if (p.nature_juridique && !p.nature_juridique.includes(c.nature_juridique)) continue
        if (p.tranche_effectif_salarie && !p.tranche_effectif_salarie.includes(c.tranche_effectif_salarie ?? 'NN')) continue
        if (tokens.length && !tokens.every((t) => it.haystack.includes(t))) continue
        const etabs = geo || p.etat_etablissement ? it.etabs.filter(etabFilter) : it.etabs.slice(0, 1)
        if ((geo || p.etat_etablissement) && !etabs.length) continue
        const inName = tokens.filter((t) => it.name.includes(t)).length
        hits.push({ it, score: tokens.length ? inName / tokens.length : 0, etabs })
      }
      hits.sort((a, b) => b.score - a.score || b.it.company.nombre_etablissements - a.it.company.nombre_etablissements || a.it.company.siren.localeCompare(b.it.company.siren))
    }
    const total = hits.length
    const start = (p.page - 1) * p.per_page
    return {
      results: hits.slice(start, start + p.per_page).map((h) => ({ ...h.it.company, matching_etablissements: h.etabs.slice(0, 10) })),
      total_results: total,
      page: p.page,
      per_page: p.per_page,
      total_pages: Math.ceil(total / p.per_page),
    }
  }
}

export interface SearchParams {
  q?: string
  activite_principale?: string[]
  section_activite_principale?: string[]
  code_postal?: string[]
  commune?: string[]
  departement?: string[]
  region?: string[]
  etat_administratif?: 'A' | 'C'
  etat_etablissement?: 'A' | 'F'
  nature_juridique?: string[]
  tranche_effectif_salarie?: string[]
  page: number
  per_page: number
}
