import { randomUUID } from 'node:crypto';
import type { Logger } from '@emporium/observability';
import type { BackgroundJob } from '@emporium/service';
import { claimDueDeliveries } from '../../data-access/deliveries-repository.js';
import { attemptDelivery } from '../../domain/attempt-delivery.js';
import type { DeliveryDeps } from '../../domain/deps.js';

export interface DeliveryWorkerOptions {
  deps: DeliveryDeps;
  logger: Logger;
  leaseMs: number;
  pollIntervalMs: number;
  concurrency: number;
}

/**
 * The delivery worker: takes due deliveries (SKIP LOCKED, with a lease: safe with replicas and
 * crashes) as slots free up, sends each with its stable id, records the outcome. One slow
 * receiver holds one slot, not the others. stop() takes nothing new and waits for the sends in hand.
 */
export function startDeliveryWorker(o: DeliveryWorkerOptions): BackgroundJob {
  const inFlight = new Set<Promise<unknown>>();
  let running = true;
  let wake: (() => void) | undefined;
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const loop = (async () => {
    let failures = 0;
    while (running) {
      const free = o.concurrency - inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const batch = await claimDueDeliveries(o.deps.db, { limit: free, leaseMs: o.leaseMs, leaseToken: randomUUID() });
          claimed = batch.length;
          failures = 0;
          for (const d of batch) {
            const p = attemptDelivery(o.deps, d).finally(() => {
              inFlight.delete(p);
              wake?.();
            });
            inFlight.add(p);
          }
        } catch (error) {
          failures += 1;
          o.logger.warn({ err: error }, 'could not look for due deliveries');
        }
      }
      if (!running) break;
      // A full batch means more may be due: look again at once; otherwise wait (or a slot frees up).
      if (claimed === free && claimed > 0) continue;
      await nap(failures > 0 ? Math.min(o.pollIntervalMs * 2 ** failures, 30_000) : o.pollIntervalMs);
    }
    await Promise.allSettled([...inFlight]);
  })();

  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
