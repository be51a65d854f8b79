import nodemailer from 'nodemailer';
import type { EmailSender, SendOutcome } from '../domain/ports.js';
import { messageIdOf } from '../domain/stable-id.js';

export interface SmtpEmailSenderOptions {
  /** smtp:// or smtps://, possibly with user:password (never logged). */
  url: string;
  from: string;
  /** Connect, greeting and every reply must come within this. */
  timeoutMs: number;
}

/** The domain of the From address ("Emporium <no-reply@emporium.local>" → emporium.local), for Message-IDs. */
export function domainOf(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m?.[1] ?? 'emporium.local';
}

/**
 * Customer e-mail over SMTP (nodemailer). Every attempt at one delivery carries the same
 * Message-ID, made from the delivery id: a resend after a timeout is the same message, which mail
 * clients fold into one. A 5xx reply is a permanent refusal; anything else may pass on a retry.
 */
export function createSmtpEmailSender(options: SmtpEmailSenderOptions): EmailSender {
  // Pooled: a few SMTP connections kept open and reused (up to 100 messages each), instead of a
  // connect + greeting + EHLO (+ TLS) per message — most of an e-mail's cost on both sides.
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: 4,
    maxMessages: 100,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const domain = domainOf(options.from);
  return {
    async send(message): Promise<SendOutcome> {
      try {
        await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          messageId: messageIdOf(message.deliveryId, domain),
          headers: { 'X-Emporium-Notification-Id': message.deliveryId },
          // Bounds the whole exchange too (a server that trickles bytes defeats the socket timeout).
          signal: AbortSignal.timeout(options.timeoutMs * 3),
        });
        return { ok: true };
      } catch (error) {
        const e = error as { code?: string; responseCode?: number; name?: string };
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
        const reason = e.responseCode ? `mail server answered ${e.responseCode}` : `mail server: ${e.code ?? e.name ?? 'error'}`;
        return { ok: false, permanent, reason };
      }
    },
    close() {
      transport.close();
    },
  };
}
