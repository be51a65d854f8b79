import { createHash } from 'node:crypto';

/** A response as it was first answered: replays send these exact bytes again. */
export interface StoredAnswer {
  status: number;
  body: string;
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  answer: StoredAnswer | undefined;
}

export type Claim =
  | { kind: 'claimed'; complete(answer: StoredAnswer): void; release(): void }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'in_flight' }
  | { kind: 'mismatch' };

/**
 * Idempotency keys per secret key (API.md, "Idempotency"), kept `retentionMs` from their first
 * use. The first request with a key claims it; the claim either completes with the response
 * (stored, replayed to every later request with the same parameters) or is released (a 5xx
 * before anything was done: the key may be used again).
 */
export class IdempotencyStore {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  claim(scope: string, key: string, fingerprint: string): Claim {
    const id = `${scope}\u0000${key}`;
    const now = this.now();
    let entry = this.#entries.get(id);
    if (entry?.answer && entry.expiresAt <= now) {
      this.#entries.delete(id);
      entry = undefined;
    }
    if (entry) {
      if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return entry.answer ? { kind: 'replay', answer: entry.answer } : { kind: 'in_flight' };
    }
    const claimed: Entry = { fingerprint, expiresAt: now + this.retentionMs, answer: undefined };
    this.#entries.set(id, claimed);
    return {
      kind: 'claimed',
      complete: (answer) => {
        claimed.answer = answer;
      },
      release: () => {
        if (this.#entries.get(id) === claimed) this.#entries.delete(id);
      },
    };
  }

  /** Forgets completed keys past their retention (an in-flight key is never forgotten). */
  sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.#entries) if (entry.answer && entry.expiresAt <= now) this.#entries.delete(id);
  }
}

/** JSON with the keys of every object sorted: the same parameters give the same text in any order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What makes two requests "the same": method, path and canonical body. */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? {})}`)
    .digest('hex');
}
