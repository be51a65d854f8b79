import { AppError, unavailable } from '@emporium/errors';
import type { Logger, Metrics } from '@emporium/observability';
import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect, type Message, type Options } from 'amqplib';
import type { Envelope } from './envelope.js';
import {
  type ConsumeOptions,
  type ConsumerHandle,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_DELAYS_MS,
  type DeliveryHandler,
  type ParkedMessage,
  PermanentFailure,
  type QueueSpec,
  retryDelayFor,
  type Transport,
  type TransportHealth,
} from './transport.js';

export interface RabbitMqTransportOptions {
  /** amqp(s)://user:password@host:port/vhost. Never logged. */
  url: string;
  /** The topic exchange every message is published to. Default `emporium`. */
  exchange?: string;
  /**
   * Whether this transport declares that exchange (default true). False: it only checks that the
   * exchange exists (a passive declare) and fails to start otherwise — the exchange is the
   * operator's, and the service's broker user needs no configure permission on it, which would
   * also let it delete the exchange.
   */
  declareExchange?: boolean;
  /**
   * Prefix of every queue name (`<prefix>.<queue>`), so that several systems — e.g. test runs —
   * share one broker without taking each other's messages. Default none.
   */
  queuePrefix?: string;
  logger: Logger;
  metrics?: Metrics;
  /** Shown in the management UI (`<name>/publish`, `<name>/consume`). Default `emporium`. */
  connectionName?: string;
  /** How long publish() waits for the broker's confirms. Default 10 s. */
  publishTimeoutMs?: number;
  /** Longest wait between two reconnection attempts. Default 5 s. */
  maxReconnectDelayMs?: number;
  /** How long declare() and consume() wait for a connection at start. Default 30 s. */
  connectTimeoutMs?: number;
  /** AMQP heartbeat, unless the URL sets one: a silently dead peer is noticed after ~2 beats. Default 10 s. */
  heartbeatSeconds?: number;
}

/** Headers this transport writes. `x-delivery-count` (quorum queues) is the broker's own. */
export const HEADERS = {
  attempt: 'x-attempt',
  lastError: 'x-last-error',
  originalQueue: 'x-original-queue',
  parkedAt: 'x-parked-at',
  replayedAt: 'x-replayed-at',
} as const;

export const parkingQueueOf = (queue: string) => `${queue}.parked`;
export const retryQueueOf = (queue: string, delayMs: number) => `${queue}.retry.${delayMs}`;
/**
 * The consuming queue's own exchange: retries, parking, replays and the queues' dead-lettering go
 * through it, never through the nameless default exchange (which reaches every queue of the vhost).
 * Named after the queue, like the queue's other resources, so one permission pattern covers them.
 */
export const deadLetterExchangeOf = (queue: string) => `${queue}.dlx`;

const DEFAULT_EXCHANGE = 'emporium';
const DEFAULT_PREFETCH = 16;
const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 5_000;
const FIRST_RECONNECT_DELAY_MS = 100;
const SOCKET_CONNECT_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 5_000;
/**
 * Bounds on broker round trips that could otherwise wait for ever on a broker that is alive (it
 * answers heartbeats) but stuck on one queue — say a quorum queue that has not recovered after a
 * crash. A setup that times out is abandoned and retried on a new connection or channel.
 */
const SETUP_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 5_000;
const REPLAY_BATCH = 100;
const LIST_PARKED_MAX = 1_000;
/**
 * The quorum queue's own delivery limit sits above maxAttempts: our code parks a failing message
 * itself; the broker's limit only catches what our code cannot — a handler that crashes the
 * process (or loses its channel) every time, which would otherwise be redelivered for ever.
 */
const DELIVERY_LIMIT_MARGIN = 5;
const LAST_ERROR_MAX = 500;
const UNKNOWN_TYPE = 'unknown';

/** A QueueSpec with every default applied. */
interface Policy {
  name: string;
  bindings: string[];
  maxAttempts: number;
  retryDelaysMs: number[];
  prefetch: number;
}

/** Where one consumer counts its messages: its service's registry. */
interface ConsumerMeters {
  consumed: ReturnType<Metrics['counter']> | undefined;
  handlerDuration: ReturnType<Metrics['histogram']> | undefined;
}

interface ActiveConsumer {
  policy: Policy;
  handler: DeliveryHandler;
  meters: ConsumerMeters;
  channel: ConfirmChannel | undefined;
  consumerTag: string | undefined;
  starting: Promise<void> | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  restartAttempt: number;
  inFlight: Set<Promise<void>>;
  stopping: Promise<void> | undefined;
}

/**
 * The RabbitMQ transport (distributed mode).
 *
 * Topology, per consuming service queue `q` (declared by declare() at start and again after every
 * reconnect, never on a hot path):
 *   exchange (topic, durable, shared) ──bindings──▶ q (quorum; delivery limit)
 *   q.dlx (topic, durable, q's own) ──key = queue name──▶ q, q.parked, each q.retry.<ms>
 *   q ──delivery limit reached──▶ q.dlx, key q.parked
 *   q.retry.<ms> (classic, TTL ms) ──expired──▶ q.dlx, key q ──▶ q only
 *   q.parked (classic, durable): poison messages, listed and replayed (through q.dlx) by an operator
 * A failed attempt is re-published to q.dlx with the retry queue of its delay as key, then acked;
 * the last attempt (or a PermanentFailure) to q.dlx with the parking queue as key, then acked.
 * Publish-then-ack: a crash in between yields a duplicate, never a loss; consumers are idempotent
 * (inbox). Nothing goes through the nameless default exchange, so a service's broker user needs
 * write on no exchange but the shared one and its queue's own (tools/cli least-privilege.ts).
 *
 * Publishers and consumers use separate connections, as RabbitMQ recommends: when the broker
 * throttles a publishing connection (flow control, memory alarm) the consumers' acks still flow.
 * Each connection reconnects by itself with capped exponential backoff and jitter; the topology is
 * declared again and consumers are re-registered on the new connection.
 */
export class RabbitMqTransport implements Transport {
  readonly kind = 'rabbitmq' as const;

  private readonly exchange: string;
  private readonly declareExchange: boolean;
  private readonly queuePrefix: string;
  private readonly logger: Logger;
  private readonly publishTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly publisher: BrokerLink;
  private readonly subscriber: BrokerLink;
  /** Every spec given to declare(), by queue name: declared again after a reconnect. */
  private readonly specs = new Map<string, Policy>();
  private declaredOnce = false;
  private publishChannel: ConfirmChannel | undefined;
  private publishChannelOpening: Promise<ConfirmChannel> | undefined;
  private readonly consumers = new Set<ActiveConsumer>();
  private closed = false;

