import { randomUUID } from 'node:crypto';
import type { BackgroundJob } from '@emporium/service';
import { claimJobLease, releaseJobLease } from '../../data-access/job-leases-repository.js';
import type { PaymentsDeps } from '../../domain/deps.js';
import { reconcileOnce } from '../../domain/reconcile.js';

export interface ReconciliationOptions {
  intervalMs: number;
  lookbackHours: number;
  batch: number;
}

const JOB = 'reconciliation';

/**
 * Runs the reconciliation every interval, in one replica at a time (a lease row): a replica
 * takes it only when nobody holds it and it did not run within the interval.
 */
export function startReconciliationJob(deps: PaymentsDeps, options: ReconciliationOptions): BackgroundJob {
  const owner = `reconciler-${randomUUID()}`;
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const leaseMs = Math.max(options.intervalMs * 2, 60_000);

  async function tick(): Promise<void> {
    try {
      if (!(await claimJobLease(deps.db, JOB, owner, leaseMs, Math.floor(options.intervalMs * 0.9)))) return;
      try {
        const report = await reconcileOnce(deps, { lookbackHours: options.lookbackHours, batch: options.batch, signal: stopping.signal });
        if (report.findings > 0) deps.logger.warn({ ...report }, 'reconciliation found differences with the provider');
        else deps.logger.debug({ ...report }, 'reconciliation run');
      } finally {
        await releaseJobLease(deps.db, JOB, owner);
      }
    } catch (error) {
      if (!stopping.signal.aborted) deps.logger.warn({ err: error }, 'reconciliation run failed; it runs again at the next interval');
    }
  }

  const schedule = () => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, options.intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
