import type { Logger } from '@emporium/observability';
import type { BackgroundJob } from './runtime.js';

/**
 * Runs `work` again `intervalMs` after each run ends (never two runs at once). A failed run is
 * logged and the loop goes on. stop() waits for the run in progress.
 */
export function every(name: string, intervalMs: number, work: () => Promise<unknown>, logger: Logger): BackgroundJob {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = work()
        .then(
          () => undefined,
          (error: unknown) => logger.error({ err: error, job: name }, 'background job failed; it runs again at its next interval'),
        )
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
