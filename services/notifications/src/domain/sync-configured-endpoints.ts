import type { NotificationsDb } from '../data-access/db.js';
import { syncConfiguredEndpoints } from '../data-access/endpoints-repository.js';
import type { ConfiguredEndpoint } from './configured-endpoints.js';
import { configuredEndpointIdOf } from './stable-id.js';

/** Brings the endpoints of NOTIFICATIONS_PARTNER_ENDPOINTS in step with the configuration (at start). */
export async function syncEndpointsFromConfig(db: NotificationsDb, configured: ConfiguredEndpoint[]): Promise<void> {
  await syncConfiguredEndpoints(
    db,
    configured.map((e) => ({ ...e, id: configuredEndpointIdOf(e.partner, e.url) })),
  );
}
