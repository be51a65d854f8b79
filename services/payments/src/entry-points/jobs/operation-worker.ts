import { randomUUID } from 'node:crypto';
import { inTransaction } from '@emporium/db';
import type { BackgroundJob } from '@emporium/service';
import { claimDueOperations, lockOperationForUpdate, saveOperation } from '../../data-access/operations-repository.js';
import type { PaymentsDeps } from '../../domain/deps.js';
import { rescheduled, retryDelayMs } from '../../domain/operation.js';
import type { Operation } from '../../domain/payment.js';
import { runOperation } from '../../domain/run-operation.js';

export interface WorkerOptions {
  pollMs: number;
  leaseMs: number;
  /** Operations in flight at once. */
  concurrency: number;
}

/**
 * The worker that talks to the provider: claims due operations (FOR UPDATE SKIP LOCKED, with a
 * lease, so several replicas share them and a SIGKILLed replica's claims come back when its lease
 * ends) and runs one step of each. Every call is abandoned before the lease ends, so a claim never
 * outlives its lease while this replica lives. On stop, calls in flight are abandoned: their
 * operations stay pending and are resumed, with the same keys, by whichever replica claims them.
 */
export function startOperationWorker(deps: PaymentsDeps, options: WorkerOptions): BackgroundJob {
  const owner = `worker-${randomUUID()}`;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let wake: (() => void) | undefined;
  const stepBudgetMs = options.leaseMs - Math.min(1_000, Math.floor(options.leaseMs / 4));

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function runOne(op: Operation): Promise<void> {
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(stepBudgetMs)]);
    try {
      await runOperation(deps, op, { owner, signal });
    } catch (error) {
      deps.logger.error(
        { err: error, operationId: op.id, kind: op.kind },
        'an operation step failed; it will be tried again with the same key',
      );
      // Give the claim back with a backoff (if the database is reachable; otherwise the lease runs out).
      await inTransaction(deps.db, async (trx) => {
        const current = await lockOperationForUpdate(trx, op.id);
        if (current?.status === 'pending' && current.leaseOwner === owner) {
          await saveOperation(
            trx,
            rescheduled(current, deps.now(), retryDelayMs(deps.settings.retryDelaysMs, current.attempts), { error: 'internal error' }),
          );
        }
      }).catch(() => {});
    }
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let claimed: Operation[] = [];
      const room = options.concurrency - inFlight.size;
      if (room > 0) {
        try {
          claimed = await claimDueOperations(deps.db, owner, options.leaseMs, room);
        } catch (error) {
          deps.logger.warn({ err: error }, 'could not claim payment operations; trying again');
        }
      }
      for (const op of claimed) {
        const run = runOne(op).finally(() => {
          inFlight.delete(run);
          wake?.();
        });
        inFlight.add(run);
      }
      if (claimed.length === 0 || inFlight.size >= options.concurrency) await sleep(options.pollMs);
    }
  })();

  return {
    async stop() {
      stopping.abort();
      wake?.();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
