import { createLogger, createMetrics, type Logger } from '@emporium/observability';
import { createServiceApp, type ServiceModule } from '@emporium/service';
import { buildSmtpSink } from './app.js';
import { type SmtpSinkConfig, smtpSinkConfig } from './config.js';
import type { Mailbox } from './mailbox.js';

/**
 * The SMTP sink: a test and development double of a mail server (not a service of the system).
 * It accepts any mail over plain SMTP, keeps it in memory, and shows it over HTTP. No database,
 * no messages. Run alone (src/main.ts) or in the embedded launcher as a module.
 */
export const smtpSinkModule: ServiceModule<unknown, SmtpSinkConfig> = {
  name: 'smtp-sink',
  description: 'Test double of a mail server: accepts any SMTP mail, keeps it in memory, lists it over HTTP; switchable faults',
  configSchema: smtpSinkConfig,
  async buildApp(ctx) {
    const { app } = await buildSmtpSink(() => ctx.createApp(), {
      logger: ctx.logger,
      smtpPort: ctx.config.SMTP_SINK_SMTP_PORT,
      host: ctx.config.HOST,
      maxMessageBytes: ctx.config.SMTP_SINK_MAX_MESSAGE_BYTES,
    });
    return app;
  },
};

export interface RunningSmtpSink {
  /** Base URL of the HTTP side (GET /messages …). */
  url: string;
  smtpPort: number;
  /** smtp://127.0.0.1:<port>, for a sender's SMTP_URL. */
  smtpUrl: string;
  mailbox: Mailbox;
  close(): Promise<void>;
}

/** Starts a sink on loopback; ports default to 0 (free ones), as tests want. */
export async function startSmtpSink(
  options: { smtpPort?: number; httpPort?: number; host?: string; logger?: Logger } = {},
): Promise<RunningSmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? createLogger({ service: 'smtp-sink', level: 'silent', pretty: false });
  const metrics = createMetrics('smtp-sink', { defaultMetrics: false });
  const { app, mailbox, smtp } = await buildSmtpSink(
    () => createServiceApp({ name: 'smtp-sink', description: smtpSinkModule.description, logger, metrics }),
    { logger, smtpPort: options.smtpPort ?? 0, host },
  );
  const url = await app.listen({ port: options.httpPort ?? 0, host });
  return { url, smtpPort: smtp.port, smtpUrl: `smtp://${host}:${smtp.port}`, mailbox, close: () => app.close() };
}

export { smtpSinkConfig, type SmtpSinkConfig };
export { buildSmtpSink, type SmtpSinkParts } from './app.js';
export { Mailbox, distinctMessageIds, type ReceivedMail, type MailFilter } from './mailbox.js';
export { SmtpFaults, type SmtpFault } from './faults.js';
