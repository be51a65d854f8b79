// Placeholder until the RabbitMQ transport lands (being written now); replaced wholesale.
import type { Transport } from './transport.js';
export class RabbitMqTransport implements Transport {
  readonly kind = 'rabbitmq' as const;
  constructor(_options: { url: string; exchange?: string; logger: unknown; metrics?: unknown; connectionName?: string }) {
    throw new Error('RabbitMqTransport not yet implemented');
  }
  declare(): Promise<void> {
    throw new Error('x');
  }
  publish(): Promise<void> {
    throw new Error('x');
  }
  consume(): Promise<never> {
    throw new Error('x');
  }
  listParked(): Promise<never[]> {
    throw new Error('x');
  }
  replayParked(): Promise<number> {
    throw new Error('x');
  }
  health(): Promise<never> {
    throw new Error('x');
  }
  close(): Promise<void> {
    throw new Error('x');
  }
}
