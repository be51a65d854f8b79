import type { ServiceApp } from '@emporium/service';
import { DeliveryLog } from './deliveries.js';
import { PartnerFaults } from './faults.js';
import { partnerReceiverRoutes } from './http-routes.js';
import { PartnerSecrets } from './secrets.js';

export interface PartnerReceiverParts {
  app: ServiceApp;
  secrets: PartnerSecrets;
  log: DeliveryLog;
  faults: PartnerFaults;
}

/** The receiver's app (never listening by itself), with its in-memory state. */
export async function buildPartnerReceiver(
  createApp: () => Promise<ServiceApp>,
  options: { partners?: Record<string, string> | undefined } = {},
): Promise<PartnerReceiverParts> {
  const secrets = new PartnerSecrets(options.partners ?? {});
  const log = new DeliveryLog();
  const faults = new PartnerFaults();
  const app = await createApp();
  partnerReceiverRoutes(app, { secrets, log, faults });
  return { app, secrets, log, faults };
}
