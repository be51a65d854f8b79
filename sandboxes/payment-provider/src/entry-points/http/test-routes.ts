import type { ServiceApp } from '@emporium/service';
import { Type } from 'typebox';
import { completeAction } from '../../domain/complete-action.js';
import type { ProviderDeps } from '../../domain/deps.js';
import type { FaultBook, FaultRule } from '../../domain/faults.js';
import {
  CompleteActionBody,
  errors,
  FaultsBody,
  type FaultRuleBody,
  IdParams,
  LedgerQuery,
  LedgerView,
  PaymentIntentView,
} from './schemas.js';

/** Every test-only route is tagged so, and says so in its summary. */
const tags = ['test-only'];
const TEST_ONLY = 'TEST ONLY (sandbox): ';

/** The rule as the FaultBook keeps it: operation and the optional parameters filled in. */
export function normalizeRule(body: FaultRuleBody): FaultRule {
  const times = body.times !== undefined ? { times: body.times } : {};
  switch (body.kind) {
    case 'latency':
    case 'timeout_after_commit':
      return { operation: body.operation ?? '*', kind: body.kind, ms: body.ms, ...times } as FaultRule;
    case 'error_before_commit':
      return {
        operation: body.operation ?? '*',
        kind: body.kind,
        status: body.status,
        ...(body.retry_after !== undefined ? { retry_after: body.retry_after } : {}),
        ...times,
      } as FaultRule;
    case 'error_after_commit':
      return { operation: body.operation ?? '*', kind: body.kind, status: body.status, ...times } as FaultRule;
    case 'duplicate':
      return { operation: 'webhook', kind: 'duplicate', copies: body.copies ?? 2, ...times };
    case 'delay':
      return { operation: 'webhook', kind: 'delay', ms: body.ms, ...times };
    case 'shuffle':
      return { operation: 'webhook', kind: 'shuffle', count: body.count ?? 3, ms: body.ms ?? 2_000, ...times };
    case 'drop':
      return { operation: 'webhook', kind: 'drop', ...times };
  }
}

/**
 * `/v1/test/*`: switches for tests, no authentication (API.md, "Faults" and "Oracle").
 * Never part of the provider's real surface; they exist only in this sandbox.
 */
export function testRoutes(app: ServiceApp, deps: ProviderDeps, faults: FaultBook): void {
  const FaultsView = Type.Object({ rules: Type.Array(Type.Record(Type.String(), Type.Unknown())) });

  app.put(
    '/faults',
    {
      schema: {
        tags,
        summary: `${TEST_ONLY}replace the injected faults`,
        description:
          'latency, error_before_commit, error_after_commit, timeout_after_commit per API operation; duplicate, delay, shuffle, drop for webhooks. See API.md.',
        body: FaultsBody,
        response: { 200: FaultsView, ...errors({ 400: 'parameter_invalid' }) },
      },
    },
    async (request) => {
      faults.set(request.body.rules.map(normalizeRule));
      return { rules: faults.list() };
    },
  );

  app.get(
    '/faults',
    { schema: { tags, summary: `${TEST_ONLY}the faults still armed, with what is left of their times`, response: { 200: FaultsView } } },
    async () => ({ rules: faults.list() }),
  );

  app.delete('/faults', { schema: { tags, summary: `${TEST_ONLY}switch every fault off`, response: { 200: FaultsView } } }, async () => {
    faults.clear();
    return { rules: [] };
  });

  app.get(
    '/ledger',
    {
      schema: {
        tags,
        summary: `${TEST_ONLY}the oracle: every authorization, capture, void and refund, in order`,
        querystring: LedgerQuery,
        response: { 200: LedgerView },
      },
    },
    async (request) => ({ data: deps.ledger.entries(request.query.order_id) }),
  );

  app.post(
    '/payment_intents/:id/complete_action',
    {
      schema: {
        tags,
        summary: `${TEST_ONLY}the customer completes (or fails) the authentication of a requires_action intent`,
        params: IdParams,
        body: CompleteActionBody,
        response: { 200: PaymentIntentView, ...errors({ 400: 'payment_intent_unexpected_state', 404: 'resource_missing' }) },
      },
    },
    async (request) => completeAction(deps, request.params.id, request.body.outcome ?? 'succeed').view(),
  );
}
