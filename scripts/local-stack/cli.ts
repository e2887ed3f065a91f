/**
 * `npm run dev` → `cli.ts dev`: the whole product on the local stack, in the
 * foreground, data kept in `.stack/`. `cli.ts reset` deletes that data so the
 * next start recreates the cluster, migrations and demo agency.
 * `cli.ts start [--no-app]` is `dev` without the Nuxt dev server when asked.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './config.ts'
import { clusterDir } from './postgres.ts'
import { startStack, type Stack } from './stack.ts'

const DATA_DIR = process.env.STACK_DATA_DIR ?? join(ROOT, '.stack')
const [cmd = 'dev', ...flags] = process.argv.slice(2)

function banner(stack: Stack): string {
  const { cfg } = stack
  const hasApp = stack.services.some((s) => s.name === 'nuxt')
  const rows: [string, string][] = [
    ...(hasApp ? [['App', cfg.appUrl] as [string, string]] : []),
    ['API gateway', cfg.apiUrl],
    ['Mail inbox', cfg.mailUrl],
    ['Provider sandbox', cfg.sandboxUrl],
    ['Postgres', cfg.dbUrl],
    ['anon key', cfg.keys.anonKey],
    ['service_role key', cfg.keys.serviceRoleKey],
    ['publishable key', cfg.keys.publishableKey],
    ['secret key', cfg.keys.secretKey],
    ['Env file', join(cfg.dataDir, 'env.local')],
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  return ['', 'immo-ai local stack is running:', ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`), '', 'Ctrl-C stops everything.', ''].join('\n')
}

async function main() {
  if (cmd === 'reset') {
    rmSync(clusterDir(DATA_DIR), { recursive: true, force: true })
    rmSync(DATA_DIR, { recursive: true, force: true })
    console.log(`Removed ${DATA_DIR}; the next \`npm run dev\` recreates the database and the demo agency.`)
    return
  }
  if (cmd !== 'dev' && cmd !== 'start') {
    console.error(`Unknown command ${cmd}; use dev, start or reset`)
    process.exit(2)
  }
  const started = Date.now()
  let stack: Stack | undefined
  let interrupts = 0
  const shutdown = async (code: number) => {
    await stack?.stop()
    process.exit(code)
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      interrupts++
      if (interrupts === 1) {
        console.log('\nStopping the local stack…')
        void shutdown(0)
      } else {
        console.log('Stopping now.')
        void (stack ? stack.killAndWait() : Promise.resolve()).then(() => process.exit(130))
      }
    })
  }
  try {
    stack = await startStack({
      mode: 'dev',
      dataDir: DATA_DIR,
      app: flags.includes('--no-app') ? false : 'dev',
    })
  } catch (e) {
    console.error(`\nThe local stack could not start: ${(e as Error).message}`)
    process.exit(1)
  }
  console.log(banner(stack))
  console.log(`Started in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
  stack.crashed.catch(async (e: Error) => {
    console.error(`\n${e.message}; stopping the rest.`)
    await stack?.stop()
    process.exit(1)
  })
}

void main()
