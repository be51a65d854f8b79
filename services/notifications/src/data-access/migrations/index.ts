import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-notifications.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const notificationsMigrations: MigrationSet = {
  '0001_notifications': m0001,
};
