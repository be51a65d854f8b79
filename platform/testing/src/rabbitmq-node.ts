import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './ports.js';

export interface RabbitNode {
  /** e.g. `emporium-1a2b3c4d@localhost`. */
  readonly nodename: string;
  readonly url: string;
  readonly amqpPort: number;
  /** SIGKILL of the Erlang VM: no clean shutdown, as in a crash (F8). Resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts the node again on the same ports with the same data; resolves once it accepts work. */
  restart(): Promise<void>;
  /** Kills the node (if running) and deletes its data. Idempotent; call it in afterAll. */
  stop(): Promise<void>;
  /**
   * Resolves once the node has saved the registration of every quorum queue it holds. Ra (2.2, in
   * RabbitMQ 3.10) writes its registry of queue servers (names.dets) lazily, about a second after
   * a declaration; a node SIGKILLed before that keeps the queue's metadata (a passive declare
   * succeeds) but never starts the queue again. Measured here: killed 0.3 s after the declaration
   * → lost; 1 s → lost once in four runs under load; registry saved → always back. Await it before
   * kill() unless that window is what the test is about.
   */
  waitForQuorumQueuesSaved(timeoutMs?: number): Promise<void>;
  /** Whether every quorum queue's registration is saved now (see waitForQuorumQueuesSaved). */
  quorumQueuesSaved(): boolean;
}

export interface RabbitNodeOptions {
  /** Where Debian's package puts the real scripts (the /usr/sbin wrappers insist on root or `su`). */
  binDir?: string;
  /** How long a start may take before it fails with the node's log. Default 60 s. */
  startTimeoutMs?: number;
}

const DEFAULT_BIN_DIR = '/usr/lib/rabbitmq/bin';

/**
 * A RabbitMQ node of the test's own, beside the machine's shared one, for tests that kill or
 * restart the broker (STACK.md, "Killing the broker"). It has its own node name, AMQP and
 * distribution ports, data, logs, config (`loopback_users = none`, no plugins: no clash on the
 * management port) and Erlang cookie, and registers with the machine's epmd like any node.
 * Run as root, it runs as the `rabbitmq` user (Debian's package expects it; its folders are
 * chowned to it).
 */
