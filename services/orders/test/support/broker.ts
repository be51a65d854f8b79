import { EmbeddedTransport, RabbitMqTransport, type Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { createTestDatabase, testAmqpUrl, testMode, uniqueName } from '@emporium/testing';

/**
 * A broker of this run's mode that a child process can join: the transport for the test process,
 * and the settings that point a service at the same broker.
 */
export async function aSharedBroker(): Promise<{ transport: Transport; env: Record<string, string> }> {
  const logger = createLogger({ service: 'test', level: 'silent', pretty: false });
  if (testMode() === 'real') {
    const exchange = uniqueName('ex');
    return {
      // Queues of this run's own (`<exchange>.<queue>`): a queue named like the service would be
      // shared with every other run on the broker, and with its topology.
      transport: new RabbitMqTransport({ url: testAmqpUrl(), exchange, queuePrefix: exchange, logger }),
      env: { AMQP_URL: testAmqpUrl(), AMQP_EXCHANGE: exchange, AMQP_QUEUE_PREFIX: exchange },
    };
  }
  const url = await createTestDatabase('broker');
  return { transport: new EmbeddedTransport({ url, logger, pollIntervalMs: 200 }), env: { BROKER_DATABASE_URL: url } };
}
