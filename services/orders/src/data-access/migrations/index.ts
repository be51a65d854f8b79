import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-orders.js';
import * as m0002 from './0002-order-changed-notify.js';
import * as m0003 from './0003-order-region.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const ordersMigrations: MigrationSet = {
  '0001_orders': m0001,
  '0002_order_changed_notify': m0002,
  '0003_order_region': m0003,
};
