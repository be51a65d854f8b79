/**
 * The real images (issue 6, test 2), built from the repository's Dockerfile with podman on a
 * local base (deploy/podman/setup.sh; no registry, no Docker engine) and run as the platform runs
 * them: read-only root filesystem, uid 10001, against the loopback PostgreSQL and RabbitMQ.
 * For every part: the image holds no dev dependency and nothing secret-looking, `migrate` in a
 * container creates the service's tables, /healthz and /readyz answer 200, the image's
 * HEALTHCHECK reports healthy, and SIGTERM (`podman stop`) ends it with exit code 0 well within
 * the grace period. Then one service's rendered Deployment runs under `podman kube play`.
 *
 * Real-server pass only (CI always runs it). Without podman the suite fails when
 * EMPORIUM_REQUIRE_REAL=1 (CI) and is skipped with a warning otherwise. Everything it creates —
 * image tags, containers, pods, databases, RabbitMQ topology — is removed after it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Links, linksFor, newSecrets, SYSTEM, type SystemEntry } from '@emporium/cli';
import { type ConfigSchema, loadConfig } from '@emporium/config';
import { createDb, sql } from '@emporium/db';
import { queueSpecOf } from '@emporium/service';
import { createTestDatabase, deleteTestTopology, freePortBlock, testAmqpUrl, uniqueName, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildImage, podman, podmanOk, podmanProblem } from '../src/podman/index.js';

const root = path.resolve(import.meta.dirname, '../../..');
const requireReal = process.env.EMPORIUM_REQUIRE_REAL === '1';
const problem = podmanProblem();
if (problem && !requireReal) {
  process.stderr.write(
    `\n!!! tools/deploy/test/images.real.test.ts SKIPPED: ${problem}. Run \`bash deploy/podman/setup.sh\` (as root) to build and run the images.\n\n`,
  );
}

/** The drain limit the containers get, and the grace `podman stop` allows before SIGKILL. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
const GRACE_SECONDS = SHUTDOWN_TIMEOUT_MS / 1_000 + 5;
/** "Well within the grace period": a drain with nothing in flight takes well under a second. */
const STOP_WITHIN_MS = 5_000;

/** Package names that must never be in an image, whatever the lockfile says. */
const NEVER = [/^typescript$/, /^vitest$/, /^@vitest\//, /^@biomejs\//, /^tsx$/, /^@types\//, /^esbuild$/, /^vite$/];
/** File names that look like secrets or local state. */
const SECRET_NAMES =
  /^(\.env(\..*)?|\.npmrc|\.netrc|id_(rsa|ecdsa|ed25519)(\.pub)?|.*\.(pem|key|p12|pfx|crt)|\.git|\.emporium|\.test-results)$/;
/** Contents that look like secrets: a private key block, provider and webhook keys with their bodies. */
const SECRET_CONTENT = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{40}/,
  /sk_(test|live)_[0-9a-f]{24,}/,
  /whsec_[A-Za-z0-9+/=]{40,}/,
];

const run = randomBytes(4).toString('hex');
const tagOf = (part: string) => `localhost/emporium-test/${part}:${run}`;
const containerOf = (part: string) => `emporium-test-${run}-${part}`;

interface Started {
  entry: SystemEntry;
  env: Record<string, string>;
}

