/**
 * Checkout benchmark: C customers place orders through the gateway of the whole system in
 * distributed mode (every part its own process, run from its build) for a fixed time, each
 * waiting for its order to be confirmed before the next one. Prints orders/s confirmed, the
 * accept (202) and accept→confirmed latencies, the database commits one order costs — and beside
 * them, measured in the same run on the same PostgreSQL, the ceiling: the durable commit rate for
 * a transaction of one saga step's size divided by the commits an order needs.
 * Last line: `checkout: <X> orders/s, ceiling <Y> orders/s, ratio <R>, accept p99 <A> ms, confirm p99 <B> ms`.
 * Targets on the 2-core machine: ratio ≥ 0.3, accept p99 ≤ 100 ms at 32 customers, confirm p99 ≤ 1 s.
 *
 * Every run has its own databases and exchange/queue prefix (bench_co_<id>_…), dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_CATALOG } from '@emporium/catalog';
import { SYSTEM } from '@emporium/cli';
import { databaseUrl, dropDatabase, ensureDatabase } from '@emporium/db';
import { type CommitCeiling, measureCommitCeiling } from './checkout/ceiling.js';
import { CommitMeter } from './checkout/commits.js';
import { CpuMeter, machineCpu } from './checkout/cpu.js';
import { CheckoutLoad } from './checkout/customers.js';
import { parseOptions } from './checkout/options.js';
import { InfrastructureProbes } from './checkout/probes.js';
import { report } from './checkout/report.js';
import { ms } from './checkout/stats.js';
import { deleteTopology, dumpLogs, serviceTrouble, startBenchSystem, stockUp } from './checkout/system.js';

const root = path.resolve(import.meta.dirname, '../../..');
const options = parseOptions(process.argv.slice(2), process.env);
const runId = randomBytes(3).toString('hex');
const prefix = `bench_co_${runId}`;
const services = SYSTEM.filter((e) => e.module.migrations).map((e) => e.module.name);
const dbOf = (service: string) => `${prefix}_${service.replace(/-/g, '_')}`;
const scratchDb = `${prefix}_scratch`;
const scratchUrl = databaseUrl(options.serverUrl, scratchDb);
/** Far more than any run sells, so no order fails for stock. */
const STOCK = 10_000_000;

const missingBuild = SYSTEM.filter((e) => !existsSync(path.join(root, e.dir, 'dist', 'main.js'))).map((e) => e.dir);
if (missingBuild.length) {
  console.error(`no build of ${missingBuild.join(', ')}: run \`npm run build\` first (npm run bench:checkout does)`);
  process.exit(1);
}

// Several SKUs, so that one stock row is not the only hot spot (--skus 1 makes it one).
const skus = DEMO_CATALOG.flatMap((p) => p.variants)
  .filter((v) => v.currency === 'EUR')
  .slice(0, options.skus)
  .map((v) => v.sku);

console.log(
  `checkout bench ${runId}: ${options.customers} customers, ${options.warmupS} s warm-up + ${options.durationS} s measured, ` +
    `${skus.length} SKUs, each order followed with If-None-Match + Prefer: wait`,
);

// Ctrl-C ends the current phase early and still cleans up.
const interrupted = new AbortController();
process.once('SIGINT', () => {
  console.log('\ninterrupted: cleaning up');
  interrupted.abort();
});
const pause = (seconds: number) => sleep(seconds * 1_000, undefined, { signal: interrupted.signal }).catch(() => {});

