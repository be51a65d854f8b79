/**
 * The distributed mode the end-to-end suites stand on: every part its own process, real HTTP
 * between them, RabbitMQ and a database per service; a part can be killed and started again.
 */
import { describe, expect, it } from 'vitest';
import { startTestSystem } from './support/distributed.js';

const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2_000) })
    .then((r) => r.status)
    .catch(() => 'no answer');

describe('distributed mode', () => {
  it('when a part is SIGKILLed it stops answering, and started again it is ready; stop ends every part', async () => {
    const system = await startTestSystem();
    try {
      expect(await answers(`${system.gateway}/api/catalog/products?limit=1`)).toBe(200);
      await system.kill('orders');
      expect(system.running('orders')).toBe(false);
      expect(await answers(`${system.urls.orders}/healthz`)).toBe('no answer');
      await system.start('orders');
      expect(await answers(`${system.urls.orders}/readyz`)).toBe(200);
    } finally {
      await system.stop();
    }
    for (const url of Object.values(system.urls)) expect(await answers(`${url}/healthz`)).toBe('no answer');
  }, 240_000);
});
