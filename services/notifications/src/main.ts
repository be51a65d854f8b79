// The notifications composition root: runMain validates the configuration from the environment,
// migrates, connects the broker, builds the app, listens and starts the delivery worker; SIGTERM
// drains and stops.
import { runMain } from '@emporium/service';
import { notificationsModule } from './index.js';

await runMain(notificationsModule);
