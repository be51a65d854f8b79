import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { linksFor, newSecrets, SYSTEM } from '@emporium/cli';
import { type ConfigSchema, loadConfig } from '@emporium/config';
import { Deployment } from 'kubernetes-models/apps/v1';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1';
import type { IContainer } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { secretsReference } from '../src/kubernetes/docs.js';
import {
  ENVIRONMENTS,
  type Environment,
  type KubeObject,
  loadValues,
  partsOf,
  renderEnvironment,
  renderValues,
  type Values,
} from '../src/kubernetes/index.js';
import { HEADER, manifestFiles } from '../src/kubernetes/manifests.js';
import { mergeValues, VALUES_DIR } from '../src/kubernetes/values.js';
import { main as renderCli } from '../src/render.js';

const TAG = `c${randomBytes(6).toString('hex')}`;
const SERVICES = ['gateway', 'catalog', 'inventory', 'orders', 'payments', 'notifications', 'identity'];
const SANDBOXES = ['payment-provider', 'smtp-sink', 'partner-webhooks'];
const CONSUMERS = ['inventory', 'orders', 'payments', 'notifications'];
const NAME = 'app.kubernetes.io/name';

const rendered = Object.fromEntries(ENVIRONMENTS.map((env) => [env, renderEnvironment(env, { imageTag: TAG })])) as Record<
  Environment,
  KubeObject[]
>;
const valuesOf = Object.fromEntries(ENVIRONMENTS.map((env) => [env, loadValues(env)])) as Record<Environment, Values>;

const ofKind = <K extends KubeObject['kind']>(objects: KubeObject[], kind: K) =>
  objects.filter((o) => o.kind === kind) as Extract<KubeObject, { kind: K }>[];
const named = <K extends KubeObject['kind']>(objects: KubeObject[], kind: K, name: string) => {
  const found = ofKind(objects, kind).find((o) => o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const podSpecOf = (d: Deployment) => d.spec!.template.spec!;
const containersOf = (d: Deployment): IContainer[] => [...(podSpecOf(d).initContainers ?? []), ...podSpecOf(d).containers];
const mainContainerOf = (d: Deployment) => podSpecOf(d).containers[0]!;
const schemaOf = (name: string) => SYSTEM.find((e) => e.module.name === name)!.module.configSchema as ConfigSchema;
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
const bytes = (q: string) => Number(q.replace(/(Ki|Mi|Gi)$/, '')) * ({ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[q.slice(-2)] ?? 1);

/** Made-up secret values of the right shapes, generated per run: what an operator puts in the Secrets. */
function secretValues(): Record<string, string> {
  const s = newSecrets();
  const pw = () => randomBytes(12).toString('hex');
  return {
    DATABASE_URL: `postgres://svc:${pw()}@pg.internal:5432/emporium_svc`,
    AMQP_URL: `amqps://svc:${pw()}@rabbit.internal:5671/`,
    SMTP_URL: `smtps://mailer:${pw()}@smtp.example.net:465`,
    AUTH_CLIENT_SECRET: s.clientSecrets.orders,
    BFF_STOREFRONT_CLIENT_SECRET: s.clientSecrets.storefront,
    BFF_ADMIN_CLIENT_SECRET: s.clientSecrets['admin-console'],
    BFF_TOKEN_KEYS: s.gatewayTokenKey,
    PAYMENT_PROVIDER_SECRET_KEY: s.providerKey,
    PAYMENT_PROVIDER_WEBHOOK_SECRET: s.providerWebhookSecret,
    NOTIFICATIONS_PARTNER_ENDPOINTS: `acme|https://hooks.acme.example/emporium|${s.partnerSecret}`,
    IDENTITY_OIDC_JWKS: s.oidcJwks,
    IDENTITY_OIDC_COOKIE_KEYS: s.oidcCookieKeys.join(','),
    IDENTITY_OIDC_KEY_ENCRYPTION_KEY: s.oidcKeyEncryptionKey,
    IDENTITY_OIDC_CLIENTS: JSON.stringify([{ client_id: 'storefront', client_secret: s.clientSecrets.storefront }]),
    SANDBOX_SECRET_KEY: s.providerKey,
    SANDBOX_WEBHOOK_SECRET: s.providerWebhookSecret,
    PARTNER_WEBHOOK_SECRETS: `acme=${s.partnerSecret}`,
  };
}

/** The environment a container starts with: its ConfigMap, and its Secret's keys (the optional ones only if `withOptional`). */
function containerEnv(objects: KubeObject[], container: IContainer, secrets: Record<string, string>, withOptional: boolean) {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) Object.assign(env, named(objects, 'ConfigMap', from.configMapRef!.name!).data);
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && (withOptional || !ref.optional)) {
      if (!(ref.key in secrets)) throw new Error(`the test has no made-up value for the secret ${ref.key}: add one to secretValues()`);
      env[e.name] = secrets[ref.key] as string;
    }
  }
  return env;
}

