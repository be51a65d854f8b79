import { AuthError, createTokenVerifier, createTestIssuer, type TestIssuer, type TokenVerifier } from '@emporium/auth';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Time passes by moving the clock (only Date is faked): jose's JWKS cooldown and cache age read Date.now().
const COOLDOWN_MS = 30_000;
const CACHE_MAX_AGE_MS = 600_000;
const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

let issuer: TestIssuer;
let orders: TokenVerifier;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T10:00:00Z') });
  issuer = await createTestIssuer();
  orders = createTokenVerifier({
    issuer: issuer.issuer,
    audience: 'orders',
    jwksUrl: issuer.jwksUrl,
    jwksCooldownMs: COOLDOWN_MS,
    jwksCacheMaxAgeMs: CACHE_MAX_AGE_MS,
  });
});
afterEach(async () => {
  vi.useRealTimers();
  await issuer.close();
});

/**
 * Requests keep arriving from several callers while the test changes keys: each worker verifies a
 * token signed by the old key and one freshly minted with whatever key signs now.
 */
function traffic(verifier: TokenVerifier, oldToken: string, workers = 4) {
  const failures: unknown[] = [];
  const verifiedByKid = new Map<string, number>();
  const waiters: Array<{ kid: string; count: number; resolve: () => void }> = [];
  let running = true;
  const count = (kid: string) => {
    verifiedByKid.set(kid, (verifiedByKid.get(kid) ?? 0) + 1);
    for (const w of waiters.filter((w) => (verifiedByKid.get(w.kid) ?? 0) >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const worker = async () => {
    while (running) {
      const fresh = issuer.signingKey.kid;
      for (const [token, kid] of [
        [oldToken, 'old'],
        [await issuer.userToken('orders', { roles: ['customer'] }), fresh],
      ] as const) {
        try {
          await verifier.verify(token);
          count(kid);
        } catch (error) {
          failures.push(error);
          if (failures.length === 1) for (const w of waiters.splice(0)) w.resolve();
        }
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker));
  return {
    failures,
    verifiedByKid,
    /** Resolves once `count` tokens signed by `kid` have verified (or at the first failure). */
    verified: (kid: string, n: number) =>
      new Promise<void>((resolve) => {
        if ((verifiedByKid.get(kid) ?? 0) >= n || failures.length > 0) resolve();
        else waiters.push({ kid, count: n, resolve });
      }),
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe('key rotation while traffic runs', () => {
  it('publishes a new key, signs with it, and no request fails; tokens of both keys verify', async () => {
    const oldKey = issuer.signingKey;
    const oldToken = await issuer.userToken('orders', { roles: ['customer'] });
    const run = traffic(orders, oldToken);
    await run.verified(oldKey.kid, 20);

    // Identity publishes the next key before using it (at least one cooldown ahead)...
    const newKey = await issuer.createKey('ES256');
    advance(COOLDOWN_MS + 1_000);
    // ...then signs with it: verifiers meet the new kid and fetch the JWKS once.
    issuer.useKey(newKey);
    await run.verified(newKey.kid, 50);
    await run.verified('old', 50);
    await run.stop();

    expect(run.failures).toEqual([]);
    expect(run.verifiedByKid.get(newKey.kid)).toBeGreaterThanOrEqual(50);
    expect(issuer.jwksRequests).toBe(2);
  });

  it('rotates to an EdDSA key just as well', async () => {
    const oldToken = await issuer.userToken('orders');
    await orders.verify(oldToken);
    const next = await issuer.createKey('EdDSA');
    advance(COOLDOWN_MS + 1_000);
    issuer.useKey(next);
    expect((await orders.verify(await issuer.userToken('orders'))).subject).toBe('usr_test');
    expect((await orders.verify(oldToken)).subject).toBe('usr_test');
  });

  it('refuses tokens of a key once it is removed from the JWKS and the cache refreshed', async () => {
    const oldKey = issuer.signingKey;
    const oldToken = await issuer.userToken('orders');
    await orders.verify(oldToken);
    await issuer.rotate();
    const newToken = await issuer.userToken('orders');
    advance(COOLDOWN_MS + 1_000);
    await orders.verify(newToken);

    issuer.unpublish(oldKey);
    await orders.refreshKeys();

    const error = await orders.verify(oldToken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect({ code: (error as AuthError).code, reason: (error as AuthError).reason }).toEqual({
      code: 'invalid_token',
      reason: 'unknown_kid',
    });
    expect((await orders.verify(newToken)).subject).toBe('usr_test');
  });

  it('also drops a removed key on its own once the cache max age has passed', async () => {
    const oldKey = issuer.signingKey;
    await orders.verify(await issuer.userToken('orders'));
    await issuer.rotate();
    issuer.unpublish(oldKey);
    advance(CACHE_MAX_AGE_MS + 1_000);
    // A token that is still within its lifetime, signed by the removed key.
    const stillLive = await issuer.userToken('orders', {}, { key: oldKey });
    const error = await orders.verify(stillLive).catch((e: AuthError) => e);
    expect((error as AuthError).reason).toBe('unknown_kid');
  });
});

describe('unknown kids and the JWKS endpoint', () => {
  it('refetch the JWKS at most once per cooldown, however many arrive', async () => {
    await orders.verify(await issuer.userToken('orders'));
    expect(issuer.jwksRequests).toBe(1);
    const stranger = await issuer.createKey('ES256', { publish: false });
    const forged = () => issuer.userToken('orders', {}, { key: stranger });

    const within = await Promise.all(
      Array.from({ length: 20 }, async () => orders.verify(await forged()).catch((e: AuthError) => e.reason)),
    );
    expect(within).toEqual(Array(20).fill('unknown_kid'));
    expect(issuer.jwksRequests).toBe(1);

    advance(COOLDOWN_MS + 1_000);
    const after = await Promise.all(
      Array.from({ length: 20 }, async () => orders.verify(await forged()).catch((e: AuthError) => e.reason)),
    );
    expect(after).toEqual(Array(20).fill('unknown_kid'));
    expect(issuer.jwksRequests).toBe(2);
  });

  it('keeps using the keys it has while identity is down, and says 503 for a kid it cannot check', async () => {
    await orders.verify(await issuer.userToken('orders'));
    issuer.setAvailable(false);
    advance(CACHE_MAX_AGE_MS + 1_000);

    expect((await orders.verify(await issuer.userToken('orders'))).subject).toBe('usr_test');
    const unknown = await orders.verify(await issuer.userToken('orders', {}, { key: await issuer.createKey() })).catch((e: AuthError) => e);
    expect({ status: (unknown as AuthError).status, code: (unknown as AuthError).code }).toEqual({
      status: 503,
      code: 'identity_unavailable',
    });

    // Past the stale-if-error bound (1 h by default) even known keys are no longer trusted.
    advance(3_600_000);
    const stale = await orders.verify(await issuer.userToken('orders')).catch((e: AuthError) => e);
    expect((stale as AuthError).code).toBe('identity_unavailable');

    issuer.setAvailable(true);
    expect((await orders.verify(await issuer.userToken('orders'))).subject).toBe('usr_test');
  });
});