export async function startRabbitNode(options: RabbitNodeOptions = {}): Promise<RabbitNode> {
  const binDir = options.binDir ?? DEFAULT_BIN_DIR;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  if (!existsSync(path.join(binDir, 'rabbitmq-server'))) throw new Error(`rabbitmq-server not found in ${binDir}`);

  const id = randomBytes(4).toString('hex');
  const nodename = `emporium-${id}@localhost`;
  const amqpPort = await freePort();
  let distPort = await freePort();
  while (distPort === amqpPort) distPort = await freePort();

  const base = mkdtempSync('/tmp/emporium-rabbit-');
  const home = path.join(base, 'home');
  for (const dir of ['mnesia', 'log', 'home']) mkdirSync(path.join(base, dir));
  const configFile = path.join(base, 'rabbitmq.conf');
  writeFileSync(configFile, `loopback_users = none\nlisteners.tcp.local = 127.0.0.1:${amqpPort}\n`);
  writeFileSync(path.join(base, 'enabled_plugins'), '[].\n');
  // Replaces /etc/rabbitmq/rabbitmq-env.conf, which names the shared node.
  writeFileSync(path.join(base, 'rabbitmq-env.conf'), '');
  // A cookie of its own: the CLI below authenticates with it, nothing else can.
  writeFileSync(path.join(home, '.erlang.cookie'), randomBytes(16).toString('hex').toUpperCase(), { mode: 0o400 });

  const user = process.getuid?.() === 0 ? lookupUser('rabbitmq') : undefined;
  if (user) chownTree(base, user.uid, user.gid);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    HOME: home,
    RABBITMQ_NODENAME: nodename,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(base, 'log'),
    RABBITMQ_PID_FILE: path.join(base, 'rabbitmq.pid'),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(base, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: path.join(base, 'rabbitmq-env.conf'),
    // Distribution on loopback only, like the shared node; epmd too if this node starts it.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const spawnOptions = { env, cwd: base, ...(user ? { uid: user.uid, gid: user.gid } : {}) };
  const logPath = path.join(base, 'server.out');

  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = false;

  const beamPid = (): number | undefined => {
    try {
      const pid = Number.parseInt(readFileSync(env.RABBITMQ_PID_FILE as string, 'utf8').trim(), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const logTail = () => {
    try {
      return readFileSync(logPath, 'utf8').slice(-3000);
    } catch {
      return '(no output)';
    }
  };
  // The node runs in a process group of its own (detached): one signal to the group reaches the
  // VM, its wrapper script and its helpers, even before the VM has written its pid file.
  const killGroup = () => {
    if (server?.pid) tryKill(-server.pid);
    const pid = beamPid();
    if (pid) tryKill(pid);
  };
  // Should the test process exit without stop() (a crash, a timeout), the node goes with it.
  const killOnExit = () => killGroup();
  process.on('exit', killOnExit);

  const ctl = async (args: string[], timeoutMs: number) => {
    // The CLI is an Erlang node too; its distribution port defaults to 35672–35682, which other
    // processes on the machine may hold: give it a free one.
    const cliPort = String(await freePort());
    const cliEnv = { ...env, RABBITMQ_CTL_DIST_PORT_MIN: cliPort, RABBITMQ_CTL_DIST_PORT_MAX: cliPort };
    await new Promise<void>((resolve, reject) => {
      execFile(
        path.join(binDir, 'rabbitmqctl'),
        ['-n', nodename, ...args],
        { ...spawnOptions, env: cliEnv, timeout: timeoutMs },
        (error, stdout, stderr) =>
          error ? reject(new Error(`rabbitmqctl ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`.slice(0, 2000))) : resolve(),
      );
    });
  };

  const launch = async () => {
    rmSync(env.RABBITMQ_PID_FILE as string, { force: true });
    const out = openSync(logPath, 'a');
    // The wrapper script runs the VM as its child and forwards SIGTERM; the VM's pid is in the pid file.
    const child = spawn(path.join(binDir, 'rabbitmq-server'), [], { ...spawnOptions, stdio: ['ignore', out, out], detached: true });
    closeSync(out);
    server = child;
    let gone = false;
    exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        gone = true;
        resolve();
      });
      child.once('error', () => {
        gone = true;
        resolve();
      });
    });
    const deadline = Date.now() + startTimeoutMs;
    // The AMQP listener opens near the end of the boot: poll it cheaply (a CLI call costs ~0.6 s
    // of Erlang start-up, and fails at once before the node registers with epmd), then let
    // await_startup confirm that the node finished booting.
    while (!(await portAccepts(amqpPort))) {
      if (gone) throw new Error(`RabbitMQ node ${nodename} exited during start:\n${logTail()}`);
      if (Date.now() > deadline) {
        killOnExit();
        throw new Error(`RabbitMQ node ${nodename} did not open port ${amqpPort} in ${startTimeoutMs} ms:\n${logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await ctl(['await_startup', '--timeout', String(Math.ceil(startTimeoutMs / 1000))], startTimeoutMs);
  };

  const kill = async () => {
    const pid = beamPid();
    if (pid && server && server.exitCode === null && server.signalCode === null) {
      // The VM first: its wrapper script reaps it at once (a zombie left to init lingers for
      // seconds here); the group then takes whatever is left (helpers, the wrapper).
      tryKill(pid);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    killGroup();
    if (server && server.exitCode === null && server.signalCode === null) await exited;
    if (pid) await waitUntilGone(pid, 10_000);
    server = undefined;
  };

  try {
    await launch();
  } catch (error) {
    await kill().catch(() => {});
    process.off('exit', killOnExit);
    rmSync(base, { recursive: true, force: true });
    throw error;
  }

  const quorumQueuesSaved = (): boolean => {
    const dir = path.join(base, 'mnesia', nodename, 'quorum', nodename);
    if (!existsSync(dir)) return true;
    // One folder per Ra server, named by its UID; the registry stores that UID as bytes.
    const uids = readdirSync(dir).filter((entry) => statSync(path.join(dir, entry)).isDirectory());
    if (uids.length === 0) return true;
    const registry = path.join(dir, 'names.dets');
    if (!existsSync(registry)) return false;
    const saved = readFileSync(registry);
    return uids.every((uid) => saved.includes(Buffer.from(uid)));
  };

  return {
    nodename,
    amqpPort,
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    kill,
    restart: async () => {
      if (stopped) throw new Error('the node was stopped');
      if (server) await kill();
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // The data is deleted anyway: no need for a clean shutdown.
      await kill();
      process.off('exit', killOnExit);
      rmSync(base, { recursive: true, force: true });
    },
    quorumQueuesSaved,
    waitForQuorumQueuesSaved: async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!quorumQueuesSaved()) {
        if (Date.now() > deadline) throw new Error(`RabbitMQ node ${nodename} did not save its quorum queue registry in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

function lookupUser(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error(`user ${name} not found: is Debian's rabbitmq-server installed?`);
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} still alive after SIGKILL`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
