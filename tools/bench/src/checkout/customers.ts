import type { SystemTokens } from '@emporium/cli';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from './http.js';
import { percentile } from './stats.js';

/** Prefer: wait=N of a following read; the orders service caps it (ORDERS_STATUS_MAX_WAIT_MS, 2 s by default). */
const WAIT_S = 2;

export interface LoadOptions {
  gateway: string;
  /** Each simulated customer's access token for orders (signed with the system's issuer key). */
  tokens: SystemTokens;
  customers: number;
  skus: string[];
  pollMs: number;
  /** An order not confirmed (or cancelled) by then counts as timed out. */
  confirmTimeoutMs: number;
  runId: string;
}

/** Milliseconds of one timeline entry: after the order was placed, and after the entry before it. */
export interface Stage {
  afterPlaced: number;
  afterPrevious: number;
}

/** One order placed while the window was open. */
export interface OrderSample {
  acceptMs: number;
  /** From the 202 to the first poll that saw `confirmed`. */
  confirmMs?: number;
  outcome: 'confirmed' | 'cancelled' | 'timed-out';
  /** Each later timeline entry (`step status`) of the order, by the orders service's clock. */
  stages?: Map<string, Stage>;
  /** GET /api/orders/:id requests it took to see the outcome. */
  polls: number;
}

interface TimelineEntry {
  step: string;
  status: string;
  at: string;
}

/**
 * C customers, each in a closed loop: place an order, wait until it is confirmed, place the next.
 *
 * Closed, because a customer waits to see the confirmation before shopping again, and because it
 * keeps the figures honest: the system is measured at a fixed number of orders in flight, so
 * throughput is what it sustains at that concurrency (Little's law: C / cycle time) and the
 * latencies are steady-state ones. An open loop that posts without waiting would, past the
 * saga's capacity, only grow a backlog: accept→confirmed would then grow with the run's length
 * and say nothing about the system.
 */
export class CheckoutLoad {
  /** Orders whose POST started inside the window. */
  readonly samples: OrderSample[] = [];
  /** Failed POSTs and polls, by kind (counted over the whole run). */
  readonly errors = new Map<string, number>();
  /** performance.now() of every confirmation seen, to count the window's throughput and progress. */
  readonly confirmedAt: number[] = [];
  inFlight = 0;
  private firstPollMs = 0;
  private recent: number[] = [];
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private issuing = true;
  private running: Promise<void> | undefined;

  private readonly http: Client;

  constructor(private readonly options: LoadOptions) {
    // One connection per customer: a customer has one request in flight at a time.
    this.http = new Client(options.gateway, options.customers);
  }

  start(): void {
    this.running = Promise.all(Array.from({ length: this.options.customers }, (_, i) => this.customer(i))).then(() => {});
  }

  openWindow(at = performance.now()): void {
    this.windowStart = at;
  }

  closeWindow(at = performance.now()): void {
    this.windowEnd = at;
  }

  /** Stops placing new orders and waits for the ones in flight. */
  async drain(): Promise<void> {
    this.issuing = false;
    await this.running;
    this.http.close();
  }

  phase(at: number): 'warm-up' | 'measuring' | 'draining' {
    return at < this.windowStart ? 'warm-up' : at < this.windowEnd ? 'measuring' : 'draining';
  }

  confirmedBetween(from: number, to: number): number {
    let n = 0;
    for (const t of this.confirmedAt) if (t >= from && t < to) n++;
    return n;
  }

  private learn(confirmMs: number): void {
    this.recent.push(confirmMs);
    if (this.recent.length < 100) return;
    this.firstPollMs = 0.9 * percentile(this.recent, 5);
    this.recent = [];
  }

