import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-notifications.js';
import * as m0002 from './0002-admin-audit.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const notificationsMigrations: MigrationSet = {
  '0001_notifications': m0001,
  '0002_admin_audit': m0002,
};
