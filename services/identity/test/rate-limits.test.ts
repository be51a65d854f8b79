import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anEmail, auditOf, expectProblem, type Identity, loginRequest, signUp, startIdentity } from './support.js';

/** A short window, so "once the window passes" is seconds, not a quarter of an hour. */
const WINDOW_SECONDS = 2;
let identity: Identity;
beforeAll(async () => {
  identity = await startIdentity({
    IDENTITY_LOGIN_WINDOW_SECONDS: String(WINDOW_SECONDS),
    IDENTITY_LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    IDENTITY_LOGIN_MAX_FAILURES_PER_IP: '6',
  });
});
afterAll(async () => {
  await identity?.close();
});

let ipCounter = 10;
/** A client address of its own per test, so the per-address limit of one test does not reach another. */
const anIp = () => `192.0.2.${ipCounter++}`;

describe('login rate limits', () => {
  it('when an account has too many failures, then even the right password gets 429 with Retry-After, and succeeds once the window passes', async () => {
    const account = await signUp(identity);
    const ip = anIp();
    for (let i = 0; i < 3; i++)
      expectProblem(await loginRequest(identity, account.email, 'wrong-password-guess', ip), 401, 'invalid_credentials');
    // From another address too: the limit is the account's.
    const limited = await loginRequest(identity, account.email, account.password, anIp());
    expectProblem(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    const started = Date.now();
    // Retrying with the right password is itself the condition: a throttled attempt is not counted.
    await waitFor(async () => (await loginRequest(identity, account.email, account.password, ip)).statusCode === 200, {
      timeoutMs: (WINDOW_SECONDS + 3) * 1000,
      intervalMs: 100,
      description: 'a login after the window',
    });
    expect(Date.now() - started).toBeGreaterThan(retryAfter * 1000 - 1500);
    const actions = (await auditOf(identity, { userId: account.userId })).map((e) => e.action);
    expect(actions.filter((a) => a === 'login.failed')).toHaveLength(3);
    expect(actions.at(-1)).toBe('login.succeeded');
  });

  it('when an unknown e-mail is tried too often, then it is limited the same way as a real account (the 429 discloses nothing)', async () => {
    const email = anEmail('ghost');
    for (let i = 0; i < 3; i++)
      expectProblem(await loginRequest(identity, email, 'some-password-guess', anIp()), 401, 'invalid_credentials');
    expectProblem(await loginRequest(identity, email, 'some-password-guess', anIp()), 429, 'rate_limited');
  });

  it('when one address fails on many accounts, then it gets 429 on every account, while other addresses still log in', async () => {
    const ip = anIp();
    const victims = await Promise.all([0, 1, 2, 3, 4, 5].map(() => signUp(identity)));
    for (const v of victims) expectProblem(await loginRequest(identity, v.email, 'credential-stuffing-1', ip), 401, 'invalid_credentials');
    const account = await signUp(identity);
    const limited = await loginRequest(identity, account.email, account.password, ip);
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await loginRequest(identity, account.email, account.password, anIp())).statusCode).toBe(200);
  });

  it('when many wrong guesses for one account arrive at once, then no more than the limit are checked', async () => {
    const account = await signUp(identity);
    const results = await Promise.all(Array.from({ length: 8 }, () => loginRequest(identity, account.email, 'parallel-guess-123', anIp())));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401)).toHaveLength(3);
    expect(codes.filter((c) => c === 429)).toHaveLength(5);
  });
});
