/**
 * Storage API errors with Supabase Storage's body shape (contract §4.2):
 * `{ statusCode: "<logical status>", code, error, message }`, sent with HTTP
 * 400 for every logical 4xx and 500 for logical 5xx, unless a route says
 * otherwise (emptyBucket without the service role answers a real 403).
 */
import type { ServerResponse } from 'node:http'
import { sendJson } from '../http.ts'

export class StorageError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly error: string = code,
    readonly httpStatus: number = statusCode >= 500 ? 500 : 400,
  ) {
    super(message)
  }

  body() {
    return { statusCode: String(this.statusCode), code: this.code, error: this.error, message: this.message }
  }
}

export const E = {
  noSuchBucket: () => new StorageError(404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found'),
  noSuchKey: () => new StorageError(404, 'NoSuchKey', 'Object not found', 'not_found'),
  keyExists: () => new StorageError(409, 'KeyAlreadyExists', 'The resource already exists', 'Duplicate'),
  bucketExists: () => new StorageError(409, 'BucketAlreadyExists', 'The resource already exists', 'Duplicate'),
  bucketNotEmpty: () => new StorageError(409, 'ResourceNotEmpty', 'The bucket you tried to delete is not empty'),
  accessDenied: (message: string, httpStatus?: number) => new StorageError(403, 'AccessDenied', message, 'Unauthorized', httpStatus),
  tooLarge: () => new StorageError(413, 'EntityTooLarge', 'The object exceeded the maximum allowed size', 'Payload too large'),
  mime: (mime: string) => new StorageError(415, 'InvalidMimeType', `mime type ${mime} is not supported`, 'invalid_mime_type'),
  invalidKey: (key: string) => new StorageError(400, 'InvalidKey', `Invalid key: ${key}`),
  invalidBucketName: () => new StorageError(400, 'InvalidBucketName', 'Bucket name invalid', 'Invalid Input'),
  invalidRequest: (message: string) => new StorageError(400, 'InvalidRequest', message),
  invalidSignature: (message = 'Invalid signature') => new StorageError(400, 'InvalidSignature', message),
  expired: () => new StorageError(400, 'ExpiredToken', 'The provided token has expired.'),
  notFound: () => new StorageError(404, 'NotFound', 'Route not found', 'Not Found'),
  timeout: () => new StorageError(544, 'DatabaseTimeout', 'The connection to the database timed out', 'DatabaseTimeout', 544),
  internal: (message = 'Internal server error') => new StorageError(500, 'InternalError', message, 'Internal Server Error'),
}

/** Maps a Postgres error raised by a request's SQL to the storage error a client sees. */
export function fromPg(e: unknown, on: { unique?: () => StorageError; foreignKey?: () => StorageError } = {}): StorageError {
  if (e instanceof StorageError) return e
  const pg = e as { code?: string; message?: string }
  switch (pg.code) {
    case '42501':
      return E.accessDenied(/row-level security/.test(pg.message ?? '') ? 'new row violates row-level security policy' : pg.message ?? 'Access denied')
    case '23505':
      return (on.unique ?? E.keyExists)()
    case '23503':
      return (on.foreignKey ?? E.noSuchBucket)()
    case '57014':
      return E.timeout()
    case '22023':
    case '42704':
      return E.accessDenied(pg.message ?? 'Invalid role')
    default:
      return E.internal(pg.message)
  }
}

export function sendError(res: ServerResponse, e: StorageError): void {
  sendJson(res, e.httpStatus, e.body())
}
