// The payments service as a real process, so that a test can SIGKILL it (F2). Started by
// crash-recovery.test.ts with its settings in the environment; TEST_SERVICE_NAME gives it the
// queue of its test (see isolatedPaymentsModule), the same across restarts.
import { runMain } from '@emporium/service';
import { paymentsModule } from '../../src/index.js';

await runMain({ ...paymentsModule, name: process.env.TEST_SERVICE_NAME ?? paymentsModule.name });
