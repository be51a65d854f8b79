import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-catalog.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const catalogMigrations: MigrationSet = {
  '0001_catalog': m0001,
};
