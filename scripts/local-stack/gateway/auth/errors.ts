/**
 * GoTrue's error bodies: the 2024-01-01 format `{code, message}` when the client
 * asks for it (auth-js always does), the legacy `{code: status, error_code, msg}`
 * otherwise, and the OAuth `{error, error_description}` of the token endpoint.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export const API_VERSION = '2024-01-01'

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/** OAuth2-style token endpoint error (`refresh_token required`, …). */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description)
  }
}

export const badRequest = (code: string, msg: string, extra?: Record<string, unknown>) => new AuthError(400, code, msg, extra)
export const unprocessable = (code: string, msg: string, extra?: Record<string, unknown>) => new AuthError(422, code, msg, extra)
export const forbidden = (code: string, msg: string) => new AuthError(403, code, msg)
export const notFound = (code: string, msg: string) => new AuthError(404, code, msg)
export const tooMany = (code: string, msg: string) => new AuthError(429, code, msg)
export const internal = (msg: string) => new AuthError(500, 'unexpected_failure', msg)

function wantsVersioned(req: IncomingMessage): boolean {
  const v = req.headers['x-supabase-api-version']
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= API_VERSION
}

export function sendError(req: IncomingMessage, res: ServerResponse, e: AuthError | OAuthError): void {
  let status: number
  let body: Record<string, unknown>
  const headers: Record<string, string> = { 'x-supabase-api-version': API_VERSION }
  if (e instanceof OAuthError) {
    status = e.status
    body = { error: e.error, error_description: e.description }
  } else {
    status = e.status
    headers['x-sb-error-code'] = e.code
    body = wantsVersioned(req)
      ? { code: e.code, message: e.message, ...e.extra }
      : { code: e.status, error_code: e.code, msg: e.message, ...e.extra }
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(body))
}
