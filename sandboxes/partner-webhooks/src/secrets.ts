/**
 * Each partner's signing secret (Standard Webhooks: `whsec_` + base64 of the key), from the
 * configuration or a registration call. Secrets are never listed or logged.
 */
export class PartnerSecrets {
  private readonly secrets = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [partner, secret] of Object.entries(initial)) this.set(partner, secret);
  }

  set(partner: string, secret: string): void {
    this.secrets.set(partner, secret);
  }

  get(partner: string): string | undefined {
    return this.secrets.get(partner);
  }

  remove(partner: string): boolean {
    return this.secrets.delete(partner);
  }

  partners(): string[] {
    return [...this.secrets.keys()].sort();
  }
}

export const PARTNER_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
export const SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]{16,}={0,2}$';

/** PARTNER_WEBHOOK_SECRETS: a JSON object `{"acme":"whsec_…"}` or a list `acme=whsec_…,beta=whsec_…`. */
export function parsePartnerSecrets(raw: string): Record<string, string> {
  const text = raw.trim();
  let entries: [string, unknown][];
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('must be a JSON object or a list partner=whsec_…');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('must be a JSON object of partner → secret');
    entries = Object.entries(parsed);
  } else {
    entries = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((pair) => {
        const i = pair.indexOf('=');
        if (i <= 0) throw new Error('each entry must be partner=whsec_…');
        return [pair.slice(0, i).trim(), pair.slice(i + 1).trim()];
      });
  }
  const out: Record<string, string> = {};
  for (const [partner, secret] of entries) {
    if (!new RegExp(PARTNER_PATTERN).test(partner))
      throw new Error(`the partner name ${JSON.stringify(partner.slice(0, 64))} is not lower-case letters, digits, - and _`);
    if (typeof secret !== 'string' || !new RegExp(SECRET_PATTERN).test(secret))
      throw new Error(`the secret of ${partner} must be whsec_ followed by base64`);
    out[partner] = secret;
  }
  return out;
}
