import { authorize } from '@emporium/auth';
import { authenticate, type ServiceApp } from '@emporium/service';
import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { OrdersDeps } from '../../domain/deps.js';
import { inspectSaga, listSagas, type SagaView } from '../../domain/inspect-saga.js';
import { ORDER_STATUSES } from '../../domain/status.js';
import { TIMELINE_STEPS } from '../../domain/timeline.js';
import { ordersPolicy } from '../../policy.js';
import { Money, OrderParams, problems } from './schemas.js';

const strict = { additionalProperties: false } as const;
const Instant = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const SagaStep = Type.Object(
  {
    step: Type.Enum([...TIMELINE_STEPS]),
    kind: Type.Union([Type.Literal('forward'), Type.Literal('compensation')]),
    outcome: Type.Union([Type.Literal('in_progress'), Type.Literal('succeeded'), Type.Literal('failed')]),
    startedAt: Instant,
    finishedAt: Nullable(Instant),
    durationMs: Nullable(Type.Integer({ minimum: 0 })),
    attempts: Type.Integer({ minimum: 1, description: 'Sends of the step command, the first included' }),
    detail: Type.String(),
    error: Nullable(Type.String({ description: 'Why it failed, for a failed step' })),
  },
  strict,
);

const Saga = Type.Object(
  {
    orderId: Type.String({ format: 'uuid' }),
    customerId: Type.String(),
    status: Type.Enum([...ORDER_STATUSES]),
    total: Money,
    createdAt: Instant,
    updatedAt: Instant,
    current: Nullable(
      Type.Object(
        {
          step: Type.String(),
          startedAt: Nullable(Instant),
          deadline: Nullable(Instant),
          attempts: Type.Integer({ minimum: 0 }),
          overdue: Type.Boolean(),
        },
        strict,
      ),
    ),
    stuck: Type.Boolean(),
    stuckBecause: Nullable(Type.String()),
    steps: Type.Array(SagaStep, { description: 'Each step in the order it began (empty in lists)' }),
  },
  strict,
);

const SagaListQuery = Type.Object(
  {
    filter: Type.Union([Type.Literal('open'), Type.Literal('stuck')], {
      default: 'stuck',
      description: 'open: not yet confirmed or cancelled; stuck: needs a person (refund refused, unanswered, or long past its deadline)',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  strict,
);

const SagaPage = Type.Object({ items: Type.Array(Saga), nextCursor: Type.Union([Type.String(), Type.Null()]) }, strict);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function sagaBody(v: SagaView): Static<typeof Saga> {
  return {
    orderId: v.order.id,
    customerId: v.order.customerId,
    status: v.order.status,
    total: v.order.total,
    createdAt: v.order.createdAt.toISOString(),
    updatedAt: v.order.updatedAt.toISOString(),
    current: v.current && { ...v.current, startedAt: iso(v.current.startedAt), deadline: iso(v.current.deadline) },
    stuck: v.stuck,
    stuckBecause: v.stuckBecause,
    steps: v.steps.map((s) => ({ ...s, startedAt: s.startedAt.toISOString(), finishedAt: iso(s.finishedAt) })),
  };
}

/** The policy's `read Saga` (admins): no token → 401, anyone else (or a suspended admin) → 403, before anything is read. */
async function staff(request: FastifyRequest): Promise<void> {
  authorize(ordersPolicy(await authenticate(request)), 'read', 'Saga');
}

/** The saga inspector, for staff: each checkout's steps, sends, timings and errors, and the sagas that need a person. */
export function sagaRoutes(app: ServiceApp, deps: OrdersDeps): void {
  app.get(
    '/api/admin/sagas',
    {
      onRequest: staff,
      schema: {
        tags: ['saga inspector'],
        summary: 'Checkout sagas that are still running or need a person',
        description: 'Admins only. Newest first, one page at a time: follow `nextCursor`. Open the one you want for its steps.',
        querystring: SagaListQuery,
        response: {
          200: SagaPage,
          ...problems({ 400: 'validation_failed, invalid_cursor', 401: 'unauthenticated, invalid_token', 403: 'forbidden' }),
        },
      },
    },
    async (request) => {
      const page = await listSagas(deps, request.query);
      return { items: page.items.map(sagaBody), nextCursor: page.nextCursor };
    },
  );
  app.get(
    '/api/admin/sagas/:id',
    {
      onRequest: staff,
      schema: {
        tags: ['saga inspector'],
        summary: 'One checkout saga: every step with its sends, timings and errors',
        description: 'Admins only. Any customer’s order. `current` is the step the saga waits on, with its deadline.',
        params: OrderParams,
        response: {
          200: Saga,
          ...problems({ 400: 'validation_failed', 401: 'unauthenticated, invalid_token', 403: 'forbidden', 404: 'order_not_found' }),
        },
      },
    },
    async (request) => sagaBody(await inspectSaga(deps, request.params.id)),
  );
}
