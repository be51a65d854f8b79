import type { Logger, Metrics } from '@emporium/observability';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import type { EventSink, ProviderEvent } from '../domain/deps.js';
import type { FaultBook, WebhookFault } from '../domain/faults.js';

export interface WebhookSettings {
  urls: string[];
  /** Standard Webhooks secret, `whsec_…`. */
  secret: string;
  retryDelaysMs: number[];
  maxAttempts: number;
  timeoutMs: number;
}

interface Delivery {
  eventId: string;
  body: string;
  url: string;
  attempt: number;
}

interface Held {
  releases: (() => Promise<void>)[];
  count: number;
  timer: NodeJS.Timeout;
}

/**
 * Sends every event to every configured URL, signed per Standard Webhooks (`webhook-id` is the
 * event id, the same on every retry and copy; `webhook-timestamp` is the attempt's time), in the
 * background: an operation never waits for a receiver. A non-2xx answer, a refused connection or
 * no answer within the timeout is retried with backoff until `maxAttempts`. The webhook faults
 * of the FaultBook drop, duplicate, delay or reorder events.
 */
export class WebhookDispatcher implements EventSink {
  readonly #signer: Webhook;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #stop = new AbortController();
  #held: Held | undefined;
  readonly #attempts;
  readonly #injected;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly faults: FaultBook,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#signer = new Webhook(settings.secret);
    this.#attempts = metrics.counter(
      'emporium_payment_provider_webhook_attempts_total',
      'Webhook delivery attempts, by outcome (delivered, failed: will be retried, given_up)',
      ['outcome'],
    );
    this.#injected = metrics.counter('emporium_payment_provider_webhook_faults_total', 'Webhook faults applied to events, by kind', [
      'kind',
    ]);
  }

  publish(event: ProviderEvent): void {
    if (this.settings.urls.length === 0 || this.#stop.signal.aborted) return;
    const faults = this.faults.takeWebhook();
    for (const f of faults) this.#injected.inc({ kind: f.kind });
    if (faults.some((f) => f.kind === 'drop')) {
      this.logger.info({ eventId: event.id, type: event.type }, 'webhook event dropped (fault)');
      return;
    }
    const copies = Math.max(1, ...faults.map((f) => (f.kind === 'duplicate' ? f.copies : 1)));
    const delayMs = Math.max(0, ...faults.map((f) => (f.kind === 'delay' ? f.ms : 0)));
    const body = JSON.stringify(event);
    const send = () =>
      Promise.all(
        Array.from({ length: copies }, () =>
          this.settings.urls.map((url) => this.#attempt({ eventId: event.id, body, url, attempt: 1 })),
        ).flat(),
      ).then(() => undefined);
    const release = () => (delayMs > 0 ? this.#after(delayMs).then(send) : send());
    const shuffle = faults.find((f): f is Extract<WebhookFault, { kind: 'shuffle' }> => f.kind === 'shuffle');
    if (shuffle) this.#hold(release, shuffle);
    else this.#after(0).then(release);
  }

  /** Stops every timer and aborts the attempts in flight; held and pending events are not sent. */
  async stop(): Promise<void> {
    this.#stop.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#held) clearTimeout(this.#held.timer);
    this.#held = undefined;
  }

  /** Keeps events until `count` are held (or `ms` passed), then sends them newest first, one after another. */
  #hold(release: () => Promise<void>, rule: { count: number; ms: number }): void {
    if (!this.#held) {
      const timer = setTimeout(() => void this.#flush(), rule.ms);
      this.#held = { releases: [], count: rule.count, timer };
    }
    this.#held.releases.push(release);
    if (this.#held.releases.length >= this.#held.count) void this.#flush();
  }

  async #flush(): Promise<void> {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    clearTimeout(held.timer);
    for (const release of held.releases.reverse()) await release();
  }

  /** One attempt; resolves once it is answered (a retry is scheduled, not awaited). */
  async #attempt(delivery: Delivery): Promise<void> {
    if (this.#stop.signal.aborted) return;
    let outcome: string;
    try {
      const timestamp = this.now();
      const response = await request(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'emporium-payment-provider-sandbox',
          'webhook-id': delivery.eventId,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': this.#signer.sign(delivery.eventId, timestamp, delivery.body),
        },
        body: delivery.body,
        signal: AbortSignal.any([AbortSignal.timeout(this.settings.timeoutMs), this.#stop.signal]),
      });
      await response.body.dump().catch(() => undefined);
      outcome = response.statusCode >= 200 && response.statusCode < 300 ? 'delivered' : `status ${response.statusCode}`;
    } catch (error) {
      outcome = (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
    }
    if (this.#stop.signal.aborted) return;
    if (outcome === 'delivered') {
      this.#attempts.inc({ outcome: 'delivered' });
      return;
    }
    const host = new URL(delivery.url).host;
    if (delivery.attempt >= this.settings.maxAttempts) {
      this.#attempts.inc({ outcome: 'given_up' });
      this.logger.warn({ eventId: delivery.eventId, host, attempt: delivery.attempt, outcome }, 'webhook delivery given up');
      return;
    }
    this.#attempts.inc({ outcome: 'failed' });
    const delays = this.settings.retryDelaysMs;
    const wait = delays[Math.min(delivery.attempt - 1, delays.length - 1)] ?? 1_000;
    this.logger.debug({ eventId: delivery.eventId, host, attempt: delivery.attempt, outcome, retryInMs: wait }, 'webhook delivery failed');
    void this.#after(wait).then(() => this.#attempt({ ...delivery, attempt: delivery.attempt + 1 }));
  }

  /** Resolves after `ms` unless stopped first (then never: nothing more is sent). */
  #after(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stop.signal.aborted) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}