// Building and running images needs rootful podman (deploy/podman/setup.sh). The issue allows a
// machine without it to say so loudly (the warning above) and go on; CI (EMPORIUM_REQUIRE_REAL=1)
// never skips: there the suite runs, or fails naming what is missing.
describe.skipIf(Boolean(problem) && !requireReal)('container images (podman)', () => {
  const built = new Map<string, string>();
  const containers = new Set<string>();
  const kubeFiles: string[] = [];
  const topology: Parameters<typeof deleteTestTopology>[1] = [];
  const exchange = uniqueName('images');
  const secrets = newSecrets();
  let links: Links;
  const timings: Record<string, number> = {};
  const suiteStarted = Date.now();

  beforeAll(async () => {
    if (problem) {
      throw new Error(
        `podman cannot build or run the images here: ${problem}. CI must run \`bash deploy/podman/setup.sh\` before the tests.`,
      );
    }
    links = linksFor(await freePortBlock(40), secrets);
  });

  afterAll(async () => {
    if (problem) return;
    for (const file of kubeFiles) {
      await podman(['kube', 'down', file], { timeoutMs: 60_000 });
      rmSync(path.dirname(file), { recursive: true, force: true });
    }
    if (containers.size) await podman(['rm', '--force', '--time', '0', ...containers], { timeoutMs: 60_000 });
    // Only the tags: the layers stay as the build cache of the next run.
    // Named twice: `podman untag IMAGE` alone would remove every name of an identical image.
    for (const tag of built.values()) await podman(['untag', tag, tag]);
    await deleteTestTopology(exchange, topology).catch(() => {});
    process.stdout.write(`images.real.test.ts: ${JSON.stringify({ ...timings, totalMs: Date.now() - suiteStarted })}\n`);
  }, 180_000);

  it(
    'builds every part of the system from the one Dockerfile (one npm ci and one TypeScript build, shared)',
    async () => {
      for (const entry of SYSTEM) {
        const part = entry.module.name;
        const result = await buildImage({ root, target: part, tag: tagOf(part) });
        timings[`build ${part}`] = result.ms;
        expect(result.code, `podman build --target ${part}:\n${result.stderr.slice(-4000)}`).toBe(0);
        built.set(part, tagOf(part));
      }
    },
    30 * 60_000,
  );

  describe.each(SYSTEM.map((entry) => [entry.module.name, entry] as const))('%s', (part, entry) => {
    it('holds the compiled part and its production dependencies only, as uid 10001, with a node HEALTHCHECK on /healthz', async () => {
      const image = requireImage(part);
      const [config] = JSON.parse((await podmanOk(['image', 'inspect', image])).stdout) as ImageInspect[];
      expect(config?.Config.User).toBe('10001:10001');
      expect(config?.Config.Cmd).toEqual(['node', `${entry.dir}/dist/main.js`]);
      expect(config?.Config.Env).toContain('NODE_ENV=production');
      expect(config?.Config.WorkingDir).toBe('/app');
      expect(config?.Healthcheck?.Test.join(' ')).toMatch(/^CMD node .*\/healthz/);

      const mount = (await podmanOk(['image', 'mount', image])).stdout.trim();
      try {
        const app = path.join(mount, 'app');
        const { packages, files } = inventory(app);
        const devOnly = devPackagesOf(packages);
        expect(devOnly, 'dev dependencies in the image').toEqual([]);
        expect(packages.filter((p) => NEVER.some((re) => re.test(p.name))).map((p) => p.rel)).toEqual([]);
        // Our code as compiled JavaScript only: no TypeScript sources, tests or declarations.
        const ours = files.filter((f) => !f.includes('node_modules/'));
        expect(ours.filter((f) => /\.(ts|tsx|mts|cts|map)$/.test(f) || /(^|\/)(src|test)\//.test(f))).toEqual([]);
        expect(ours).toContain(`${entry.dir}/dist/main.js`);
        expect(files.filter((f) => SECRET_NAMES.test(path.basename(f)))).toEqual([]);
        const secretLooking = ours.filter((f) => SECRET_CONTENT.some((re) => re.test(readFileSync(path.join(app, f), 'utf8'))));
        expect(secretLooking).toEqual([]);
        // Nothing of the build's credentials or caches outside /app either.
        for (const p of ['root/.npmrc', 'root/.npm', 'run/secrets', 'src', 'usr/local/etc/npmrc']) {
          expect(existsSync(path.join(mount, p)), `/${p} in the image`).toBe(false);
        }
      } finally {
        await podman(['image', 'unmount', image]);
      }
    }, 120_000);

    it('migrates in a container, serves /healthz and /readyz read-only as non-root, is healthy, and exits 0 on SIGTERM within the grace period', async () => {
      const image = requireImage(part);
      const { env } = await settingsOf(entry);
      const args = (extra: string[]) => [
        'run',
        '--init',
        '--read-only',
        '--user',
        '10001',
        '--network',
        'host',
        ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
        ...extra,
      ];

      if (entry.module.migrations) {
        // The init container of a rollout: the migrations alone, then exit 0.
        const started = Date.now();
        const migrated = await podmanOk([...args(['--rm']), image, 'node', `${entry.dir}/dist/main.js`, 'migrate'], { timeoutMs: 120_000 });
        timings[`migrate ${part}`] = Date.now() - started;
        expect(migrated.stdout).toMatch(new RegExp(`^${part}: applied `));
        const names = await appliedMigrations(env.DATABASE_URL as string);
        expect(names).toEqual(Object.keys(entry.module.migrations).sort());
      }

      const name = containerOf(part);
      containers.add(name);
      const started = Date.now();
      await podmanOk([...args(['--detach', '--name', name]), image], { timeoutMs: 120_000 });
      const url = `http://127.0.0.1:${env.PORT}`;
      const outcome = await waitFor(
        async () => {
          if (!(await containerState(name)).Running) return 'exited';
          const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
          return res?.status === 200 ? 'ready' : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250, description: `${part} to answer 200 on /readyz` },
      ).catch(async (error) => {
        throw new Error(`${(error as Error).message}\n${await logsOf(name)}`);
      });
      if (outcome === 'exited') throw new Error(`${part} exited (${(await containerState(name)).ExitCode}):\n${await logsOf(name)}`);
      timings[`ready ${part}`] = Date.now() - started;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      const health = await podman(['healthcheck', 'run', name], { timeoutMs: 30_000 });
      expect(health.code, `podman healthcheck run: ${health.stdout}${health.stderr}`).toBe(0);
      expect((await containerState(name)).Health?.Status).toBe('healthy');

      const stopping = Date.now();
      await podmanOk(['stop', '--time', String(GRACE_SECONDS), name], { timeoutMs: (GRACE_SECONDS + 30) * 1_000 });
      const stopMs = Date.now() - stopping;
      timings[`stop ${part}`] = stopMs;
      const state = await containerState(name);
      expect(state.ExitCode, `exit code after SIGTERM; logs:\n${await logsOf(name)}`).toBe(0);
      expect(stopMs).toBeLessThan(STOP_WITHIN_MS);
      // The drain ran (podman's log may interleave the two lines out of order).
      const logs = await logsOf(name);
      expect(logs).toContain('"signal":"SIGTERM","msg":"shutting down"');
      expect(logs).toContain(`"msg":"${part} stopped"`);
      await podman(['rm', '--force', name]);
      containers.delete(name);
    }, 300_000);
  });

  it("runs one service's rendered Deployment and ConfigMap under podman kube play until it is ready", async () => {
    const renderer = path.join(root, 'tools/deploy/src/kubernetes/index.ts');
    if (!existsSync(renderer)) {
      // tools/deploy/src/kubernetes is another piece of issue 6; until it lands this part cannot run.
      if (requireReal) throw new Error(`${renderer} is missing: the rendered Deployment cannot be tried under podman kube play`);
      process.stderr.write(`!!! kube play skipped: ${renderer} does not exist yet\n`);
      return;
    }
    const { renderEnvironment } = (await import(/* @vite-ignore */ renderer)) as {
      renderEnvironment(env: 'dev' | 'staging' | 'prod', options: { imageTag: string; registry?: string }): { toJSON?(): unknown }[];
    };
    const part = 'catalog';
    const entry = SYSTEM.find((e) => e.module.name === part) as SystemEntry;
    const image = requireImage(part);
    const { env } = await settingsOf(entry);
    const objects = renderEnvironment('dev', { imageTag: run }).map((o) => JSON.parse(JSON.stringify(o)) as KubeObject);
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === part);
    expect(deployment, `a Deployment named ${part}`).toBeDefined();
    const configMapName = deployment!.spec.template.spec.containers[0].envFrom?.find((f: any) => f.configMapRef)?.configMapRef.name;
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === configMapName);
    expect(configMap, `the ConfigMap ${configMapName}`).toBeDefined();

    const adapted = adaptForPodman(deployment!, configMap!, { image, env });
    const dir = mkdtempSync(path.join(tmpdir(), 'emporium-kube-'));
    const file = path.join(dir, `${part}.yaml`);
    writeFileSync(file, `${stringify(adapted.configMap)}---\n${stringify(adapted.deployment)}`);
    kubeFiles.push(file);
    const started = Date.now();
    await podmanOk(['kube', 'play', file], { timeoutMs: 180_000 });
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${env.PORT}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.status === 200,
      { timeoutMs: 90_000, intervalMs: 250, description: `the kube-played ${part} to answer 200 on /readyz` },
    ).catch(async (error) => {
      const pods = await podman(['pod', 'ps', '--format', '{{.Name}} {{.Status}}']);
      const logs = await podman(['logs', '--tail', '50', `${part}-pod-${part}`]);
      throw new Error(`${(error as Error).message}\n${pods.stdout}\n${logs.stdout}${logs.stderr}`);
    });
    timings['kube play ready'] = Date.now() - started;
    // The init container ran the migrations before the service started.
    expect(await appliedMigrations(env.DATABASE_URL as string)).toEqual(Object.keys(entry.module.migrations ?? {}).sort());
    const down = await podmanOk(['kube', 'down', file], { timeoutMs: 120_000 });
    expect(down.code).toBe(0);
    kubeFiles.splice(kubeFiles.indexOf(file), 1);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  function requireImage(part: string): string {
    const image = built.get(part);
    if (!image) throw new Error(`the ${part} image was not built (see the build test)`);
    return image;
  }

  /**
   * A part's settings as the distributed mode gives them (tools/cli services.ts), on loopback: its
   * port in this run's block, a fresh database, this run's exchange, generated secrets. Checked
   * against the part's config schema here, so a missing setting names itself.
   */
  async function settingsOf(entry: SystemEntry): Promise<Started> {
    const module = entry.module;
    const env: Record<string, string> = {
      PORT: String(links.port(entry.offset)),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      ...(entry.env?.(links) ?? {}),
    };
    if ('AMQP_URL' in module.configSchema) {
      Object.assign(env, { AMQP_URL: testAmqpUrl(), AMQP_EXCHANGE: exchange, AMQP_QUEUE_PREFIX: exchange });
    }
    if (module.migrations) env.DATABASE_URL = await createTestDatabase(`img_${module.name}`);
    const config = loadConfig(module.configSchema as ConfigSchema, env) as Record<string, unknown>;
    const spec = queueSpecOf(module, config);
    if (spec) topology.push(spec);
    return { entry, env };
  }
});

interface ImageInspect {
  Config: { User: string; Cmd: string[]; Env: string[]; WorkingDir: string };
  Healthcheck?: { Test: string[] };
}

interface KubeObject {
  kind: string;
  metadata: { name: string; [k: string]: unknown };
  [k: string]: any;
}

async function containerState(name: string): Promise<{ Running: boolean; ExitCode: number; Health?: { Status: string } }> {
  const [c] = JSON.parse((await podmanOk(['inspect', '--type', 'container', name])).stdout) as { State: any }[];
  return c?.State;
}

async function logsOf(name: string): Promise<string> {
  const r = await podman(['logs', '--tail', '60', name]);
  return `${r.stdout}${r.stderr}`.replace(/^time=.*systemd.*\n/gm, '');
}

async function appliedMigrations(url: string): Promise<string[]> {
  const db = createDb<any>(url, { max: 1 });
  try {
    const r = await sql<{ name: string }>`SELECT name FROM schema_migrations ORDER BY name`.execute(db);
    return r.rows.map((row) => row.name);
  } finally {
    await db.destroy();
  }
}

/** Every installed package (by its path under node_modules) and every file of the image's /app. */
function inventory(app: string): { packages: { name: string; rel: string }[]; files: string[] } {
  const packages: { name: string; rel: string }[] = [];
  const files: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(abs);
      if (stat.isSymbolicLink()) continue; // the workspace links: their targets are walked as folders of /app
      if (stat.isDirectory()) {
        if (path.basename(dir) === 'node_modules' && !name.startsWith('@') && !name.startsWith('.')) {
          packages.push({ name, rel: r });
        } else if (path.basename(path.dirname(dir)) === 'node_modules' && path.basename(dir).startsWith('@')) {
          packages.push({ name: `${path.basename(dir)}/${name}`, rel: r });
        }
        walk(abs, r);
      } else {
        files.push(r);
      }
    }
  };
  walk(app, '');
  return { packages, files };
}

