import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-orders.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const ordersMigrations: MigrationSet = {
  '0001_orders': m0001,
};
