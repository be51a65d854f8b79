import { isWebhookSecret, isPartnerName, isWebhookUrl } from './endpoint-rules.js';

/** A partner endpoint from NOTIFICATIONS_PARTNER_ENDPOINTS (the embedded demo, fixed partners). */
export interface ConfiguredEndpoint {
  partner: string;
  url: string;
  secret: string;
}

/**
 * Reads NOTIFICATIONS_PARTNER_ENDPOINTS: a JSON array of { partner, url, secret }, or a
 * comma-separated list of partner|url|secret. A configured endpoint needs its secret (the partner
 * must know it in advance). Errors name the entry, never the secret.
 */
export function parseConfiguredEndpoints(raw: string): ConfiguredEndpoint[] {
  const text = raw.trim();
  let entries: unknown[];
  if (text.startsWith('[')) {
    try {
      entries = JSON.parse(text) as unknown[];
    } catch {
      throw new Error('must be a JSON array or a list partner|url|secret');
    }
    if (!Array.isArray(entries)) throw new Error('must be a JSON array');
  } else {
    entries = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item, i) => {
        const parts = item.split('|').map((p) => p.trim());
        if (parts.length !== 3) throw new Error(`entry ${i + 1} must be partner|url|secret`);
        return { partner: parts[0], url: parts[1], secret: parts[2] };
      });
  }
  return entries.map((entry, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const keys = Object.keys(e).sort().join(',');
    if (keys !== 'partner,secret,url') throw new Error(`entry ${i + 1} must have exactly partner, url and secret`);
    if (typeof e.partner !== 'string' || !isPartnerName(e.partner))
      throw new Error(`entry ${i + 1}: partner must be lower-case letters, digits, - or _`);
    if (typeof e.url !== 'string' || !isWebhookUrl(e.url)) throw new Error(`entry ${i + 1}: url must be an http(s) URL`);
    if (typeof e.secret !== 'string' || !isWebhookSecret(e.secret))
      throw new Error(`entry ${i + 1}: secret must be whsec_ followed by base64`);
    return { partner: e.partner, url: e.url, secret: e.secret };
  });
}