/** Whether a NetworkPolicy rule's peers admit pods with these labels in the policy's own namespace. */
const admitsPod = (peers: INetworkPolicyPeer[] | undefined, labels: Record<string, string>) =>
  (peers ?? []).some((p) => !p.namespaceSelector && !p.ipBlock && matches(p.podSelector?.matchLabels, labels));

/** Long runs of key-like characters mixing upper case, lower case and digits: keys, tokens, passwords. */
const highEntropyBlobs = (text: string) =>
  (text.match(/[A-Za-z0-9+/_=-]{32,}/g) ?? []).filter((m) => /[A-Z]/.test(m) && /[a-z]/.test(m) && /[0-9]/.test(m));

describe.each(ENVIRONMENTS)('the %s environment', (env) => {
  const objects = rendered[env];
  const values = valuesOf[env];
  const parts = env === 'dev' ? [...SANDBOXES, ...SERVICES] : SERVICES;
  const deployments = ofKind(objects, 'Deployment');
  const policies = ofKind(objects, 'NetworkPolicy');

  it('renders every service (and in dev the sandboxes), and every object is valid against the Kubernetes and KEDA schemas', () => {
    expect(deployments.map((d) => d.metadata!.name).sort()).toEqual([...parts].sort());
    for (const object of objects) expect(() => object.validate(), `${object.kind} ${object.metadata?.name}`).not.toThrow();
    if (values.keda.enabled) expect(ofKind(objects, 'ScaledObject')).toHaveLength(CONSUMERS.length);
    expect(objects.filter((o) => (o.kind as string) === 'Secret')).toEqual([]);
  });

  it('runs every container as user 10001, non-root, read-only, without privileges or capabilities, under seccomp', () => {
    for (const d of deployments) {
      const pod = podSpecOf(d);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.anything() }));
      for (const c of containersOf(d)) {
        const where = `${d.metadata!.name}/${c.name}`;
        expect(c.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 10001,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext?.capabilities?.add, where).toBeUndefined();
        expect(c.volumeMounts, where).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
    }
  });

  it('probes every service: started and alive on /healthz, ready on /readyz, at its named http port', () => {
    for (const d of deployments) {
      const c = mainContainerOf(d);
      const http = c.ports?.find((p) => p.name === 'http');
      expect(http, d.metadata!.name).toBeDefined();
      expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(http!.containerPort).toBe(Number(schemaOf(d.metadata!.name!).PORT!.default));
    }
  });

  it('gives every container requests and limits for CPU and memory, requests within limits', () => {
    for (const d of deployments) {
      for (const c of containersOf(d)) {
        const { requests, limits } = c.resources ?? {};
        for (const r of ['cpu', 'memory'] as const) {
          expect(requests?.[r], `${d.metadata!.name}/${c.name} ${r}`).toBeTypeOf('string');
          expect(limits?.[r], `${d.metadata!.name}/${c.name} ${r}`).toBeTypeOf('string');
        }
        expect(cpu(String(requests!.cpu))).toBeLessThanOrEqual(cpu(String(limits!.cpu)));
        expect(bytes(String(requests!.memory))).toBeLessThanOrEqual(bytes(String(limits!.memory)));
      }
    }
  });

  it('gives every part its ServiceAccount (no token), ConfigMap, Service (port `http`) and PodDisruptionBudget, with consistent labels', () => {
    for (const d of deployments) {
      const name = d.metadata!.name!;
      const selector = d.spec!.selector.matchLabels!;
      expect(matches(selector, d.spec!.template.metadata!.labels)).toBe(true);
      expect(named(objects, 'ServiceAccount', name).automountServiceAccountToken).toBe(false);
      expect(podSpecOf(d).serviceAccountName).toBe(name);
      const service = named(objects, 'Service', name);
      expect(service.spec!.type).toBe('ClusterIP');
      expect(service.spec!.selector).toEqual(selector);
      expect(service.spec!.ports).toContainEqual(expect.objectContaining({ name: 'http', targetPort: 'http' }));
      expect(named(objects, 'PodDisruptionBudget', name).spec!.selector!.matchLabels).toEqual(selector);
      expect(mainContainerOf(d).envFrom).toEqual([{ configMapRef: { name: `${name}-config` } }]);
    }
    for (const o of objects) {
      const labels = o.metadata!.labels ?? {};
      expect(labels['app.kubernetes.io/part-of'], `${o.kind} ${o.metadata!.name}`).toBe('emporium');
      expect(labels['app.kubernetes.io/instance']).toBe(values.instance);
      expect(o.metadata!.namespace).toBe(values.namespace);
      if (o.metadata!.name !== 'emporium-default-deny') {
        expect(parts).toContain(labels[NAME]);
        expect(labels['app.kubernetes.io/version']).toBe(TAG);
      }
    }
  });

  it('runs the images of the given tag (never latest) from the registry, and migrations before the new version serves', () => {
    for (const d of deployments) {
      const name = d.metadata!.name!;
      for (const c of containersOf(d)) expect(c.image).toBe(`${values.image.registry}/${name}:${TAG}`);
      const entry = SYSTEM.find((e) => e.module.name === name)!;
      expect(mainContainerOf(d).command).toEqual(['node', `${entry.dir}/dist/main.js`]);
      expect(existsSync(path.resolve(import.meta.dirname, '../../..', entry.dir, 'src/main.ts'))).toBe(true);
      const init = podSpecOf(d).initContainers ?? [];
      if (entry.module.migrations) expect(init.map((c) => c.command)).toEqual([['node', `${entry.dir}/dist/main.js`, 'migrate']]);
      else expect(init).toEqual([]);
    }
    expect(JSON.stringify(objects.map((o) => o.toJSON()))).not.toMatch(/:latest\b/);
  });

  it('gives a terminating pod longer than the drain: preStop pause + SHUTDOWN_TIMEOUT_MS + margin', () => {
    for (const d of deployments) {
      const shutdownMs = Number(named(objects, 'ConfigMap', `${d.metadata!.name}-config`).data!.SHUTDOWN_TIMEOUT_MS);
      const pause = mainContainerOf(d).lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(pause).toBeGreaterThan(0);
      expect(podSpecOf(d).terminationGracePeriodSeconds! * 1000).toBeGreaterThan(shutdownMs + pause * 1000);
    }
  });

  it('sets every setting a service needs from its ConfigMap or Secret: each container starts with a valid config', () => {
    const secrets = secretValues();
    for (const d of deployments) {
      const name = d.metadata!.name!;
      const schema = schemaOf(name);
      for (const c of containersOf(d)) {
        // Only the required Secret keys: the optional ones may be absent from the operator's Secret.
        const env = containerEnv(objects, c, secrets, false);
        expect(() => loadConfig(schema, env), `${name}/${c.name}`).not.toThrow();
        for (const [key, field] of Object.entries(schema)) {
          if (field.default === undefined && !field.optional) expect(env[key], `${name}: ${key}`).toBeDefined();
          const ref = c.env?.find((e) => e.name === key);
          if (field.secret) expect(ref?.value, `${name}: ${key} is a secret`).toBeUndefined();
        }
        // What the runtime needs beyond the schema's own rules: the broker in the distributed mode,
        // and identity's OpenID provider with its keys and clients.
        if ('AMQP_URL' in schema) expect(env.AMQP_URL).toBeDefined();
        if (name === 'identity')
          for (const key of ['IDENTITY_ISSUER', 'IDENTITY_OIDC_COOKIE_KEYS', 'IDENTITY_OIDC_KEY_ENCRYPTION_KEY', 'IDENTITY_OIDC_CLIENTS'])
            expect(env[key], key).toBeDefined();
      }
      const data = named(objects, 'ConfigMap', `${name}-config`).data!;
      for (const key of Object.keys(data)) expect(schema[key]?.secret, `${name}: ${key} in the ConfigMap`).toBeFalsy();
    }
  });

  it('links the parts as the distributed launcher does (tools/cli services.ts), at in-cluster addresses', () => {
    const links = linksFor(3000, newSecrets());
    // Settings of the local launcher only: the load tools drive one gateway from one address.
    const localOnly = new Set(['GATEWAY_RATE_LIMIT_MAX']);
    for (const d of deployments) {
      const name = d.metadata!.name!;
      const entry = SYSTEM.find((e) => e.module.name === name)!;
      const schema = schemaOf(name);
      const data = named(objects, 'ConfigMap', `${name}-config`).data!;
      const launcherKeys = Object.keys(entry.env?.(links) ?? {}).filter((k) => !schema[k]?.secret && !localOnly.has(k));
      for (const key of launcherKeys) expect(data[key], `${name}: ${key}`).toBeDefined();
      for (const value of Object.values(data)) expect(value).not.toMatch(/127\.0\.0\.1|localhost/);
    }
  });

  it('denies all traffic by default, in and out, for every pod of the installation', () => {
    const deny = policies.filter((p) => !p.spec!.ingress?.length && !p.spec!.egress?.length);
    expect(deny).toHaveLength(1);
    expect(deny[0]!.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    for (const d of deployments) expect(matches(deny[0]!.spec!.podSelector!.matchLabels, d.spec!.template.metadata!.labels)).toBe(true);
  });

  it('has a NetworkPolicy per part, in both directions; only the gateway takes traffic from outside, through the ingress controller', () => {
    for (const d of deployments) {
      const name = d.metadata!.name!;
      const own = policies.filter(
        (p) => p.spec!.ingress?.length && matches(p.spec!.podSelector!.matchLabels, d.spec!.template.metadata!.labels),
      );
      expect(own, name).toHaveLength(1);
      const policy = own[0]!;
      expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
      const port = Number(schemaOf(name).PORT!.default);
      for (const rule of policy.spec!.ingress ?? []) {
        for (const peer of rule.from ?? []) {
          expect(peer.ipBlock, `${name} admits an address range`).toBeUndefined();
          const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
          if (peer.namespaceSelector) expect(namespace, `${name}: a namespace selector names one namespace`).toBeDefined();
          if (namespace === values.network.monitoring.namespace) expect(rule.ports).toEqual([{ protocol: 'TCP', port }]);
          else if (namespace === values.network.ingressController.namespace) expect(name).toBe('gateway');
          else expect(peer.namespaceSelector, `${name} admits pods of ${namespace}`).toBeUndefined();
          if (!peer.namespaceSelector) expect(parts).toContain(peer.podSelector?.matchLabels?.[NAME]);
        }
      }
    }
    const ingresses = ofKind(objects, 'Ingress');
    expect(ingresses).toHaveLength(1);
    const rule = ingresses[0]!.spec!.rules![0]!;
    expect(rule.host).toBe(new URL(values.publicUrl).hostname);
    expect(rule.http!.paths[0]!.backend.service).toEqual({ name: 'gateway', port: { name: 'http' } });
    expect(ingresses[0]!.spec!.tls).toEqual([{ hosts: [rule.host], secretName: values.ingress.tlsSecretName }]);
  });

  it('lets each part reach only what it must: DNS, the parts it calls, its database, broker and third parties', () => {
    const calls: Record<string, string[]> = {
      gateway: ['catalog', 'identity', 'inventory', 'notifications', 'orders', 'payments'],
      catalog: ['identity'],
      inventory: ['identity'],
      orders: ['catalog', 'identity'],
      payments: env === 'dev' ? ['identity', 'payment-provider'] : ['identity'],
      notifications: env === 'dev' ? ['identity', 'partner-webhooks', 'smtp-sink'] : ['identity'],
      // Identity checks the tokens of its own API too, with the keys it serves at its Service.
      identity: ['gateway', 'identity'],
      'payment-provider': ['payments'],
      'smtp-sink': [],
      'partner-webhooks': [],
    };
    const outside: Record<string, number[]> = {
      gateway: [5432],
      catalog: [5432, 5671, 5672],
      inventory: [5432, 5671, 5672],
      orders: [5432, 5671, 5672],
      payments: env === 'dev' ? [5432, 5671, 5672] : [443, 5432, 5671, 5672],
      notifications: env === 'dev' ? [5432, 5671, 5672] : [443, 465, 587, 5432, 5671, 5672],
      identity: [5432],
      'payment-provider': [],
      'smtp-sink': [],
      'partner-webhooks': [],
    };
    for (const name of parts) {
      const egress = named(objects, 'NetworkPolicy', name).spec!.egress ?? [];
      const podPeers = egress.flatMap((r) => (r.to ?? []).filter((p) => !p.namespaceSelector && !p.ipBlock));
      expect(podPeers.map((p) => p.podSelector!.matchLabels![NAME]).sort(), name).toEqual(calls[name]);
      const dns = egress.filter((r) =>
        r.to?.some((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system'),
      );
      expect(dns.flatMap((r) => r.ports)).toEqual([
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ]);
      const externalPorts = egress
        .filter((r) => !dns.includes(r) && r.to?.some((p) => p.ipBlock || p.namespaceSelector))
        .flatMap((r) => (r.ports ?? []).map((p) => Number(p.port)));
      expect(
        externalPorts.sort((a, b) => a - b),
        name,
      ).toEqual(outside[name]);
    }
  });

  it('allows, in both directions, every in-cluster address a part is configured to call', () => {
    for (const d of deployments) {
      const caller = d.metadata!.name!;
      const data = named(objects, 'ConfigMap', `${caller}-config`).data!;
      for (const value of Object.values(data)) {
        const m = /^http:\/\/([a-z-]+):(\d+)/.exec(value);
        if (!m) continue;
        const [, callee, port] = m as unknown as [string, string, string];
        const callerLabels = d.spec!.template.metadata!.labels!;
        const calleeLabels = named(objects, 'Deployment', callee).spec!.template.metadata!.labels!;
        const out = (named(objects, 'NetworkPolicy', caller).spec!.egress ?? []).some(
          (r) => admitsPod(r.to, calleeLabels) && r.ports?.some((p) => Number(p.port) === Number(port)),
        );
        const inn = (named(objects, 'NetworkPolicy', callee).spec!.ingress ?? []).some(
          (r) => admitsPod(r.from, callerLabels) && r.ports?.some((p) => Number(p.port) === Number(port)),
        );
        expect(out, `${caller} → ${callee}:${port} egress`).toBe(true);
        expect(inn, `${caller} → ${callee}:${port} ingress`).toBe(true);
      }
    }
  });

  it('autoscales every service exactly once: a CPU HPA, or with KEDA a ScaledObject for the consumers; the sandboxes keep one replica', () => {
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    const scaled = ofKind(objects, 'ScaledObject');
    for (const name of SERVICES) {
      const byHpa = hpas.filter((h) => h.spec!.scaleTargetRef.name === name);
      const byKeda = scaled.filter((s) => s.spec!.scaleTargetRef.name === name);
      expect(byHpa.length + byKeda.length, name).toBe(1);
      if (values.keda.enabled && CONSUMERS.includes(name)) expect(byKeda).toHaveLength(1);
      const target = byHpa[0]?.spec ?? byKeda[0]!.spec;
      const bounds = byHpa[0]
        ? [byHpa[0].spec!.minReplicas, byHpa[0].spec!.maxReplicas]
        : [byKeda[0]!.spec.minReplicaCount, byKeda[0]!.spec.maxReplicaCount];
      expect(bounds).toEqual([values.services[name]!.minReplicas, values.services[name]!.maxReplicas]);
      expect(target).toBeDefined();
      // The autoscaler owns the count: a replicas field would reset it at every deploy.
      expect(named(objects, 'Deployment', name).spec!.replicas).toBeUndefined();
    }
    for (const h of hpas) {
      expect(h.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: h.spec!.scaleTargetRef.name });
      expect(h.spec!.metrics).toEqual([
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: values.autoscaling.cpuUtilization } },
        },
      ]);
    }
    for (const name of env === 'dev' ? SANDBOXES : []) {
      expect(named(objects, 'Deployment', name).spec!.replicas).toBe(1);
      expect([...hpas, ...scaled].some((a) => a.spec!.scaleTargetRef.name === name)).toBe(false);
    }
  });

  // Only where KEDA is on (staging, prod): dev has no ScaledObject to check.
  if (valuesOf[env].keda.enabled)
    it('scales each consumer with KEDA on its own queue, authenticated from its own Secret', () => {
      const consumers = SYSTEM.filter((e) => !e.sandbox && e.module.consumes).map((e) => e.module.name);
      expect(consumers.sort()).toEqual([...CONSUMERS].sort());
      for (const so of ofKind(objects, 'ScaledObject')) {
        const name = so.spec.scaleTargetRef.name;
        expect(consumers).toContain(name);
        expect(so.spec.scaleTargetRef.kind).toBe('Deployment');
        named(objects, 'Deployment', name);
        const [queue, cpuTrigger] = so.spec.triggers;
        expect(queue).toMatchObject({ type: 'rabbitmq', metadata: { mode: 'QueueLength', queueName: name, protocol: 'amqp' } });
        expect(cpuTrigger).toMatchObject({ type: 'cpu', metricType: 'Utilization' });
        const auth = named(objects, 'TriggerAuthentication', queue!.authenticationRef!.name);
        expect(auth.spec!.secretTargetRef).toEqual([{ parameter: 'host', name: `emporium-${name}`, key: 'AMQP_URL' }]);
        expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      }
    });

  it('holds no secret: no Secret object, no credentials, keys or signing secrets anywhere in the YAML', () => {
    const yaml = manifestFiles(objects, { env, imageTag: TAG })
      .map((f) => f.content)
      .join('\n');
    const made = secretValues();
    for (const value of Object.values(made)) expect(yaml.includes(value)).toBe(false);
    for (const pattern of [
      /kind: Secret\b/,
      /whsec_/,
      /sk_(test|live)_/,
      /-----BEGIN/,
      /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i, // a URL with user:password
      /"d":|\bd: /, // a private JWK
    ])
      expect(yaml, String(pattern)).not.toMatch(pattern);
    expect(highEntropyBlobs(yaml)).toEqual([]);
    // The detector finds what it is looking for.
    expect(highEntropyBlobs(`key: ${made.BFF_TOKEN_KEYS}`)).toHaveLength(1);
  });
});

