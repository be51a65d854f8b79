/**
 * deploy/compose as compose would run it, without running it: the file is read, its `${…}` filled
 * from a .env made by the generator (in a temporary directory), and every part's environment is
 * checked against the part's own config schema and against the links the distributed mode makes
 * (tools/cli services.ts), the accounts against least-privilege.ts, and the observability wiring
 * against deploy/prometheus and deploy/grafana.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { accountName, brokerGrantOf, databaseName, newSecrets, SYSTEM, type SystemSecrets } from '@emporium/cli';
import { loadConfig } from '@emporium/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { interpolate, interpolateAll } from '../src/compose/interpolate.js';
import {
  brokerNeedsOf,
  COMPOSE_DIR,
  composeLinks,
  composePortOf,
  DEFINITIONS_FILE,
  envPrefixOf,
  EXCHANGE,
  parseEnvFile,
  partsOnBroker,
  partsWithDatabase,
  type RabbitDefinitions,
  readEnvFile,
  SYSTEM_NAME,
  writeComposeSecrets,
} from '../src/compose/secrets.js';

const REPO = path.resolve(COMPOSE_DIR, '../..');
const PARTS = SYSTEM.map((e) => e.module.name);
const PUBLIC_URL = 'https://shop.example.test';

interface ComposeService {
  image?: string;
  build?: { context: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  read_only?: boolean;
  user?: string;
  tmpfs?: string[];
  cap_drop?: string[];
  restart?: string;
  init?: boolean;
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: (string | { type: string; source: string; target: string })[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(path.join(COMPOSE_DIR, 'compose.yaml'), 'utf8');
/** As written (uninterpolated): `<<` merges applied, as compose applies them. */
const raw = parse(composeText, { merge: true }) as ComposeFile;

let dir: string;
let secrets: SystemSecrets;
let env: Record<string, string>;
let compose: ComposeFile;
let definitions: RabbitDefinitions;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'emporium-compose-'));
  secrets = newSecrets();
  writeComposeSecrets(dir, { secrets, publicUrl: PUBLIC_URL });
  env = readEnvFile(dir);
  compose = interpolateAll(raw, env);
  definitions = JSON.parse(readFileSync(path.join(dir, DEFINITIONS_FILE), 'utf8')) as RabbitDefinitions;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`compose.yaml has no service ${name}`);
  return s;
};
const envOf = (name: string): Record<string, string> => service(name).environment ?? {};

/** `30s`, `1m30s`, `500ms` → milliseconds (compose durations). */
function durationMs(text: string): number {
  let total = 0;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  const rest = text.replace(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g, (_m, n: string, unit: string) => {
    total += Number(n) * (units[unit] as number);
    return '';
  });
  if (rest.trim()) throw new Error(`not a duration: ${text}`);
  return total;
}

/** True when the password is the one the SCRAM-SHA-256 verifier was made from (RFC 5802). */
function scramVerifies(verifier: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) return false;
  const salted = pbkdf2Sync(password, Buffer.from(match[2] as string, 'base64'), Number(match[1]), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
  return storedKey.toString('base64') === match[3];
}

/** True when the password is the one RabbitMQ's hash was made from (salt ‖ SHA-256(salt ‖ password)). */
function rabbitVerifies(hash: string, password: string): boolean {
  const bytes = Buffer.from(hash, 'base64');
  const salt = bytes.subarray(0, 4);
  return createHash('sha256').update(salt).update(password, 'utf8').digest().equals(bytes.subarray(4));
}

