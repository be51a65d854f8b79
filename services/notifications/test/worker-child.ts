// The notifications service as a real child process (so a test can SIGKILL it mid-send), under a
// queue name of the test's choosing.
import { runMain } from '@emporium/service';
import { notificationsModule } from '../src/index.js';

await runMain({ ...notificationsModule, name: process.env.CHILD_SERVICE_NAME ?? notificationsModule.name });
