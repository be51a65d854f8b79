import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-identity.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const identityMigrations: MigrationSet = {
  '0001_identity': m0001,
};
