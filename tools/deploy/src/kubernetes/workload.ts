/**
 * One part's workload: its Deployment, Service, ServiceAccount, ConfigMap, PodDisruptionBudget
 * and (for the services) HorizontalPodAutoscaler. STYLE.md §14: non-root, read-only root
 * filesystem, no capabilities, probes, requests and limits, one ServiceAccount per part.
 */
import { createHash } from 'node:crypto';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, type IContainer, type IEnvVar, Service, ServiceAccount } from 'kubernetes-models/v1';
import { type Part, secretKeysOf, secretNameOf } from './parts.js';
import type { Values } from './values.js';

/** The user the images run as (the Dockerfile's `USER 10001`). */
export const RUN_AS = 10_001;

export interface RenderContext {
  values: Values;
  imageTag: string;
  registry: string;
}

export const selectorLabels = (ctx: RenderContext, name: string) => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': ctx.values.instance,
});

export const labelsOf = (ctx: RenderContext, part: Pick<Part, 'name' | 'sandbox'>) => ({
  ...selectorLabels(ctx, part.name),
  'app.kubernetes.io/part-of': 'emporium',
  'app.kubernetes.io/component': part.sandbox ? 'sandbox' : 'service',
  'app.kubernetes.io/version': ctx.imageTag,
});

export const metadataOf = (ctx: RenderContext, part: Pick<Part, 'name' | 'sandbox'>, name = part.name) => ({
  name,
  namespace: ctx.values.namespace,
  labels: labelsOf(ctx, part),
});

export const imageOf = (ctx: RenderContext, part: Pick<Part, 'name'>) => `${ctx.registry}/${part.name}:${ctx.imageTag}`;
export const configMapNameOf = (part: Pick<Part, 'name'>) => `${part.name}-config`;

/**
 * The pod's grace period covers the preStop pause and the whole drain, plus a margin for the
 * process to flush its last spans and exit; only past it does the kubelet send SIGKILL.
 */
export const gracePeriodSeconds = (values: Values) =>
  values.preStopSleepSeconds + Math.ceil(values.shutdownTimeoutMs / 1_000) + values.terminationMarginSeconds;

/** Whether an autoscaler owns the replica count (every service; the sandboxes keep one replica). */
export const autoscaled = (part: Part) => !part.sandbox;

