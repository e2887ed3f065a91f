/**
 * Import throughput, end to end, against the ceiling of the same database.
 *
 *   npx tsx bench/import.ts [--rows=100000] [--million]
 *
 * Generates a French CSV (Windows-1252, ';', 20 columns, ~3 % dirty rows, ~1 %
 * repeated rows) and imports it the way the app does: the file streamed in 8 MB
 * slices through the same engine as the Web Worker (decode, papaparse, map,
 * normalise, validate), batches of 1,000 rows sent with supabase-js to
 * import_apply_batch through the local gateway (REST, JWT, RLS, the RPC's own
 * validation and deduplication, staging and counters), one batch in flight while
 * the next is parsed. The ceiling is a plain COPY of the same normalised rows
 * into the same indexed table (contacts, with its triggers) of another tenant.
 * Then the same file is imported again: nothing may be created.
 * --million runs 1,000,000 rows and prints the peak memory of the importing process.
 */
import { chmodSync, closeSync, createReadStream, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createClient } from '@supabase/supabase-js'
import postgres from 'postgres'
import WebSocket from 'ws'
import { startStack } from '../scripts/local-stack/stack.ts'
import { BATCH_ROWS, createPipeline, csvRecords, sniffCsv, SNIFF_BYTES, type BatchRow } from '../app/utils/import/engine.ts'
import { autoMapping } from '../app/utils/import/fields.ts'

