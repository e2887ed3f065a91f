/**
 * Generates the sandbox's companies dataset (data.json beside this file):
 * 5,000 clearly fictional French companies — invented names, real NAF codes
 * (@socialgouv/codes-naf), real communes and postal codes
 * (@etalab/decoupage-administratif), SIREN and SIRET with valid Luhn check
 * digits — from a fixed seed, so every run writes the same file.
 *
 *   npx tsx scripts/local-stack/sandbox/companies/generate.ts
 *
 * The output is committed; the sandbox reads it and never runs this script.
 * Rows are arrays (see `CompanyRow` in dataset.ts) to keep the file small.
 */
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { CompaniesFile, CompanyRow, DirRow, EtabRow } from './dataset.ts'
import { luhnComplete } from './dataset.ts'

const require = createRequire(import.meta.url)
const SEED = 0x1a2b3c4d
const COUNT = 5_000

interface Commune {
  code: string
  nom: string
  type: string
  departement: string
  region: string
  codesPostaux?: string[]
  population?: number
  zone: string
}
const communesAll = require('@etalab/decoupage-administratif/data/communes.json') as Commune[]
const nafAll = require('@socialgouv/codes-naf') as { id: string; label: string }[]

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rand = prng(SEED)
const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1))
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]
function weighted<T>(xs: readonly T[], weight: (x: T) => number): () => T {
  const cum: number[] = []
  let total = 0
  for (const x of xs) cum.push((total += weight(x)))
  return () => {
    const r = rand() * total
    let lo = 0
    let hi = cum.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cum[mid] < r) lo = mid + 1
      else hi = mid
    }
    return xs[lo]
  }
}

// Communes: towns of 2,000+ inhabitants (Paris, Lyon and Marseille by arrondissement), weighted by √population.
const communes = communesAll.filter(
  (c) =>
    c.codesPostaux?.length &&
    (c.population ?? 0) >= 2_000 &&
    ((c.type === 'commune-actuelle' && !['75056', '69123', '13055'].includes(c.code)) || c.type === 'arrondissement-municipal'),
)
const pickCommune = weighted(communes, (c) => Math.sqrt(c.population ?? 1))

// Invented surnames: syllables that make no real French family name on purpose.
const SYL_A = ['Bra', 'Ker', 'Vau', 'Quin', 'Lor', 'Fen', 'Gal', 'Tré', 'Mon', 'Pli', 'Zor', 'Cal', 'Dor', 'Esc', 'Fou', 'Gri', 'Hau', 'Jal', 'Lan', 'Mir', 'Nor', 'Pel', 'Roc', 'Sau', 'Tal', 'Val', 'Vel', 'Bar', 'Cor', 'Mal']
const SYL_B = ['var', 'bel', 'qui', 'lan', 'mer', 'dic', 'ros', 'tel', 'pon', 'gar', 'vil', 'zan', 'lo', 'ri', 'ta', 'ven', 'bru', 'sol', 'tur', 'nel']
const SYL_C = ['din', 'euil', 'ignac', 'orne', 'elle', 'ois', 'ac', 'ard', 'ennes', 'oux', 'ay', 'ier', 'in', 'ot', 'ange', 'ède', 'ons', 'ault', 'is', 'ix']
const invented = () => pick(SYL_A) + pick(SYL_B) + pick(SYL_C)
const FIRST_NAMES = ['Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Sarah', 'Julie', 'Emma', 'Claire', 'Sophie', 'Nathalie', 'Isabelle', 'Élodie', 'Aurélie', 'Céline', 'Hélène', 'Lucas', 'Hugo', 'Thomas', 'Nicolas', 'Julien', 'Maxime', 'Antoine', 'Alexandre', 'Romain', 'Pierre', 'Mathieu', 'Laurent', 'Olivier', 'Stéphane', 'Philippe', 'François', 'Karim', 'Yanis', 'Mehdi', 'Sofia', 'Amina', 'Yasmine', 'Bruno', 'Éric']
const QUALITES_SOC = ['Président', 'Directeur général', 'Gérant', 'Co-gérant', 'Directeur général délégué']
const STREET_TYPES = [['RUE', 6], ['AVENUE', 2], ['BOULEVARD', 1], ['PLACE', 1], ['CHEMIN', 1], ['ALLEE', 1], ['IMPASSE', 1], ['QUAI', 0.5], ['COURS', 0.5]] as const
const STREET_NAMES = ['DES LILAS', 'DU MOULIN', 'DE LA GARE', 'DES ECOLES', 'DU CHATEAU', 'DES TILLEULS', 'DE LA REPUBLIQUE', 'VICTOR HUGO', 'JEAN JAURES', 'PASTEUR', 'DES ROSIERS', 'DU PORT', 'DES VIGNES', 'DU MARCHE', 'DE LA FONTAINE', 'DES ARTISANS', 'GAMBETTA', 'DU GENERAL LECLERC', 'DES ACACIAS', 'DE LA LIBERTE', 'DES PEUPLIERS', 'DU COMMERCE', 'DE LA MAIRIE', 'DES CERISIERS', 'SAINT-MARTIN']
const pickStreetType = weighted(STREET_TYPES, (s) => s[1])