const cleanup: (() => Promise<void>)[] = [];
let exitCode = 0;
try {
  // Cleanup runs newest first: the system stops before its queues and databases go.
  await ensureDatabase(options.serverUrl, scratchDb);
  cleanup.unshift(() => dropDatabase(options.serverUrl, scratchDb));
  for (const s of services) cleanup.unshift(() => dropDatabase(options.serverUrl, dbOf(s)));
  cleanup.unshift(() => deleteTopology(options.amqpUrl, prefix, options.env));

  const started = performance.now();
  const system = await startBenchSystem(root, options, prefix, dbOf);
  cleanup.unshift(() => system.stop());
  console.log(`system up in ${((performance.now() - started) / 1000).toFixed(1)} s (gateway ${system.urls.gateway})`);
  await stockUp(system.urls.inventory as string, system.tokens, skus, STOCK);

  const commits = await CommitMeter.open(scratchUrl, services.map(dbOf), prefix);
  cleanup.unshift(() => commits.close());
  const cpu = await CpuMeter.open(scratchUrl, services.map(dbOf));
  cleanup.unshift(() => cpu.close());

  // What the system costs at rest (pollers, timers, relays): a floor under every order's CPU.
  const restFrom = await cpu.mark();
  const restStart = performance.now();
  await pause(3);
  const rest = cpu.between(restFrom, await cpu.mark());
  const restSeconds = [...rest].filter(([who]) => !who.includes('shared')).reduce((n, [, s]) => n + s, 0);
  console.log(
    `at rest the system uses ${(restSeconds / ((performance.now() - restStart) / 1000)).toFixed(2)} cores (pollers, timers, relays)`,
  );

  const ceilingBefore = await ceilingNow('before');

  const load = new CheckoutLoad({
    gateway: system.urls.gateway as string,
    tokens: system.tokens,
    customers: options.customers,
    skus,
    pollMs: options.pollMs,
    confirmTimeoutMs: 60_000,
    runId,
  });
  const t0 = performance.now();
  load.start();
  const progress = setInterval(() => {
    const now = performance.now();
    const errors = [...load.errors.values()].reduce((a, b) => a + b, 0);
    console.log(
      `[${((now - t0) / 1000).toFixed(0).padStart(4)} s] ${load.phase(now)}: ${load.confirmedAt.length} confirmed, ` +
        `${(load.confirmedBetween(now - 5_000, now) / 5).toFixed(1)} orders/s now, ${load.inFlight} in flight, ${errors} errors`,
    );
  }, 5_000);

  await pause(options.warmupS);
  const probes = await InfrastructureProbes.start(scratchUrl, options.amqpUrl, `${prefix}.probe`);
  const marks = { commits: await commits.mark(), cpu: await cpu.mark(), machine: machineCpu() };
  const windowStart = performance.now();
  load.openWindow(windowStart);
  await pause(options.durationS);
  const endMarks = { commits: await commits.mark(), cpu: await cpu.mark(), machine: machineCpu() };
  const windowEnd = performance.now();
  load.closeWindow(windowEnd);
  const probed = await probes.stop();
  await load.drain();
  clearInterval(progress);
  const ceilingAfter = await ceilingNow('after');

  const byService = (m: Map<string, number>) => new Map(services.map((s) => [s, m.get(dbOf(s)) ?? 0]));
  const durable = await commits.durableBetween(marks.commits, endMarks.commits);
  const headline = report({
    windowS: (windowEnd - windowStart) / 1000,
    confirmedInWindow: load.confirmedBetween(windowStart, windowEnd),
    samples: load.samples,
    errors: load.errors,
    durable: durable && byService(durable),
    all: byService(commits.allBetween(marks.commits, endMarks.commits)),
    deadlocks: byService(commits.deadlocksBetween(marks.commits, endMarks.commits)),
    ceilings: { before: ceilingBefore, after: ceilingAfter },
    probes: probed,
    cpu: cpu.between(marks.cpu, endMarks.cpu),
    machine: {
      busy: endMarks.machine.busy - marks.machine.busy,
      steal: endMarks.machine.steal - marks.machine.steal,
      total: endMarks.machine.total - marks.machine.total,
    },
  });

  if (options.dumpLogs) dumpLogs(system, options.dumpLogs, writeFileSync);
  const trouble = serviceTrouble(system);
  if (trouble) console.log(`\nservice log lines at warn level or above:\n${trouble}`);
  console.log(
    `\ncheckout: ${headline.rate.toFixed(1)} orders/s, ceiling ${headline.ceilingRate.toFixed(1)} orders/s, ` +
      `ratio ${(headline.rate / headline.ceilingRate).toFixed(2)}, accept p99 ${ms(headline.acceptP99)} ms, confirm p99 ${ms(headline.confirmP99)} ms`,
  );
} catch (error) {
  console.error(`checkout bench failed: ${(error as Error).stack ?? String(error)}`);
  exitCode = 1;
} finally {
  for (const step of cleanup) await step().catch((e) => console.error(`cleanup: ${(e as Error).message}`));
}
process.exit(exitCode);

/**
 * The durable commit rate of a saga step's transaction, with C connections but never fewer than
 * 16: the services keep more than that open between them (a pool each), so even one customer's
 * orders commit with group commit at hand.
 */
async function ceilingNow(when: string): Promise<CommitCeiling | undefined> {
  try {
    const ceiling = await measureCommitCeiling(scratchUrl, options.ceilingConnections, options.ceilingS);
    console.log(
      `ceiling ${when}: ${ceiling.commitsPerSecond.toFixed(0)} durable commits/s (${ceiling.connections} connections, ${ceiling.seconds} s; ` +
        'each: insert inbox row + update state row + insert 1 KB outbox row)',
    );
    return ceiling;
  } catch (error) {
    // The server is shared: its connection limit may be reached by others for a while.
    console.log(`ceiling ${when}: not measured (${(error as Error).message})`);
    return undefined;
  }
}
