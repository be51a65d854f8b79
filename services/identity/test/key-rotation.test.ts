import { createTokenVerifier } from '@emporium/auth';
import { sql } from '@emporium/db';
import { waitFor } from '@emporium/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { rotateKeysCommand } from '../src/index.js';
import { kidOf, paymentsToken, publishedKids, startKeyedIdentity } from './key-support.js';
import type { Identity } from './support.js';

type Running = Identity & { issuer: string };
const started: Running[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});
const start = async (overrides: Record<string, string>) => {
  const identity = await startKeyedIdentity(overrides);
  started.push(identity);
  return identity;
};

// The verifiers' side of the contract: a key is published at least their JWKS cache max age (plus a
// poll of the replicas) before it signs. Shortened here, both sides alike.
const PUBLISH_AHEAD_SECONDS = 2;
const POLL_MS = 200;
const JWKS_CACHE_MAX_AGE_MS = PUBLISH_AHEAD_SECONDS * 1000 - POLL_MS - 300;

describe('signing key rotation while traffic runs', () => {
  it('when the keys rotate three times under a stream of token requests and verifications, then none fails, every new key signs, and an old token verifies until it expires', async () => {
    const identity = await start({
      IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS: String(PUBLISH_AHEAD_SECONDS),
      IDENTITY_OIDC_KEY_POLL_INTERVAL_MS: String(POLL_MS),
    });
    // A service's verifier, as @emporium/service builds it (cooldown and the rest left at their defaults).
    const verifier = createTokenVerifier({
      issuer: identity.issuer,
      audience: 'payments',
      jwksUrl: `${identity.issuer}/jwks`,
      jwksCacheMaxAgeMs: JWKS_CACHE_MAX_AGE_MS,
    });

    const first = await paymentsToken(identity.issuer);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const oldToken: string = first.body.access_token;
    await verifier.verify(oldToken);

    const failures: string[] = [];
    const signedBy = new Map<string, number>();
    let running = true;
    const client = async () => {
      while (running) {
        const res: { status: number; body: Record<string, any> } = await paymentsToken(identity.issuer).catch((e: Error) => ({
          status: 0,
          body: { error: e.message },
        }));
        if (res.status !== 200) {
          failures.push(`token ${res.status} ${JSON.stringify(res.body)}`);
          continue;
        }
        const kid = kidOf(res.body.access_token);
        try {
          await verifier.verify(res.body.access_token);
          signedBy.set(kid, (signedBy.get(kid) ?? 0) + 1);
        } catch (error) {
          failures.push(`verify ${kid}: ${(error as Error).message}`);
        }
      }
    };
    const clients = [client(), client(), client()];

    // The operator's command, as run against identity's database: refused (75) until the next key
    // has been published long enough, then it rotates; each new key is seen signing.
    const env = {
      DATABASE_URL: identity.ctx.config.DATABASE_URL,
      IDENTITY_OIDC_KEY_ENCRYPTION_KEY: String(identity.ctx.config.IDENTITY_OIDC_KEY_ENCRYPTION_KEY),
      IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS: String(PUBLISH_AHEAD_SECONDS),
      IDENTITY_OIDC_KEY_POLL_INTERVAL_MS: String(POLL_MS),
    };
    const rotatedTo: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const printed: string[] = [];
        await waitFor(async () => (await rotateKeysCommand(env, { out: (l) => printed.push(l), err: () => {} })) === 0, {
          timeoutMs: 20_000,
          intervalMs: 100,
          description: `rotation ${i + 1}`,
        });
        const signing = /^signing: +(\S+)/.exec(printed[0] ?? '')?.[1];
        expect(signing, printed.join('\n')).toBeDefined();
        rotatedTo.push(signing!);
        await waitFor(() => signedBy.has(signing!) || failures.length > 0, { description: `tokens signed by ${signing}` });
        expect(failures).toEqual([]);
      }
    } finally {
      running = false;
      await Promise.all(clients);
    }

    expect(failures).toEqual([]);
    const kids = [...signedBy.keys()];
    expect(kids).toEqual(expect.arrayContaining([kidOf(oldToken), ...rotatedTo]));
    expect(kids.length).toBeGreaterThanOrEqual(4);
    expect([...signedBy.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(20);

    // The first key is retired, not gone: its token verifies at any verifier, fetching the JWKS afresh...
    expect(await publishedKids(identity.issuer)).toContain(kidOf(oldToken));
    const fresh = createTokenVerifier({ issuer: identity.issuer, audience: 'payments', jwksUrl: `${identity.issuer}/jwks` });
    expect(await fresh.verify(oldToken)).toMatchObject({ subject: 'orders-service', kind: 'service' });
    // ...until the token expires.
    const { exp } = JSON.parse(Buffer.from(oldToken.split('.')[1]!, 'base64url').toString()) as { exp: number };
    const later = createTokenVerifier({
      issuer: identity.issuer,
      audience: 'payments',
      jwksUrl: `${identity.issuer}/jwks`,
      now: () => new Date((exp + 10) * 1000),
    });
    await expect(later.verify(oldToken)).rejects.toMatchObject({ code: 'invalid_token' });
  });
});

