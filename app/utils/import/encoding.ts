/**
 * Encoding and content sniffing for imported files. French exports are UTF-8
 * (with or without BOM) or Windows-1252; some are a mix of both (rows pasted
 * from another export). Binary files renamed .csv and Excel workbooks renamed
 * .csv are recognised before any parsing.
 */
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'windows-1252' | 'mixed' | 'utf-16le' | 'utf-16be'
export type FileKind = 'text' | 'xlsx' | 'xls' | 'binary' | 'empty'

const utf8Strict = () => new TextDecoder('utf-8', { fatal: true })

/** What the first bytes say: text, an Excel workbook (zip or OLE), or binary. */
export function sniffKind(head: Uint8Array): FileKind {
  if (head.length === 0) return 'empty'
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'xlsx'
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) return 'xls'
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return 'text'
  // Text has no NUL and few control characters (tab, CR, LF and form feed aside).
  let control = 0
  const n = Math.min(head.length, 64 * 1024)
  for (let i = 0; i < n; i++) {
    const b = head[i]!
    if (b === 0) return 'binary'
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++
  }
  return control / n > 0.01 ? 'binary' : 'text'
}

/** Length of a complete UTF-8 prefix (a chunk may end inside a multi-byte character). */
export function completeUtf8Length(bytes: Uint8Array): number {
  let i = bytes.length
  // walk back over at most 3 continuation bytes to the lead byte
  let back = 0
  while (i > 0 && back < 4 && (bytes[i - 1]! & 0xc0) === 0x80) { i--; back++ }
  if (i === 0) return bytes.length
  const lead = bytes[i - 1]!
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return need === 1 || back + 1 >= need ? bytes.length : i - 1
}

function validUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Strict().decode(bytes.subarray(0, completeUtf8Length(bytes)))
    return true
  } catch {
    return false
  }
}

/** Any byte ≥ 0x80 forming a valid UTF-8 multi-byte sequence? */
function hasUtf8Sequences(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length - 1; i++) {
    const b = bytes[i]!
    if (b >= 0xc2 && b <= 0xf4 && (bytes[i + 1]! & 0xc0) === 0x80) return true
  }
  return false
}

/**
 * Encoding of a sample (the first megabytes): BOMs first, then strict UTF-8;
 * bytes that are not UTF-8 mean Windows-1252, unless valid UTF-8 sequences are
 * also present: then the file mixes both and is decoded line by line.
 */
export function detectEncoding(sample: Uint8Array): TextEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8-bom'
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le'
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be'
  if (validUtf8(sample)) return 'utf-8'
  return hasUtf8Sequences(sample) ? 'mixed' : 'windows-1252'
}

/**
 * A streaming decoder: feed byte chunks, get text. 'mixed' decodes each line as
 * UTF-8 when it is valid UTF-8, else as Windows-1252.
 */
export function createDecoder(encoding: TextEncoding) {
  if (encoding !== 'mixed') {
    const label = encoding === 'utf-8-bom' ? 'utf-8' : encoding
    const d = new TextDecoder(label) // the BOM is dropped by TextDecoder (ignoreBOM: false)
    return {
      push: (bytes: Uint8Array) => d.decode(bytes, { stream: true }),
      end: () => d.decode(),
    }
  }
  const cp1252 = new TextDecoder('windows-1252')
  let carry = new Uint8Array(0)
  const decodeLine = (line: Uint8Array) => {
    try { return utf8Strict().decode(line) } catch { return cp1252.decode(line) }
  }
  const run = (bytes: Uint8Array, last: boolean) => {
    const all = new Uint8Array(carry.length + bytes.length)
    all.set(carry); all.set(bytes, carry.length)
    let out = ''
    let start = 0
    for (let i = 0; i < all.length; i++) {
      if (all[i] === 0x0a) { out += decodeLine(all.subarray(start, i + 1)); start = i + 1 }
    }
    carry = all.slice(start)
    if (last && carry.length) { out += decodeLine(carry); carry = new Uint8Array(0) }
    return out
  }
  return { push: (bytes: Uint8Array) => run(bytes, false), end: () => run(new Uint8Array(0), true) }
}

/** Decodes a whole buffer (tests, small files). */
export function decodeAll(bytes: Uint8Array, encoding = detectEncoding(bytes)): string {
  const d = createDecoder(encoding)
  return d.push(bytes) + d.end()
}
