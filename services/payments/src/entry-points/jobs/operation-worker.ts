import { randomUUID } from 'node:crypto';
import { type Db, inTransaction } from '@emporium/db';
import { NotifyWaker } from '@emporium/messaging';
import { inTraceOf } from '@emporium/observability';
import type { BackgroundJob } from '@emporium/service';
import {
  type Claim,
  type ClaimedOperation,
  claimDueOperations,
  lockOperationForUpdate,
  OPERATIONS_CHANNEL,
  saveOperation,
} from '../../data-access/operations-repository.js';
import type { PaymentsDeps } from '../../domain/deps.js';
import { rescheduled, retryDelayMs } from '../../domain/operation.js';
import { runOperation } from '../../domain/run-operation.js';

export interface WorkerOptions {
  /** The pool the worker LISTENs from (one connection, held while the worker runs). */
  pool: Db<unknown>['pool'];
  /** Fallback poll: when no NOTIFY arrives (the LISTEN connection is down) or a dead replica's lease runs out. */
  pollMs: number;
  leaseMs: number;
  /** Operations in flight at once. */
  concurrency: number;
}

/**
 * The first sleep when an operation is due but another transaction holds its row (a claim of
 * another replica, a sync): soon enough to take it once that transaction has ended. It doubles
 * while the row stays held (a frozen peer), up to the poll, so that no lock is spun on.
 */
const HELD_RETRY_MS = 50;

/**
 * The worker that talks to the provider: claims due operations (FOR UPDATE SKIP LOCKED, with a
 * lease, so several replicas share them and a SIGKILLed replica's claims come back when its lease
 * ends) and runs one step of each. Every call is abandoned before the lease ends, so a claim never
 * outlives its lease while this replica lives. On stop, calls in flight are abandoned: their
 * operations stay pending and are resumed, with the same keys, by whichever replica claims them.
 *
 * It does not poll for work: an operation recorded or rescheduled NOTIFYs the worker at commit (a
 * trigger, migration 0002), and each claim says when the next operation is due, so the worker
 * sleeps until then or until the next NOTIFY. The poll only backs that up (LISTEN connection lost).
 */
export function startOperationWorker(deps: PaymentsDeps, options: WorkerOptions): BackgroundJob {
  const owner = `worker-${randomUUID()}`;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const waker = new NotifyWaker(options.pool, OPERATIONS_CHANNEL, deps.logger);
  let slotFreed: (() => void) | undefined;
  let heldRetryMs = HELD_RETRY_MS;
  const stepBudgetMs = options.leaseMs - Math.min(1_000, Math.floor(options.leaseMs / 4));

  async function runOne(claimed: ClaimedOperation): Promise<void> {
    const op = claimed.operation;
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(stepBudgetMs)]);
    try {
      // In the trace the operation was asked for in: the checkout stays one trace across this queue.
      await inTraceOf(op.trace, () => runOperation(deps, claimed, { owner, signal }));
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

  /** How long to sleep after a claim that took all there was. */
  function sleepAfter(claim: Claim): number {
    if (claim.nextDueInMs !== 0 || claim.claimed.length > 0) heldRetryMs = HELD_RETRY_MS;
    if (claim.nextDueInMs === null) return options.pollMs;
    if (claim.nextDueInMs > 0) return Math.min(options.pollMs, claim.nextDueInMs);
    const wait = Math.min(options.pollMs, heldRetryMs);
    heldRetryMs = Math.min(options.pollMs, heldRetryMs * 2);
    return wait;
  }

  const loop = (async () => {
    await waker.listen();
    while (!stopping.signal.aborted) {
      const room = options.concurrency - inFlight.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
        slotFreed = undefined;
        continue;
      }
      // A NOTIFY from now on ends the next sleep: a commit during the claim is never slept through.
      waker.beginWork();
      let claim: Claim = { claimed: [], nextDueInMs: null };
      try {
        claim = await claimDueOperations(deps.db, owner, options.leaseMs, room);
      } catch (error) {
        deps.logger.warn({ err: error }, 'could not claim payment operations; trying again');
      }
      for (const claimed of claim.claimed) {
        const run = runOne(claimed).finally(() => {
          inFlight.delete(run);
          slotFreed?.();
        });
        inFlight.add(run);
      }
      // As many as there was room for: there may be more due now.
      if (claim.claimed.length === room) continue;
      await waker.idle(sleepAfter(claim));
    }
  })();

  return {
    async stop() {
      stopping.abort();
      waker.wake();
      slotFreed?.();
      await loop;
      await Promise.allSettled([...inFlight]);
      await waker.close();
    },
  };
}
