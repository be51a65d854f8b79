import { sql } from '@emporium/db';
import { conflict } from '@emporium/errors';
import { appendToOutbox, createEnvelope, defineMessage, EmbeddedTransport, RabbitMqTransport, type Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { httpConfig, databaseConfig, messagingConfig, type ServiceModule, startService, type RunningService } from '@emporium/service';
import { createTestDatabase, testAmqpUrl, testMode, uniqueName, waitFor } from '@emporium/testing';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NoteAdded = defineMessage('notes.note.added.v1', Type.Object({ noteId: Type.String(), text: Type.String() }));

const configSchema = { ...httpConfig(0), ...databaseConfig(), ...messagingConfig() };

const notes: ServiceModule<any, typeof configSchema> = {
  name: 'notes',
  description: 'a service used to test the runtime',
  configSchema,
  migrations: {
    '0001_notes': {
      async up(db) {
        await sql`CREATE TABLE notes (id text PRIMARY KEY, text text NOT NULL)`.execute(db);
        await sql`CREATE TABLE seen (id text PRIMARY KEY)`.execute(db);
      },
    },
  },
  publishes: [NoteAdded],
  consumes: {
    definitions: [NoteAdded],
    handlers: {
      [NoteAdded.type]: async (trx, envelope) => {
        await sql`INSERT INTO seen (id) VALUES (${(envelope.data as { noteId: string }).noteId})`.execute(trx);
      },
    },
  },
  async buildApp(ctx) {
    const app = await ctx.createApp();
    app.post(
      '/notes',
      {
        schema: {
          body: Type.Object(
            { id: Type.String({ minLength: 1, maxLength: 40 }), text: Type.String({ maxLength: 100_000 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const { id, text } = request.body;
        await ctx.db.transaction().execute(async (trx) => {
          const inserted = await sql`INSERT INTO notes (id, text) VALUES (${id}, ${text}) ON CONFLICT DO NOTHING`.execute(trx);
          if (Number(inserted.numAffectedRows) === 0) throw conflict('note_exists', `note ${id} exists`);
          await appendToOutbox(trx, ctx.messages, createEnvelope(NoteAdded, { noteId: id, text }, { source: 'notes', subject: id }));
        });
        return reply.status(201).send({ id });
      },
    );
    return app;
  },
};

describe('the service runtime', () => {
  let service: RunningService<any, typeof configSchema>;
  let transport: Transport;

  beforeAll(async () => {
    const logger = createLogger({ service: 'test', level: 'silent', pretty: false });
    transport =
      testMode() === 'real'
        ? (() => {
            const exchange = uniqueName('ex');
            return new RabbitMqTransport({ url: testAmqpUrl(), exchange, queuePrefix: exchange, logger });
          })()
        : new EmbeddedTransport({ url: await createTestDatabase('broker'), logger, pollIntervalMs: 200 });
    service = await startService(notes, {
      env: { DATABASE_URL: await createTestDatabase('notes'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      transport,
      logger,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await transport?.close();
  });

  it('answers /healthz, and /readyz once the database and broker are reachable', async () => {
    expect((await service.app.inject('/healthz')).statusCode).toBe(200);
    const ready = await service.app.inject('/readyz');
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: true, broker: true, topology: true } });
  });

  it('serves the OpenAPI document of its routes at /docs/json', async () => {
    const doc = (await service.app.inject('/docs/json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/notes');
    expect(Object.keys(doc.paths)).not.toContain('/healthz');
  });

  it('when a note is added, then its event goes through the outbox and the consumer applies it once', async () => {
    const res = await fetch(`${service.url}/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'n1', text: 'hello' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    await waitFor(
      async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM seen WHERE id = 'n1'`.execute(service.ctx.db)).rows[0]?.n === 1,
    );
    const outbox = await sql<{ sent: boolean }>`SELECT sent_at IS NOT NULL AS sent FROM outbox`.execute(service.ctx.db);
    expect(outbox.rows).toEqual([{ sent: true }]);
  });

  it('when the body has an unknown property, then it answers 400 problem+json with a stable code', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/notes', payload: { id: 'x', text: 't', status: 'paid' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('when the body is larger than the limit, then it answers 413 body_too_large', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/notes', payload: { id: 'big', text: 'x'.repeat(70_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'body_too_large' });
  });

  it('when the body is not JSON, then it answers 400 malformed_body', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/notes',
      headers: { 'content-type': 'application/json' },
      payload: '{"id":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'malformed_body' });
  });

  it('when a domain rule refuses, then the code of the domain error reaches the client', async () => {
    await service.app.inject({ method: 'POST', url: '/notes', payload: { id: 'dup', text: 'a' } });
    const res = await service.app.inject({ method: 'POST', url: '/notes', payload: { id: 'dup', text: 'a' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'note_exists', requestId: res.headers['x-request-id'] });
  });

  it('when the route does not exist, then it answers 404 route_not_found', async () => {
    const res = await service.app.inject('/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'route_not_found' });
  });

  it('keeps a well-formed caller request id', async () => {
    const res = await service.app.inject({ url: '/healthz', headers: { 'x-request-id': 'req-12345678' } });
    expect(res.headers['x-request-id']).toBe('req-12345678');
  });

  it('exports HTTP metrics by route template and the outbox series at /metrics', async () => {
    await service.app.inject({ method: 'POST', url: '/notes', payload: { id: 'm1', text: 'a' } });
    const text = (await service.app.inject('/metrics')).body;
    expect(text).toMatch(/http_server_requests_total\{[^}]*route="\/notes"[^}]*status_code="201"/);
    expect(text).toContain('emporium_outbox_pending_messages');
    expect(text).toContain('process_cpu_seconds_total');
  });
});
