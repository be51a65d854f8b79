import { sql } from '@emporium/db';
import { createEnvelope, InboxBatcher } from '@emporium/messaging';
import { createTestDatabase } from '@emporium/testing';
import { describe, expect, it } from 'vitest';
import { openTestDb, TestEvent } from './harness.js';

const delivery = { attempt: 1, queue: 'q' };

describe('the inbox in group commits', () => {
  it('applies each of many concurrent messages once, a duplicate in the same batch not at all, and isolates a failing handler', async () => {
    const db = await openTestDb(await createTestDatabase('inbox'));
    try {
      const inbox = new InboxBatcher(db, 'q', { maxBatch: 50, concurrency: 1 });
      const envelopes = Array.from({ length: 40 }, (_, n) => createEnvelope(TestEvent, { n }, { source: 'test' }));
      const handler = async (trx: any, e: { id: string; data: unknown }) => {
        const n = (e.data as { n: number }).n;
        await sql`INSERT INTO effects (message_id, n, attempt) VALUES (${e.id}, ${n}, 1)`.execute(trx);
        if (n === 17) throw new Error('seventeen fails');
      };
      // The first submit starts a transaction alone; the rest queue up behind it as one batch,
      // with message 5 twice (a redelivery) and message 17 failing after its insert.
      const results = await Promise.allSettled([...envelopes, envelopes[5]!].map((e) => inbox.submit(e as never, delivery, handler)));

      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
      expect((results[17] as PromiseRejectedResult).reason.message).toBe('seventeen fails');
      const applied = results.filter((r) => r.status === 'fulfilled' && r.value === true).length;
      const duplicates = results.filter((r) => r.status === 'fulfilled' && r.value === false).length;
      expect({ applied, duplicates }).toEqual({ applied: 39, duplicates: 1 });

      const effects = await sql<{ n: number }>`SELECT n FROM effects ORDER BY n`.execute(db);
      expect(effects.rows.map((r) => r.n)).toEqual([...Array(40).keys()].filter((n) => n !== 17));
      const inboxRows = await sql<{ c: number }>`SELECT count(*)::int AS c FROM inbox WHERE consumer = 'q'`.execute(db);
      expect(inboxRows.rows[0]?.c).toBe(39); // the failed message left no inbox row: it will be retried
    } finally {
      await db.destroy();
    }
  });

  it("takes each transaction's locks once, before its handlers and in their transaction, for just the messages they apply, and hands each handler the result", async () => {
    const db = await openTestDb(await createTestDatabase('inbox'));
    try {
      const log: { step: 'lock' | 'handle'; ids: string[]; txid: string; token: object }[] = [];
      const txid = async (trx: any) => (await sql<{ id: string }>`SELECT txid_current()::text AS id`.execute(trx)).rows[0]!.id;
      const inbox = new InboxBatcher<any, object>(db, 'q', {
        maxBatch: 50,
        concurrency: 1,
        lockBatch: async (trx, envelopes) => {
          const token = {};
          log.push({ step: 'lock', ids: envelopes.map((e) => e.id), txid: await txid(trx), token });
          return token;
        },
      });
      const handler = async (trx: any, e: { id: string; data: unknown }, _d: unknown, token: object) => {
        log.push({ step: 'handle', ids: [e.id], txid: await txid(trx), token });
        if ((e.data as { n: number }).n === 13) throw new Error('thirteen fails');
      };
      const submit = (e: { id: string }) => inbox.submit(e as never, delivery, handler);
      const [first, a, b, c, d, failing, e] = [1, 2, 3, 4, 5, 13, 6].map((n) => createEnvelope(TestEvent, { n }, { source: 'test' }));

      // Alone: one message is one transaction, locked like a batch of one.
      expect(await submit(first!)).toBe(true);
      // Then together: `first` again (applied before: nothing to lock, whether it runs alone or
      // with the rest), a, b, b again (a redelivery), c.
      expect(await Promise.all([first, a, b, b, c].map((m) => submit(m!)))).toEqual([false, true, true, false, true]);
      expect(log.filter((l) => l.step === 'lock').map((l) => l.ids)).toEqual([[first!.id], [a!.id, b!.id, c!.id]]);

      // Every handler ran after its transaction's lock, in that transaction, with what it returned.
      const handled = log.filter((l) => l.step === 'handle');
      expect(handled.map((h) => h.ids[0])).toEqual([first!.id, a!.id, b!.id, c!.id]);
      for (const h of handled) {
        const lock = log.find((l) => l.step === 'lock' && l.txid === h.txid)!;
        expect(lock.token).toBe(h.token);
        expect(log.indexOf(lock)).toBeLessThan(log.indexOf(h));
      }

      // A failing handler: the batch rolls back, then each message runs alone, each locked alone.
      log.length = 0;
      const results = await Promise.allSettled([first, d, failing, e].map((m) => submit(m!)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(log.filter((l) => l.step === 'lock').map((l) => l.ids)).toEqual([
        [d!.id, failing!.id, e!.id],
        [d!.id],
        [failing!.id],
        [e!.id],
      ]);
    } finally {
      await db.destroy();
    }
  });
});
