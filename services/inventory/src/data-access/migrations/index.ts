import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-inventory.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const inventoryMigrations: MigrationSet = {
  '0001_inventory': m0001,
};