export function workloadOf(ctx: RenderContext, part: Part) {
  const { values } = ctx;
  const own = part.sizing;
  const configMap = new ConfigMap({
    metadata: metadataOf(ctx, part, configMapNameOf(part)),
    data: part.settings,
  });

  const secretName = secretNameOf(part);
  // Secrets are referenced one key at a time: a missing required key stops the pod with an event
  // naming it (CreateContainerConfigError), and the optional ones say so.
  const secretEnv: IEnvVar[] = secretKeysOf(part).map(({ key, required }) => ({
    name: key,
    valueFrom: { secretKeyRef: { name: secretName, key, optional: !required } },
  }));
  const securityContext = {
    runAsNonRoot: true,
    runAsUser: RUN_AS,
    runAsGroup: RUN_AS,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' as const },
  };
  const main = `${part.dir}/dist/main.js`;
  const base = (name: string, command: string[]): IContainer => ({
    name,
    image: imageOf(ctx, part),
    imagePullPolicy: values.image.pullPolicy,
    command,
    envFrom: [{ configMapRef: { name: configMap.metadata!.name! } }],
    env: secretEnv,
    resources: own.resources,
    securityContext,
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  });

  // The new version's migrations run before any of its containers serves: a replica whose init
  // container fails never becomes ready, and `helm --atomic` rolls the release back. Migrations
  // are forward-only and take a lock, so replicas starting together are safe. The old version
  // serves on the migrated schema until it is replaced: a migration may add, never remove what
  // the running version still uses (drop a column one release after the code stopped reading it).
  const initContainers: IContainer[] = part.database ? [base('migrate', ['node', main, 'migrate'])] : [];

  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  const container: IContainer = {
    ...base(part.name, ['node', main]),
    ports: [
      { name: 'http', containerPort: part.port, protocol: 'TCP' as const },
      ...part.extraPorts.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' as const })),
    ],
    // Started means the process listens; until then liveness does not count (60 s to start).
    startupProbe: probe('/healthz', 2, 30),
    livenessProbe: probe('/healthz', 10, 3),
    // Not ready while its database or broker is unreachable, and from the first moment of a drain.
    readinessProbe: probe('/readyz', 5, 2),
    lifecycle: {
      // Deleting a pod removes it from the Service's endpoints and sends SIGTERM at the same
      // time; kube-proxy and the ingress controller learn of the removal a moment later and
      // would still route new connections to a process that already refuses them. Pausing
      // before SIGTERM lets that news spread; then runMain fails readiness, stops consuming,
      // drains requests and exits within SHUTDOWN_TIMEOUT_MS. (The `sleep` action needs no
      // shell or binary in the image; Kubernetes ≥ 1.30.)
      preStop: { sleep: { seconds: values.preStopSleepSeconds } },
    },
  };

  const configHash = createHash('sha256').update(JSON.stringify(part.settings)).digest('hex').slice(0, 16);
  const selector = selectorLabels(ctx, part.name);
  const spread = (topologyKey: string, whenUnsatisfiable: 'ScheduleAnyway' | 'DoNotSchedule') => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: selector },
    // Counted per ReplicaSet: the old version's pods do not skew where the new ones go.
    matchLabelKeys: ['pod-template-hash'],
  });

  const deployment = new Deployment({
    metadata: metadataOf(ctx, part),
    spec: {
      // The autoscaler owns the count: a replicas field here would reset it at every deploy.
      ...(autoscaled(part) ? {} : { replicas: own.minReplicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      // A new pod must be ready before an old one goes: capacity never drops during a rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      minReadySeconds: 5,
      progressDeadlineSeconds: 600,
      template: {
        metadata: {
          labels: labelsOf(ctx, part),
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(part.port),
            'prometheus.io/path': '/metrics',
            // A changed ConfigMap rolls the pods (environment variables are read once, at start).
            'emporium.dev/config-hash': configHash,
          },
        },
        spec: {
          serviceAccountName: part.name,
          automountServiceAccountToken: false,
          // Kubernetes would otherwise inject <SERVICE>_PORT-style variables for every Service in
          // the namespace, which could shadow settings of the same names.
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          terminationGracePeriodSeconds: gracePeriodSeconds(values),
          ...(values.image.pullSecrets.length ? { imagePullSecrets: values.image.pullSecrets.map((name) => ({ name })) } : {}),
          topologySpreadConstraints: [
            spread('topology.kubernetes.io/zone', 'ScheduleAnyway'),
            spread('kubernetes.io/hostname', values.topologySpread.whenUnsatisfiable),
          ],
          ...(initContainers.length ? { initContainers } : {}),
          containers: [container],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: values.tmpSizeLimit } }],
        },
      },
    },
  });

  const service = new Service({
    metadata: metadataOf(ctx, part),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        { name: 'http', port: part.port, targetPort: 'http', protocol: 'TCP' as const },
        ...part.extraPorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: 'TCP' as const })),
      ],
    },
  });

  const serviceAccount = new ServiceAccount({
    metadata: metadataOf(ctx, part),
    // No part talks to the Kubernetes API: no token in its pods.
    automountServiceAccountToken: false,
  });

  const disruptionBudget = new PodDisruptionBudget({
    metadata: metadataOf(ctx, part),
    spec: {
      maxUnavailable: values.podDisruptionBudget.maxUnavailable,
      selector: { matchLabels: selector },
      // A pod that is not ready (crash-looping) must not block a node drain.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });

  return { configMap, deployment, service, serviceAccount, disruptionBudget };
}

/** The CPU autoscaler of a service that KEDA does not scale. */
export function cpuAutoscalerOf(ctx: RenderContext, part: Part) {
  const own = part.sizing;
  return new HorizontalPodAutoscaler({
    metadata: metadataOf(ctx, part),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: part.name },
      minReplicas: own.minReplicas,
      maxReplicas: own.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: ctx.values.autoscaling.cpuUtilization } },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: ctx.values.autoscaling.scaleDownStabilizationSeconds } },
    },
  });
}
