import type { Kysely } from '@emporium/db';
import type { NotificationsDatabase } from './tables.js';

/** The notifications database or a transaction on it: every repository function takes one first. */
export type NotificationsDb = Kysely<NotificationsDatabase>;
