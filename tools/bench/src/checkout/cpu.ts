import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** CPU seconds used so far, by who used them. */
export type CpuMark = Map<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process in seconds, or undefined when it is gone. */
function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces, in parentheses): state is [0], utime [11], stime [12].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Where the CPU goes during the window (Linux only; elsewhere the marks are empty): each part of
 * the system (the children of this process, named by the folder of their main.js), the
 * PostgreSQL backends serving each of the run's databases, RabbitMQ (shared with whatever else
 * uses the broker), and this process itself (the customers and their polls).
 */
export class CpuMeter {
  private constructor(
    private readonly client: pg.Client,
    private readonly databases: string[],
  ) {}

  static async open(url: string, databases: string[]): Promise<CpuMeter> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {}); // the cleanup drops this database; its queries fail, not the process
    await client.connect();
    return new CpuMeter(client, databases);
  }

  async mark(): Promise<CpuMark> {
    // Keyed by who and pid, so a process that starts between two marks counts from its start.
    const mark: CpuMark = new Map();
    const add = (who: string, pid: number) => {
      const seconds = cpuSecondsOf(pid);
      if (seconds !== undefined) mark.set(`${who}|${pid}`, seconds);
    };
    let pids: number[] = [];
    try {
      pids = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number);
    } catch {
      return mark;
    }
    for (const pid of pids) {
      const cmdline = commandOf(pid);
      if (parentOf(pid) === process.pid) {
        const main = cmdline.find((a) => a.endsWith('/dist/main.js') || a.endsWith('/src/main.ts'));
        if (main) add(main.split('/').at(-3) as string, pid);
      } else if (cmdline[0]?.endsWith('beam.smp')) add('rabbitmq (shared)', pid);
    }
    const backends = await this.client.query<{ pid: number; datname: string }>(
      'SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1)',
      [this.databases],
    );
    for (const b of backends.rows) add(`postgres: ${b.datname}`, b.pid);
    const own = process.cpuUsage();
    mark.set(`bench driver (customers)|${process.pid}`, (own.user + own.system) / 1e6);
    return mark;
  }

  /** Seconds used between the marks, by who (a process that exited in between is missed: pools keep theirs). */
  between(a: CpuMark, b: CpuMark): Map<string, number> {
    const used = new Map<string, number>();
    for (const [key, s] of b) {
      const who = key.slice(0, key.lastIndexOf('|'));
      used.set(who, (used.get(who) ?? 0) + Math.max(0, s - (a.get(key) ?? 0)));
    }
    return used;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

/**
 * CPU seconds of the whole machine so far (every core): busy, taken by the host from this VM
 * (steal: neighbours we cannot see), and in all, from /proc/stat.
 */
export function machineCpu(): { busy: number; steal: number; total: number } {
  try {
    const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
    return {
      busy: (user + nice + system + irq + softirq) / TICKS_PER_SECOND,
      steal: steal / TICKS_PER_SECOND,
      total: (user + nice + system + idle + iowait + irq + softirq + steal) / TICKS_PER_SECOND,
    };
  } catch {
    return { busy: Number.NaN, steal: Number.NaN, total: Number.NaN };
  }
}
