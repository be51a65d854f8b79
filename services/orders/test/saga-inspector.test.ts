/**
 * The saga inspector: an admin reads each checkout's steps (sends, timings, errors) and finds the
 * sagas that need a person. Short step timeouts, so that an unanswered capture becomes stuck here.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepsOf } from '../src/domain/inspect-saga.js';
import type { TimelineEntry } from '../src/domain/timeline.js';
import { PM } from './support/doubles.js';
import {
  aCheckout,
  aCustomer,
  anonymous,
  aStaffMember,
  type Caller,
  expectProblem,
  placeOrder,
  startWorld,
  waitForStatus,
  type World,
} from './support/orders.js';

let world: World;
let admin: Caller;
beforeAll(async () => {
  world = await startWorld({
    ORDERS_CAPTURE_TIMEOUT_MS: '200',
    ORDERS_STEP_MAX_ATTEMPTS: '2',
    ORDERS_TIMEOUT_SCAN_INTERVAL_MS: '50',
  });
  admin = await aStaffMember(world.orders, ['admin']);
});
afterAll(async () => {
  await world?.close();
});

const inspect = (id: string, caller: Caller = admin) => world.orders.app.inject({ url: `/api/admin/sagas/${id}`, headers: caller.headers });
const list = async (filter: 'open' | 'stuck') => {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await world.orders.app.inject({
      url: `/api/admin/sagas?filter=${filter}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      headers: admin.headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: { orderId: string }[]; nextCursor: string | null };
    ids.push(...page.items.map((i) => i.orderId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
};

describe('stepsOf (a timeline folded into steps)', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 28, 12, 0, s));
  const entry = (step: TimelineEntry['step'], status: TimelineEntry['status'], s: number, reason?: string): TimelineEntry => ({
    step,
    status,
    at: at(s),
    detail: `${step} ${status}`,
    ...(reason ? { reason } : {}),
  });

  it.each([
    {
      name: 'a confirmed checkout: four forward steps, each succeeded once, with its duration',
      timeline: [
        entry('placeOrder', 'succeeded', 0),
        entry('reserveStock', 'started', 0),
        entry('reserveStock', 'succeeded', 1),
        entry('authorizePayment', 'started', 1),
        entry('authorizePayment', 'succeeded', 3),
        entry('capturePayment', 'started', 3),
        entry('capturePayment', 'succeeded', 4),
        entry('commitStock', 'started', 4),
        entry('commitStock', 'succeeded', 4),
        entry('confirm', 'succeeded', 4),
      ],
      expected: [
        ['reserveStock', 'forward', 'succeeded', 1, 1_000, null],
        ['authorizePayment', 'forward', 'succeeded', 1, 2_000, null],
        ['capturePayment', 'forward', 'succeeded', 1, 1_000, null],
        ['commitStock', 'forward', 'succeeded', 1, 0, null],
      ],
    },
    {
      name: 'a declined card after a retry: the failure with its reason, then the release as a compensation in progress',
      timeline: [
        entry('reserveStock', 'started', 0),
        entry('reserveStock', 'succeeded', 1),
        entry('authorizePayment', 'started', 1),
        entry('authorizePayment', 'retried', 2),
        entry('authorizePayment', 'failed', 5, 'The card was declined.'),
        entry('releaseStock', 'requested', 5),
        entry('cancel', 'succeeded', 5),
      ],
      expected: [
        ['reserveStock', 'forward', 'succeeded', 1, 1_000, null],
        ['authorizePayment', 'forward', 'failed', 2, 4_000, 'The card was declined.'],
        ['releaseStock', 'compensation', 'in_progress', 1, null, null],
      ],
    },
  ])('$name', ({ timeline, expected }) => {
    expect(stepsOf(timeline).map((s) => [s.step, s.kind, s.outcome, s.attempts, s.durationMs, s.error])).toEqual(expected);
  });
});

describe('GET /api/admin/sagas', () => {
  it('shows a confirmed checkout step by step, at rest and not stuck; only to admins', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer);
    await waitForStatus(world.orders, customer, id, 'confirmed');

    const res = await inspect(id);
    expect(res.statusCode, res.body).toBe(200);
    const saga = res.json();
    expect(saga).toMatchObject({ orderId: id, status: 'confirmed', current: null, stuck: false, stuckBecause: null });
    expect(saga.steps.map((s: { step: string; outcome: string }) => `${s.step} ${s.outcome}`)).toEqual([
      'reserveStock succeeded',
      'authorizePayment succeeded',
      'capturePayment succeeded',
      'commitStock succeeded',
    ]);
    for (const s of saga.steps) expect(s.durationMs).toBeGreaterThanOrEqual(0);

    expectProblem(await inspect(id, customer), 403, 'forbidden');
    expectProblem(await inspect(id, await aStaffMember(world.orders, ['support'], { region: 'eu' })), 403, 'forbidden');
    expectProblem(await inspect(id, await aStaffMember(world.orders, ['admin'], { suspended: true })), 403, 'forbidden');
    expectProblem(await inspect(id, anonymous), 401, 'unauthenticated');
    expectProblem(await inspect(randomUUID()), 404, 'order_not_found');
    expect(await list('open')).not.toContain(id);
    expect(await list('stuck')).not.toContain(id);
  });

  it('when a capture is never answered, then the saga shows the step waiting with its sends and is listed as stuck, saying why', async () => {
    const customer = await aCustomer(world.orders);
    const id = await placeOrder(world, customer, aCheckout({ paymentMethod: PM.captureSilent }));
    // More sends than the policy allows (2): it counts as stuck, and is still retried.
    const saga = await waitFor(
      async () => {
        const s = (await inspect(id)).json();
        return s.stuck ? s : undefined;
      },
      { description: 'the unanswered capture to count as stuck' },
    );
    expect(saga.status).toBe('capturing');
    expect(saga.current).toMatchObject({ step: 'commitStockAndCapture', overdue: expect.any(Boolean) });
    expect(saga.current.attempts).toBeGreaterThan(2);
    expect(saga.stuckBecause).toMatch(/commitStockAndCapture was sent \d+ times without an answer/);
    const capture = saga.steps.find((s: { step: string }) => s.step === 'capturePayment');
    expect(capture).toMatchObject({ outcome: 'in_progress', finishedAt: null });
    expect(capture.attempts).toBeGreaterThan(1);
    expect(await list('stuck')).toContain(id);
    expect(await list('open')).toContain(id);
  });
});
