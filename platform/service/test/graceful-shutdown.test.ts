/**
 * SIGTERM's path (RunningService.stop): readiness fails at once, the request in flight and the
 * message in flight both finish, and only then does stop() resolve.
 */
import { sql } from '@emporium/db';
import { appendToOutbox, createEnvelope, defineMessage } from '@emporium/messaging';
import { databaseConfig, httpConfig, messagingConfig, type ServiceModule } from '@emporium/service';
import { startTestService, waitFor } from '@emporium/testing';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';

const Slow = defineMessage('drain.work.requested.v1', Type.Object({ id: Type.String() }));
const configSchema = { ...httpConfig(0), ...databaseConfig(), ...messagingConfig() };

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

describe('graceful shutdown', () => {
  it('when stopped with a request and a message in flight, then readiness fails, both complete, and stop waits for them', async () => {
    const requestGate = gate();
    const messageGate = gate();
    let requestStarted = false;
    let messageStarted = false;
    const module: ServiceModule<any, typeof configSchema> = {
      name: 'drain',
      description: 'drain test',
      configSchema,
      migrations: { '0001': { up: async (db) => void (await sql`CREATE TABLE done (id text PRIMARY KEY)`.execute(db)) } },
      publishes: [Slow],
      consumes: {
        definitions: [Slow],
        handlers: {
          [Slow.type]: async (trx, e) => {
            messageStarted = true;
            await messageGate.opened;
            await sql`INSERT INTO done (id) VALUES (${(e.data as { id: string }).id})`.execute(trx);
          },
        },
      },
      async buildApp(ctx) {
        const app = await ctx.createApp();
        app.get('/slow', async () => {
          requestStarted = true;
          await requestGate.opened;
          return { done: true };
        });
        return app;
      },
    };
    const service = await startTestService(module);
    await service.ctx.db
      .transaction()
      .execute((trx) => appendToOutbox(trx, service.ctx.messages, createEnvelope(Slow, { id: 'm1' }, { source: 'drain' })));
    const response = fetch(`${service.url}/slow`);
    await waitFor(() => requestStarted && messageStarted, { description: 'the request and the message to be in flight' });

    let stopped = false;
    const stopping = service.close().then(() => {
      stopped = true;
    });
    await waitFor(async () => (await service.app.inject('/readyz')).statusCode === 503, { description: 'readiness to fail' });
    expect(stopped).toBe(false);

    messageGate.open();
    requestGate.open();
    const res = await response;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await stopping;
    expect(stopped).toBe(true);
    // The handler's effect committed before the database was closed.
    const { createDb } = await import('@emporium/db');
    const db = createDb<any>(service.ctx.db.url, { max: 1 });
    const rows = await sql<{ id: string }>`SELECT id FROM done`.execute(db);
    await db.destroy();
    expect(rows.rows).toEqual([{ id: 'm1' }]);
  });
});
