import type { ServiceModule } from '@emporium/service';
import { buildIdentityApp } from './app.js';
import { type IdentityConfig, identityConfig } from './config.js';
import { identityMigrations } from './data-access/migrations/index.js';
import type { IdentityDatabase } from './data-access/tables.js';
import { identityJobs } from './jobs/index.js';

/** The identity service: accounts, passwords, sessions, roles and attributes, the audit log. */
export const identityModule: ServiceModule<IdentityDatabase, IdentityConfig> = {
  name: 'identity',
  description: 'Accounts: sign-up, login with rate limits, password change, sessions, admin user management, audit log',
  configSchema: identityConfig,
  migrations: identityMigrations,
  buildApp: buildIdentityApp,
  jobs: identityJobs,
};

export { identityConfig, type IdentityConfig };
export { identityMigrations };
export type { IdentityDatabase };
export { identityDeps } from './app.js';
export { authenticateSession, type Authenticated } from './domain/authenticate-session.js';
export type { User, Role } from './domain/user.js';
export { rotateKeysCommand, ROTATION_NOT_READY } from './jobs/rotate-keys-command.js';
export { bootstrapAdminCommand } from './jobs/bootstrap-admin-command.js';
