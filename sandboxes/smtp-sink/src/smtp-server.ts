import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '@emporium/observability';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { SmtpFaults } from './faults.js';
import type { Mailbox } from './mailbox.js';

export interface SmtpListenerOptions {
  mailbox: Mailbox;
  faults: SmtpFaults;
  logger: Logger;
  /** Largest message accepted (bytes); larger → 552. */
  maxMessageBytes?: number;
}

const addressesOf = (value: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((a) => a.value.map((v) => v.address ?? '').filter(Boolean));

/**
 * The SMTP side of the sink: plain SMTP, no TLS (loopback only), any credentials or none. Each
 * message is parsed and kept in the mailbox before the final reply, so a fault that withholds
 * the reply leaves the message received (the sender cannot tell).
 */
export class SmtpListener {
  private readonly server: SMTPServer;
  private readonly held = new Set<NodeJS.Timeout>();
  private boundPort = 0;

  constructor(private readonly options: SmtpListenerOptions) {
    this.server = new SMTPServer({
      name: 'smtp-sink.emporium.test',
      banner: 'Emporium SMTP sink (a test double; mail goes nowhere)',
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      size: options.maxMessageBytes ?? 10 * 1024 * 1024,
      rejectOversized: true,
      closeTimeout: 200,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anyone' }),
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          (reply) => reply(callback),
          (error: unknown) => {
            options.logger.warn({ err: error }, 'smtp-sink could not read a message');
            callback(Object.assign(new Error('Message could not be parsed'), { responseCode: 451 }));
          },
        );
      },
    });
    this.server.on('error', (error) => options.logger.warn({ err: error }, 'smtp-sink connection error'));
  }

  get port(): number {
    return this.boundPort;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.server.off('error', onError);
        this.boundPort = (this.server.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops listening and cuts every connection, held ones included. */
  close(): Promise<void> {
    for (const t of this.held) clearTimeout(t);
    this.held.clear();
    for (const c of this.connections()) c._socket.destroy();
    if (!this.server.server.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Parses and stores the message; returns how to answer it (now, later, or never). */
  private async receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
  ): Promise<(callback: (err?: Error | null, message?: string) => void) => void> {
    const parsed = await simpleParser(stream, { skipImageLinks: true });
    if (stream.sizeExceeded) return (cb) => cb(Object.assign(new Error('Message too large'), { responseCode: 552 }));
    const headers: Record<string, string> = {};
    for (const line of parsed.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).trim();
    const stored = this.options.mailbox.add({
      messageId: parsed.messageId ?? null,
      // The From header as written (mailparser's formatted text would add quotes).
      from: headers.from ?? parsed.from?.text ?? '',
      to: addressesOf(parsed.to),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      envelope: {
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
      },
      headers,
    });
    const fault = this.options.faults.take();
    if (fault?.kind === 'drop_after_accept') {
      this.options.logger.info({ id: stored.id }, 'smtp-sink fault: message kept, connection dropped');
      return () => {
        for (const c of this.connections()) if (c.id === session.id) c._socket.destroy();
      };
    }
    if (fault?.kind === 'hold_after_accept') {
      this.options.logger.info({ id: stored.id, holdMs: fault.holdMs }, 'smtp-sink fault: message kept, reply held');
      return (cb) => {
        const timer = setTimeout(() => {
          this.held.delete(timer);
          cb(null, `OK: queued as ${stored.id}`);
        }, fault.holdMs);
        this.held.add(timer);
      };
    }
    return (cb) => cb(null, `OK: queued as ${stored.id}`);
  }

  private connections(): { id: string; _socket: Socket }[] {
    // smtp-server keeps its open connections here; the sink needs their sockets to cut them.
    return [...(this.server as unknown as { connections: Set<{ id: string; _socket: Socket }> }).connections];
  }
}
