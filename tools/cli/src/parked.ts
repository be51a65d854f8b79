import { EmbeddedTransport, RabbitMqTransport, type Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';

/** The operator's view of parked (dead-lettered) messages: list them, replay them after a fix. */
export async function parkedCommand(args: string[], env: Record<string, string | undefined>, defaultBrokerDbUrl: string): Promise<number> {
  const [action, queue, ...ids] = args;
  if (!queue || (action !== 'list' && action !== 'replay')) {
    process.stderr.write('usage: emporium parked list <queue> | emporium parked replay <queue> [message-id ...]\n');
    return 64;
  }
  const transport = operatorTransport(env, defaultBrokerDbUrl, 'emporium-parked');
  try {
    if (action === 'list') {
      const parked = await transport.listParked(queue, 1000);
      for (const p of parked) {
        process.stdout.write(
          `${JSON.stringify({ id: p.envelope?.id, type: p.envelope?.type, subject: p.envelope?.subject, attempts: p.attempts, parkedAt: p.parkedAt, lastError: p.lastError })}\n`,
        );
      }
      process.stdout.write(`${parked.length} parked in ${queue}\n`);
    } else {
      const n = await transport.replayParked(queue, ids.length ? ids : undefined);
      process.stdout.write(`${n} replayed to ${queue}\n`);
    }
    return 0;
  } finally {
    await transport.close();
  }
}

/** The broker as an operator command reaches it: RabbitMQ with AMQP_URL, else the embedded one. */
export function operatorTransport(env: Record<string, string | undefined>, defaultBrokerDbUrl: string, service: string): Transport {
  const logger = createLogger({ service, level: 'warn' });
  return env.AMQP_URL
    ? new RabbitMqTransport({
        url: env.AMQP_URL,
        exchange: env.AMQP_EXCHANGE ?? 'emporium',
        ...(env.AMQP_QUEUE_PREFIX ? { queuePrefix: env.AMQP_QUEUE_PREFIX } : {}),
        logger,
      })
    : new EmbeddedTransport({ url: env.BROKER_DATABASE_URL ?? defaultBrokerDbUrl, logger });
}
