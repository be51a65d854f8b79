import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from '@emporium/db';
import { type StandIn, startStandIn } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertLogin } from '../src/data-access/logins-repository.js';
import { insertSession } from '../src/data-access/sessions-repository.js';
import { purgeExpired } from '../src/domain/purge.js';
import type { BffSession } from '../src/domain/session.js';
import { type RunningGateway, startGateway } from './gateway.js';

describe('purging what has expired', () => {
  let upstream: StandIn;
  let gateway: RunningGateway;
  beforeAll(async () => {
    upstream = await startStandIn();
    gateway = await startGateway(upstream.url);
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  const ago = (seconds: number) => new Date(Date.now() - seconds * 1_000);
  async function aSession(idleExpiresAt: Date, absoluteExpiresAt: Date): Promise<string> {
    const session: BffSession = {
      id: randomUUID(),
      app: 'storefront',
      subject: randomUUID(),
      sid: null,
      claims: { sub: 'x' },
      csrfToken: 'c',
      createdAt: ago(100),
      lastSeenAt: ago(100),
      idleExpiresAt,
      absoluteExpiresAt,
    };
    await insertSession(gateway.ctx.db, { session, secretHash: randomBytes(32), idToken: randomBytes(40), refreshToken: null });
    return session.id;
  }

  it('deletes sessions past their idle or absolute timeout and sign-ins never finished; live ones stay', async () => {
    const idle = await aSession(ago(1), ago(-100));
    const live = await aSession(ago(-10), ago(-100));
    const expiredLogin = randomBytes(32);
    const pendingLogin = randomBytes(32);
    for (const [hash, expiresAt] of [
      [expiredLogin, ago(1)],
      [pendingLogin, ago(-60)],
    ] as const)
      await insertLogin(gateway.ctx.db, {
        secret_hash: hash,
        app: 'storefront',
        state: 's',
        nonce: 'n',
        code_verifier: randomBytes(40),
        return_to: '/',
        created_at: ago(100),
        expires_at: expiresAt,
      });

    const purged = await purgeExpired({
      db: gateway.ctx.db,
      now: () => new Date(),
      metrics: { login() {}, refresh() {}, sessionsEnded() {} },
    });

    expect(purged).toEqual({ logins: 1, sessions: 1 });
    const sessions = await sql<{ id: string }>`SELECT id FROM bff_sessions`.execute(gateway.ctx.db);
    expect(sessions.rows.map((r) => r.id)).toEqual([live]);
    expect(sessions.rows.map((r) => r.id)).not.toContain(idle);
    const logins = await sql<{ secret_hash: Buffer }>`SELECT secret_hash FROM bff_logins`.execute(gateway.ctx.db);
    expect(logins.rows.map((r) => r.secret_hash.toString('hex'))).toEqual([pendingLogin.toString('hex')]);
  });
});
