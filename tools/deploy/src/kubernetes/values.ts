/**
 * The values of one environment: deploy/kubernetes/values/defaults.yaml with the environment's
 * file (dev.yaml, staging.yaml, prod.yaml) laid over it. Every key of an override must exist in
 * the defaults with a value of the same kind, so a misspelt key stops the render instead of
 * being ignored; arrays are replaced whole, objects merged key by key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Where a pod may connect outside its namespace: an address range, or pods of another namespace. */
export type Peer = { cidr: string; except?: string[] } | { namespace: string; podLabels?: Record<string, string> };

export interface Destination {
  ports: number[];
  peers: Peer[];
}

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface PartValues {
  minReplicas: number;
  maxReplicas: number;
  resources: Resources;
  /** Non-secret settings of the service's config schema, over the rendered ones. */
  settings: Record<string, string>;
}

export interface Values {
  namespace: string;
  /** `app.kubernetes.io/instance` of every object: one installation of Emporium. */
  instance: string;
  image: { registry: string; pullPolicy: 'IfNotPresent' | 'Always'; pullSecrets: string[] };
  /** The shop's public origin: the Ingress host, the issuer (`<publicUrl>/oidc`), the BFF's redirect URIs. */
  publicUrl: string;
  ingress: { className: string; tlsSecretName: string; annotations: Record<string, string> };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  shutdownTimeoutMs: number;
  preStopSleepSeconds: number;
  terminationMarginSeconds: number;
  broker: { exchange: string; queuePrefix: string; declareExchange: boolean };
  database: { poolSize: number };
  autoscaling: { cpuUtilization: number; scaleDownStabilizationSeconds: number };
  keda: {
    enabled: boolean;
    queueLength: number;
    pollingIntervalSeconds: number;
    cooldownPeriodSeconds: number;
    /** The key of the service's Secret holding the AMQP URL KEDA uses (the service's own by default). */
    amqpUrlSecretKey: string;
  };
  podDisruptionBudget: { maxUnavailable: number };
  topologySpread: { whenUnsatisfiable: 'ScheduleAnyway' | 'DoNotSchedule' };
  thirdParties: { paymentProviderUrl: string };
  sandboxes: { enabled: boolean };
  tmpSizeLimit: string;
  network: {
    ingressController: { namespace: string; podLabels: Record<string, string> };
    monitoring: { namespace: string; podLabels: Record<string, string> };
    dns: { namespace: string; podLabels: Record<string, string> };
    database: Destination;
    broker: Destination;
    paymentProvider: Destination;
    smtp: Destination;
    partners: Destination;
  };
  services: Record<string, PartValues>;
  sandboxParts: Record<string, PartValues>;
}

export const VALUES_DIR = path.resolve(import.meta.dirname, '../../../../deploy/kubernetes/values');

/** Objects under these paths are free maps (any key, string values); `*` matches one key. */
const FREE_MAPS = ['ingress.annotations', 'network.*.podLabels', 'services.*.settings', 'sandboxParts.*.settings'];

export function loadValues(env: Environment, dir = VALUES_DIR): Values {
  const read = (file: string) => {
    const parsed = parse(readFileSync(path.join(dir, file), 'utf8')) ?? {};
    if (!isObject(parsed)) throw new Error(`${file}: must be a mapping`);
    return parsed;
  };
  const defaults = read('defaults.yaml');
  const values = mergeValues(defaults, read(`${env}.yaml`), `${env}.yaml`);
  checkValues(values as unknown as Values, `${env}.yaml`);
  return values as unknown as Values;
}

/** Lays `override` over `base`; throws naming the first key the base does not have or whose kind differs. */
export function mergeValues(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  origin: string,
  at = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const where = at ? `${at}.${key}` : key;
    if (!(key in base)) throw new Error(`${origin}: unknown key ${where}`);
    const current = base[key];
    if (isFreeMap(where) && isObject(value)) {
      // Replaced whole: labels or settings are meant as a set, not added to the defaults' set.
      for (const [k, v] of Object.entries(value))
        if (typeof v !== 'string') throw new Error(`${origin}: ${where}.${k} must be a string (quote numbers and booleans)`);
      out[key] = value;
    } else if (isObject(current) && isObject(value)) out[key] = mergeValues(current, value, origin, where);
    else if (kindOf(current) !== kindOf(value)) throw new Error(`${origin}: ${where} must be ${kindOf(current)}, got ${kindOf(value)}`);
    else out[key] = value;
  }
  return out;
}

function isFreeMap(at: string): boolean {
  const parts = at.split('.');
  return FREE_MAPS.some((pattern) => {
    const p = pattern.split('.');
    return p.length === parts.length && p.every((seg, i) => seg === '*' || seg === parts[i]);
  });
}

/** What the shape check cannot see: ranges and references between values. */
function checkValues(v: Values, origin: string): void {
  const fail = (message: string) => {
    throw new Error(`${origin}: ${message}`);
  };
  let publicUrl: URL | undefined;
  try {
    publicUrl = new URL(v.publicUrl);
  } catch {
    fail(`publicUrl must be a URL, got ${JSON.stringify(v.publicUrl)}`);
  }
  if (publicUrl && (publicUrl.origin !== v.publicUrl || publicUrl.protocol !== 'https:'))
    fail(`publicUrl must be an https origin (no path), got ${v.publicUrl}`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.namespace)) fail(`namespace ${v.namespace} is not a DNS label`);
  for (const [name, part] of [...Object.entries(v.services), ...Object.entries(v.sandboxParts)]) {
    if (part.minReplicas < 1 || part.maxReplicas < part.minReplicas)
      fail(`${name}: replicas must satisfy 1 ≤ minReplicas ≤ maxReplicas, got ${part.minReplicas}..${part.maxReplicas}`);
  }
  for (const [name, destination] of Object.entries(v.network)) {
    if (!('peers' in destination)) continue;
    for (const peer of destination.peers) {
      const ok = ('cidr' in peer && typeof peer.cidr === 'string') || ('namespace' in peer && typeof peer.namespace === 'string');
      if (!ok) fail(`network.${name}.peers: each peer needs a cidr or a namespace, got ${JSON.stringify(peer)}`);
    }
  }
  if (v.shutdownTimeoutMs < 1_000) fail('shutdownTimeoutMs must be at least 1000');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'null' : isObject(v) ? 'a mapping' : `a ${typeof v}`);
