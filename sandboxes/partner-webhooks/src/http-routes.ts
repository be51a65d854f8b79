import type { ServiceApp } from '@emporium/service';
import type { FastifyRequest } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { type DeliveryLog, distinctIds } from './deliveries.js';
import type { PartnerFault, PartnerFaults } from './faults.js';
import { PARTNER_PATTERN, type PartnerSecrets, SECRET_PATTERN } from './secrets.js';

/**
 * The receiver's HTTP side. Schemas are plain JSON Schema (the sandbox depends on no schema
 * library); every object rejects unknown properties.
 */

const problem = (status: number, code: string, message: string) => Object.assign(new Error(message), { statusCode: status, code });

const PartnerParams = {
  type: 'object',
  additionalProperties: false,
  required: ['partner'],
  properties: { partner: { type: 'string', pattern: PARTNER_PATTERN } },
} as const;

const Delivery = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'partner', 'webhookId', 'receivedAt', 'headers', 'body', 'validSignature', 'accepted', 'answeredStatus'],
  properties: {
    seq: { type: 'integer' },
    partner: { type: 'string' },
    webhookId: { type: ['string', 'null'] },
    receivedAt: { type: 'string', format: 'date-time' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    body: { type: 'string', description: 'The raw body, as signed' },
    validSignature: { type: 'boolean' },
    accepted: { type: 'boolean', description: 'Processed: a valid signature and no injected error' },
    answeredStatus: { type: 'integer' },
  },
} as const;

const FaultBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['error', 'hold'] },
    status: { type: 'integer', minimum: 400, maximum: 599, description: 'error: the status answered (default 500)' },
    holdMs: { type: 'integer', minimum: 1, maximum: 600_000, description: 'hold: how long the answer is held' },
    times: { type: 'integer', minimum: 1, maximum: 1_000, description: 'Fault the next n deliveries only (default: until cleared)' },
  },
} as const;

const FaultList = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['partner', 'fault', 'remaining'],
        properties: { partner: { type: 'string' }, fault: FaultBody, remaining: { type: ['integer', 'null'] } },
      },
    },
  },
} as const;

/** The request headers as single strings (what was signed is in webhook-*). */
function headersOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Unix seconds in plain digits, written as the sender signed them: the library reads "1700000000x"
 * as the second it starts with, and rebuilds the signed content from the number, so "01700000000"
 * (a leading zero, a header that was not what was signed) would verify too.
 */
const TIMESTAMP = /^(0|[1-9]\d{0,11})$/;

