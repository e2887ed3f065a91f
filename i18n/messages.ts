import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Locale files: `i18n/locales/<code>.json` holds the shell's messages and
 * `i18n/locales/<code>/<feature>.json` one file per feature (top-level key = the feature's
 * namespace), so features never edit the same file.
 */
export const LOCALES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'locales')

/** The files of one locale, relative to `langDir`, core file first. */
export function localeFiles(code: string): string[] {
  const dir = join(LOCALES_DIR, code)
  const features = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []
  return [`${code}.json`, ...features.map((f) => `${code}/${f}`)]
}

type Tree = { [k: string]: string | Tree }

/** All messages of one locale merged (for tests and server-side rendering of e-mails). */
export function loadMessages(code: string): Tree {
  const out: Tree = {}
  for (const f of localeFiles(code)) {
    const messages = JSON.parse(readFileSync(join(LOCALES_DIR, f), 'utf8')) as Tree
    for (const [k, v] of Object.entries(messages)) {
      if (k in out) throw new Error(`i18n: namespace "${k}" of ${f} is already defined by another file of "${code}"`)
      out[k] = v
    }
  }
  return out
}
