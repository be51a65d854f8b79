import type { TokenCipher } from '../crypto/token-cipher.js';
import type { GatewayPool } from '../data-access/tables.js';
import type { AppKey, BffApp } from './app.js';

/** What the token endpoint answered (already checked: ID token signature, iss, aud, nonce). */
export interface IssuedTokens {
  accessToken: string;
  /** Seconds the access token is valid for. */
  expiresIn: number;
  refreshToken: string | undefined;
  idToken: string | undefined;
  /** The ID token's claims, when one came. */
  idClaims: Record<string, unknown> | undefined;
}

/** A new authorization request: where to send the browser, and the secrets its callback is checked with. */
export interface AuthorizationRequest {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The refresh token is no longer good (used twice, revoked, its grant or provider session ended). */
export class GrantRejected extends Error {
  constructor(readonly reason: string) {
    super(`The issuer refused the grant: ${reason}`);
    this.name = 'GrantRejected';
  }
}

/**
 * The issuer as the backend-for-frontend uses it (src/oidc: openid-client for the flows, jose
 * for logout tokens). Errors: GrantRejected for a dead grant; an AppError 503
 * `identity_unavailable` when the issuer cannot be reached; 502 `identity_refused` otherwise.
 */
export interface IssuerClient {
  /** Authorization code with PKCE S256, state and nonce, for these resource indicators. */
  authorizationRequest(app: BffApp, resources: string[]): Promise<AuthorizationRequest>;
  /** Redeems the code of `callbackUrl` (the redirect URI with the provider's query). */
  redeemCode(
    app: BffApp,
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
    resource: string,
  ): Promise<IssuedTokens>;
  refresh(app: BffApp, refreshToken: string, resource: string): Promise<IssuedTokens>;
  /** Revokes a refresh token (and with it the grant). */
  revoke(app: BffApp, refreshToken: string): Promise<void>;
  /** The provider's end-session URL for the browser to visit. */
  endSessionUrl(app: BffApp, idToken: string): Promise<string>;
  /** The `sid` and/or `sub` of a valid back-channel logout token for this app; throws AppError 400 otherwise. */
  verifyLogoutToken(app: BffApp, logoutToken: string): Promise<{ sid: string | undefined; sub: string | undefined }>;
}

export interface BffSettings {
  idleSeconds: number;
  absoluteSeconds: number;
  loginSeconds: number;
  /** Origins cookie-authenticated writes may come from (the gateway's own, plus the CORS allow-list). */
  allowedOrigins: ReadonlySet<string>;
  /** The services an app's sign-in asks access for (their names; resource `urn:emporium:<name>`). */
  audiences: readonly string[];
}

export interface BffMetrics {
  login(app: AppKey, outcome: 'started' | 'succeeded' | 'failed'): void;
  refresh(outcome: 'succeeded' | 'rejected' | 'failed'): void;
  sessionsEnded(reason: 'logout' | 'backchannel' | 'refresh_rejected' | 'expired', count: number): void;
}

/** What every use case of the backend-for-frontend receives, from the composition root. */
export interface BffDeps {
  db: GatewayPool;
  cipher: TokenCipher;
  issuer: IssuerClient;
  apps: Record<AppKey, BffApp>;
  settings: BffSettings;
  metrics: BffMetrics;
  now(): Date;
  newId(): string;
}

export const resourceOf = (audience: string) => `urn:emporium:${audience}`;
