import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadMessages } from '../../i18n/messages'

const fr = loadMessages('fr')
const en = loadMessages('en')

type Tree = { [k: string]: string | Tree }
const keys = (o: Tree, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [p + k] : keys(v, `${p}${k}.`)))
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(vue|ts)$/.test(f) ? [p] : []
  })

describe('translations', () => {
  it('French and English have the same keys', () => {
    expect(keys(en as Tree).sort()).toEqual(keys(fr as Tree).sort())
  })

  it('every literal key used in the app exists in French', () => {
    const known = new Set(keys(fr as Tree))
    const prefixes = new Set(keys(fr as Tree).flatMap((k) => k.split('.').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('.'))))
    const missing: string[] = []
    for (const f of ['app', 'components', 'composables'].flatMap(files)) {
      const src = readFileSync(f, 'utf8')
      for (const m of src.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) if (!known.has(m[1]!)) missing.push(`${f}: ${m[1]}`)
      // Template keys built from a prefix (`t(\`roles.${r}\`)`): the prefix must exist.
      for (const m of src.matchAll(/\bt\(\s*`([a-zA-Z0-9_.]+)\.\$\{/g)) if (!prefixes.has(m[1]!)) missing.push(`${f}: ${m[1]}.*`)
    }
    expect(missing).toEqual([])
  })

  it('no French text is hard-coded in templates', () => {
    const offenders: string[] = []
    for (const f of ['app', 'components'].flatMap(files).filter((f) => f.endsWith('.vue'))) {
      const template = readFileSync(f, 'utf8').split('<template>').slice(1).join('<template>')
      // Text between tags that is not an interpolation and contains letters.
      for (const m of template.matchAll(/>([^<>{}]*[A-Za-zÀ-ÿ]{3,}[^<>{}]*)</g)) {
        if (!/^\s*(immo|ai|·ai)\s*$/.test(m[1]!)) offenders.push(`${f}: ${m[1]!.trim()}`)
      }
    }
    expect(offenders).toEqual([])
  })
})
