import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-identity.js';
import * as m0002 from './0002-oidc-payloads.js';
import * as m0003 from './0003-session-links-and-addresses.js';
import * as m0004 from './0004-oidc-signing-keys.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const identityMigrations: MigrationSet = {
  '0001_identity': m0001,
  '0002_oidc_payloads': m0002,
  '0003_session_links_and_addresses': m0003,
  '0004_oidc_signing_keys': m0004,
};
