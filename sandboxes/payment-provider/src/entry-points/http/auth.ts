import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { authenticationRequired } from '../../domain/errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The idempotency scope of a secret key: its hash (the key itself is kept nowhere else). */
export const scopeOf = (secretKey: string) => digest(secretKey).toString('hex');

/**
 * `onRequest` hook of every `/v1/*` API route: `Authorization: Bearer <SANDBOX_SECRET_KEY>`,
 * compared in constant time, or 401 authentication_error before the body is even read.
 */
export function requireSecretKey(secretKey: string) {
  const expected = digest(secretKey);
  return async function requireSecretKeyHook(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) throw authenticationRequired();
  };
}
