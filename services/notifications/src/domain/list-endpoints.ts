import { authorize, type Principal } from '@emporium/auth';
import type { NotificationsDb } from '../data-access/db.js';
import { type EndpointRecord, listActiveEndpoints } from '../data-access/endpoints-repository.js';
import { notificationsPolicy } from '../policy.js';

/** The active partner endpoints, oldest first, without their secrets. */
export async function listEndpoints(db: NotificationsDb, principal: Principal): Promise<EndpointRecord[]> {
  authorize(notificationsPolicy(principal), 'read', 'Endpoint');
  return listActiveEndpoints(db);
}
