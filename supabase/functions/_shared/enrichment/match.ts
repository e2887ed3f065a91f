/**
 * From web search results to a company's website and generic professional
 * e-mail, with a confidence and the source URL. Pure (unit-tested):
 * - the website is the result whose host resembles the company's distinctive
 *   name words, never a directory; two close candidates make it ambiguous
 *   (an AI tie-break may choose, at a confidence that still needs review);
 * - the e-mail must be generic (contact@, info@, accueil@ …): personal
 *   addresses (prenom.nom@, webmail domains) are never kept; on the site's own
 *   domain it is confident, elsewhere it needs review.
 */
export interface SearchResult { title: string; url: string; description: string }
export interface Finding { field: 'website' | 'email'; value: string; confidence: number; source: string }
export interface CompanyQuery { name: string; city?: string | null; postalCode?: string | null; siret?: string | null }

/** Values at or above this confidence may be used without review (sending included). */
export const REVIEW_THRESHOLD = 0.8

const DIRECTORIES = /(^|\.)(annuaire|societe\.com|pagesjaunes|verif\.com|infogreffe|pappers|manageo|kompass|linkedin|facebook|google|annuaire-entreprises)/i
const WEBMAIL = /@(gmail|hotmail|outlook|yahoo|orange|free|sfr|laposte|wanadoo|icloud|live)\./i
const GENERIC_LOCAL = /^(contact|info|infos|accueil|bonjour|hello|agence|direction|secretariat|commercial|administration|gestion|location|transaction|vente|ventes)$/i
const STOP = new Set(['sarl', 'sas', 'sasu', 'eurl', 'sa', 'sci', 'snc', 'et', 'de', 'des', 'du', 'la', 'le', 'les', 'l', 'd', 'immobilier', 'immobiliere', 'immo', 'agence', 'cabinet', 'groupe', 'conseil', 'france'])

export const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
export function distinctiveWords(name: string): string[] {
  return fold(name).split(/[^a-z0-9]+/).filter((w) => w.length >= 3 && !STOP.has(w))
}
export function hostLabel(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '').replace(/\.[a-z]+$/, '')
  } catch {
    return ''
  }
}
const domainOf = (url: string) => {
  try {
    return new URL(url).hostname.replace(/^www\./, '')
  } catch {
    return ''
  }
}

export interface Candidate { url: string; similarity: number }

/**
 * Website candidates, best first. Similarity = share of the name's distinctive
 * words found in the host label × how much of the label the full name covers,
 * so www.<exact-name>.fr scores 1 and a look-alike with extra words less.
 */
export function websiteCandidates(q: CompanyQuery, results: SearchResult[]): Candidate[] {
  const words = distinctiveWords(q.name)
  if (!words.length) return []
  const full = fold(q.name).replace(/[^a-z0-9]/g, '')
  const out: Candidate[] = []
  const seen = new Set<string>()
  for (const r of results) {
    const host = domainOf(r.url)
    if (!host || DIRECTORIES.test(host) || seen.has(host)) continue
    seen.add(host)
    const label = hostLabel(r.url).replace(/[^a-z0-9]/g, '')
    const hit = words.filter((w) => label.includes(w)).length / words.length
    const coverage = label === full ? 1 : Math.min(full.length, label.length) / Math.max(full.length, label.length)
    const similarity = hit * coverage
    if (hit >= 0.5 && similarity >= 0.4) out.push({ url: `https://${host}/`, similarity })
  }
  return out.sort((a, b) => b.similarity - a.similarity)
}

export function matchFindings(q: CompanyQuery, results: SearchResult[], tieBreak?: number | null): Finding[] {
  const findings: Finding[] = []
  const cands = websiteCandidates(q, results)
  let site: Candidate | undefined
  let confidence = 0
  if (cands.length === 1 || (cands.length > 1 && cands[0].similarity - cands[1].similarity >= 0.1)) {
    site = cands[0]
    confidence = Math.min(0.95, 0.5 + 0.45 * site.similarity)
  } else if (cands.length > 1 && tieBreak != null && cands[tieBreak]) {
    site = cands[tieBreak]
    confidence = 0.65
  } else if (cands.length > 1) {
    site = cands[0]
    confidence = 0.5
  }
  if (site) findings.push({ field: 'website', value: site.url, confidence: round(confidence), source: site.url })

  const siteDomain = site ? domainOf(site.url) : null
  let best: Finding | null = null
  for (const r of results) {
    for (const m of r.description.matchAll(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g)) {
      const email = m[0].toLowerCase().replace(/\.$/, '')
      const [local, domain] = email.split('@')
      if (WEBMAIL.test(email) || !GENERIC_LOCAL.test(local)) continue
      const c = siteDomain && domain === siteDomain ? Math.min(0.95, confidence + 0.05) : 0.5
      if (!best || c > best.confidence) best = { field: 'email', value: email, confidence: round(c), source: r.url }
    }
  }
  if (best) findings.push(best)
  return findings
}

const round = (x: number) => Math.round(x * 100) / 100
