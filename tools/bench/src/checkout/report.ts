import type { CommitCeiling } from './ceiling.js';
import type { OrderSample, Stage } from './customers.js';
import type { ProbeResults } from './probes.js';
import { ms, percentile, table } from './stats.js';

export interface RunResults {
  windowS: number;
  confirmedInWindow: number;
  /** Orders placed inside the window, followed to their outcome. */
  samples: OrderSample[];
  errors: Map<string, number>;
  /** Per service: its database's durable commits in the window (undefined without pg_walinspect). */
  durable: Map<string, number> | undefined;
  /** Per service: its database's committed transactions in the window, reads included. */
  all: Map<string, number>;
  /** Per service: deadlocks its database broke in the window (each costs deadlock_timeout, 1 s by default). */
  deadlocks: Map<string, number>;
  /** Measured before and after the load (undefined when one could not be). */
  ceilings: { before: CommitCeiling | undefined; after: CommitCeiling | undefined };
  probes: ProbeResults;
  /** CPU seconds in the window, by who. */
  cpu: Map<string, number>;
  machine: { busy: number; steal: number; total: number };
}

export interface Headline {
  rate: number;
  ceilingRate: number;
  acceptP99: number;
  confirmP99: number;
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const p50p99max = (values: number[]) => [50, 99, 100].map((p) => ms(percentile(values, p)));

/** Prints the tables of one run and returns the figures of its last line. */
export function report(r: RunResults): Headline {
  const perOrder = (n: number) => (r.confirmedInWindow > 0 ? n / r.confirmedInWindow : Number.NaN);
  const rate = r.confirmedInWindow / r.windowS;
  const commitsPerOrder = perOrder(sum((r.durable ?? r.all).values()));
  // Other work on the machine can only lower the ceiling, so the higher measurement counts.
  const commitCeiling = Math.max(...[r.ceilings.before, r.ceilings.after].map((c) => c?.commitsPerSecond ?? Number.NEGATIVE_INFINITY));
  const ceilingRate = commitCeiling / commitsPerOrder;
  const confirmed = r.samples.filter((s) => s.outcome === 'confirmed');
  const accept = r.samples.map((s) => s.acceptMs);
  const confirm = confirmed.map((s) => s.confirmMs as number);
  const outcomes = (['confirmed', 'cancelled', 'timed-out'] as const).map((o) => r.samples.filter((s) => s.outcome === o).length);

  console.log(
    `\n${table(
      ['figure', 'value'],
      [
        ['orders confirmed in the window', `${r.confirmedInWindow} in ${r.windowS.toFixed(1)} s`],
        ['orders/s confirmed', rate.toFixed(1)],
        ['orders placed in the window: confirmed / cancelled / timed out', outcomes.join(' / ')],
        ['status reads per order', (sum(r.samples.map((s) => s.polls)) / Math.max(1, r.samples.length)).toFixed(1)],
        ['errors (whole run)', r.errors.size ? [...r.errors].map(([k, v]) => `${k} ×${v}`).join(', ') : 'none'],
        ['accept (202) p50 / p99 / max ms', p50p99max(accept).join(' / ')],
        ['accept→confirmed p50 / p99 / max ms', p50p99max(confirm).join(' / ')],
        [r.durable ? 'durable commits per order (WAL)' : 'commits per order (all: no pg_walinspect)', commitsPerOrder.toFixed(2)],
        ['all transactions per order (xact_commit, reads included)', perOrder(sum(r.all.values())).toFixed(2)],
        [
          'ceiling: durable commits/s of one saga step (before / after)',
          [r.ceilings.before, r.ceilings.after].map((c) => c?.commitsPerSecond.toFixed(0) ?? '—').join(' / '),
        ],
        ['ceiling: orders/s (the higher ÷ commits per order)', ceilingRate.toFixed(1)],
      ],
    )}`,
  );

  console.log(
    `\n${table(
      ['service database', 'durable commits/order', 'all transactions/order', 'deadlocks'],
      [...r.all.keys()].map((service) => [
        service,
        r.durable ? perOrder(r.durable.get(service) ?? 0).toFixed(2) : '—',
        perOrder(r.all.get(service) ?? 0).toFixed(2),
        String(r.deadlocks.get(service) ?? 0),
      ]),
    )}`,
  );

  console.log(
    `\n${table(
      ['infrastructure probe, 5/s beside the load (ms)', 'p50', 'p99', 'max'],
      [
        ['PostgreSQL: one-row durable commit', ...p50p99max(r.probes.commitMs)],
        ['RabbitMQ: persistent publish to a quorum queue, confirmed', ...p50p99max(r.probes.confirmMs)],
      ],
    )}`,
  );

  // Where the CPU goes: on two cores it runs out long before the disk or the broker do.
  const used = [...r.cpu].sort(([, a], [, b]) => b - a);
  const ours = sum(used.filter(([who]) => !who.includes('shared')).map(([, s]) => s));
  const cpuRow = (who: string, s: number) => [who, s.toFixed(1), (s / r.windowS).toFixed(2), (1000 * perOrder(s)).toFixed(1)];
  console.log(
    `\n${table(
      ['CPU in the window', 'seconds', 'cores', 'ms per order'],
      [
        ...used.map(([who, s]) => cpuRow(who, s)),
        cpuRow('this run in all (without the broker)', ours),
        [
          `the machine (${(r.machine.total / r.windowS).toFixed(1)} cores): busy`,
          r.machine.busy.toFixed(1),
          (r.machine.busy / r.windowS).toFixed(2),
          '',
        ],
        ['the machine: taken by the host (steal)', r.machine.steal.toFixed(1), (r.machine.steal / r.windowS).toFixed(2), ''],
      ],
    )}`,
  );

  // Where the time goes along the saga: each timeline entry, by the orders service's clock.
  const byEntry = new Map<string, Stage[]>();
  for (const s of confirmed) for (const [k, v] of s.stages ?? []) byEntry.set(k, [...(byEntry.get(k) ?? []), v]);
  const rows = [...byEntry].map(([entry, stages]) => {
    const step = stages.map((x) => x.afterPrevious);
    const since = stages.map((x) => x.afterPlaced);
    return {
      order: percentile(since, 50),
      cells: [entry, ...[step, since].flatMap((v) => [ms(percentile(v, 50)), ms(percentile(v, 99))]), String(stages.length)],
    };
  });
  console.log(
    `\n${table(
      ['timeline entry (ms)', 'since previous p50', 'p99', 'since placed p50', 'p99', 'orders'],
      rows.sort((a, b) => a.order - b.order).map((row) => row.cells),
    )}`,
  );

  return { rate, ceilingRate, acceptP99: percentile(accept, 99), confirmP99: percentile(confirm, 99) };
}