  private readonly connectedGauge;
  private readonly defaultMeters: ConsumerMeters;
  private readonly ownMetrics: Metrics | undefined;
  private readonly reconnects;

  constructor(options: RabbitMqTransportOptions) {
    this.exchange = options.exchange ?? DEFAULT_EXCHANGE;
    this.declareExchange = options.declareExchange ?? true;
    this.queuePrefix = options.queuePrefix ? `${options.queuePrefix}.` : '';
    this.logger = options.logger;
    this.publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const url = withDefaultHeartbeat(options.url, options.heartbeatSeconds ?? 10);
    const name = options.connectionName ?? 'emporium';
    const maxDelayMs = options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;
    this.maxReconnectDelayMs = maxDelayMs;

    const m = options.metrics;
    this.ownMetrics = m;
    this.defaultMeters = this.metersOf(m);
    this.connectedGauge = m?.gauge('emporium_broker_connected', '1 while every broker connection in use is open, else 0');
    this.reconnects = m?.counter('emporium_broker_reconnects_total', 'Broker connections re-established after a loss', ['connection']);
    this.connectedGauge?.set(0);

    this.publisher = new BrokerLink({
      url,
      name: `${name}/publish`,
      logger: this.logger,
      maxDelayMs,
      onOpen: (model) => this.onPublisherOpen(model),
      onDown: () => {
        this.publishChannel = undefined;
        this.publishChannelOpening = undefined;
      },
      onStateChange: (reconnected) => this.onLinkStateChange('publish', reconnected),
    });
    this.subscriber = new BrokerLink({
      url,
      name: `${name}/consume`,
      logger: this.logger,
      maxDelayMs,
      onOpen: (model) => this.onSubscriberOpen(model),
      onDown: () => {
        // The connection took every channel with it: forget them (their in-flight handlers will
        // fail to ack, and the broker redelivers those messages) and let onOpen start afresh.
        for (const c of this.consumers) {
          clearTimeout(c.restartTimer);
          c.restartTimer = undefined;
          c.channel = undefined;
          c.consumerTag = undefined;
        }
      },
      onStateChange: (reconnected) => this.onLinkStateChange('consume', reconnected),
    });
  }

  /** Opens the publishing connection and waits for it (optional: declare() does it too). */
  async connect(): Promise<void> {
    this.assertOpen();
    await this.publisher.whenReady(this.connectTimeoutMs);
  }

  async declare(specs: QueueSpec[]): Promise<void> {
    const queues = specs.map((q) => ({ ...q, name: this.queueName(q.name) }));
    this.assertOpen();
    const policies = queues.map(policyOf);
    const model = await this.publisher.whenReady(this.connectTimeoutMs);
    await withTimeout(
      withChannel(model, this.logger, (ch) => declareTopology(ch, this.sharedExchange(), policies)),
      SETUP_TIMEOUT_MS,
      () => unavailable('broker_declare_timeout', `RabbitMQ did not declare the topology within ${SETUP_TIMEOUT_MS} ms`),
    );
    // Remembered only once the broker accepted them: a spec the broker rejects (say, changed
    // queue arguments) must fail the start, not every reconnect after it.
    for (const p of policies) this.specs.set(p.name, p);
    this.declaredOnce = true;
  }

  async publish(messages: Envelope[]): Promise<void> {
    if (messages.length === 0) return;
    this.assertOpen();
    const ch = await this.currentPublishChannel();
    const timestamp = Math.floor(Date.now() / 1000);
    await publishAll(
      ch,
      messages.map((envelope) => ({
        exchange: this.exchange,
        routingKey: envelope.type,
        content: Buffer.from(JSON.stringify(envelope)),
        options: {
          persistent: true,
          contentType: 'application/json',
          messageId: envelope.id,
          type: envelope.type,
          timestamp,
          // The trace context also as AMQP headers (W3C names), for tools that read them there;
          // our consumers take it from the envelope, which the outbox stored with the message.
          ...(envelope.traceparent
            ? { headers: { traceparent: envelope.traceparent, ...(envelope.tracestate ? { tracestate: envelope.tracestate } : {}) } }
            : {}),
        },
      })),
      this.publishTimeoutMs,
    );
  }

  /**
   * The consumer series in a registry, and there the broker's state read at scrape time (when it is
   * not the transport's own registry, which keeps its gauge up to date itself).
   */
  private metersOf(m: Metrics | undefined): ConsumerMeters {
    if (m && m !== this.ownMetrics) {
      const transport = this;
      m.gauge('emporium_broker_connected', '1 while every broker connection in use is open, else 0', [], function collect() {
        this.set(transport.isConnected() ? 1 : 0);
      });
    }
    return {
      consumed: m?.counter('emporium_messages_consumed_total', 'Messages handled by a consumer, by outcome (ok, retried, parked)', [
        'queue',
        'type',
        'outcome',
      ]),
      handlerDuration: m?.histogram(
        'emporium_message_handler_duration_seconds',
        'Time spent in message handlers',
        ['queue', 'type'],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ),
    };
  }

  async consume(given: QueueSpec, handler: DeliveryHandler, options: ConsumeOptions = {}): Promise<ConsumerHandle> {
    const spec = { ...given, name: this.queueName(given.name) };
    this.assertOpen();
    const policy = policyOf(spec);
    // Declared again (idempotent, at start): a consumer in another process than the one that ran
    // declare() still finds its queues, and a changed retry policy fails here, loudly, rather than
    // routing retries to queues that do not exist.
    await this.declare([given]);
    const consumer: ActiveConsumer = {
      policy,
      handler,
      meters: options.metrics ? this.metersOf(options.metrics) : this.defaultMeters,
      channel: undefined,
      consumerTag: undefined,
      starting: undefined,
      restartTimer: undefined,
      restartAttempt: 0,
      inFlight: new Set(),
      stopping: undefined,
    };
    const model = await this.subscriber.whenReady(this.connectTimeoutMs);
    this.consumers.add(consumer);
    this.onLinkStateChange('consume', false);
    try {
      await this.ensureConsumer(consumer, model);
    } catch (error) {
      this.consumers.delete(consumer);
      throw error;
    }
    return { stop: () => this.stopConsumer(consumer) };
  }

