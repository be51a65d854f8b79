/** One POST as the receiver got it, whatever it answered. */
export interface ReceivedDelivery {
  /** Arrival number, 1 for the first arrival the receiver saw. */
  seq: number;
  partner: string;
  /** The `webhook-id` header (the sender's stable message id); null when absent. */
  webhookId: string | null;
  receivedAt: string;
  headers: Record<string, string>;
  /** The raw body, exactly as signed. */
  body: string;
  validSignature: boolean;
  /** Processed by the partner (valid, and not answered with an injected error). */
  accepted: boolean;
  /** The status the receiver answered (or will answer, once a held reply is let go). */
  answeredStatus: number;
}

/**
 * Every delivery that arrived, duplicates included, and the partner's view of them: a receiver
 * that deduplicates by `webhook-id` processes each distinct id once (Standard Webhooks).
 */
export class DeliveryLog {
  private readonly items: ReceivedDelivery[] = [];
  private seq = 0;

  add(d: Omit<ReceivedDelivery, 'seq' | 'receivedAt'>): ReceivedDelivery {
    const stored = { seq: ++this.seq, receivedAt: new Date().toISOString(), ...d };
    this.items.push(stored);
    return stored;
  }

  /** Whether an accepted delivery with this id arrived before (what a deduplicating partner checks). */
  seen(partner: string, webhookId: string): boolean {
    return this.items.some((d) => d.partner === partner && d.accepted && d.webhookId === webhookId);
  }

  list(partner?: string): ReceivedDelivery[] {
    return partner === undefined ? [...this.items] : this.items.filter((d) => d.partner === partner);
  }

  clear(partner?: string): number {
    const before = this.items.length;
    const keep = partner === undefined ? [] : this.items.filter((d) => d.partner !== partner);
    this.items.splice(0, this.items.length, ...keep);
    return before - this.items.length;
  }
}

/** Distinct `webhook-id`s among accepted deliveries: the events the partner processed. */
export const distinctIds = (items: ReceivedDelivery[]): number =>
  new Set(items.filter((d) => d.accepted && d.webhookId !== null).map((d) => `${d.partner}\u0000${d.webhookId}`)).size;