/** Verifies a Standard Webhooks signature on the raw body (constant-time; timestamp within 5 minutes). */
function verify(secret: string, body: string, headers: Record<string, string>): boolean {
  if (!TIMESTAMP.test(headers['webhook-timestamp'] ?? '')) return false;
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

export function partnerReceiverRoutes(app: ServiceApp, deps: { secrets: PartnerSecrets; log: DeliveryLog; faults: PartnerFaults }): void {
  const { secrets, log, faults } = deps;
  /** Held answers, let go (their connections cut) when the receiver closes. */
  const held = new Set<{ timer: NodeJS.Timeout; release(): void }>();
  app.addHook('preClose', async () => {
    for (const h of held) h.release();
    held.clear();
  });

  app.put(
    '/partners/:partner',
    {
      schema: {
        tags: ['partners'],
        summary: "Register (or replace) a partner's signing secret",
        params: PartnerParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['secret'],
          properties: { secret: { type: 'string', pattern: SECRET_PATTERN, description: 'whsec_ followed by the base64 key' } },
        },
        response: {
          200: { type: 'object', additionalProperties: false, required: ['partner'], properties: { partner: { type: 'string' } } },
        },
      },
    },
    async (request) => {
      const { partner } = request.params as { partner: string };
      secrets.set(partner, (request.body as { secret: string }).secret);
      return { partner };
    },
  );

  app.get(
    '/partners',
    {
      schema: {
        tags: ['partners'],
        summary: 'Partners with a secret (never the secrets)',
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['items'],
            properties: { items: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
    async () => ({ items: secrets.partners() }),
  );

  // The hook route reads the body as raw text: the signature covers the exact bytes sent.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post(
      '/hooks/:partner',
      {
        schema: {
          tags: ['hooks'],
          summary: 'Receive a webhook (Standard Webhooks)',
          description:
            'Verifies `webhook-signature` over `webhook-id`.`webhook-timestamp`.body with the partner’s secret. ' +
            'Unknown partner → 404 unknown_partner; bad or stale signature → 400 invalid_signature. Every arrival is recorded.',
          params: PartnerParams,
        },
      },
      async (request, reply) => {
        const { partner } = request.params as { partner: string };
        const body = typeof request.body === 'string' ? request.body : '';
        const headers = headersOf(request);
        const webhookId = headers['webhook-id'] ?? null;
        const secret = secrets.get(partner);
        const validSignature = secret !== undefined && verify(secret, body, headers);
        const record = (accepted: boolean, answeredStatus: number) =>
          log.add({ partner, webhookId, headers, body, validSignature, accepted, answeredStatus });

        if (secret === undefined) {
          record(false, 404);
          throw problem(404, 'unknown_partner', `No secret is registered for ${partner}`);
        }
        if (!validSignature) {
          record(false, 400);
          throw problem(400, 'invalid_signature', 'The webhook signature does not verify');
        }
        const fault = faults.take(partner);
        if (fault?.kind === 'error') {
          record(false, fault.status);
          // Answered as is (the platform's error handler would turn any 5xx into a 500).
          return reply
            .status(fault.status)
            .type('application/problem+json')
            .send({ type: 'about:blank', title: 'Injected failure', status: fault.status, code: 'injected_failure' });
        }
        const duplicate = webhookId !== null && log.seen(partner, webhookId);
        record(true, 200);
        if (fault?.kind === 'hold') {
          // Processed; the sender just does not hear so before its timeout.
          await new Promise<void>((resolve) => {
            const h = {
              timer: setTimeout(() => {
                held.delete(h);
                resolve();
              }, fault.holdMs),
              release: () => {
                clearTimeout(h.timer);
                request.raw.socket?.destroy();
                resolve();
              },
            };
            held.add(h);
          });
        }
        return reply.status(200).send({ received: true, duplicate });
      },
    );
  });

  app.get(
    '/deliveries',
    {
      schema: {
        tags: ['deliveries'],
        summary: 'Every delivery received, oldest first, duplicates included',
        description: '`distinctIds` counts the accepted deliveries by webhook-id: the events a deduplicating partner processed.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            partner: { type: 'string', pattern: PARTNER_PATTERN },
            webhookId: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['items', 'count', 'distinctIds'],
            properties: { items: { type: 'array', items: Delivery }, count: { type: 'integer' }, distinctIds: { type: 'integer' } },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { partner?: string; webhookId?: string };
      const items = log.list(q.partner).filter((d) => q.webhookId === undefined || d.webhookId === q.webhookId);
      return { items, count: items.length, distinctIds: distinctIds(items) };
    },
  );

  app.delete(
    '/deliveries',
    {
      schema: {
        tags: ['deliveries'],
        summary: 'Forget deliveries (of one partner, or all)',
        querystring: { type: 'object', additionalProperties: false, properties: { partner: { type: 'string', pattern: PARTNER_PATTERN } } },
        response: {
          200: { type: 'object', additionalProperties: false, required: ['deleted'], properties: { deleted: { type: 'integer' } } },
        },
      },
    },
    async (request) => ({ deleted: log.clear((request.query as { partner?: string }).partner) }),
  );

  app.get('/faults', { schema: { tags: ['faults'], summary: 'Faults switched on', response: { 200: FaultList } } }, async () => ({
    items: faults.describe(),
  }));

  app.put(
    '/faults/:partner',
    {
      schema: {
        tags: ['faults'],
        summary: "Switch a fault on for a partner (replaces the partner's current one)",
        params: PartnerParams,
        body: FaultBody,
        response: { 200: FaultList },
      },
    },
    async (request) => {
      const { partner } = request.params as { partner: string };
      const body = request.body as { kind: PartnerFault['kind']; status?: number; holdMs?: number; times?: number };
      const times = body.times === undefined ? {} : { times: body.times };
      if (body.kind === 'hold') {
        if (body.holdMs === undefined) throw problem(400, 'hold_ms_required', 'hold needs holdMs');
        faults.set(partner, { kind: 'hold', holdMs: body.holdMs, ...times });
      } else {
        faults.set(partner, { kind: 'error', status: body.status ?? 500, ...times });
      }
      return { items: faults.describe() };
    },
  );

  app.delete(
    '/faults/:partner',
    { schema: { tags: ['faults'], summary: 'Answer normally again', params: PartnerParams, response: { 200: FaultList } } },
    async (request) => {
      faults.clear((request.params as { partner: string }).partner);
      return { items: faults.describe() };
    },
  );
}
