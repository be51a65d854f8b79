import { inTransaction } from '@emporium/db';
import type { NotificationsDb } from '../data-access/db.js';
import { cancelPendingForEndpoint } from '../data-access/deliveries-repository.js';
import { lockEndpointForUpdate, markEndpointRemoved } from '../data-access/endpoints-repository.js';
import { endpointFromConfig, endpointNotFound } from './errors.js';

/**
 * Removes a partner endpoint: no new notification goes to it, and what was still waiting to be
 * sent to it is cancelled (kept for the record). Removing it again changes nothing.
 */
export async function removeEndpoint(db: NotificationsDb, id: string): Promise<{ cancelledDeliveries: number }> {
  return inTransaction(db, async (trx) => {
    const endpoint = await lockEndpointForUpdate(trx, id);
    if (!endpoint || endpoint.removedAt) throw endpointNotFound(id);
    if (endpoint.source === 'config') throw endpointFromConfig(id);
    await markEndpointRemoved(trx, id);
    return { cancelledDeliveries: await cancelPendingForEndpoint(trx, id) };
  });
}
