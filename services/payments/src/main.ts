// The payments service's composition root: runMain validates the configuration from the environment,
// migrates, connects the broker, builds the app, listens and starts the provider worker and the
// reconciliation; SIGTERM drains and stops.
import { runMain } from '@emporium/service';
import { paymentsModule } from './index.js';

await runMain(paymentsModule);
