import type { NotificationsDb } from '../data-access/db.js';
import { type EndpointRecord, listActiveEndpoints } from '../data-access/endpoints-repository.js';

/** The active partner endpoints, oldest first, without their secrets. */
export const listEndpoints = (db: NotificationsDb): Promise<EndpointRecord[]> => listActiveEndpoints(db);