describe('signing keys on several replicas', () => {
  it('when the schedule rotates on two replicas of one database, then one rotates at a time and both sign with the new key without a restart', async () => {
    const settings = {
      IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS: '1',
      IDENTITY_OIDC_KEY_ROTATION_SECONDS: '2',
      IDENTITY_OIDC_KEY_POLL_INTERVAL_MS: String(POLL_MS),
    };
    const a = await start(settings);
    const first = kidOf((await paymentsToken(a.issuer)).body.access_token);
    // Replica b: the same database, issuer, keys and secrets; its own port.
    const b = await start({
      ...settings,
      DATABASE_URL: a.ctx.config.DATABASE_URL,
      IDENTITY_ISSUER: a.issuer,
      IDENTITY_OIDC_JWKS: String(a.ctx.config.IDENTITY_OIDC_JWKS),
      IDENTITY_OIDC_KEY_ENCRYPTION_KEY: String(a.ctx.config.IDENTITY_OIDC_KEY_ENCRYPTION_KEY),
      IDENTITY_OIDC_COOKIE_KEYS: String(a.ctx.config.IDENTITY_OIDC_COOKIE_KEYS),
    });
    const bBase = `${b.url}/oidc`;

    const rotated = await waitFor(
      async () => {
        const [ka, kb] = await Promise.all([paymentsToken(a.issuer), paymentsToken(bBase)]);
        const kids = [kidOf(ka.body.access_token), kidOf(kb.body.access_token)];
        return kids[0] !== first && kids[0] === kids[1] && kids[0];
      },
      { timeoutMs: 20_000, intervalMs: 100, description: 'both replicas signing with a rotated key' },
    );
    // Both publish the same key set, the new signing key and the retired first one among it.
    const [ja, jb] = await Promise.all([publishedKids(a.issuer), publishedKids(bBase)]);
    expect(ja.sort()).toEqual(jb.sort());
    expect(ja).toEqual(expect.arrayContaining([first, rotated]));
    // A token of b verifies with a's keys: one issuer.
    const verifier = createTokenVerifier({ issuer: a.issuer, audience: 'payments', jwksUrl: `${a.issuer}/jwks` });
    await verifier.verify((await paymentsToken(bBase)).body.access_token);

    // One key signs; rotations never closer than the rotation period, however many replicas ask.
    const rows = await sql<{ state: string; activated_at: Date | null }>`
      SELECT state, activated_at FROM oidc_signing_keys WHERE activated_at IS NOT NULL ORDER BY activated_at`.execute(a.ctx.db);
    expect(rows.rows.filter((r) => r.state === 'current')).toHaveLength(1);
    const starts = rows.rows.map((r) => r.activated_at!.getTime());
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(2_000);
  });
});