  private queueName(name: string): string {
    return this.queuePrefix + name;
  }

  private sharedExchange(): SharedExchange {
    return { name: this.exchange, declare: this.declareExchange };
  }

  async listParked(name: string, limit = 100): Promise<ParkedMessage[]> {
    const queue = this.queueName(name);
    // An operator command runs on a fresh transport: wait for the first connection.
    this.assertOpen();
    const model = await this.publisher.whenReady(this.connectTimeoutMs);
    // Every listed message is held un-acked until the channel closes: keep that bounded.
    const max = Math.min(Math.max(0, limit), LIST_PARKED_MAX);
    const parked: ParkedMessage[] = [];
    await withChannel(model, this.logger, async (ch) => {
      // basic.get without ack, then the channel closes: the broker puts every message back
      // where it was. Listing never removes anything.
      while (parked.length < max) {
        const msg = await ch.get(parkingQueueOf(queue), { noAck: false });
        if (!msg) break;
        parked.push(toParkedMessage(queue, msg));
      }
    });
    return parked;
  }

  async replayParked(name: string, ids?: string[]): Promise<number> {
    const queue = this.queueName(name);
    // An operator command runs on a fresh transport: wait for the first connection.
    this.assertOpen();
    const model = await this.publisher.whenReady(this.connectTimeoutMs);
    const wanted = ids ? new Set(ids) : undefined;
    if (wanted?.size === 0) return 0;
    const parking = parkingQueueOf(queue);
    let moved = 0;
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn({ err, queue: parking }, 'rabbitmq: replay channel closed by the broker'));
    trackReturns(ch);
    try {
      // Only what is parked now: a replayed message that fails again and is parked again while
      // this runs is not taken a second time.
      const { messageCount } = await ch.checkQueue(parking);
      let seen = 0;
      let exhausted = false;
      while (!exhausted && seen < messageCount) {
        const batch: Message[] = [];
        while (batch.length < REPLAY_BATCH && seen < messageCount) {
          const msg = await ch.get(parking, { noAck: false });
          if (!msg) {
            exhausted = true;
            break;
          }
          seen++;
          // A message not asked for stays un-acked and returns to the parking queue at close.
          if (!wanted || wanted.has(idOf(msg))) batch.push(msg);
        }
        if (batch.length === 0) continue;
        const now = new Date().toISOString();
        await sendToQueueConfirmed(
          ch,
          deadLetterExchangeOf(queue),
          queue,
          batch.map((msg) => ({
            content: msg.content,
            options: forwardOptions(msg, { [HEADERS.attempt]: 1, [HEADERS.replayedAt]: now }, [HEADERS.lastError, HEADERS.parkedAt]),
          })),
          this.publishTimeoutMs,
        );
        // Confirmed in the queue: only now is the parked copy removed (a crash before the acks
        // leaves both, a duplicate the inbox absorbs).
        for (const msg of batch) ch.ack(msg);
        moved += batch.length;
      }
    } finally {
      await closeChannel(ch);
    }
    this.logger.info({ queue, moved }, 'rabbitmq: parked messages replayed');
    return moved;
  }

  /**
   * `topologyDeclared`: the exchange, every declared queue and its own exchange exist, and every
   * consumer of ours is registered on its queue. The last part matters: after a broker crash, RabbitMQ 3.10 can keep a
   * quorum queue's metadata (a passive declare succeeds) while the queue itself never comes back
   * (its registration with Ra was not yet saved); consuming from it then waits for ever. Readiness
   * fails instead of the service hanging silently (F9).
   */
  async health(): Promise<TransportHealth> {
    if (this.closed) return { connected: false, topologyDeclared: false };
    this.publisher.start();
    const connected = this.isConnected();
    const model = this.publisher.current();
    if (!connected || !model || !this.declaredOnce) return { connected, topologyDeclared: false };
    if ([...this.consumers].some((c) => !c.stopping && !c.channel)) return { connected, topologyDeclared: false };
    const policies = [...this.specs.values()];
    const topologyDeclared = await withTimeout(
      withChannel(model, this.logger, async (ch) => {
        await ch.checkExchange(this.exchange);
        for (const p of policies) await ch.checkExchange(deadLetterExchangeOf(p.name));
        for (const name of policies.flatMap(queueNamesOf)) await ch.checkQueue(name);
        return true;
      }),
      HEALTH_TIMEOUT_MS,
      () => new Error('health check timed out'),
    ).catch(() => false);
    return { connected, topologyDeclared };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Graceful: handlers in hand finish and ack before the connections go.
    await Promise.allSettled([...this.consumers].map((c) => this.stopConsumer(c)));
    await Promise.allSettled([this.subscriber.close(), this.publisher.close()]);
    this.connectedGauge?.set(0);
  }

  // --- connections -------------------------------------------------------------------------

  private async onPublisherOpen(model: ChannelModel): Promise<void> {
    // The exchange always, so a service that only publishes can publish; the remembered specs
    // because a restarted broker may have lost non-replicated state.
    await withChannel(model, this.logger, (ch) => declareTopology(ch, this.sharedExchange(), [...this.specs.values()]));
    this.publishChannel = await this.openPublishChannel(model);
  }

  private async onSubscriberOpen(model: ChannelModel): Promise<void> {
    // Not awaited: one consumer whose queue does not answer (a quorum queue that did not recover)
    // must not hold the connection, and every other consumer on it, hostage.
    for (const c of this.consumers) {
      void (async () => {
        // A start begun on the previous connection fails with it; wait for that before starting anew.
        await c.starting?.catch(() => {});
        await this.ensureConsumer(c, model);
      })().catch((err: unknown) => {
        this.logger.warn({ err, queue: c.policy.name }, 'rabbitmq: consumer could not be restarted; retrying');
        this.scheduleConsumerRestart(c);
      });
    }
  }

  private onLinkStateChange(connection: 'publish' | 'consume', reconnected: boolean): void {
    if (reconnected) this.reconnects?.inc({ connection });
    this.connectedGauge?.set(this.isConnected() ? 1 : 0);
  }

  private isConnected(): boolean {
    return this.publisher.ready && (this.consumers.size === 0 || this.subscriber.ready);
  }

  private requireModel(): ChannelModel {
    this.assertOpen();
    this.publisher.start();
    const model = this.publisher.current();
    if (!model) throw unavailable('broker_unavailable', 'not connected to RabbitMQ');
    return model;
  }

  private assertOpen(): void {
    if (this.closed) throw unavailable('broker_closed', 'the RabbitMQ transport is closed');
  }

  // --- publishing --------------------------------------------------------------------------

  private async currentPublishChannel(): Promise<ConfirmChannel> {
    if (this.publishChannel) return this.publishChannel;
    // Rejects at once while disconnected: the relay backs off and the outbox keeps the messages.
    const model = this.requireModel();
    this.publishChannelOpening ??= this.openPublishChannel(model).finally(() => {
      this.publishChannelOpening = undefined;
    });
    return this.publishChannelOpening;
  }

  private async openPublishChannel(model: ChannelModel): Promise<ConfirmChannel> {
    const ch = await model.createConfirmChannel();
    // The broker closes a channel on a protocol error (e.g. a publish to a deleted exchange):
    // the next publish opens a new one. Pending confirms fail with the channel.
    ch.on('error', (err: Error) => this.logger.warn({ err }, 'rabbitmq: publish channel closed by the broker'));
    ch.on('close', () => {
      if (this.publishChannel === ch) this.publishChannel = undefined;
    });
    this.publishChannel = ch;
    return ch;
  }

  // --- consuming ---------------------------------------------------------------------------

  private ensureConsumer(c: ActiveConsumer, model: ChannelModel): Promise<void> {
    if (c.channel || c.stopping) return Promise.resolve();
    c.starting ??= this.startConsumer(c, model).finally(() => {
      c.starting = undefined;
    });
    return c.starting;
  }

  private async startConsumer(c: ActiveConsumer, model: ChannelModel): Promise<void> {
    const queue = c.policy.name;
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn({ err, queue }, 'rabbitmq: consumer channel closed by the broker'));
    ch.on('close', () => this.onConsumerChannelClosed(c, ch));
    trackReturns(ch);
    const subscribe = async () => {
      // Idempotent, and a restarted broker may come back without a non-replicated queue.
      const declared = this.specs.get(queue);
      if (declared) await declareTopology(ch, this.sharedExchange(), [declared]);
      await ch.prefetch(c.policy.prefetch);
      return ch.consume(queue, (msg) => this.onDelivery(c, ch, msg), { noAck: false });
    };
    try {
      const { consumerTag } = await withTimeout(
        subscribe(),
        SETUP_TIMEOUT_MS,
        () => new Error(`consumer on ${queue} not registered within ${SETUP_TIMEOUT_MS} ms`),
      );
      if (c.stopping) {
        // Stopped while this start was pending: stop() did not wait for it (a queue that does not
        // answer would hold the shutdown); deliveries that came meanwhile were not handled.
        await closeChannel(ch);
        return;
      }
      c.channel = ch;
      c.consumerTag = consumerTag;
      c.restartAttempt = 0;
    } catch (error) {
      await closeChannel(ch);
      throw error;
    }
  }

  private onConsumerChannelClosed(c: ActiveConsumer, ch: ConfirmChannel): void {
    if (c.channel !== ch) return;
    c.channel = undefined;
    c.consumerTag = undefined;
    // The channel alone died (the queue was deleted, a protocol error): start it again. When the
    // whole connection died, onDown clears this timer in the same tick and onOpen restarts it.
    if (!c.stopping && !this.closed) this.scheduleConsumerRestart(c);
  }

  private scheduleConsumerRestart(c: ActiveConsumer): void {
    if (c.restartTimer || c.stopping || this.closed) return;
    c.restartAttempt++;
    const delay = backoffDelay(c.restartAttempt, FIRST_RECONNECT_DELAY_MS, this.maxReconnectDelayMs);
    c.restartTimer = setTimeout(() => {
      c.restartTimer = undefined;
      const model = this.subscriber.current();
      if (!model) {
        // (Re)connecting: ask again later; ensureConsumer is a no-op once onOpen restarted it.
        this.scheduleConsumerRestart(c);
        return;
      }
      this.ensureConsumer(c, model).catch((err: unknown) => {
        this.logger.warn({ err, queue: c.policy.name }, 'rabbitmq: consumer could not be restarted; retrying');
        this.scheduleConsumerRestart(c);
      });
    }, delay);
  }

  private onDelivery(c: ActiveConsumer, ch: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted or unavailable): a new channel retries.
      this.logger.warn({ queue: c.policy.name }, 'rabbitmq: consumer cancelled by the broker');
      ch.close().catch(() => {});
      return;
    }
    // Stopping: left un-acked, the broker gives it to another consumer when the channel closes.
    if (c.stopping) return;
    // Never throws into amqplib: an exception there would close the channel for every message.
    const work = this.handleDelivery(c, ch, msg).catch((err: unknown) =>
      this.logger.error({ err, queue: c.policy.name }, 'rabbitmq: delivery handling failed'),
    );
    c.inFlight.add(work);
    void work.finally(() => c.inFlight.delete(work));
  }

  private async handleDelivery(c: ActiveConsumer, ch: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const { policy } = c;
    const queue = policy.name;
    const attempt = attemptOf(msg.properties.headers);
    const parsed = parseEnvelope(msg.content);
    if (!parsed.ok) {
      // No handler can ever read it: straight to the parking queue.
      await this.park(c, ch, msg, { queue, type: UNKNOWN_TYPE, attempt, reason: parsed.error });
      return;
    }
    const { envelope } = parsed;
    const type = envelope.type;
    const endTimer = c.meters.handlerDuration?.startTimer({ queue, type });
    let failure: { error: unknown } | undefined;
    try {
      await c.handler(envelope, { attempt, queue });
    } catch (error) {
      failure = { error };
    } finally {
      endTimer?.();
    }
    if (!failure) {
      ackSafely(ch, msg);
      c.meters.consumed?.inc({ queue, type, outcome: 'ok' });
      return;
    }
    const reason = describeFailure(failure.error);
    if (failure.error instanceof PermanentFailure || attempt >= policy.maxAttempts) {
      await this.park(c, ch, msg, { queue, type, attempt, reason });
      return;
    }
    const delayMs = retryDelayFor(policy, attempt);
    const sent = await sendToQueueConfirmed(
      ch,
      deadLetterExchangeOf(queue),
      retryQueueOf(queue, delayMs),
      [
        {
          content: msg.content,
          options: forwardOptions(msg, { [HEADERS.attempt]: attempt + 1, [HEADERS.lastError]: reason, [HEADERS.originalQueue]: queue }),
        },
      ],
      this.publishTimeoutMs,
    ).then(
      () => true,
      (err: unknown) => {
        this.logger.warn({ err, queue, type }, 'rabbitmq: could not schedule a retry; message requeued');
        return false;
      },
    );
    if (!sent) {
      // Back to the queue now; its delivery count grows, so the delivery limit still bounds it.
      nackSafely(ch, msg);
      return;
    }
    ackSafely(ch, msg);
    c.meters.consumed?.inc({ queue, type, outcome: 'retried' });
    this.logger.info(
      { queue, type, messageId: envelope.id, attempt, retryInMs: delayMs, error: reason },
      'rabbitmq: handler failed; retry scheduled',
    );
  }

  private async park(
    c: ActiveConsumer,
    ch: ConfirmChannel,
    msg: Message,
    at: { queue: string; type: string; attempt: number; reason: string },
  ): Promise<void> {
    try {
      await sendToQueueConfirmed(
        ch,
        deadLetterExchangeOf(at.queue),
        parkingQueueOf(at.queue),
        [
          {
            content: msg.content,
            options: forwardOptions(msg, {
              [HEADERS.attempt]: at.attempt,
              [HEADERS.lastError]: at.reason,
              [HEADERS.originalQueue]: at.queue,
              [HEADERS.parkedAt]: new Date().toISOString(),
            }),
          },
        ],
        this.publishTimeoutMs,
      );
    } catch (err) {
      this.logger.warn({ err, queue: at.queue, type: at.type }, 'rabbitmq: could not park a message; message requeued');
      nackSafely(ch, msg);
      return;
    }
    ackSafely(ch, msg);
    c.meters.consumed?.inc({ queue: at.queue, type: at.type, outcome: 'parked' });
    this.logger.warn(
      { queue: at.queue, type: at.type, messageId: msg.properties.messageId, attempt: at.attempt, error: at.reason },
      'rabbitmq: message parked',
    );
  }

  private stopConsumer(c: ActiveConsumer): Promise<void> {
    c.stopping ??= (async () => {
      clearTimeout(c.restartTimer);
      c.restartTimer = undefined;
      // A start still pending is not awaited: it sees `stopping` and undoes itself, or fails when
      // the connection closes.
      const ch = c.channel;
      if (ch && c.consumerTag) {
        // No new deliveries after cancel-ok; those already received are in flight below.
        await withTimeout(ch.cancel(c.consumerTag), CLOSE_TIMEOUT_MS, () => new Error('cancel timed out')).catch(() => {});
      }
      while (c.inFlight.size > 0) await Promise.allSettled([...c.inFlight]);
      c.channel = undefined;
      if (ch) await closeChannel(ch);
      this.consumers.delete(c);
      this.onLinkStateChange('consume', false);
    })();
    return c.stopping;
  }
}

