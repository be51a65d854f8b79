export * from './envelope.js';
export * from './transport.js';
export { appendToOutbox, outboxMigrations, OUTBOX_CHANNEL, type OutboxTable } from './outbox.js';
export { handleOnce, InboxBatcher, inboxMigrations, type InboxHandler, type InboxTable } from './inbox.js';
export { OutboxRelay, type RelayOptions } from './relay.js';
export { EmbeddedTransport, embeddedBrokerMigrations, type EmbeddedTransportOptions } from './embedded.js';
export {
  RabbitMqTransport,
  type RabbitMqTransportOptions,
  deadLetterExchangeOf,
  declareSharedExchange,
  parkingQueueOf,
  retryQueueOf,
} from './rabbitmq.js';
export { NotifyWaker } from './waker.js';
