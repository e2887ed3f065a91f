/**
 * The send worker as a process of its own (crash test and bench; also usable
 * as a long-running worker outside the edge runtime): drains the queues until
 * they stay empty for SEND_WORKER_IDLE_MS (default 2 s) or forever with
 * SEND_WORKER_FOREVER=1. Same code as the edge function (drainAll).
 *
 *   deno run -A --config supabase/functions/deno.json supabase/functions/send-worker/cli.ts [email,sms]
 */
import { closeDb } from '../_shared/db.ts'
import { drainAll } from './handler.ts'

const queues = (Deno.args[0] ?? 'email,sms').split(',').filter(Boolean)
const idleMs = Number(Deno.env.get('SEND_WORKER_IDLE_MS') ?? 2000)
const forever = Deno.env.get('SEND_WORKER_FOREVER') === '1'
const batch = Number(Deno.env.get('SEND_WORKER_BATCH') ?? 50)
const totals = { read: 0, succeeded: 0, retried: 0, archived: 0 }
let idleSince = Date.now()
for (;;) {
  const r = await drainAll({ queues, batch, budgetMs: 10_000 })
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k]
  if (r.read > 0) idleSince = Date.now()
  else if (!forever && Date.now() - idleSince > idleMs) break
  else await new Promise((res) => setTimeout(res, 200))
}
console.log(JSON.stringify({ done: true, ...totals }))
await closeDb()
