/**
 * Object bytes on disk: `<dataDir>/storage/<bucket>/<name>/<version>`.
 * Every write goes to a fresh version file, so the database row (which names
 * the version) is the only thing that decides what a reader sees: a version
 * file is written (or hard-linked, for move) before the transaction commits,
 * and the replaced or moved version is removed after it commits.
 * Keys and bucket ids are validated before they get here; `pathFor` checks
 * again that the result stays inside the storage root.
 */
import { createReadStream, type ReadStream } from 'node:fs'
import { copyFile, link, mkdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { E } from './errors.ts'

/** A valid object key: relative, no `.`/`..`/empty segment, no control character or backslash. */
export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false
  if (key.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(key)) return false
  return key.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
}

/** Bucket ids as Supabase Storage accepts them, minus anything that is not a plain folder name. */
export function isValidBucketName(id: string): boolean {
  return id.length > 0 && id.length <= 100 && id !== '.' && id !== '..' && /^[A-Za-z0-9_!\-.*'() &$@=;:+,?]+$/.test(id)
}

export function createFileStore(root: string) {
  const base = resolve(root)

  function pathFor(bucket: string, name: string, version?: string): string {
    const p = resolve(base, bucket, ...name.split('/'), ...(version ? [version] : []))
    if (!p.startsWith(base + sep + bucket + sep) && p !== join(base, bucket)) throw E.invalidKey(name)
    return p
  }

  /** Removes now-empty folders from `dir` up to (not including) the bucket folder. */
  async function prune(bucket: string, dir: string) {
    const stop = join(base, bucket)
    while (dir.startsWith(stop + sep)) {
      try {
        await rmdir(dir)
      } catch {
        return
      }
      dir = dirname(dir)
    }
  }

  return {
    pathFor,

    async write(bucket: string, name: string, version: string, data: Buffer): Promise<void> {
      const file = pathFor(bucket, name, version)
      await mkdir(dirname(file), { recursive: true })
      const tmp = `${file}.tmp`
      await writeFile(tmp, data)
      await rename(tmp, file)
    },

    async copy(from: { bucket: string; name: string; version: string }, to: { bucket: string; name: string; version: string }) {
      const dst = pathFor(to.bucket, to.name, to.version)
      await mkdir(dirname(dst), { recursive: true })
      await copyFile(pathFor(from.bucket, from.name, from.version), dst)
    },

    /** Second name for the same bytes (move): cheap and atomic. */
    async link(from: { bucket: string; name: string; version: string }, to: { bucket: string; name: string }) {
      const dst = pathFor(to.bucket, to.name, from.version)
      await mkdir(dirname(dst), { recursive: true })
      await link(pathFor(from.bucket, from.name, from.version), dst)
    },

    async remove(bucket: string, name: string, version: string): Promise<void> {
      const file = pathFor(bucket, name, version)
      try {
        await unlink(file)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
      await prune(bucket, dirname(file))
    },

    async removeBucket(bucket: string): Promise<void> {
      await rm(join(base, bucket), { recursive: true, force: true })
    },

    async size(bucket: string, name: string, version: string): Promise<number | undefined> {
      try {
        return (await stat(pathFor(bucket, name, version))).size
      } catch {
        return undefined
      }
    },

    read(bucket: string, name: string, version: string, range?: { start: number; end: number }): ReadStream {
      return createReadStream(pathFor(bucket, name, version), range)
    },
  }
}

export type FileStore = ReturnType<typeof createFileStore>
