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
});
