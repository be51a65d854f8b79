import { randomUUID } from 'node:crypto';

/** One message as the sink received it over SMTP (parsed), in arrival order. */
export interface ReceivedMail {
  /** The sink's own id of this arrival (a resend of the same message is another arrival). */
  id: string;
  /** The Message-ID header, angle brackets included, as the sender wrote it; null when absent. */
  messageId: string | null;
  from: string;
  to: string[];
  subject: string;
  text: string;
  receivedAt: string;
  /** MAIL FROM and RCPT TO of the SMTP transaction. */
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** Header lines as received, lower-cased names. */
  headers: Record<string, string>;
}

export interface MailFilter {
  /** Only messages with this recipient (header To or envelope RCPT TO), any letter case. */
  to?: string | undefined;
  /** Only messages with this Message-ID (with or without angle brackets). */
  messageId?: string | undefined;
}

const bare = (id: string) => id.trim().replace(/^<|>$/g, '');

/**
 * The sink's memory: every message that arrived, duplicates included (a test double keeps what a
 * real mailbox would show a person, plus the resends a mail client would fold by Message-ID).
 */
export class Mailbox {
  private readonly mails: ReceivedMail[] = [];

  add(mail: Omit<ReceivedMail, 'id' | 'receivedAt'>): ReceivedMail {
    const stored: ReceivedMail = { id: randomUUID(), receivedAt: new Date().toISOString(), ...mail };
    this.mails.push(stored);
    return stored;
  }

  list(filter: MailFilter = {}): ReceivedMail[] {
    const to = filter.to?.toLowerCase();
    const messageId = filter.messageId === undefined ? undefined : bare(filter.messageId);
    return this.mails.filter(
      (m) =>
        (to === undefined || [...m.to, ...m.envelope.rcptTo].some((a) => a.toLowerCase() === to)) &&
        (messageId === undefined || (m.messageId !== null && bare(m.messageId) === messageId)),
    );
  }

  get(id: string): ReceivedMail | undefined {
    return this.mails.find((m) => m.id === id);
  }

  clear(): number {
    const n = this.mails.length;
    this.mails.length = 0;
    return n;
  }
}

/** How many different messages a list holds, as a mail client deduplicating by Message-ID sees them. */
export function distinctMessageIds(mails: ReceivedMail[]): number {
  return new Set(mails.map((m) => (m.messageId === null ? `arrival:${m.id}` : bare(m.messageId)))).size;
}
