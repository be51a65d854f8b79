/**
 * The gateway's session timeouts (identity issue, test 6), with the whole system in one process and
 * short settings: a session unused for the idle timeout ends; one used all along outlives the idle
 * timeout but not the absolute one. A system of its own, so the other suites keep the defaults.
 */
import { randomBytes } from 'node:crypto';
import type { Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { createTestDatabase, createTestTransport, freePortBlock, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startSystem } from '../src/system.js';
import { Browser, signIn, signUp } from './support/browser.js';

const IDLE_SECONDS = 3;
const ABSOLUTE_SECONDS = 8;

let system: RunningSystem;
let transport: Transport;
let gateway: string;

beforeAll(async () => {
  const logger = createLogger({ service: 'e2e', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
  transport = await createTestTransport(logger);
  system = await startSystem({
    portBase: await freePortBlock(),
    transport,
    logger,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    demo: false,
    databaseUrlOf: (service) => createTestDatabase(service.replace(/-/g, '_')),
    env: {
      gateway: { BFF_SESSION_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS), BFF_SESSION_ABSOLUTE_TIMEOUT_SECONDS: String(ABSOLUTE_SECONDS) },
      identity: {
        IDENTITY_ARGON2_MEMORY_KIB: '256',
        IDENTITY_ARGON2_TIME_COST: '1',
        // Until the launcher generates it (identity's own change, running beside this one).
        IDENTITY_OIDC_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    },
  });
  gateway = system.urls.gateway as string;
}, 120_000);
afterAll(async () => {
  await system?.stop();
  await transport?.close();
});

describe('test 6: session timeouts', () => {
  it('when a session is not used for the idle timeout, then it has ended: 401 session_ended, at the API too', async () => {
    const browser = new Browser();
    await signIn(browser, gateway, await signUp(gateway));
    const { body } = await browser.session(gateway);
    const cookie = browser.cookie('__Host-emporium')!;
    const idleUntil = Date.parse(body.idleExpiresAt);
    expect(idleUntil - Date.now()).toBeLessThanOrEqual(IDLE_SECONDS * 1_000);

    // Nothing uses the session meanwhile: the wait is on the clock, not on the gateway.
    await waitFor(() => Date.now() > idleUntil + 100, { timeoutMs: (IDLE_SECONDS + 2) * 1_000, description: 'the idle timeout to pass' });

    const after = await browser.session(gateway);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'session_ended' });
    const api = new Browser();
    api.plant('__Host-emporium', cookie);
    const orders = await api.fetch(`${gateway}/api/orders`);
    expect(orders.status).toBe(401);
    expect(await orders.json()).toMatchObject({ code: 'session_ended' });
  });

  it('when a session is used all along, then each use slides the idle timeout, but the absolute timeout ends it', async () => {
    const browser = new Browser();
    await signIn(browser, gateway, await signUp(gateway));
    const first = await browser.session(gateway);
    const signedIn = Date.parse(first.body.absoluteExpiresAt) - ABSOLUTE_SECONDS * 1_000;

    const endedAt = await waitFor(
      async () => {
        const { status, body } = await browser.session(gateway);
        if (status === 200) expect(Date.parse(body.idleExpiresAt)).toBeLessThanOrEqual(Date.parse(first.body.absoluteExpiresAt));
        return status === 401 ? Date.now() : undefined;
      },
      { intervalMs: 300, timeoutMs: (ABSOLUTE_SECONDS + 4) * 1_000, description: 'the absolute timeout to end the session' },
    );

    // It lived well past one idle period (the uses slid it), and ended at the absolute timeout.
    expect(endedAt - signedIn).toBeGreaterThan(IDLE_SECONDS * 1_000 + 1_000);
    expect(endedAt).toBeGreaterThanOrEqual(Date.parse(first.body.absoluteExpiresAt));
  });
});
