import { findOrderById, findSagaPage, type ListPosition, type SagaFilter } from '../data-access/orders-repository.js';
import { readTimeline } from '../data-access/timeline-repository.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { OrdersDeps } from './deps.js';
import { orderNotFound } from './errors.js';
import type { OrderData } from './order-data.js';
import type { TimelineEntry, TimelineStep } from './timeline.js';

/** The steps that undo another (backwards, on cancellation): the rest move the checkout forwards. */
const COMPENSATIONS: ReadonlySet<TimelineStep> = new Set(['releaseStock', 'voidPayment', 'refundPayment']);

/** How long past its deadline a saga may sit before it counts as stuck (the timeout job is not reaching it). */
export const OVERDUE_GRACE_MS = 60_000;

/** One step of a saga as an operator reads it: when it began and ended, how often it was asked, how it went. */
export interface SagaStepView {
  step: TimelineStep;
  kind: 'forward' | 'compensation';
  outcome: 'in_progress' | 'succeeded' | 'failed';
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  /** Sends of the step's command: the first and every retry. */
  attempts: number;
  /** The last words written for it, and why it failed. */
  detail: string;
  error: string | null;
}

export interface SagaView {
  order: OrderData;
  steps: SagaStepView[];
  /** Waiting on: the step in flight, its deadline and sends so far (null once the saga rests). */
  current: { step: string; startedAt: Date | null; deadline: Date | null; attempts: number; overdue: boolean } | null;
  stuck: boolean;
  /** Why it counts as stuck, in plain words (null when it does not). */
  stuckBecause: string | null;
}

/**
 * Folds a timeline into steps: an entry `requested`/`started` opens a step (again after it ended:
 * a new run), `retried` counts a send, `succeeded`/`failed` closes it. placeOrder, confirm and
 * cancel are moments rather than steps and are left out.
 */
export function stepsOf(timeline: TimelineEntry[]): SagaStepView[] {
  const steps: SagaStepView[] = [];
  const open = new Map<TimelineStep, SagaStepView>();
  for (const e of timeline) {
    if (e.step === 'placeOrder' || e.step === 'confirm' || e.step === 'cancel') continue;
    let view = open.get(e.step);
    if (!view) {
      view = {
        step: e.step,
        kind: COMPENSATIONS.has(e.step) ? 'compensation' : 'forward',
        outcome: 'in_progress',
        startedAt: e.at,
        finishedAt: null,
        durationMs: null,
        attempts: 1,
        detail: e.detail,
        error: null,
      };
      open.set(e.step, view);
      steps.push(view);
      if (e.status === 'requested' || e.status === 'started') continue;
    }
    view.detail = e.detail;
    if (e.status === 'retried') view.attempts += 1;
    if (e.status === 'succeeded' || e.status === 'failed') {
      view.outcome = e.status;
      view.finishedAt = e.at;
      view.durationMs = e.at.getTime() - view.startedAt.getTime();
      view.error = e.status === 'failed' ? (e.reason ?? e.detail) : null;
      open.delete(e.step);
    }
  }
  return steps;
}

function stuckBecause(o: OrderData, maxAttempts: number, now: Date): string | null {
  if (o.status === 'needs_attention') return 'A refund was refused by the provider; a person must decide.';
  if (o.stepAttempts > maxAttempts) return `Step ${o.step} was sent ${o.stepAttempts} times without an answer.`;
  if (o.stepDeadline && o.stepDeadline.getTime() < now.getTime() - OVERDUE_GRACE_MS)
    return `Step ${o.step} is past its deadline since ${o.stepDeadline.toISOString()} and nothing is working on it.`;
  return null;
}

export function sagaView(o: OrderData, timeline: TimelineEntry[], maxAttempts: number, now: Date): SagaView {
  const because = stuckBecause(o, maxAttempts, now);
  return {
    order: o,
    steps: stepsOf(timeline),
    current: o.step
      ? {
          step: o.step,
          startedAt: o.stepStartedAt,
          deadline: o.stepDeadline,
          attempts: o.stepAttempts,
          overdue: o.stepDeadline !== null && o.stepDeadline.getTime() < now.getTime(),
        }
      : null,
    stuck: because !== null,
    stuckBecause: because,
  };
}

/** One order's saga, for staff: any customer's order. */
export async function inspectSaga(deps: OrdersDeps, orderId: string): Promise<SagaView> {
  const order = await findOrderById(deps.db, orderId);
  if (!order) throw orderNotFound(orderId);
  return sagaView(order, await readTimeline(deps.db, orderId), deps.policy.maxAttempts, deps.now());
}

/** Sagas still running (open) or needing a person (stuck), newest first, a page at a time. */
export async function listSagas(
  deps: OrdersDeps,
  query: { filter: SagaFilter; limit: number; cursor?: string | undefined },
): Promise<{ items: SagaView[]; nextCursor: string | null }> {
  const after: ListPosition | undefined = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const now = deps.now();
  const rows = await findSagaPage(deps.db, {
    filter: query.filter,
    after,
    limit: query.limit + 1,
    now,
    maxAttempts: deps.policy.maxAttempts,
    graceMs: OVERDUE_GRACE_MS,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => sagaView(r.order, [], deps.policy.maxAttempts, now)),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ position: last.position, id: last.order.id }) : null,
  };
}
