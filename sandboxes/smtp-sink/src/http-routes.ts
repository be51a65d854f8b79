import type { ServiceApp } from '@emporium/service';
import type { SmtpFault, SmtpFaults } from './faults.js';
import { distinctMessageIds, type Mailbox, type ReceivedMail } from './mailbox.js';
import type { SmtpListener } from './smtp-server.js';

/**
 * The sink's HTTP side: what arrived, and the fault switch. Schemas are plain JSON Schema (the
 * sandbox depends on no schema library); every object rejects unknown properties.
 */

const problem = (status: number, code: string, message: string) => Object.assign(new Error(message), { statusCode: status, code });

const MailSummary = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'messageId', 'from', 'to', 'subject', 'text', 'receivedAt'],
  properties: {
    id: { type: 'string', description: "The sink's id of this arrival" },
    messageId: { type: ['string', 'null'], description: 'Message-ID header, with angle brackets' },
    from: { type: 'string' },
    to: { type: 'array', items: { type: 'string' } },
    subject: { type: 'string' },
    text: { type: 'string' },
    receivedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const MailDetail = {
  ...MailSummary,
  required: [...MailSummary.required, 'envelope', 'headers'],
  properties: {
    ...MailSummary.properties,
    envelope: {
      type: 'object',
      additionalProperties: false,
      required: ['mailFrom', 'rcptTo'],
      properties: { mailFrom: { type: ['string', 'null'] }, rcptTo: { type: 'array', items: { type: 'string' } } },
    },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const FaultBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['drop_after_accept', 'hold_after_accept'] },
    holdMs: { type: 'integer', minimum: 1, maximum: 600_000, description: 'hold_after_accept: how long the final reply is held' },
    times: { type: 'integer', minimum: 1, maximum: 1_000, description: 'Fault the next n messages only (default: until cleared)' },
  },
} as const;

const summary = ({ envelope: _e, headers: _h, ...m }: ReceivedMail) => m;

export function smtpSinkRoutes(
  app: ServiceApp,
  deps: { mailbox: Mailbox; faults: SmtpFaults; smtp: SmtpListener; smtpHost: string },
): void {
  const { mailbox, faults } = deps;

  app.get(
    '/messages',
    {
      schema: {
        tags: ['messages'],
        summary: 'Every message received, oldest first, duplicates included',
        description: '`distinctMessageIds` counts them as a mail client deduplicating by Message-ID would.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            to: { type: 'string', minLength: 3, maxLength: 320, description: 'Only messages to this address' },
            messageId: { type: 'string', minLength: 1, maxLength: 998, description: 'Only messages with this Message-ID' },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['items', 'count', 'distinctMessageIds'],
            properties: {
              items: { type: 'array', items: MailSummary },
              count: { type: 'integer' },
              distinctMessageIds: { type: 'integer' },
            },
          },
        },
      },
    },
    async (request) => {
      const items = mailbox.list(request.query as { to?: string; messageId?: string });
      return { items: items.map(summary), count: items.length, distinctMessageIds: distinctMessageIds(items) };
    },
  );

  app.get(
    '/messages/:id',
    {
      schema: {
        tags: ['messages'],
        summary: 'One message with its SMTP envelope and headers',
        params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        response: { 200: MailDetail },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const mail = mailbox.get(id);
      if (!mail) throw problem(404, 'message_not_found', `No message has the id ${id}`);
      return mail;
    },
  );

  app.delete(
    '/messages',
    {
      schema: {
        tags: ['messages'],
        summary: 'Forget every message',
        response: {
          200: { type: 'object', additionalProperties: false, required: ['deleted'], properties: { deleted: { type: 'integer' } } },
        },
      },
    },
    async () => ({ deleted: mailbox.clear() }),
  );

  app.get(
    '/smtp',
    {
      schema: {
        tags: ['faults'],
        summary: 'Where the SMTP side listens',
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['host', 'port', 'url'],
            properties: { host: { type: 'string' }, port: { type: 'integer' }, url: { type: 'string' } },
          },
        },
      },
    },
    async () => ({ host: deps.smtpHost, port: deps.smtp.port, url: `smtp://${deps.smtpHost}:${deps.smtp.port}` }),
  );

  const FaultState = {
    type: 'object',
    additionalProperties: false,
    required: ['fault', 'remaining'],
    properties: { fault: { anyOf: [FaultBody, { type: 'null' }] }, remaining: { type: ['integer', 'null'] } },
  } as const;

  app.get('/faults', { schema: { tags: ['faults'], summary: 'The fault switched on, if any', response: { 200: FaultState } } }, async () =>
    faults.describe(),
  );

  app.put(
    '/faults',
    {
      schema: {
        tags: ['faults'],
        summary: 'Switch a fault on (replaces the current one)',
        description:
          'Both faults strike after the message is received and stored: `drop_after_accept` cuts the connection instead of the final reply; ' +
          '`hold_after_accept` holds the final reply `holdMs` (make it longer than the sender’s timeout).',
        body: FaultBody,
        response: { 200: FaultState },
      },
    },
    async (request) => {
      const body = request.body as { kind: SmtpFault['kind']; holdMs?: number; times?: number };
      const times = body.times === undefined ? {} : { times: body.times };
      if (body.kind === 'hold_after_accept') {
        if (body.holdMs === undefined) throw problem(400, 'hold_ms_required', 'hold_after_accept needs holdMs');
        faults.set({ kind: 'hold_after_accept', holdMs: body.holdMs, ...times });
      } else {
        faults.set({ kind: 'drop_after_accept', ...times });
      }
      return faults.describe();
    },
  );

  app.delete('/faults', { schema: { tags: ['faults'], summary: 'Answer normally again', response: { 200: FaultState } } }, async () => {
    faults.clear();
    return faults.describe();
  });
}
