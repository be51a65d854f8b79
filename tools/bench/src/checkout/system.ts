import path from 'node:path';
import amqp from 'amqplib';
import { SYSTEM, type SystemTokens, startDistributed } from '@emporium/cli';
import { databaseUrl, ensureDatabase } from '@emporium/db';
import { DEFAULT_RETRY_DELAYS_MS, deadLetterExchangeOf, parkingQueueOf, retryQueueOf } from '@emporium/messaging';
import { freePortBlock } from '@emporium/testing';
import type { CheckoutBenchOptions } from './options.js';

export type DistributedSystem = Awaited<ReturnType<typeof startDistributed>>;

/**
 * The system from its build, on a free block of ports, each service on a database named by
 * `dbOf`, on the run's own exchange and queue prefix.
 */
export function startBenchSystem(
  root: string,
  options: CheckoutBenchOptions,
  prefix: string,
  dbOf: (service: string) => string,
): Promise<DistributedSystem> {
  return freePortBlock().then((portBase) =>
    startDistributed({
      root,
      from: 'build',
      output: 'capture',
      portBase,
      logLevel: 'warn',
      demo: true,
      amqp: { url: options.amqpUrl, exchange: prefix, queuePrefix: prefix },
      databaseUrlOf: async (service) => {
        await ensureDatabase(options.serverUrl, dbOf(service));
        return databaseUrl(options.serverUrl, dbOf(service));
      },
      env: options.env,
      readyTimeoutMs: 120_000,
    }),
  );
}

/** Sets the stock of every SKU used, through inventory's admin API as a merchandiser would. */
export async function stockUp(inventoryUrl: string, tokens: SystemTokens, skus: string[], onHand: number): Promise<void> {
  const merchandiser = await tokens.staff('inventory', ['merchandiser'], { sub: 'usr_bench' });
  for (const sku of skus) {
    const res = await fetch(`${inventoryUrl}/api/inventory/skus/${encodeURIComponent(sku)}/locations/main`, {
      method: 'PUT',
      headers: { ...merchandiser, 'content-type': 'application/json' },
      body: JSON.stringify({ onHand }),
    });
    if (!res.ok) throw new Error(`setting stock of ${sku} failed: ${res.status} ${await res.text()}`);
  }
}

/** The run's queues (each consumer's, its parking and retry queues, the probe's) and its exchanges. */
export async function deleteTopology(url: string, exchange: string, env: Record<string, Record<string, string>>): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const entry of SYSTEM.filter((e) => e.module.consumes)) {
      const queue = `${exchange}.${entry.module.name}`;
      const delays = env[entry.module.name]?.CONSUMER_RETRY_DELAYS_MS?.split(',').map(Number) ?? DEFAULT_RETRY_DELAYS_MS;
      for (const q of [queue, parkingQueueOf(queue), ...new Set(delays.map((d) => retryQueueOf(queue, d)))]) await ch.deleteQueue(q);
      await ch.deleteExchange(deadLetterExchangeOf(queue));
    }
    await ch.deleteQueue(`${exchange}.probe`);
    await ch.deleteExchange(exchange);
    await ch.close();
  } finally {
    await conn.close().catch(() => {});
  }
}

/** Each part's log lines at warn level or above: how many, and the last one. */
export function serviceTrouble(system: DistributedSystem): string {
  const out: string[] = [];
  for (const entry of SYSTEM) {
    const lines = system
      .output(entry.module.name)
      .split('\n')
      .filter((l) => /"level":("warn"|"error"|"fatal"|40|50|60)/.test(l));
    if (lines.length) out.push(`  ${entry.module.name}: ${lines.length} lines, last: ${lines.at(-1)?.slice(0, 300)}`);
  }
  return out.join('\n');
}

/** Every part's captured output into `dir` (for a closer look at a run). */
export function dumpLogs(system: DistributedSystem, dir: string, write: (file: string, text: string) => void): void {
  for (const entry of SYSTEM) write(path.join(dir, `${entry.module.name}.log`), system.output(entry.module.name));
}
