/**
 * What the delivery worker needs from the outside world. The adapters (src/outbound) speak SMTP
 * and HTTP; the domain only learns whether the receiver took the message.
 */
export type SendOutcome =
  | { ok: true }
  /** `permanent`: the receiver refused for good (retrying would not help); `reason` is safe to store and show. */
  | { ok: false; permanent: boolean; reason: string };

export interface EmailMessage {
  /** The delivery id: the Message-ID is made from it, the same on every attempt. */
  deliveryId: string;
  to: string;
  subject: string;
  text: string;
}

export interface EmailSender {
  send(message: EmailMessage): Promise<SendOutcome>;
  close(): void;
}

export interface WebhookMessage {
  /** The delivery id: the `webhook-id`, the same on every attempt. */
  deliveryId: string;
  url: string;
  secret: string;
  /** The exact body, the same on every attempt (signed afresh with the current timestamp). */
  body: string;
}

export interface WebhookSender {
  send(message: WebhookMessage): Promise<SendOutcome>;
}