// Activities: real-estate agencies first, then the trades around them, then anything.
const naf5 = nafAll.filter((n) => /^\d\d\.\d\d[A-Z]$/.test(n.id))
const nafLabels = Object.fromEntries(naf5.map((n) => [n.id, n.label]))
const NEAR = ['68.31Z', '68.20A', '68.20B', '68.32A', '68.32B', '68.10Z', '41.10A', '41.20A', '43.31Z', '43.32A', '43.34Z', '43.99C', '71.11Z', '71.12B', '69.10Z', '69.20Z', '66.22Z', '64.92Z', '81.21Z', '74.10Z', '70.22Z', '73.11Z', '62.01Z', '49.42Z']
for (const code of NEAR) if (!nafLabels[code]) throw new Error(`NAF ${code} missing from @socialgouv/codes-naf`)
function pickNaf(): string {
  const r = rand()
  if (r < 0.45) return '68.31Z'
  if (r < 0.6) return pick(['68.20A', '68.20B', '68.32A', '68.32B', '68.10Z'])
  if (r < 0.85) return pick(NEAR.slice(6))
  return pick(naf5).id
}

const NAME_FORMS: Record<string, ((x: string, y: string) => string)[]> = {
  '68': [
    (x) => `Agence ${x} Immobilier`,
    (x, y) => `${x} & ${y} Immobilier`,
    (x) => `Cabinet ${x}`,
    (x) => `Immobilière ${x}`,
    (x) => `Les Toits de ${x}`,
    (x) => `${x} Transactions`,
    (x) => `Foncière ${x}`,
    (x) => `${x} Gestion Locative`,
    (x) => `SCI ${x}`,
    (x, y) => `Maisons ${x}-${y}`,
  ],
  '41': [(x) => `${x} Construction`, (x) => `Bâtir ${x}`, (x, y) => `${x} et ${y} Promotion`],
  '43': [(x) => `${x} Rénovation`, (x) => `Ateliers ${x}`, (x) => `${x} Peinture & Décor`, (x) => `Artisans ${x}`],
  '71': [(x) => `Atelier d'architecture ${x}`, (x) => `${x} Diagnostics`, (x) => `Bureau d'études ${x}`],
  '69': [(x, y) => `Étude ${x} ${y}`, (x) => `${x} Expertise Comptable`, (x) => `Office ${x}`],
}
const GENERIC_FORMS = [(x: string) => `${x} Services`, (x: string) => `Groupe ${x}`, (x: string, y: string) => `${x} ${y}`, (x: string) => `${x} Conseil`]

function companyName(naf: string): string {
  const forms = NAME_FORMS[naf.slice(0, 2)] ?? GENERIC_FORMS
  return pick(forms)(invented(), invented()).toUpperCase()
}

function address(): { numero: string; type: string; voie: string } {
  return { numero: String(int(1, 180)) + (rand() < 0.06 ? ' BIS' : ''), type: pickStreetType()[0], voie: pick(STREET_NAMES) }
}

const TRANCHES = ['NN', '00', '01', '02', '03', '11', '12', '21', '22', '31']
const pickTranche = weighted(TRANCHES, (t) => ({ NN: 6, '00': 10, '01': 14, '02': 10, '03': 8, '11': 6, '12': 4, '21': 2, '22': 1, '31': 0.5 })[t]!)

