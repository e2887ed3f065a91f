/**
 * Text helpers for AI messages in the browser: sanitised e-mail HTML
 * (DOMPurify with the same allow-list as the send-test function), plain text
 * ⇄ HTML, SMS segments (the edge functions' GSM-7/UCS-2 counter, imported
 * as is so both sides count alike) and reading time.
 */
import DOMPurify from 'dompurify'
import { countSms } from '~~/supabase/functions/_shared/ai/gsm'

export const EMAIL_TAGS = ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'ul', 'ol', 'li', 'a', 'blockquote', 'h2', 'h3']

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** Only the e-mail allow-list survives; on the server (no DOM) everything but text is escaped. */
export function sanitizeEmailHtml(html: string): string {
  if (typeof window === 'undefined') return escape(html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim()
  return DOMPurify.sanitize(html, { ALLOWED_TAGS: EMAIL_TAGS, ALLOWED_ATTR: ['href'], ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|tel:)/i })
}

/** Paragraphs of a generated plain-text body as HTML. */
export function textToHtml(text: string): string {
  return text.trim().split(/\n{2,}/).map((p) => `<p>${escape(p).replace(/\n/g, '<br>')}</p>`).join('')
}

export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|li|h2|h3|blockquote)>/gi, '\n\n').replace(/<li>/gi, '• ')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n').trim()
}

export function smsCount(text: string) {
  return countSms(text)
}

/** Reading time in seconds at 200 words a minute (at least 5 s). */
export function readingSeconds(text: string): number {
  const words = text.split(/\s+/).filter(Boolean).length
  return Math.max(5, Math.round((words / 200) * 60))
}