describe('the renderer', () => {
  const staging = loadValues('staging');

  it('catches an invalid object: the schema validation is live', () => {
    const bad = new Deployment({
      metadata: { name: 'x' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'x', ports: [{ containerPort: 'http' as unknown as number }] }] } } },
    });
    expect(() => bad.validate()).toThrow(/containerPort/);
  });

  it('names the queue as the transport does when a prefix is set, and takes another registry', () => {
    const objects = renderValues(
      { ...staging, broker: { ...staging.broker, queuePrefix: 'shop' } },
      { imageTag: TAG, registry: 'registry.example/em/' },
    );
    const so = named(objects, 'ScaledObject', 'orders');
    expect(so.spec.triggers[0]!.metadata.queueName).toBe('shop.orders');
    expect(named(objects, 'ConfigMap', 'orders-config').data!.AMQP_QUEUE_PREFIX).toBe('shop');
    expect(mainContainerOf(named(objects, 'Deployment', 'orders')).image).toBe(`registry.example/em/orders:${TAG}`);
  });

  it('refuses the tag latest and tags that are not label values', () => {
    expect(() => renderValues(staging, { imageTag: 'latest' })).toThrow(/latest/);
    expect(() => renderValues(staging, { imageTag: 'a/b' })).toThrow(/image tag/);
  });

  it('refuses a secret, an unknown or an invalid setting in values', () => {
    const withSetting = (settings: Record<string, string>) => ({
      ...staging,
      services: { ...staging.services, orders: { ...staging.services.orders!, settings } },
    });
    expect(() => renderValues(withSetting({ AUTH_CLIENT_SECRET: 'x' }), { imageTag: TAG })).toThrow(/secret/);
    expect(() => renderValues(withSetting({ ORDERS_NO_SUCH: '1' }), { imageTag: TAG })).toThrow(/ORDERS_NO_SUCH/);
    expect(() => renderValues(withSetting({ ORDERS_STEP_MAX_ATTEMPTS: '0' }), { imageTag: TAG })).toThrow(/ORDERS_STEP_MAX_ATTEMPTS/);
    const ok = renderValues(withSetting({ ORDERS_STEP_MAX_ATTEMPTS: '5' }), { imageTag: TAG });
    expect(named(ok, 'ConfigMap', 'orders-config').data!.ORDERS_STEP_MAX_ATTEMPTS).toBe('5');
  });

  it('refuses values with an unknown key or a value of the wrong kind, naming it', () => {
    const defaults = parseYaml(readFileSync(path.join(VALUES_DIR, 'defaults.yaml'), 'utf8'));
    expect(() => mergeValues(defaults, { keda: { enabeld: true } }, 'x.yaml')).toThrow('x.yaml: unknown key keda.enabeld');
    expect(() => mergeValues(defaults, { keda: { enabled: 'yes' } }, 'x.yaml')).toThrow(/keda.enabled must be a boolean/);
    expect(() => mergeValues(defaults, { services: { search: {} } }, 'x.yaml')).toThrow(/unknown key services.search/);
    const merged = mergeValues(defaults, { network: { dns: { podLabels: { 'k8s-app': 'coredns', tier: 'x' } } } }, 'x.yaml') as any;
    expect(merged.network.dns.podLabels).toEqual({ 'k8s-app': 'coredns', tier: 'x' });
  });

  it('deploys the sandboxes only where values enable them', () => {
    expect(partsOf(loadValues('dev')).filter((p) => p.sandbox)).toHaveLength(SANDBOXES.length);
    for (const env of ['staging', 'prod'] as const) expect(partsOf(loadValues(env)).some((p) => p.sandbox)).toBe(false);
  });
});

