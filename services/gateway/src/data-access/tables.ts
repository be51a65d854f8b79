import type { ColumnType, Db, Kysely, Transaction } from '@emporium/db';

/** The gateway's own database (the backend-for-frontend's state), as Kysely sees it. */
export interface GatewayDatabase {
  bff_logins: BffLoginsTable;
  bff_sessions: BffSessionsTable;
  bff_access_tokens: BffAccessTokensTable;
}

/** A sign-in begun at /auth/login and not yet back at the callback. */
export interface BffLoginsTable {
  /** SHA-256 of the pre-login cookie's secret. */
  secret_hash: Buffer;
  app: string;
  state: string;
  nonce: string;
  /** The PKCE code verifier, encrypted. */
  code_verifier: Buffer;
  return_to: string;
  created_at: Date;
  expires_at: Date;
}

export interface BffSessionsTable {
  /** Internal handle (token rows, logs); never sent to a browser. */
  id: string;
  /** SHA-256 of the session cookie's 256-bit secret; the secret itself is never stored. */
  secret_hash: Buffer;
  app: string;
  subject: string;
  /** The provider's session id for this client (`sid` of the ID token), for back-channel logout. */
  sid: string | null;
  /** The user's claims from the ID token (sub, email, name). Read as an object, written as JSON text. */
  claims: ColumnType<Record<string, unknown>, string, string>;
  csrf_token: string;
  /** Encrypted, kept for `id_token_hint` at logout. */
  id_token: Buffer;
  /** Encrypted; replaced at every refresh (the provider rotates it). */
  refresh_token: Buffer | null;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
}

export interface BffAccessTokensTable {
  session_id: string;
  /** The service the token is for (its `aud`). */
  audience: string;
  /** Encrypted. */
  token: Buffer;
  expires_at: Date;
}

export type GatewayDb = Kysely<GatewayDatabase> | Transaction<GatewayDatabase>;
export type GatewayPool = Db<GatewayDatabase>;
