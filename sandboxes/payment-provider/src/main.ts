// The sandbox's composition root: validates the configuration from the environment, builds the
// app and listens (default port 4010); SIGTERM stops it. Its state lives and dies with the process.
import { runMain } from '@emporium/service';
import { paymentProviderModule } from './index.js';

await runMain(paymentProviderModule);
