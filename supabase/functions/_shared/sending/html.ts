/**
 * HTML we can render as is (inbound e-mail in the inbox, bodies we send).
 *
 * `sanitizeHtml` keeps only an allow-list of formatting tags, always without
 * attributes (`p br b strong i em u ul ol li blockquote`; `div` becomes `p`),
 * drops comments and the content of script/style/head/… blocks, and escapes
 * all other text. The output therefore contains no tag we did not write
 * ourselves: no link, image, style or handler survives, whatever the input.
 * (sanitize-html would keep more formatting; it is not a dependency of the
 * functions yet, and an inbox needs little more than paragraphs and quotes.)
 */
const ALLOWED = new Set(['p', 'br', 'b', 'strong', 'i', 'em', 'u', 'ul', 'ol', 'li', 'blockquote'])
const RENAMED: Record<string, string> = { div: 'p' }
const DROP_BLOCK = /<(script|style|head|title|template|iframe|object|embed|noscript|svg|math|textarea|select|xml)\b[\s\S]*?<\/\1\s*>/gi
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>/g

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** Escapes text, keeping well-formed character references (&eacute; &#233; &#xE9;) as they are. */
function escapeText(s: string): string {
  return s.replace(/&(?!(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

export function sanitizeHtml(html: string | null | undefined, maxLength = 200_000): string | null {
  if (!html) return null
  let s = html.slice(0, maxLength * 2)
  s = s.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(/<!\[CDATA\[[\s\S]*?(\]\]>|$)/g, '').replace(/<![^>]*>/g, '').replace(/<\?[^>]*>/g, '')
  // Unclosed dangerous blocks swallow the rest, as a browser would.
  s = s.replace(DROP_BLOCK, '').replace(/<(script|style|iframe|object|embed|svg|math|template|noscript)\b[\s\S]*$/i, '')
  const out: string[] = []
  let last = 0
  for (const m of s.matchAll(TAG)) {
    out.push(escapeText(s.slice(last, m.index)))
    last = m.index! + m[0].length
    const name = RENAMED[m[2].toLowerCase()] ?? m[2].toLowerCase()
    if (!ALLOWED.has(name)) continue
    if (name === 'br') out.push('<br>')
    else out.push(m[1] ? `</${name}>` : `<${name}>`)
  }
  out.push(escapeText(s.slice(last)))
  const r = out.join('').trim()
  return r ? r.slice(0, maxLength) : null
}

/** Plain text as HTML: escaped, paragraphs and line breaks kept (same as private.text_to_html). */
export function textToHtml(text: string): string {
  return `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`
}