// --- connection with reconnection ------------------------------------------------------------

interface BrokerLinkOptions {
  url: string;
  name: string;
  logger: Logger;
  maxDelayMs: number;
  /** Runs on every new connection before it is offered to callers; a failure reconnects. */
  onOpen: (model: ChannelModel) => Promise<void>;
  /** The connection was lost; its channels are gone. */
  onDown: () => void;
  onStateChange: (reconnected: boolean) => void;
}

/**
 * One AMQP connection that comes back by itself. amqplib 2.3's opt-in `recovery` also reconnects,
 * but while it is down its createChannel() waits for the next connection instead of failing, and
 * publish() must fail at once then (the relay backs off; the outbox keeps the messages). Here the
 * state is explicit: `ready` only after onOpen (topology, the publish channel) completed; consumers
 * are restarted from onOpen without holding it.
 */
class BrokerLink {
  private model: ChannelModel | undefined;
  private isReady = false;
  private started = false;
  private stopped = false;
  private connectedBefore = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Why the last attempt failed (credentials masked), for the error of a caller that gave up waiting. */
  private lastFailure: string | undefined;
  private readonly waiters = new Set<{ resolve: () => void; reject: (error: Error) => void }>();

  constructor(private readonly o: BrokerLinkOptions) {}

  get ready(): boolean {
    return this.isReady;
  }