describe('the render CLI', () => {
  it('writes one YAML file per part plus common.yaml, and a chart of the same objects with nothing to template', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'emporium-render-'));
    const out = path.join(dir, 'out');
    const chart = path.join(dir, 'chart');
    // An earlier render's file of a part no longer rendered goes; an operator's own file stays.
    renderCli(['--env', 'dev', '--tag', TAG, '--out', out]);
    writeFileSync(path.join(out, 'mine.yaml'), 'kind: Note\n');
    renderCli(['--env', 'staging', '--tag', TAG, '--out', out, '--chart', chart]);

    const files = readdirSync(out).sort();
    expect(files).toEqual([...SERVICES.map((s) => `${s}.yaml`), 'common.yaml', 'mine.yaml'].sort());
    expect(readdirSync(path.join(chart, 'templates')).sort()).toEqual(files.filter((f) => f !== 'mine.yaml'));
    const kinds: string[] = [];
    for (const f of files.filter((f) => f !== 'mine.yaml')) {
      const text = readFileSync(path.join(out, f), 'utf8');
      expect(text.startsWith(HEADER)).toBe(true);
      expect(text).not.toContain('{{');
      expect(readFileSync(path.join(chart, 'templates', f), 'utf8')).toBe(text);
      for (const doc of parseAllDocuments(text)) {
        expect(doc.errors).toEqual([]);
        kinds.push((doc.toJS() as { kind: string }).kind);
      }
    }
    expect(kinds.sort()).toEqual(rendered.staging.map((o) => o.kind).sort());
    const chartYaml = parseYaml(readFileSync(path.join(chart, 'Chart.yaml'), 'utf8'));
    expect(chartYaml).toMatchObject({ apiVersion: 'v2', name: 'emporium', type: 'application', appVersion: TAG });
    expect(chartYaml.version).toMatch(/^\d+\.\d+\.\d+\+[0-9A-Za-z.-]+$/);
  });

  it('refuses to start without an environment, a tag or an output', () => {
    expect(() => renderCli(['--tag', TAG, '--out', '/tmp/x'])).toThrow(/--env/);
    expect(() => renderCli(['--env', 'qa', '--tag', TAG, '--out', '/tmp/x'])).toThrow(/--env/);
    expect(() => renderCli(['--env', 'dev', '--out', '/tmp/x'])).toThrow(/--tag/);
    expect(() => renderCli(['--env', 'dev', '--tag', TAG])).toThrow(/--out/);
  });

  it('runs as the package script the pipeline calls, from the repository root, paths relative to it', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const chart = mkdtempSync(path.join(tmpdir(), 'emporium-chart-'));
    const args = ['run', 'render', '-w', '@emporium/deploy', '--', '--env', 'prod', '--tag', TAG, '--chart', path.relative(root, chart)];
    const run = spawnSync('npm', args, { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/all valid/);
    expect(readFileSync(path.join(chart, 'templates', 'gateway.yaml'), 'utf8')).toContain('kind: Ingress');
  }, 120_000);
});

describe('deploy/kubernetes/README.md', () => {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../../deploy/kubernetes/README.md'), 'utf8');

  it('lists the Secrets generated from the config schemas', () => {
    const block = /<!-- secrets:begin -->\n([\s\S]*?)<!-- secrets:end -->/.exec(readme)?.[1];
    expect(block?.trim()).toBe(secretsReference().trim());
  });

  it('documents every key of the values', () => {
    const defaults = parseYaml(readFileSync(path.join(VALUES_DIR, 'defaults.yaml'), 'utf8'));
    const leaves = (o: Record<string, unknown>, at: string): string[] =>
      Object.entries(o).flatMap(([k, v]) => {
        const key = ['services', 'sandboxParts'].includes(at) ? '<name>' : k;
        const where = at ? `${at}.${key}` : key;
        return v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && !/\.(podLabels|resources)$/.test(where)
          ? leaves(v as Record<string, unknown>, where)
          : [where];
      });
    for (const key of new Set(leaves(defaults, ''))) expect(readme, key).toContain(`\`${key}\``);
  });
});
