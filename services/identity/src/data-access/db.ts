import { isUniqueViolation, type Kysely } from '@emporium/db';
import type { IdentityDatabase } from './tables.js';

/** The identity database or a transaction on it: every repository function takes one first. */
export type IdentityDb = Kysely<IdentityDatabase>;

/** True when an INSERT or UPDATE hit the case-insensitive unique e-mail index. */
export const isEmailTaken = (error: unknown) => isUniqueViolation(error, 'users_email_key');
