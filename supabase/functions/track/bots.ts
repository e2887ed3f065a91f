/**
 * Who fetched a tracking URL: a person, or a machine that opens or clicks on
 * their behalf (privacy proxies preloading images, link scanners of mail
 * security gateways, link previews). Machines are flagged, not dropped: the
 * event is kept as a row with `bot: true` and never counts as an interaction.
 */
const PROXIES: [RegExp, string][] = [
  [/GoogleImageProxy|ggpht\.com/i, 'gmail_image_proxy'],
  [/YahooMailProxy/i, 'yahoo_proxy'],
  [/Apple-?Mail-?Privacy|AppleMailPrivacyProtection/i, 'apple_mpp'],
  [/Outlook-iOS|ms-office|Microsoft Office|MSOffice|Microsoft Outlook/i, 'outlook_preview'],
]
const SCANNERS = /bot\b|crawler|spider|preview|scanner|barracuda|mimecast|proofpoint|safelinks|urldefense|symantec|trendmicro|forcepoint|sophos|zscaler|fortiguard|cisco|ironport|headlesschrome|phantomjs|python-requests|curl\/|wget|go-http-client|java\/|okhttp|libwww|facebookexternalhit|slackbot|whatsapp|linkedinbot|twitterbot|skypeuripreview/i

export function classifyAgent(userAgent: string | null, opts: { sentAt?: Date | null; now?: Date; kind: 'open' | 'click' }): { bot: boolean; proxy?: string; why?: string } {
  const ua = userAgent ?? ''
  for (const [re, name] of PROXIES) if (re.test(ua)) return { bot: true, proxy: name, why: 'privacy_proxy' }
  if (!ua.trim()) return { bot: true, why: 'no_user_agent' }
  if (SCANNERS.test(ua)) return { bot: true, why: 'scanner' }
  // A click within seconds of delivery is a gateway scanning links, not a reader.
  if (opts.kind === 'click' && opts.sentAt && (opts.now ?? new Date()).getTime() - opts.sentAt.getTime() < 10_000) return { bot: true, why: 'too_fast' }
  return { bot: false }
}
