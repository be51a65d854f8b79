import type { ColumnType, Generated } from '@emporium/db';

/** The identity database, as Kysely sees it. */
export interface IdentityDatabase {
  users: UsersTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditLogTable;
  oidc_payloads: OidcPayloadsTable;
  addresses: AddressesTable;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  roles: ColumnType<string[], string[], string[]>;
  region: string | null;
  refund_limit_amount: ColumnType<number, number, number> | null;
  refund_limit_currency: string | null;
  suspended: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface SessionsTable {
  /** Public handle of the session (listed, revoked by it); never the bearer secret. */
  id: string;
  /** SHA-256 of the 256-bit bearer secret; the secret itself is never stored. */
  token_hash: Buffer;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
  /** The OpenID provider's session (its `uid`) this one was opened with, for a login through /oidc; else null. */
  oidc_session_uid: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface LoginFailuresTable {
  id: Generated<string>;
  /** The lower-cased e-mail tried (whether or not an account has it); null for a per-address-only entry. */
  email_key: string | null;
  ip: string | null;
  at: Date;
}

export interface AuditLogTable {
  id: string;
  at: Date;
  /** The user who acted (the admin's id from a verified access token), or 'system' for a refused login (who typed it is unknown). */
  actor: string;
  subject_user_id: string | null;
  action: string;
  /** Read as an object, written as JSON text. Never a secret. */
  details: ColumnType<Record<string, unknown>, string, string>;
  ip: string | null;
}

/** The OpenID Connect provider's stored models (see oidc-adapter.ts). */
export interface OidcPayloadsTable {
  /** The provider's model name: Session, Interaction, Grant, AuthorizationCode, AccessToken, RefreshToken… */
  kind: string;
  id: string;
  /** Read as an object, written as JSON text. Holds no secret in the clear (token values are their ids). */
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
}

/** A customer's saved shipping address. */
export interface AddressesTable {
  id: string;
  user_id: string;
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  postal_code: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  created_at: Date;
  updated_at: Date;
}