  /** The connection, once open and set up; undefined while (re)connecting. */
  current(): ChannelModel | undefined {
    return this.isReady ? this.model : undefined;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.connectOnce();
  }

  async whenReady(timeoutMs: number): Promise<ChannelModel> {
    this.start();
    for (;;) {
      const model = this.current();
      if (model) return model;
      if (this.stopped) throw unavailable('broker_closed', 'the RabbitMQ transport is closed');
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (error: Error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          this.waiters.delete(waiter);
          const why = this.lastFailure ? `: ${this.lastFailure}` : '';
          reject(unavailable('broker_unavailable', `RabbitMQ not reachable within ${timeoutMs} ms (${this.o.name})${why}`));
        }, timeoutMs);
        this.waiters.add(waiter);
      });
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters) w.reject(unavailable('broker_closed', 'the RabbitMQ transport is closed'));
    this.waiters.clear();
    const model = this.model;
    this.model = undefined;
    this.isReady = false;
    if (model) await closeModel(model);
  }

  private async connectOnce(): Promise<void> {
    if (this.stopped) return;
    let model: ChannelModel;
    try {
      model = await connect(this.o.url, { clientProperties: { connection_name: this.o.name }, timeout: SOCKET_CONNECT_TIMEOUT_MS });
    } catch (err) {
      // Every attempt while the broker is away would flood the log: the first, then every tenth.
      const level = this.attempt === 0 || (this.attempt + 1) % 10 === 0 ? 'warn' : 'debug';
      const error = safeError(err);
      this.lastFailure = error.message;
      this.o.logger[level]({ err: error, connection: this.o.name, attempt: this.attempt + 1 }, 'rabbitmq: connection failed');
      this.scheduleReconnect();
      return;
    }
    // Without an 'error' listener a cut link throws out of the socket handler and kills the
    // process. The 'close' that always follows drives the reconnection.
    model.on('error', (err: Error) => this.o.logger.warn({ err: safeError(err), connection: this.o.name }, 'rabbitmq: connection error'));
    model.on('close', () => this.onClosed(model));
    model.on('blocked', (reason: string) =>
      this.o.logger.warn({ connection: this.o.name, reason }, 'rabbitmq: connection blocked by the broker (resource alarm)'),
    );
    model.on('unblocked', () => this.o.logger.info({ connection: this.o.name }, 'rabbitmq: connection unblocked'));
    if (this.stopped) {
      await closeModel(model);
      return;
    }
    this.model = model;
    try {
      await withTimeout(this.o.onOpen(model), SETUP_TIMEOUT_MS, () => new Error(`setup did not complete within ${SETUP_TIMEOUT_MS} ms`));
    } catch (err) {
      this.lastFailure = `setup failed: ${safeError(err).message}`;
      this.o.logger.warn({ err, connection: this.o.name }, 'rabbitmq: setup after connecting failed; reconnecting');
      // Closing emits 'close' → onClosed → a new attempt after a backoff.
      await closeModel(model);
      this.onClosed(model);
      if (refusedForGood(err)) {
        // Whoever waits (a start) gets the broker's answer now: the next attempt would only repeat
        // it after their whole timeout. The attempts go on, for an operator who fixes it meanwhile.
        for (const w of this.waiters) w.reject(err as Error);
        this.waiters.clear();
      }
      return;
    }
    if (this.model !== model || this.stopped) return; // lost during setup: onClosed took over
    this.isReady = true;
    this.attempt = 0;
    this.lastFailure = undefined;
    const reconnected = this.connectedBefore;
    this.connectedBefore = true;
    this.o.logger.info({ connection: this.o.name }, reconnected ? 'rabbitmq: reconnected' : 'rabbitmq: connected');
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
    this.o.onStateChange(reconnected);
  }

  private onClosed(model: ChannelModel): void {
    if (this.model !== model) return;
    const wasReady = this.isReady;
    this.model = undefined;
    this.isReady = false;
    this.o.onDown();
    if (wasReady) this.o.onStateChange(false);
    if (this.stopped) return;
    this.o.logger.warn({ connection: this.o.name }, 'rabbitmq: connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    this.attempt++;
    const delay = backoffDelay(this.attempt, FIRST_RECONNECT_DELAY_MS, this.o.maxDelayMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connectOnce();
    }, delay);
  }
}