/** Installed packages the lockfile marks as needed only for development. */
function devPackagesOf(packages: { rel: string }[]): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return packages.filter((p) => lock.packages[p.rel]?.dev || lock.packages[p.rel]?.devOptional).map((p) => p.rel);
}

/**
 * What podman needs changed in a rendered Deployment, and nothing else: the local image, the
 * host's network (the loopback PostgreSQL and RabbitMQ), this run's settings in the ConfigMap and
 * in place of the Secret references (there is no Secret store), and exec probes (podman turns
 * httpGet probes into curl, which the image does not have).
 */
function adaptForPodman(deployment: KubeObject, configMap: KubeObject, run: { image: string; env: Record<string, string> }) {
  // Test-only: the settings below include generated secrets, written to a temporary file that is removed.
  const d = structuredClone(deployment);
  const c = structuredClone(configMap);
  const secretKeys = new Set<string>();
  const pod = d.spec.template.spec;
  pod.hostNetwork = true;
  // podman runs init containers "once" by default and removes each after it exited; podman 4.3
  // sometimes tries that before it has seen the exit ("cannot remove container … as it is
  // running", one CI run). "always" keeps the exited init container in the pod, as Kubernetes
  // does, and kube down removes it with the rest.
  const always = { 'io.podman.annotations.init.container.type': 'always' };
  d.metadata = { ...d.metadata, annotations: { ...(d.metadata.annotations as Record<string, string> | undefined), ...always } };
  d.spec.template.metadata = { ...d.spec.template.metadata, annotations: { ...d.spec.template.metadata?.annotations, ...always } };
  const nodeProbe = (p: any) => {
    if (!p?.httpGet) return p;
    const { httpGet, ...rest } = p;
    const script = `fetch('http://127.0.0.1:'+process.env.PORT+'${httpGet.path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
    return { ...rest, exec: { command: ['node', '-e', script] } };
  };
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    container.image = run.image;
    container.imagePullPolicy = 'Never';
    container.env = (container.env ?? []).flatMap((e: any) => {
      if (!e.valueFrom?.secretKeyRef) return [e];
      secretKeys.add(e.name);
      return run.env[e.name] === undefined ? [] : [{ name: e.name, value: run.env[e.name] }];
    });
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      if (container[probe]) container[probe] = nodeProbe(container[probe]);
    }
    // On the host's network a container port is the process's own: podman refuses port mappings there.
    delete container.ports;
  }
  c.data = {
    ...c.data,
    ...Object.fromEntries(Object.entries(run.env).filter(([k]) => !secretKeys.has(k))),
  };
  return { deployment: d, configMap: c };
}
