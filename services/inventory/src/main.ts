// The inventory's composition root: runMain validates the configuration from the environment,
// migrates, connects the broker, builds the app, starts the consumer and the expiry sweep, and
// listens; SIGTERM drains and stops.
import { runMain } from '@emporium/service';
import { inventoryModule } from './index.js';

await runMain(inventoryModule);
