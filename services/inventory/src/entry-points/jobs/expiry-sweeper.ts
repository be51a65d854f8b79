import type { Logger } from '@emporium/observability';
import type { BackgroundJob } from '@emporium/service';
import type { InventoryDeps } from '../../domain/deps.js';
import { expireReservations } from '../../domain/expire-reservations.js';

/**
 * Every `intervalMs`, releases the reservations past their deadline, a batch per transaction,
 * until a batch comes back short. Runs in every replica: SKIP LOCKED shares the rows between
 * them. A failed sweep (database away) is logged and tried again at the next tick.
 */
export function startExpirySweeper(deps: InventoryDeps, options: { intervalMs: number; batchSize: number; logger: Logger }): BackgroundJob {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const sweep = async () => {
    try {
      while (!stopped) {
        const released = await expireReservations(deps, options.batchSize);
        if (released > 0) options.logger.info({ released }, 'expired reservations released');
        if (released < options.batchSize) break;
      }
    } catch (error) {
      options.logger.warn({ err: error }, 'expiry sweep failed; trying again at the next tick');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(schedule);
    }, options.intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
