// The orders composition root: runMain validates the configuration from the environment,
// migrates, connects the broker, builds the app and listens; SIGTERM drains and stops.
import { runMain } from '@emporium/service';
import { ordersModule } from './index.js';

await runMain(ordersModule);
