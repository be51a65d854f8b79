import { Writable } from 'node:stream';
import { sql } from '@emporium/db';
import { createLogger } from '@emporium/observability';
import { bearerFor, startTestService, type TestService, uniqueName } from '@emporium/testing';
import { expect } from 'vitest';
import { type IdentityConfig, type IdentityDatabase, identityModule } from '../src/index.js';

export type Identity = TestService<IdentityDatabase, IdentityConfig> & { logs: string[] };

/** A low argon2 cost keeps the suite quick; the production default is m=19456, t=2. */
export const FAST_HASHING = { IDENTITY_ARGON2_MEMORY_KIB: '256', IDENTITY_ARGON2_TIME_COST: '1' };

/** The identity service on a fresh database; every log line it writes (at trace level) is kept in `logs`. */
export async function startIdentity(env: Record<string, string> = {}): Promise<Identity> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ service: 'identity', level: 'trace', pretty: false, destination });
  const service = await startTestService(identityModule, { ...FAST_HASHING, LOG_LEVEL: 'trace', ...env }, { logger });
  return Object.assign(service, { logs });
}

/** A strong password no other test uses. */
export const aPassword = () => `Correct-${uniqueName('horse')}-battery`;
export const anEmail = (name = 'user') => `${uniqueName(name)}@example.com`;

type Res = { statusCode: number; headers: Record<string, unknown>; json(): any; body: string };

export function expectProblem(res: Res, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json().code }, res.body).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.json();
}

export interface Account {
  userId: string;
  email: string;
  password: string;
}

export async function signUp(
  identity: Identity,
  overrides: Partial<{ email: string; password: string; name: string }> = {},
): Promise<Account> {
  const email = overrides.email ?? anEmail();
  const password = overrides.password ?? aPassword();
  const res = await identity.app.inject({ method: 'POST', url: '/api/identity/signup', payload: { email, password, ...overrides } });
  expect(res.statusCode, res.body).toBe(201);
  return { userId: res.json().userId, email, password };
}

export const loginRequest = (identity: Identity, email: string, password: string, ip = '203.0.113.1') =>
  identity.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email, password }, remoteAddress: ip });

/** Logs in and returns the session secret. */
export async function logIn(identity: Identity, account: Account, ip?: string): Promise<string> {
  const res = await loginRequest(identity, account.email, account.password, ip);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().sessionId;
}

export const withSession = (secret: string) => ({ authorization: `Session ${secret}` });

export interface AuditRow {
  actor: string;
  subject_user_id: string | null;
  action: string;
  details: Record<string, unknown>;
  ip: string | null;
}

/** The audit log entries about one user (or with one e-mail in their details), oldest first. */
export async function auditOf(identity: Identity, subject: { userId?: string; email?: string }): Promise<AuditRow[]> {
  const rows = await sql<AuditRow>`
    SELECT actor, subject_user_id, action, details, ip FROM audit_log
    WHERE subject_user_id = ${subject.userId ?? null}::uuid OR details->>'email' = ${subject.email ?? null}
    ORDER BY at, id`.execute(identity.ctx.db);
  return rows.rows;
}

export type Role = 'customer' | 'support' | 'merchandiser' | 'admin';

/**
 * A real account of ours holding `roles` (written to the table as an admin's change would be; the
 * first admin of a system is seeded the same way), with an access token for identity naming it,
 * from the test issuer the service trusts. `token` overrides what the TOKEN says (e.g. suspended),
 * to test what happens when token and table disagree.
 */
export async function aUser(
  identity: Identity,
  roles: Role[] = ['customer'],
  options: { region?: string; token?: { roles?: Role[]; suspended?: boolean } } = {},
): Promise<Account & { headers: Record<string, string> }> {
  const account = await signUp(identity);
  await sql`UPDATE users SET roles = ${roles}::text[], region = ${options.region ?? null} WHERE id = ${account.userId}`.execute(
    identity.ctx.db,
  );
  const headers = await bearerFor(identity.name, {
    roles: options.token?.roles ?? roles,
    sub: account.userId,
    ...(options.region ? { region: options.region } : {}),
    suspended: options.token?.suspended ?? false,
  });
  return { ...account, headers };
}

export const anAdmin = (identity: Identity) => aUser(identity, ['admin']);

export const withToken = (token: string) => ({ authorization: `Bearer ${token}` });
