import type { Logger } from '@emporium/observability';
import type { ServiceApp } from '@emporium/service';
import { SmtpFaults } from './faults.js';
import { smtpSinkRoutes } from './http-routes.js';
import { Mailbox } from './mailbox.js';
import { SmtpListener } from './smtp-server.js';

export interface SmtpSinkParts {
  app: ServiceApp;
  mailbox: Mailbox;
  faults: SmtpFaults;
  smtp: SmtpListener;
}

/**
 * The sink: an HTTP app (never listening by itself) whose SMTP side starts listening when the app
 * is made ready (listen() or ready()), and stops when the app closes — one lifecycle for both.
 */
export async function buildSmtpSink(
  createApp: () => Promise<ServiceApp>,
  options: { logger: Logger; smtpPort: number; host: string; maxMessageBytes?: number },
): Promise<SmtpSinkParts> {
  const mailbox = new Mailbox();
  const faults = new SmtpFaults();
  const smtp = new SmtpListener({
    mailbox,
    faults,
    logger: options.logger,
    ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
  });
  const app = await createApp();
  // 0.0.0.0 is where to bind; a client reaches it on the loopback.
  const smtpHost = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  smtpSinkRoutes(app, { mailbox, faults, smtp, smtpHost });
  app.addHook('onReady', async () => {
    await smtp.listen(options.smtpPort, options.host);
    options.logger.info({ smtpPort: smtp.port }, 'smtp-sink listening for SMTP');
  });
  app.addHook('onClose', async () => {
    await smtp.close();
  });
  return { app, mailbox, faults, smtp };
}