// --- topology ----------------------------------------------------------------------------------

function policyOf(spec: QueueSpec): Policy {
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retryDelaysMs = spec.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const prefetch = spec.prefetch ?? DEFAULT_PREFETCH;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$/.test(spec.name) || spec.name.startsWith('amq.')) {
    throw new Error(`invalid queue name ${JSON.stringify(spec.name)}`);
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`queue ${spec.name}: maxAttempts must be an integer ≥ 1`);
  if (retryDelaysMs.length === 0 || retryDelaysMs.some((ms) => !Number.isInteger(ms) || ms < 1)) {
    throw new Error(`queue ${spec.name}: retryDelaysMs must be positive integers`);
  }
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) throw new Error(`queue ${spec.name}: prefetch must be 1..65535`);
  return { name: spec.name, bindings: [...spec.bindings], maxAttempts, retryDelaysMs: [...retryDelaysMs], prefetch };
}

function queueNamesOf(p: Policy): string[] {
  return [p.name, parkingQueueOf(p.name), ...[...new Set(p.retryDelaysMs)].map((ms) => retryQueueOf(p.name, ms))];
}

/**
 * Declares the shared topic exchange (durable), as an operator does before services start that
 * only check it (`declareExchange: false`). Idempotent; an exchange of that name with other
 * properties fails with broker_topology_conflict.
 */
export async function declareSharedExchange(url: string, exchange: string = DEFAULT_EXCHANGE): Promise<void> {
  const model = await connect(url, {
    clientProperties: { connection_name: 'emporium/declare-exchange' },
    timeout: SOCKET_CONNECT_TIMEOUT_MS,
  }).catch((error: unknown) => {
    // Not the error itself as the cause: amqplib's may quote the URL, credentials included.
    throw unavailable('broker_unavailable', `RabbitMQ not reachable: ${safeError(error).message}`);
  });
  // A connection error after the work (the broker going away) must not throw out of the socket handler.
  model.on('error', () => {});
  try {
    const ch = await model.createChannel();
    ch.on('error', () => {});
    await withTimeout(
      declaring('exchange', exchange, () => ch.assertExchange(exchange, 'topic', { durable: true })),
      SETUP_TIMEOUT_MS,
      () => unavailable('broker_declare_timeout', `RabbitMQ did not declare the exchange within ${SETUP_TIMEOUT_MS} ms`),
    );
  } catch (error) {
    throw error instanceof AppError
      ? error
      : unavailable('broker_unavailable', `could not declare exchange ${exchange}: ${safeError(error).message}`, error);
  } finally {
    await closeModel(model);
  }
}

/** The shared topic exchange, and whether this transport declares it or only checks that it exists. */
interface SharedExchange {
  name: string;
  declare: boolean;
}

const ACCESS_REFUSED = 403;
const NOT_FOUND = 404;
const PRECONDITION_FAILED = 406;

/** A declaration the broker refuses until someone changes the broker or the settings. */
const refusedForGood = (error: unknown) =>
  error instanceof AppError && ['broker_topology_conflict', 'broker_exchange_missing', 'broker_access_refused'].includes(error.code);

/**
 * Declares (or only checks) the shared exchange and, per spec, the queue's own exchange, its
 * parking queue, retry queues and quorum queue, each bound to the own exchange by its own name,
 * and the quorum queue's bindings on the shared exchange. Idempotent. Bindings removed from a
 * spec are not unbound here.
 *
 * RabbitMQ never changes an existing queue's or exchange's arguments: a declaration with other
 * ones (a new version of this topology, or a changed maxAttempts) fails with PRECONDITION_FAILED,
 * which is reported naming the queue and what to do about it (docs/adr/0006).
 */
