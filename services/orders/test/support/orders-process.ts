// A real orders process for the crash test (run with spawnTs, killed with SIGKILL). SIGUSR2 stops
// its outbox relay: what it commits from then on stays in the outbox, exactly as when a process
// dies after its commit and before the relay published.
import { startService } from '@emporium/service';
import { createOrdersModule } from '../../src/index.js';

const running = await startService(createOrdersModule(), { env: process.env });
process.on('SIGUSR2', () => {
  void running.relay?.stop().then(() => process.stdout.write('relay stopped\n'));
});
process.stdout.write(`orders listening on ${running.url}\n`);
