import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-bff-sessions.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const gatewayMigrations: MigrationSet = {
  '0001_bff_sessions': m0001,
};
