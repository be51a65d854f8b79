/**
 * The invariant checker (src/invariants.ts) pointed at a distributed test system, for the fault
 * suites (crash recovery, rolling restart): the stock each SKU starts with, the orders the
 * clients were told were accepted, and the broker as an operator sees it (parked messages).
 */
import { type Transport, RabbitMqTransport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { testAmqpUrl, waitFor } from '@emporium/testing';
import { type AcceptedOrder, type CheckOptions, checkInvariants, type Finding } from '../../src/invariants.js';
import { SYSTEM } from '../../src/services.js';
import type { TestSystem } from './distributed.js';
import { setStock } from './shop.js';

export interface InvariantWatch {
  /** What checkInvariants takes; a suite may add to it (receipts, injected poison) as its run goes. */
  check: CheckOptions;
  close(): Promise<void>;
}

/** Puts `onHand` units of each SKU in stock and returns the checker's options for this system. */
export async function watchInvariants(
  system: TestSystem,
  stock: { skus: readonly string[]; onHand: number },
  acceptedOrders: AcceptedOrder[],
): Promise<InvariantWatch> {
  const startStock: Record<string, number> = {};
  for (const sku of stock.skus) startStock[sku] = (await setStock(system, sku, stock.onHand)).onHand;
  const logger = createLogger({ service: 'invariants', level: 'silent', pretty: false });
  const transport: Transport = new RabbitMqTransport({
    url: testAmqpUrl(),
    exchange: system.exchange,
    queuePrefix: system.exchange,
    logger,
  });
  return {
    check: {
      urls: system.urls,
      tokens: system.tokens,
      acceptedOrders,
      startStock,
      parked: { transport, queues: SYSTEM.filter((e) => e.module.consumes).map((e) => e.module.name) },
    },
    close: () => transport.close(),
  };
}

/**
 * Checks again until every invariant holds (the system is quiet: orders settled, messages sent,
 * notifications delivered) or `timeoutMs` passes; answers the last findings, empty when all hold.
 */
export async function findingsOnceQuiet(check: CheckOptions, timeoutMs = 90_000): Promise<Finding[]> {
  let findings: Finding[] = [];
  return waitFor(
    async () => {
      findings = await checkInvariants(check);
      return findings.length === 0 ? findings : undefined;
    },
    { timeoutMs, intervalMs: 2_000, description: 'the system to be quiet with every invariant holding' },
  ).catch(() => findings);
}
