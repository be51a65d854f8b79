import { authorize, type Principal } from '@emporium/auth';
import { inTransaction } from '@emporium/db';
import type { NotificationsDb } from '../data-access/db.js';
import { cancelPendingForEndpoint } from '../data-access/deliveries-repository.js';
import { lockEndpointForUpdate, markEndpointRemoved } from '../data-access/endpoints-repository.js';
import { notificationsPolicy } from '../policy.js';
import { endpointFromConfig, endpointNotFound } from './errors.js';

/**
 * Removes a partner endpoint: no new notification goes to it, and what was still waiting to be
 * sent to it is cancelled (kept for the record). Removing it again changes nothing. The endpoint
 * keeps who removed it (the audit trail, in the same transaction).
 */
export async function removeEndpoint(db: NotificationsDb, principal: Principal, id: string): Promise<{ cancelledDeliveries: number }> {
  authorize(notificationsPolicy(principal), 'remove', 'Endpoint');
  return inTransaction(db, async (trx) => {
    const endpoint = await lockEndpointForUpdate(trx, id);
    if (!endpoint || endpoint.removedAt) throw endpointNotFound(id);
    if (endpoint.source === 'config') throw endpointFromConfig(id);
    await markEndpointRemoved(trx, id, principal.subject);
    return { cancelledDeliveries: await cancelPendingForEndpoint(trx, id) };
  });
}