describe('compose.yaml', () => {
  it('parses, and every part of the system is a service built from the repository Dockerfile with its own target', () => {
    expect(Object.keys(raw.services)).toEqual(expect.arrayContaining(PARTS));
    for (const part of PARTS) {
      const s = service(part);
      expect(s.build, part).toEqual({ context: '../..', target: part });
      expect(path.resolve(COMPOSE_DIR, s.build?.context as string)).toBe(REPO);
      expect(raw.services[part]?.image, part).toBe(`emporium/${part}:\${EMPORIUM_TAG:-dev}`);
    }
  });

  it("runs each part's image command with the tracing entry loaded first", () => {
    const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
    for (const entry of SYSTEM) {
      const part = entry.module.name;
      // The target's CMD, as the image would run it without compose.
      const target =
        new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${part}\\s*$([\\s\\S]*?)(?=^FROM\\s|(?![\\s\\S]))`, 'mi').exec(dockerfile)?.[1] ?? '';
      const cmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(target)?.[1] ?? 'null') as string[] | null;
      expect(cmd, `Dockerfile target ${part}`).toEqual(['node', `${entry.dir}/dist/main.js`]);
      expect(service(part).command, part).toEqual(['node', '--import', '@emporium/observability/register', `${entry.dir}/dist/main.js`]);
    }
  });

  it('runs every part read-only, as a non-root user, without capabilities, with /tmp in memory, an init and a restart policy', () => {
    for (const part of PARTS) {
      const s = service(part);
      expect(s.read_only, part).toBe(true);
      const [uid, gid] = (s.user ?? '').split(':').map(Number);
      expect(uid, `${part} user`).toBeGreaterThan(0);
      expect(gid, `${part} group`).toBeGreaterThan(0);
      expect(s.cap_drop, part).toEqual(['ALL']);
      expect(s.tmpfs, part).toContain('/tmp');
      expect(s.init, part).toBe(true);
      expect(s.restart, part).toMatch(/^(always|unless-stopped|on-failure)/);
    }
  });

  it('gives every container a health check (the collector aside: its image has nothing to run one with); a part checks /healthz on its PORT', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (name === 'otel-collector') continue;
      expect(s.healthcheck?.test?.[0], name).toBe('CMD');
    }
    for (const part of PARTS) {
      const test = service(part).healthcheck?.test ?? [];
      expect(test.slice(0, 3), part).toEqual(['CMD', 'node', '-e']);
      expect(test[3], part).toContain("'http://127.0.0.1:'+process.env.PORT+'/healthz'");
      expect(Number(envOf(part).PORT), part).toBe(composePortOf(part));
    }
  });

  it('starts a part after what it needs is healthy: its database, the broker, the doubles it calls; the gateway last', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        // Waiting for "healthy" on a container without a health check would wait forever.
        expect(condition, `${name} → ${dependency}`).toBe(
          compose.services[dependency]?.healthcheck ? 'service_healthy' : 'service_started',
        );
      }
    }
    for (const entry of partsWithDatabase()) expect(service(entry.module.name).depends_on?.postgres?.condition).toBe('service_healthy');
    for (const entry of partsOnBroker()) expect(service(entry.module.name).depends_on?.rabbitmq?.condition).toBe('service_healthy');
    const services = SYSTEM.filter((e) => !e.sandbox && e.module.name !== 'gateway').map((e) => e.module.name);
    expect(Object.keys(service('gateway').depends_on ?? {})).toEqual(expect.arrayContaining(services));
  });

  it('lets a part drain on SIGTERM: the stop grace period outlasts SHUTDOWN_TIMEOUT_MS', () => {
    for (const part of PARTS) {
      const drainMs = Number(envOf(part).SHUTDOWN_TIMEOUT_MS ?? 25_000);
      const graceMs = durationMs(service(part).stop_grace_period ?? '10s');
      expect(graceMs - drainMs, part).toBeGreaterThanOrEqual(2_000);
    }
  });

  it('gives every part an environment its config schema accepts, with the generated secrets filled in', () => {
    for (const entry of SYSTEM) {
      const name = entry.module.name;
      expect(() => loadConfig(entry.module.configSchema, envOf(name)), name).not.toThrow();
      // Nothing that the schema does not know (a typo would be silently ignored by the part).
      const known = new Set([...Object.keys(entry.module.configSchema), 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME']);
      expect(
        Object.keys(envOf(name)).filter((k) => !known.has(k)),
        name,
      ).toEqual([]);
    }
  });

  it('links the parts as the distributed mode does (services.ts), at their compose addresses', () => {
    const links = composeLinks(PUBLIC_URL, secrets);
    // Where compose differs on purpose: the SMTP side has a fixed port; the gateway keeps its
    // default rate limit (the distributed mode raises it for tools driving it from one address).
    const differs = new Set(['SMTP_URL', 'SMTP_SINK_SMTP_PORT', 'GATEWAY_RATE_LIMIT_MAX', 'IDENTITY_OIDC_CLIENTS']);
    for (const entry of SYSTEM) {
      const expected = entry.env?.(links) ?? {};
      for (const [key, value] of Object.entries(expected)) {
        expect(envOf(entry.module.name)[key], `${entry.module.name} ${key}`).toBeDefined();
        if (!differs.has(key)) expect(envOf(entry.module.name)[key], `${entry.module.name} ${key}`).toBe(value);
      }
    }
    expect(envOf('notifications').SMTP_URL).toBe(`smtp://smtp-sink:${envOf('smtp-sink').SMTP_SINK_SMTP_PORT}`);
  });

  it('points every internal URL at a compose service and a port it listens on', () => {
    const listening: Record<string, number[]> = { postgres: [5432], rabbitmq: [5672], 'otel-collector': [4318, 4317] };
    for (const part of PARTS) listening[part] = [composePortOf(part)];
    (listening['smtp-sink'] as number[]).push(Number(envOf('smtp-sink').SMTP_SINK_SMTP_PORT));
    for (const part of PARTS) {
      for (const [key, value] of Object.entries(envOf(part))) {
        for (const candidate of value.split(/[|,\s]/)) {
          if (!/^[a-z]+:\/\//.test(candidate)) continue;
          const url = new URL(candidate);
          if (url.origin === new URL(PUBLIC_URL).origin) continue;
          expect(Object.keys(listening), `${part} ${key} → ${url.hostname}`).toContain(url.hostname);
          expect(listening[url.hostname], `${part} ${key} → ${url.host}`).toContain(Number(url.port));
        }
      }
    }
  });

  it('registers the clients at the issuer with public redirect URIs and a back-channel logout at the gateway on the compose network', () => {
    const clients = JSON.parse(envOf('identity').IDENTITY_OIDC_CLIENTS as string) as {
      client_id: string;
      redirect_uris?: string[];
      backchannel_logout_uri?: string;
    }[];
    const storefront = clients.find((c) => c.client_id === 'storefront');
    expect(storefront?.redirect_uris).toEqual([`${PUBLIC_URL}/auth/callback`]);
    expect(storefront?.backchannel_logout_uri).toBe('http://gateway:3000/auth/backchannel-logout');
    expect(clients.find((c) => c.client_id === 'admin-console')?.backchannel_logout_uri).toBe(
      'http://gateway:3000/admin/auth/backchannel-logout',
    );
    expect(envOf('gateway').AUTH_ISSUER).toBe(`${PUBLIC_URL}/oidc`);
    expect(envOf('identity').IDENTITY_ISSUER).toBe(`${PUBLIC_URL}/oidc`);
  });
});

describe('least privilege under compose', () => {
  it('gives every service with a database its own role on its own database, with the password of the verifier PostgreSQL gets', () => {
    const postgresEnv = envOf('postgres');
    const roles = Object.keys(postgresEnv).filter((k) => k.startsWith('EMPORIUM_ROLE_'));
    expect(roles.sort()).toEqual(
      partsWithDatabase()
        .map((e) => `EMPORIUM_ROLE_${envPrefixOf(e.module.name)}`)
        .sort(),
    );
    for (const entry of partsWithDatabase()) {
      const name = entry.module.name;
      const url = new URL(envOf(name).DATABASE_URL as string);
      const variable = `EMPORIUM_ROLE_${envPrefixOf(name)}`;
      // init.sh names role and database `emporium_` + the variable's suffix in lower case.
      const initName = `${SYSTEM_NAME}_${variable.slice('EMPORIUM_ROLE_'.length).toLowerCase()}`;
      expect(url.username, name).toBe(accountName(SYSTEM_NAME, name));
      expect(url.pathname, name).toBe(`/${databaseName(name)}`);
      expect(initName, name).toBe(url.username);
      expect(initName, name).toBe(databaseName(name));
      expect(url.host, name).toBe('postgres:5432');
      expect(scramVerifies(postgresEnv[variable] as string, decodeURIComponent(url.password)), name).toBe(true);
      expect(scramVerifies(postgresEnv[variable] as string, 'another password'), name).toBe(false);
    }
  });

  it('runs init.sh as the database initialisation script, executable', () => {
    const volumes = raw.services.postgres?.volumes ?? [];
    expect(volumes).toContain('./postgres/init.sh:/docker-entrypoint-initdb.d/10-emporium.sh:ro');
    expect(statSync(path.join(COMPOSE_DIR, 'postgres/init.sh')).mode & 0o111).not.toBe(0);
  });

  it('gives every service on the broker a user with the permissions of brokerGrantOf and the password of its AMQP_URL; no one else', () => {
    const onBroker = partsOnBroker().map((e) => e.module.name);
    for (const part of PARTS) expect(envOf(part).AMQP_URL !== undefined, part).toBe(onBroker.includes(part));
    expect(definitions.users.map((u) => u.name).sort()).toEqual(['admin', ...onBroker.map((s) => accountName(SYSTEM_NAME, s))].sort());
    expect(definitions.users.map((u) => u.name)).not.toContain('guest');
    expect(definitions.exchanges).toEqual([expect.objectContaining({ name: EXCHANGE, vhost: '/', type: 'topic', durable: true })]);
    for (const entry of partsOnBroker()) {
      const name = entry.module.name;
      const url = new URL(envOf(name).AMQP_URL as string);
      const user = accountName(SYSTEM_NAME, name);
      expect(url.username, name).toBe(user);
      expect(url.host, name).toBe('rabbitmq:5672');
      const hash = definitions.users.find((u) => u.name === user)?.password_hash as string;
      expect(rabbitVerifies(hash, decodeURIComponent(url.password)), name).toBe(true);
      const grant = brokerGrantOf(name, brokerNeedsOf(entry), { exchange: EXCHANGE });
      expect(definitions.permissions.find((p) => p.user === user)).toEqual({
        user,
        vhost: '/',
        configure: grant.configure,
        write: grant.write,
        read: grant.read,
      });
      expect(definitions.topic_permissions.filter((p) => p.user === user)).toEqual(grant.topics.map((t) => ({ user, vhost: '/', ...t })));
      // The exchange the grant is for is the one the part publishes to; the part only checks it
      // exists (its user may not configure it), and the definitions declare it.
      expect(envOf(name).AMQP_EXCHANGE ?? 'emporium', name).toBe(EXCHANGE);
      expect(envOf(name).AMQP_DECLARE_EXCHANGE, name).toBe('false');
    }
  });

  it('has the broker load the generated definitions at boot', () => {
    const conf = readFileSync(path.join(COMPOSE_DIR, 'rabbitmq/rabbitmq.conf'), 'utf8');
    const loaded = /^load_definitions\s*=\s*(\S+)/m.exec(conf)?.[1];
    const mount = (raw.services.rabbitmq?.volumes ?? []).find((v) => typeof v === 'object' && v.target === loaded);
    expect(mount).toMatchObject({ type: 'bind', source: `./${DEFINITIONS_FILE}` });
    expect(raw.services.rabbitmq?.volumes).toContain('./rabbitmq/rabbitmq.conf:/etc/rabbitmq/conf.d/20-emporium.conf:ro');
  });
});

describe('images, ports and mounts', () => {
  it('pins every image to a version (never latest)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.image, name).toBeDefined();
      const tag = /:([^:/]+)$/.exec(s.image as string)?.[1];
      expect(tag, name).toBeDefined();
      expect(tag, name).not.toBe('latest');
      // Ours default to the local build's tag; the others name a release (major.minor at least).
      if (!PARTS.includes(name)) expect(tag, name).toMatch(/^v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$/);
    }
  });

  it('publishes only the gateway, Grafana, Prometheus, the trace UI and the sandboxes’ pages, on the loopback by default', () => {
    const published = Object.entries(compose.services)
      .filter(([, s]) => s.ports?.length)
      .map(([name]) => name)
      .sort();
    expect(published).toEqual(['gateway', 'grafana', 'jaeger', 'partner-webhooks', 'payment-provider', 'prometheus', 'smtp-sink']);
    for (const name of published) for (const port of service(name).ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('mounts only files of the repository (or the generated secrets, or the Docker logs Alloy reads)', () => {
    for (const [name, s] of Object.entries(raw.services)) {
      for (const volume of s.volumes ?? []) {
        const source = typeof volume === 'string' ? (volume.split(':')[0] as string) : volume.source;
        if (!source.startsWith('.')) {
          expect(source === '/var/lib/docker/containers' || Object.keys(raw.volumes ?? {}).includes(source), `${name}: ${source}`).toBe(
            true,
          );
          continue;
        }
        if (source.startsWith('./.secrets/')) continue;
        expect(existsSync(path.resolve(COMPOSE_DIR, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });
});

describe('observability under compose', () => {
  it('scrapes exactly the compose parts, at their ports (deploy/prometheus/prometheus.yml)', () => {
    const prometheus = parse(readFileSync(path.join(REPO, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs
      .flatMap((c) => c.static_configs.flatMap((s) => s.targets))
      .filter((t) => !t.startsWith('localhost'));
    for (const target of targets) {
      const [host, port] = target.split(':');
      expect(compose.services[host as string], target).toBeDefined();
      expect(Number(envOf(host as string).PORT), target).toBe(Number(port));
    }
    expect(targets.map((t) => t.split(':')[0]).sort()).toEqual([...PARTS].sort());
    expect(raw.services.prometheus?.volumes).toContain('../prometheus:/etc/prometheus:ro');
  });

  it('sends every part’s spans to the collector, named after the part, and the collector to Jaeger', () => {
    for (const part of PARTS) {
      expect(envOf(part).OTEL_EXPORTER_OTLP_ENDPOINT, part).toBe('http://otel-collector:4318');
      expect(envOf(part).OTEL_SERVICE_NAME, part).toBe(part);
    }
    const collector = parse(readFileSync(path.join(COMPOSE_DIR, 'otel-collector.yaml'), 'utf8')) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    expect(collector.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(collector.service.pipelines.traces.receivers).toEqual(['otlp']);
    const exporters = collector.service.pipelines.traces.exporters.map((e) => collector.exporters[e]?.endpoint);
    expect(exporters).toEqual(['jaeger:4317']);
  });

  it('ships the containers’ logs to Loki, which Grafana has as a datasource beside Prometheus and Jaeger', () => {
    const alloy = readFileSync(path.join(COMPOSE_DIR, 'alloy/config.alloy'), 'utf8');
    expect(alloy).toContain('/var/lib/docker/containers/*/*-json.log');
    expect(alloy).toContain('url = "http://loki:3100/loki/api/v1/push"');
    const datasources = parse(readFileSync(path.join(COMPOSE_DIR, 'grafana/datasources.yaml'), 'utf8')) as {
      datasources: { type: string; url: string }[];
    };
    expect(datasources.datasources.map((d) => [d.type, d.url])).toEqual([
      ['loki', 'http://loki:3100'],
      ['jaeger', 'http://jaeger:16686'],
    ]);
    const grafanaMounts = raw.services.grafana?.volumes ?? [];
    expect(grafanaMounts).toContain('../grafana/dashboards:/var/lib/grafana/dashboards/emporium:ro');
    expect(grafanaMounts).toContain('../grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro');
  });
});

describe('secrets', () => {
  it('keeps every secret a part gets out of compose.yaml: each comes from .env', () => {
    for (const entry of SYSTEM) {
      const name = entry.module.name;
      for (const [key, value] of Object.entries(raw.services[name]?.environment ?? {})) {
        const field = (entry.module.configSchema as Record<string, { secret?: boolean }>)[key];
        if (!field?.secret) continue;
        // A URL's secret is its password (the SMTP sink takes none); anything else is a secret as a whole.
        if (/^[a-z]+:\/\//.test(value)) {
          const password = new URL(value.replace(/\$\{[^}]*\}/g, 'FROM-ENV')).password;
          expect(['', 'FROM-ENV'], `${name} ${key}`).toContain(password);
        } else expect(value, `${name} ${key}`).toMatch(/\$\{[A-Z_]+:\?/);
      }
    }
  });

  it('has no secret in any committed file of deploy/compose or .github', () => {
    const generated = new Set(Object.values(env).filter((v) => v.length >= 16));
    const shapes = [
      /whsec_[A-Za-z0-9+/=]{16,}/,
      /sk_(test|live)_[0-9a-f]{16,}/,
      /SCRAM-SHA-256\$\d+:/,
      /"d"\s*:\s*"[A-Za-z0-9_-]{20,}"/,
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
      /"password_hash"\s*:/,
    ];
    const files = [...listFiles(COMPOSE_DIR), ...listFiles(path.join(REPO, '.github'))].filter(
      (f) => !/[/\\]\.env$/.test(f) && !f.includes(`${path.sep}.secrets${path.sep}`),
    );
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const shape of shapes) expect(shape.test(text), `${path.relative(REPO, file)} ${shape}`).toBe(false);
      for (const value of generated) expect(text.includes(value), path.relative(REPO, file)).toBe(false);
    }
    const ignored = readFileSync(path.join(COMPOSE_DIR, '.gitignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.secrets/']));
  });

  it('writes .env for its owner only and the definitions in a directory only its owner enters; keeps them unless forced', () => {
    const own = mkdtempSync(path.join(tmpdir(), 'emporium-compose-secrets-'));
    try {
      expect(writeComposeSecrets(own).written).toBe(true);
      expect(statSync(path.join(own, '.env')).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(own, '.secrets')).mode & 0o777).toBe(0o700);
      const first = readFileSync(path.join(own, '.env'), 'utf8');
      expect(writeComposeSecrets(own).written).toBe(false);
      expect(readFileSync(path.join(own, '.env'), 'utf8')).toBe(first);
      expect(writeComposeSecrets(own, { force: true }).written).toBe(true);
      const second = parseEnvFile(readFileSync(path.join(own, '.env'), 'utf8'));
      expect(second.ORDERS_DB_PASSWORD).not.toBe(parseEnvFile(first).ORDERS_DB_PASSWORD);
      expect(second.EMPORIUM_PUBLIC_URL).toBe('http://localhost:3000');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('fails compose with a pointer to the generator when .env is missing', () => {
    expect(() => interpolate(raw.services.orders?.environment?.DATABASE_URL as string, {})).toThrow(
      /ORDERS_DB_PASSWORD: run npm run compose:secrets/,
    );
  });
});

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}
