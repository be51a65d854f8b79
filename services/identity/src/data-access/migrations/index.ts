import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-identity.js';
import * as m0002 from './0002-oidc-payloads.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const identityMigrations: MigrationSet = {
  '0001_identity': m0001,
  '0002_oidc_payloads': m0002,
};
