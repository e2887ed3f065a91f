/**
 * What every gateway module receives: configuration, database pools, JWT
 * verification and the logger. Modules never read process.env themselves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { jwtVerify, type JWTPayload } from 'jose'
import postgres from 'postgres'
import type { StackConfig } from '../config.ts'

export type Sql = postgres.Sql

/** Size of the `authenticator` pool used by REST. */
export const API_POOL = 20

export interface GatewayContext {
  cfg: StackConfig
  /** Logs in as `authenticator`; requests switch role with `set local role`. */
  api: Sql
  /** Logs in as `supabase_auth_admin`, owner of the auth schema (as GoTrue does). */
  authDb: Sql
  /** Logs in as `supabase_storage_admin` (as the storage service does). */
  storageDb: Sql
  /** Superuser, for replication and catalog work only. */
  admin: Sql
  jwtSecret: Uint8Array
  verifyJwt(token: string): Promise<JWTPayload & { role?: string }>
  log(entry: Record<string, unknown>): void
}

/** A module handles the requests under its prefix; `path` is what follows the prefix. */
export interface GatewayModule {
  handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void>
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, url: URL): void
  close?(): Promise<void>
}

export function createContext(cfg: StackConfig, log: (e: Record<string, unknown>) => void): GatewayContext {
  const base = `postgresql://%s@127.0.0.1:${cfg.ports.db}/${cfg.dbName}`
  const opts = { onnotice: () => {}, connection: { application_name: 'gateway' } }
  const jwtSecret = new TextEncoder().encode(cfg.keys.jwtSecret)
  return {
    cfg,
    // REST pipelines each request in one round trip, so a few connections keep
    // Postgres busy; more backends than cores only add context switches.
    // GATEWAY_API_POOL overrides (benchmarks).
    api: postgres(base.replace('%s', 'authenticator'), { ...opts, max: Number(process.env.GATEWAY_API_POOL) || API_POOL }),
    authDb: postgres(base.replace('%s', 'supabase_auth_admin'), { ...opts, max: 5 }),
    storageDb: postgres(base.replace('%s', 'supabase_storage_admin'), { ...opts, max: 5 }),
    admin: postgres(base.replace('%s', 'postgres'), { ...opts, max: 3 }),
    jwtSecret,
    async verifyJwt(token) {
      const { payload } = await jwtVerify(token, jwtSecret, { algorithms: ['HS256'] })
      return payload
    },
    log,
  }
}

export async function closeContext(ctx: GatewayContext): Promise<void> {
  await Promise.all([ctx.api.end(), ctx.authDb.end(), ctx.storageDb.end(), ctx.admin.end()])
}
