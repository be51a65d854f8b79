import type { BackgroundJob } from '@emporium/service';
import { purgeExpiredIdempotencyKeys } from '../../data-access/idempotency-repository.js';
import type { OrdersDeps } from '../../domain/deps.js';
import { expireOverdueSteps } from '../../domain/expire-steps.js';
import { every } from '@emporium/service';

const PURGE_BATCH = 1_000;

/** The orders service's loops: saga step timeouts, and forgetting Idempotency-Keys past their retention. */
export function ordersJobs(deps: OrdersDeps, intervals: { timeoutScanMs: number; purgeMs: number }): BackgroundJob[] {
  return [
    every('saga-step-timeouts', intervals.timeoutScanMs, () => expireOverdueSteps(deps, { maxOrders: 200 }), deps.logger),
    every(
      'idempotency-key-purge',
      intervals.purgeMs,
      async () => {
        let deleted = 0;
        for (;;) {
          const n = await purgeExpiredIdempotencyKeys(deps.db, deps.now(), PURGE_BATCH);
          deleted += n;
          if (n < PURGE_BATCH) break;
        }
        if (deleted) deps.logger.info({ deleted }, 'expired idempotency keys purged');
      },
      deps.logger,
    ),
  ];
}