async function declareTopology(ch: Channel, shared: SharedExchange, policies: Policy[]): Promise<void> {
  if (shared.declare) {
    await declaring('exchange', shared.name, () => ch.assertExchange(shared.name, 'topic', { durable: true })).catch(
      (error: { code?: unknown }) => {
        if (error.code !== ACCESS_REFUSED) throw error;
        // The likely cause: a user of least privilege, and the exchange is the operator's.
        throw new AppError(
          'broker_access_refused',
          `not allowed to declare exchange ${shared.name} (${(error as Error).message}): when the operator declares it, set AMQP_DECLARE_EXCHANGE=false`,
          500,
          { cause: error },
        );
      },
    );
  } else {
    await ch.checkExchange(shared.name).catch((error: { code?: number }) => {
      if (error.code !== NOT_FOUND) throw error;
      throw unavailable(
        'broker_exchange_missing',
        `exchange ${shared.name} does not exist, and this service does not declare it (AMQP_DECLARE_EXCHANGE=false): ` +
          'the operator declares it (topic, durable) before the services start',
        error,
      );
    });
  }
  for (const p of policies) {
    const own = deadLetterExchangeOf(p.name);
    const parking = parkingQueueOf(p.name);
    // Topic, not direct, although every key is an exact queue name: the queue's broker user reads
    // this exchange (to bind its queues) and writes the shared one, which would let it bind this
    // exchange to the shared one and publish there under any routing key; the topic permission
    // on this exchange (least-privilege.ts) limits such binding keys to the queue names.
    await declaring('exchange', own, () => ch.assertExchange(own, 'topic', { durable: true }));
    // Classic, not quorum: listing parked messages returns them un-acked, and a quorum queue
    // counts every such return as a delivery (RabbitMQ 4 even drops a message after 20 by default).
    await declaring('queue', parking, () => ch.assertQueue(parking, { durable: true, arguments: { 'x-queue-type': 'classic' } }));
    await ch.bindQueue(parking, own, parking);
    for (const delayMs of new Set(p.retryDelaysMs)) {
      // One queue per delay, so every message in it has the same TTL and expires at the head
      // (a classic queue only expires messages there). Expired → the own exchange with the
      // consumer's queue name → back to this consumer only, not to every subscriber of the type.
      const retry = retryQueueOf(p.name, delayMs);
      await declaring('queue', retry, () =>
        ch.assertQueue(retry, {
          durable: true,
          arguments: {
            'x-queue-type': 'classic',
            'x-message-ttl': delayMs,
            'x-dead-letter-exchange': own,
            'x-dead-letter-routing-key': p.name,
          },
        }),
      );
      await ch.bindQueue(retry, own, retry);
    }
    await declaring('queue', p.name, () =>
      ch.assertQueue(p.name, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          // RabbitMQ 3.10 sets no default limit for quorum queues.
          'x-delivery-limit': p.maxAttempts + DELIVERY_LIMIT_MARGIN,
          'x-dead-letter-exchange': own,
          'x-dead-letter-routing-key': parking,
          // At-least-once dead-lettering (3.10+, needs the stream_queue feature flag, and
          // reject-publish overflow): the queue keeps a message until the parking queue confirmed
          // it, instead of the default at-most-once that can lose it on a broker crash.
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      }),
    );
    await ch.bindQueue(p.name, own, p.name);
    for (const pattern of p.bindings) await ch.bindQueue(p.name, shared.name, pattern);
  }
}

/**
 * Runs one declaration; a PRECONDITION_FAILED (the resource exists with other arguments) becomes
 * an error that names it and says what to do, with the broker's own words (which argument, which
 * value it has) kept in the message.
 */
async function declaring<T>(kind: 'queue' | 'exchange', name: string, declare: () => Promise<T>): Promise<T> {
  try {
    return await declare();
  } catch (error) {
    if ((error as { code?: number }).code !== PRECONDITION_FAILED) throw error;
    throw new AppError(
      'broker_topology_conflict',
      `${kind} ${name} exists with other arguments than this version declares (${(error as Error).message}). ` +
        'RabbitMQ does not change them in place: drain and delete the old queues and exchange of this queue ' +
        '(the queue, its .parked and .retry.<ms> queues, its .dlx exchange), or start with a new AMQP_QUEUE_PREFIX (docs/adr/0006)',
      500,
      { cause: error, details: { kind, name } },
    );
  }
}

/**
 * Closes a connection, and drops its socket if the broker does not answer connection.close in
 * time: amqplib then fails every channel and emits 'close' as for a lost link.
 */
async function closeModel(model: ChannelModel): Promise<void> {
  await withTimeout(model.close(), CLOSE_TIMEOUT_MS, () => new Error('connection.close not answered')).catch((err: Error) => {
    // `stream` is amqplib's socket: not in its types, present at run time (lib/connection.js).
    (model.connection as unknown as { stream?: { destroy(error?: Error): void } }).stream?.destroy(err);
  });
}

async function closeChannel(ch: Channel): Promise<void> {
  await withTimeout(ch.close(), CLOSE_TIMEOUT_MS, () => new Error('channel.close not answered')).catch(() => {});
}

/** Runs work on a short-lived channel; the channel is closed afterwards whatever happens. */
async function withChannel<T>(model: ChannelModel, logger: Logger, work: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await model.createChannel();
  // A failed passive declare (checkQueue of a missing queue) closes the channel with an 'error'.
  ch.on('error', (err: Error) => logger.debug({ err }, 'rabbitmq: channel closed by the broker'));
  try {
    return await work(ch);
  } finally {
    await closeChannel(ch);
  }
}

// --- publishing with confirms ------------------------------------------------------------------