function date(fromYear: number, toYear: number): string {
  const y = int(fromYear, toYear)
  return `${y}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`
}

const sirens = new Set<string>()
function newSiren(): string {
  for (;;) {
    // First digit 3–9: the ranges INSEE assigns to companies (not the 1/2 of public bodies).
    const base = String(int(3, 9)) + String(int(0, 9_999_999)).padStart(7, '0')
    const siren = luhnComplete(base)
    if (!sirens.has(siren)) return sirens.add(siren), siren
  }
}

const byDep = new Map<string, Commune[]>()
for (const c of communes) byDep.set(c.departement, [...(byDep.get(c.departement) ?? []), c])
function pickCommuneIn(dep: string): Commune | undefined {
  const local = byDep.get(dep)
  return local && pick(local)
}

const rows: CompanyRow[] = []
const usedCommunes: CompaniesFile['communes'] = {}
for (let i = 0; i < COUNT; i++) {
  const siren = newSiren()
  const naf = pickNaf()
  const nature = naf.startsWith('68.20') && rand() < 0.5 ? '6540' : pick(['5710', '5710', '5499', '5499', '5720', '5498', '1000'])
  const individual = nature === '1000'
  const first = pick(FIRST_NAMES)
  const last = invented().toUpperCase()
  const name = individual ? `${first.toUpperCase()} ${last}` : companyName(naf)
  const sigle = !individual && rand() < 0.08 ? name.split(/[\s&'-]+/).filter((w) => w.length > 2).map((w) => w[0]).join('') : null
  const created = date(1975, 2024)
  const tranche = individual ? pick(['NN', '00', '01']) : pickTranche()
  const closed = rand() < 0.04
  const nEtabs = individual ? 1 : rand() < 0.8 ? 1 : rand() < 0.75 ? int(2, 3) : int(4, 12)
  const home = pickCommune()
  const etabs: EtabRow[] = []
  const nics = new Set<string>()
  for (let e = 0; e < nEtabs; e++) {
    // Branches mostly stay in the head office's département.
    const c = e === 0 || rand() < 0.3 ? (e === 0 ? home : pickCommune()) : pickCommuneIn(home.departement) ?? pickCommune()
    usedCommunes[c.code] = [c.nom, c.departement, c.region]
    let nic: string
    do nic = luhnComplete(siren + String(int(1, 9999)).padStart(4, '0')).slice(9)
    while (nics.has(nic))
    nics.add(nic)
    const a = address()
    const etabClosed = closed || (e > 0 && rand() < 0.1)
    etabs.push([nic, a.numero, a.type, a.voie, pick(c.codesPostaux!), c.code, e === 0 ? created : date(Number(created.slice(0, 4)), 2025), etabClosed ? 'F' : 'A'])
  }
  const dirigeants: DirRow[] = individual
    ? []
    : Array.from({ length: rand() < 0.7 ? 1 : int(2, 3) }, (_, k) => [
        invented().toUpperCase(),
        pick(FIRST_NAMES),
        k === 0 ? (nature.startsWith('54') || nature === '6540' ? 'Gérant' : 'Président') : pick(QUALITES_SOC),
        `${int(1950, 1998)}-${String(int(1, 12)).padStart(2, '0')}`,
      ] as DirRow)
  rows.push([siren, name, sigle, naf, nature, created, tranche, closed ? 'C' : 'A', individual ? [first, last] : null, etabs, dirigeants])
}

const usedNaf = Object.fromEntries([...new Set(rows.map((r) => r[3]))].sort().map((k) => [k, nafLabels[k]]))
const out: CompaniesFile = { version: 1, seed: SEED, generatedBy: 'scripts/local-stack/sandbox/companies/generate.ts', naf: usedNaf, communes: usedCommunes, companies: rows }
const file = join(import.meta.dirname, 'data.json')
writeFileSync(file, JSON.stringify(out))
console.log(`${rows.length} companies, ${Object.keys(usedCommunes).length} communes, ${Object.keys(usedNaf).length} NAF codes → ${file}`)