  private fail(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  private async customer(index: number): Promise<void> {
    const { skus, pollMs } = this.options;
    const customerId = `bench_${this.options.runId}_${index}`;
    const headers = { 'content-type': 'application/json', ...(await this.options.tokens.customer('orders', customerId)) };
    let n = index;
    while (this.issuing) {
      const sku = skus[n++ % skus.length] as string;
      const body = JSON.stringify({
        lines: [{ sku, quantity: 1 }],
        email: `customer${index}@bench.example.com`,
        shippingAddress: { name: 'Grace Hopper', line1: '1 Compiler Way', city: 'Arlington', postalCode: '22201', country: 'US' },
        paymentMethod: 'pm_card_visa',
      });
      const started = performance.now();
      let orderId: string;
      this.inFlight++;
      try {
        const res = await this.http.request('POST', '/api/orders', { ...headers, 'idempotency-key': randomUUID() }, body);
        const text = res.text;
        if (res.status !== 202) {
          this.fail(`POST ${res.status} ${problemCode(text)}`);
          this.inFlight--;
          await sleep(100);
          continue;
        }
        orderId = (JSON.parse(text) as { orderId: string }).orderId;
      } catch (error) {
        this.fail(`POST ${(error as Error).name}`);
        this.inFlight--;
        await sleep(100);
        continue;
      }
      const accepted = performance.now();
      const sample = await this.follow(orderId, headers, accepted, pollMs);
      this.inFlight--;
      if (started >= this.windowStart && started < this.windowEnd) this.samples.push({ acceptMs: accepted - started, ...sample });
    }
  }

  /**
   * Follows the order until it is confirmed or cancelled, as a client that does not poll: after
   * a first read, each read names the version it holds (If-None-Match) and asks the server to
   * wait for the next one (Prefer: wait), so it answers as soon as the order changes — a sighting
   * is not late by a poll interval. The last answer carries the timeline.
   */
  private async follow(
    orderId: string,
    headers: Record<string, string>,
    accepted: number,
    pollMs: number,
  ): Promise<Omit<OrderSample, 'acceptMs'>> {
    const deadline = accepted + this.options.confirmTimeoutMs;
    // The reads are the bench's own load on the system, not the customers' (each is a gateway hop
    // and an orders request), so the first one waits until 90% of the recent 5th percentile of
    // confirmations: that can only delay the sighting of the fastest 5%, and p50 and p99 stay what
    // following from the start would see.
    await sleep(Math.max(pollMs, this.firstPollMs));
    let polls = 0;
    let etag: string | undefined;
    for (; performance.now() < deadline; polls++) {
      let order: { status: string; timeline: TimelineEntry[] };
      try {
        const conditional: Record<string, string> = etag ? { 'if-none-match': etag, prefer: `wait=${WAIT_S}` } : {};
        const res = await this.http.request('GET', `/api/orders/${orderId}`, { ...headers, ...conditional }, undefined, 10_000);
        if (res.status === 304) continue;
        if (res.status !== 200) {
          this.fail(`GET ${res.status} ${problemCode(res.text)}`);
          await sleep(pollMs);
          continue;
        }
        etag = res.etag;
        order = JSON.parse(res.text) as typeof order;
      } catch (error) {
        this.fail(`GET ${(error as Error).name}`);
        await sleep(pollMs);
        continue;
      }
      if (order.status === 'confirmed') {
        const seen = performance.now();
        this.confirmedAt.push(seen);
        this.learn(seen - accepted);
        return { outcome: 'confirmed', confirmMs: seen - accepted, stages: stagesOf(order.timeline), polls: polls + 1 };
      }
      if (order.status === 'cancelled') return { outcome: 'cancelled', stages: stagesOf(order.timeline), polls: polls + 1 };
      if (!etag) await sleep(pollMs); // a server that names no version: poll
    }
    return { outcome: 'timed-out', polls };
  }
}

/**
 * Each timeline entry after placeOrder (first of its kind): its time after placeOrder and since
 * the entry before it, by the orders service's clock. A step's `started` entry is written with
 * the previous step's success, in the same transaction, so only the other entries are kept.
 */
function stagesOf(timeline: TimelineEntry[]): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  const placed = timeline.find((e) => e.step === 'placeOrder');
  if (!placed) return stages;
  const t0 = Date.parse(placed.at);
  let previous = t0;
  for (const e of timeline) {
    const key = `${e.step} ${e.status}`;
    if (e === placed || e.status === 'started' || stages.has(key)) continue;
    const at = Date.parse(e.at);
    stages.set(key, { afterPlaced: at - t0, afterPrevious: at - previous });
    previous = at;
  }
  return stages;
}

/** The `code` of a problem+json answer, for the error counts. */
function problemCode(body: string): string {
  try {
    return String((JSON.parse(body) as { code?: unknown }).code ?? '');
  } catch {
    return '';
  }
}