const arg = (name: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
const ROWS = process.argv.includes('--million') ? 1_000_000 : arg('rows', 100_000)
// --via=db calls the same RPCs over postgres.js as the API does (transaction, `set local role
// authenticated`, the user's request.jwt.claims: RLS applies) without the HTTP gateway, and without
// the API's 8 s statement timeout — for an overloaded machine where a batch can exceed it.
const VIA = process.argv.find((a) => a.startsWith('--via='))?.slice(6) === 'db' ? 'db' : 'rest'

// ---------------------------------------------------------------- data
let seed = 42
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!
const FIRST = ['Jean', 'Marie', 'Élodie', 'François', 'Hélène', 'Jérôme', 'Chloé', 'Loïc', 'Agnès', 'Benoît', 'Cécile', 'Gaëlle', 'Noël', 'Inès', 'Raphaël', 'Sébastien']
const LAST = ['Martin', 'Bernard', 'Dubois', 'Lefèvre', 'Lemaître', 'Garçon', 'Rousseau', 'Mercier', 'Faure', 'Girard', 'Bonnet', 'Dupré', 'Müller', 'Lambert', 'Fontaine', 'Chevalier']
const CITIES: [string, string][] = [['75008', 'Paris'], ['92200', 'Neuilly-sur-Seine'], ['92300', 'Levallois-Perret'], ['69002', 'Lyon'], ['13008', 'Marseille'], ['33000', 'Bordeaux'], ['06000', 'Nice'], ['44000', 'Nantes']]
const DOMAINS = ['orange.fr', 'free.fr', 'gmail.com', 'wanadoo.fr', 'laposte.net', 'sfr.fr']
const TYPES = ['Appartement', 'Maison', 'Studio', 'Loft', 'Hôtel particulier']
/** A SIRET whose SIREN (9 digits) and whole number (14 digits) both pass the Luhn check, as real ones do. */
function luhnDigit(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = body + d
    let sum = 0
    for (let k = 0; k < s.length; k++) { let x = s.charCodeAt(s.length - 1 - k) - 48; if (k % 2) { x *= 2; if (x > 9) x -= 9 } sum += x }
    if (sum % 10 === 0) return String(d)
  }
  return '0'
}
function siret(i: number): string {
  const siren8 = String(10000000 + ((i * 7919) % 89999999)).slice(0, 8)
  const siren = siren8 + luhnDigit(siren8)
  const nic4 = String(1000 + (i % 9000)).slice(0, 4)
  return siren + nic4 + luhnDigit(siren + nic4)
}
const CP1252: Record<string, number> = { '€': 0x80, '’': 0x92, 'œ': 0x9c }
function encode1252(s: string): Buffer {
  const b = Buffer.allocUnsafe(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    b[i] = c < 0x80 || (c >= 0xa0 && c < 0x100) ? c : (CP1252[s[i]!] ?? 0x3f)
  }
  return b
}
function generate(path: string, rows: number) {
  const fd = openSync(path, 'w')
  const header = 'Civilité;Prénom;Nom;E-mail;Téléphone;Portable;Société;Fonction;SIRET;Adresse;Code postal;Ville;Pays;Étiquettes;Budget (€);Surface (m²);Type de bien;Source;Date de contact;Remarque\r\n'
  writeSync(fd, encode1252(header))
  let chunk = ''
  for (let i = 0; i < rows; i++) {
    const j = i % 100 === 99 ? i - 1 : i // ~1 % rows repeat the previous one (in-file duplicates)
    const f = FIRST[j % FIRST.length]!, l = LAST[Math.floor(j / 16) % LAST.length]!
    const [cp, city] = CITIES[j % CITIES.length]!
    const badEmail = j % 50 === 7, badPhone = j % 97 === 3
    const email = badEmail ? `${f}.${l}${j}@@${pick(DOMAINS)}` : `${f}.${l}.${j}@${DOMAINS[j % DOMAINS.length]}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    const phone = badPhone ? '12 34' : `06 ${String(10000000 + j).replace(/(\d{2})(?=\d)/g, '$1 ')}`
    const company = j % 7 === 0 ? `SCI ${l} & Fils` : ''
    chunk += [j % 2 ? 'Mme' : 'M.', f.toUpperCase(), l, email, phone, `07 ${String(20000000 + j).replace(/(\d{2})(?=\d)/g, '$1 ')}`,
      company, company ? 'Gérant' : '', company ? siret(j) : '', `${1 + (j % 120)} rue de la République`, cp, city, 'France',
      pick(['salon', 'vendeur', 'acquéreur', 'investisseur']), `${100 + (j % 900)} 000,${j % 100}`, `${20 + (j % 200)},5`, pick(TYPES),
      'Export Hektor', `${1 + (j % 28)}/0${1 + (j % 9)}/2025`, j % 11 === 0 ? '"Rappeler le soir;\r\nsauf le week-end"' : 'RAS',
    ].join(';') + '\r\n'
    if (chunk.length > 1 << 20) { writeSync(fd, encode1252(chunk)); chunk = '' }
  }
  writeSync(fd, encode1252(chunk))
  closeSync(fd)
}

async function* fileChunks(path: string) {
  for await (const b of createReadStream(path, { highWaterMark: 8 * 1024 * 1024 })) yield new Uint8Array(b as Buffer)
}

let peakRss = 0
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 50)

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'immo-bench-import-'))
  chmodSync(tmp, 0o755)
  const csvPath = join(tmp, 'prospects.csv')
  let t = Date.now()
  generate(csvPath, ROWS)
  const bytes = statSync(csvPath).size
  console.log(`generated ${ROWS.toLocaleString('en')} rows × 20 columns, Windows-1252 ';': ${(bytes / 1048576).toFixed(1)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`)

  const stack = await startStack({ mode: 'test', dataDir: join(tmp, 'stack'), app: false, seed: false, log: () => {} })
  const sql = postgres(stack.cfg.dbUrl, { max: 2, onnotice: () => {} })
  try {
    const svc = createClient(stack.cfg.apiUrl, stack.cfg.keys.serviceRoleKey, { auth: { persistSession: false }, realtime: { transport: WebSocket as never } })
    const email = 'bench.import@immo-ai.test'
    const { data: u, error: ue } = await svc.auth.admin.createUser({ email, password: 'Bench-import-2026', email_confirm: true })
    if (ue) throw ue
    const [a] = await sql`insert into public.tenants (slug, legal_name) values ('bench-import', 'Bench Import') returning id`
    const [b] = await sql`insert into public.tenants (slug, legal_name) values ('bench-copy', 'Bench COPY') returning id`
    await sql`insert into public.tenant_members (tenant_id, user_id, role) values (${a!.id}, ${u.user!.id}, 'owner'), (${b!.id}, ${u.user!.id}, 'owner')`
    const client = createClient(stack.cfg.apiUrl, stack.cfg.keys.anonKey, { auth: { persistSession: false }, realtime: { transport: WebSocket as never } })
    const { error: se } = await client.auth.signInWithPassword({ email, password: 'Bench-import-2026' })
    if (se) throw se
    const claims = JSON.stringify({ sub: u.user!.id, role: 'authenticated', aud: 'authenticated', email })
    /** One RPC as a user: through supabase-js and the gateway, or straight to Postgres with the same identity. */
    async function rpc(fn: string, args: Record<string, unknown>): Promise<{ data: unknown; error: { message: string; code?: string } | null }> {
      if (VIA === 'rest') return client.rpc(fn, args) as never
      try {
        const names = Object.keys(args)
        const data = await sql.begin(async (tx) => {
          await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`
          const [r] = await tx.unsafe(`select public.${fn}(${names.map((n, i) => `${n} => $${i + 1}`).join(', ')}) as r`,
            names.map((n) => args[n]) as never[])
          return r!.r
        })
        return { data, error: null }
      } catch (e) {
        return { data: null, error: { message: String((e as Error).message), code: (e as { code?: string }).code } }
      }
    }

    // ---------------------------------------------------------------- parse only (the worker's share)
    const head = new Uint8Array(Math.min(SNIFF_BYTES, bytes))
    { const fd = openSync(csvPath, 'r'); readSync(fd, head, 0, head.length, 0); closeSync(fd) }
    const sniffed = sniffCsv(head, (i) => `Colonne ${i}`, bytes <= SNIFF_BYTES)
    const mapping = autoMapping(sniffed.headers, sniffed.sample)
    t = performance.now()
    let parsed = 0
    {
      const p = createPipeline(sniffed, mapping)
      for await (const recs of csvRecords(fileChunks(csvPath), sniffed)) parsed += p.process(recs).rows.length
    }
    const parseS = (performance.now() - t) / 1000
    console.log(`parse + normalise + validate only: ${parsed.toLocaleString('en')} rows in ${parseS.toFixed(2)} s = ${Math.round(parsed / parseS).toLocaleString('en')} rows/s`)

    // ---------------------------------------------------------------- end to end
    async function importFile(label: string) {
      const t0 = performance.now()
      const { data: id, error } = await rpc('import_start', { p_tenant_id: a!.id, p_file_name: 'prospects.csv', p_file_size: bytes, p_encoding: sniffed.encoding, p_delimiter: ';', p_mapping: { headers: sniffed.headers, fields: mapping }, p_policy: 'skip', p_total_rows: ROWS })
      if (error) throw error
      const p = createPipeline(sniffed, mapping)
      const totals = { rows: 0, created: 0, duplicates: 0, rejected: 0 }
      let retries = 0
      let inflight: Promise<void> = Promise.resolve()
      let batchNo = 0
      let batch: BatchRow[] = []
      const send = (rows: BatchRow[], no: number) => inflight.then(async () => {
        let data: unknown = null
        for (let attempt = 0; ; attempt++) {
          const r = await rpc('import_apply_batch', { p_import_id: id, p_batch_no: no, p_rows: rows })
          if (!r.error) { data = r.data; break }
          // a lost connection is retried, as the app does: the replay of an applied batch writes nothing
          if (attempt >= 2 || !(/fetch failed|ECONNRESET/.test(r.error.message) || r.error.code === '57014')) throw r.error
          retries++
        }
        const c = data as Record<string, number>
        totals.rows += c.rows!; totals.created += c.created!; totals.duplicates += c.duplicates!; totals.rejected += c.rejected!
      })
      for await (const recs of csvRecords(fileChunks(csvPath), sniffed)) {
        // The gateway runs in this process: work in batch-sized slices and yield, so the
        // batch in flight is served while the next one is prepared (the browser has a Worker).
        for (let i = 0; i < recs.length; i += BATCH_ROWS) {
          for (const r of p.process(recs.slice(i, i + BATCH_ROWS)).rows) {
            batch.push(r)
            if (batch.length === BATCH_ROWS) { await inflight; inflight = send(batch, batchNo++); batch = [] }
          }
          await new Promise((r) => setImmediate(r))
        }
      }
      if (batch.length) { await inflight; inflight = send(batch, batchNo++) }
      await inflight
      const { error: fe } = await rpc('import_finish', { p_import_id: id })
      if (fe) throw fe
      const s = (performance.now() - t0) / 1000
      console.log(`${label}: ${totals.rows.toLocaleString('en')} rows in ${s.toFixed(1)} s = ${Math.round(totals.rows / s).toLocaleString('en')} rows/s (created ${totals.created.toLocaleString('en')}, duplicates ${totals.duplicates.toLocaleString('en')}, rejected ${totals.rejected.toLocaleString('en')}, ${batchNo} batches, ${retries} retried)`)
      return { ...totals, seconds: s, rowsPerSecond: totals.rows / s }
    }
    peakRss = 0
    const first = await importFile(VIA === 'rest' ? 'end to end (file → worker engine → supabase-js → gateway → import_apply_batch)' : 'end to end (file → worker engine → postgres.js as the user → import_apply_batch)')
    const importPeak = peakRss

    // ---------------------------------------------------------------- ceiling: COPY of the same rows
    const valid: BatchRow[] = []
    {
      const p = createPipeline(sniffed, mapping)
      const seen = new Set<string>()
      for await (const recs of csvRecords(fileChunks(csvPath), sniffed)) {
        for (const r of p.process(recs).rows) {
          if (r.error_reason) continue
          const k = `${r.email}|${r.phone}|${r.siret}`
          if ((r.email && seen.has(`e${r.email}`)) || (r.phone && seen.has(`p${r.phone}`)) || (r.siret && seen.has(`s${r.siret}`))) continue
          if (r.email) seen.add(`e${r.email}`); if (r.phone) seen.add(`p${r.phone}`); if (r.siret) seen.add(`s${r.siret}`)
          void k
          valid.push(r)
        }
      }
    }
    const esc = (v: unknown) => (v === null || v === undefined || v === '' ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'))
    const lines = valid.map((r) => [b!.id, r.kind, r.first_name, r.last_name, r.email, r.phone, r.company_name, r.job_title, r.siret, r.siren, r.address_line, r.postal_code, r.city, r.country ?? 'FR',
      `{${(r.tags ?? []).map((x) => `"${x.replace(/"/g, '\\"')}"`).join(',')}}`, JSON.stringify(r.custom_fields ?? {}), 'import'].map(esc).join('\t') + '\n')
    const t1 = performance.now()
    const writable = await sql.unsafe('copy public.contacts (tenant_id, kind, first_name, last_name, email, phone, company_name, job_title, siret, siren, address_line, postal_code, city, country, tags, custom_fields, source) from stdin').writable()
    await pipeline(Readable.from(lines), writable)
    const copyS = (performance.now() - t1) / 1000
    const copyRate = valid.length / copyS
    console.log(`ceiling — COPY of the same ${valid.length.toLocaleString('en')} normalised rows into contacts (same indexes and triggers): ${copyS.toFixed(1)} s = ${Math.round(copyRate).toLocaleString('en')} rows/s`)
    console.log(`ratio end to end / COPY: ${(first.created / first.seconds / copyRate * 100).toFixed(0)} % (created rows/s vs COPY rows/s); all file rows/s vs COPY: ${(first.rowsPerSecond / copyRate * 100).toFixed(0)} %`)
    console.log(`target ≥ 20,000 rows/s: ${first.rowsPerSecond >= 20000 ? 'met' : 'NOT met'} (${Math.round(first.rowsPerSecond).toLocaleString('en')} rows/s)`)

    // ---------------------------------------------------------------- re-import
    const [before] = await sql`select count(*)::int as n from public.contacts where tenant_id = ${a!.id}`
    const again = await importFile('re-import of the same file')
    const [afterCount] = await sql`select count(*)::int as n from public.contacts where tenant_id = ${a!.id}`
    console.log(`re-import: created ${again.created}, contacts before ${before!.n.toLocaleString('en')} → after ${afterCount!.n.toLocaleString('en')} ${again.created === 0 && before!.n === afterCount!.n ? '(no duplicate)' : '(DUPLICATES CREATED)'}`)
    console.log(`peak RSS of the importing process during the first import: ${(importPeak / 1048576).toFixed(0)} MB for a ${(bytes / 1048576).toFixed(0)} MB file (streamed in 8 MB slices, one 1,000-row batch in flight)`)
    console.log(`machine: 2 shared cores, other engineers' jobs running (load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' / ')}) — figures are noisy; the ratio to COPY is the comparable one.`)
  } finally {
    clearInterval(sampler)
    await sql.end()
    await stack.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