interface Outgoing {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/**
 * Writes every message, waiting for 'drain' whenever amqplib's channel buffer is full, then waits
 * for all the confirms together (one window, not one round trip per message). Rejects on the
 * first nack, when the channel or connection closes first (amqplib fails the pending confirm
 * callbacks), or after timeoutMs.
 */
async function publishAll(ch: ConfirmChannel, items: Outgoing[], timeoutMs: number): Promise<void> {
  let abandoned = false;
  const work = (async () => {
    const confirms: Promise<void>[] = [];
    for (const item of items) {
      if (abandoned) return;
      const confirmed = deferred();
      // Awaited below through Promise.all; marked handled now in case a later write throws first.
      confirmed.promise.catch(() => {});
      confirms.push(confirmed.promise);
      const writable = ch.publish(item.exchange, item.routingKey, item.content, item.options, (err: unknown) =>
        err ? confirmed.reject(asError(err, 'message nacked by the broker')) : confirmed.resolve(),
      );
      if (!writable) await drained(ch);
    }
    await Promise.all(confirms);
  })();
  try {
    await withTimeout(work, timeoutMs, () => unavailable('broker_confirm_timeout', `RabbitMQ did not confirm within ${timeoutMs} ms`));
  } catch (error) {
    abandoned = true;
    if (error instanceof AppError) throw error;
    throw unavailable('broker_publish_failed', `publish not confirmed: ${(error as Error).message}`, error);
  }
}

let sendSequence = 0;
const returnsByChannel = new WeakMap<Channel, Map<string, number>>();

/** Records mandatory messages the broker returned, by routing key (see sendToQueueConfirmed). */
function trackReturns(ch: Channel): void {
  const returned = new Map<string, number>();
  returnsByChannel.set(ch, returned);
  ch.on('return', (msg: Message) => returned.set(msg.fields.routingKey, sendSequence));
}

/**
 * Sends to one queue through the queue's own exchange (bound to it with the queue's name as key),
 * mandatory and confirmed. Without `mandatory` the broker confirms a message no queue took: a
 * missing retry or parking queue (or binding) would silently lose it. A return precedes its
 * confirm, so once confirmed, a return recorded at or after this send's sequence number means the
 * queue was missing (or a concurrent send to it was returned: a false alarm costs only a
 * redelivery). A missing exchange closes the channel, which fails the confirms.
 */
async function sendToQueueConfirmed(
  ch: ConfirmChannel,
  exchange: string,
  queue: string,
  messages: { content: Buffer; options: Options.Publish }[],
  timeoutMs: number,
): Promise<void> {
  const sequence = ++sendSequence;
  await publishAll(
    ch,
    messages.map((m) => ({ exchange, routingKey: queue, content: m.content, options: { ...m.options, mandatory: true } })),
    timeoutMs,
  );
  const returnedAt = returnsByChannel.get(ch)?.get(queue);
  if (returnedAt !== undefined && returnedAt >= sequence) {
    throw unavailable(
      'broker_queue_missing',
      `queue ${queue} (or its binding to ${exchange}) does not exist: the broker returned the message`,
    );
  }
}

function drained(ch: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error('channel closed while waiting for it to drain'));
    };
    const cleanup = () => {
      ch.off('drain', onDrain);
      ch.off('close', onClose);
    };
    ch.on('drain', onDrain);
    ch.on('close', onClose);
  });
}

// --- messages ------------------------------------------------------------------------------------

/** Broker-managed headers: never copied onto a message we publish anew. */
function isBrokerHeader(name: string): boolean {
  return name === 'x-death' || name === 'x-delivery-count' || name.startsWith('x-first-death-') || name.startsWith('x-last-death-');
}

/** Properties for re-publishing a received message (retry, park, replay), with header changes. */
function forwardOptions(msg: Message, set: Record<string, string | number>, remove: string[] = []): Options.Publish {
  const p = msg.properties;
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(p.headers ?? {})) {
    if (value !== undefined && !isBrokerHeader(name) && !remove.includes(name)) headers[name] = value;
  }
  Object.assign(headers, set);
  const options: Options.Publish = { persistent: true, contentType: p.contentType ?? 'application/json', headers };
  if (p.messageId !== undefined) options.messageId = p.messageId;
  if (p.type !== undefined) options.type = p.type;
  if (p.timestamp !== undefined) options.timestamp = p.timestamp;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.appId !== undefined) options.appId = p.appId;
  return options;
}

type Parsed = { ok: true; envelope: Envelope } | { ok: false; error: string };

/** JSON with the envelope's identity fields; the handler's registry validates the rest. */
function parseEnvelope(content: Buffer): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch (error) {
    return { ok: false, error: `unparseable message: ${(error as Error).message}`.slice(0, LAST_ERROR_MAX) };
  }
  const e = value as Partial<Envelope> | null;
  if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || typeof e.type !== 'string') {
    return { ok: false, error: 'not an envelope: id and type are required' };
  }
  return { ok: true, envelope: e as Envelope };
}

function intHeader(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The attempt a delivery is: our `x-attempt` (1 on first publish, +1 per retry) plus the quorum
 * queue's `x-delivery-count` (redeliveries of this copy after a crash, a lost channel or a requeue).
 */
function attemptOf(headers: Record<string, unknown> | undefined): number {
  const base = Math.max(1, intHeader(headers?.[HEADERS.attempt]) ?? 1);
  return base + (intHeader(headers?.['x-delivery-count']) ?? 0);
}

function idOf(msg: Message): string {
  const parsed = parseEnvelope(msg.content);
  return parsed.ok ? parsed.envelope.id : String(msg.properties.messageId ?? '');
}

function toParkedMessage(queue: string, msg: Message): ParkedMessage {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const parsed = parseEnvelope(msg.content);
  const str = (v: unknown) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
  const deathReason = str(headers['x-first-death-reason']);
  const parked: ParkedMessage = {
    queue,
    envelope: parsed.ok ? parsed.envelope : null,
    attempts: attemptOf(headers),
    // A message the broker dead-lettered itself (delivery limit: a crash loop) has no x-last-error.
    lastError: str(headers[HEADERS.lastError]) ?? (deathReason ? `dead-lettered by the broker: ${deathReason}` : undefined),
    parkedAt: str(headers[HEADERS.parkedAt]),
  };
  if (!parsed.ok) parked.raw = msg.content.toString('utf8').slice(0, 64 * 1024);
  return parked;
}

/**
 * The error as stored in `x-last-error` and logs: name and message only (no stack), credentials
 * in URLs and `password=…`-style pairs masked, one line, bounded.
 */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return redactSecrets(text).replace(/\s+/g, ' ').trim().slice(0, LAST_ERROR_MAX);
}

function redactSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1[redacted]@')
    .replace(/\b(password|passwd|pwd|secret|token|api[_-]?key|authorization)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1$2[redacted]')
    .replace(/\bBearer\s+\S+/g, 'Bearer [redacted]');
}

/** A connection error with any URL credentials masked (amqplib errors may quote the URL). */
function safeError(err: unknown): { name: string; message: string; code?: unknown } {
  const e = err as { name?: string; message?: string; code?: unknown };
  return { name: e?.name ?? 'Error', message: redactSecrets(String(e?.message ?? err)), code: e?.code };
}

function ackSafely(ch: Channel, msg: Message): void {
  try {
    ch.ack(msg);
  } catch {
    // The channel is gone: the broker redelivers the message and the inbox makes that a no-op.
  }
}

function nackSafely(ch: Channel, msg: Message): void {
  try {
    ch.nack(msg, false, true);
  } catch {
    // The channel is gone: the broker requeues the message by itself.
  }
}

// --- small helpers -------------------------------------------------------------------------------

function withDefaultHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

/** Capped exponential backoff with "equal jitter": at least half the step, so never a tight loop. */
function backoffDelay(attempt: number, firstMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, firstMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function asError(value: unknown, fallback: string): Error {
  return value instanceof Error ? value : new Error(value ? String(value) : fallback);
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
