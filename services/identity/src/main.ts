// The identity service's composition root: runMain validates the configuration from the environment,
// migrates, builds the app and listens; SIGTERM drains and stops.
import { runMain } from '@emporium/service';
import { identityModule } from './index.js';

await runMain(identityModule);
