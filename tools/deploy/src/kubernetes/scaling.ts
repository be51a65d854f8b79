/**
 * KEDA for the consumers (values `keda.enabled`): a ScaledObject per consumer scaling its
 * Deployment on the length of its own queue and on CPU. KEDA makes and owns the
 * HorizontalPodAutoscaler behind it, so a consumer scaled by KEDA gets no HPA of ours: two
 * autoscalers on one Deployment would fight over its replica count.
 */
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { type Part, secretNameOf } from './parts.js';
import { metadataOf, type RenderContext } from './workload.js';

/** The queue the transport declares for a consumer (platform/messaging rabbitmq.ts): `<prefix>.<service>`. */
export const queueNameOf = (ctx: RenderContext, part: Pick<Part, 'name'>) =>
  ctx.values.broker.queuePrefix ? `${ctx.values.broker.queuePrefix}.${part.name}` : part.name;

export const scaledByKeda = (ctx: RenderContext, part: Part) => ctx.values.keda.enabled && part.consumer;

export function kedaObjectsOf(ctx: RenderContext, part: Part) {
  const { values } = ctx;
  const authName = `${part.name}-rabbitmq`;
  // KEDA reads the queue's depth over AMQP with the service's own broker URL, from the Secret the
  // operator made for the service (README.md: how to give KEDA a user of its own instead).
  const authentication = new TriggerAuthentication({
    metadata: metadataOf(ctx, part, authName),
    spec: { secretTargetRef: [{ parameter: 'host', name: secretNameOf(part), key: values.keda.amqpUrlSecretKey }] },
  });
  const scaledObject = new ScaledObject({
    metadata: metadataOf(ctx, part),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: part.name },
      // Never to zero: a consumer also serves HTTP and runs its jobs (sweeps, workers).
      minReplicaCount: part.sizing.minReplicas,
      maxReplicaCount: part.sizing.maxReplicas,
      pollingInterval: values.keda.pollingIntervalSeconds,
      cooldownPeriod: values.keda.cooldownPeriodSeconds,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: values.autoscaling.scaleDownStabilizationSeconds } },
        },
      },
      triggers: [
        {
          type: 'rabbitmq',
          metadata: { protocol: 'amqp', mode: 'QueueLength', queueName: queueNameOf(ctx, part), value: String(values.keda.queueLength) },
          authenticationRef: { name: authName },
        },
        { type: 'cpu', metricType: 'Utilization', metadata: { value: String(values.autoscaling.cpuUtilization) } },
      ],
    },
  });
  return { authentication, scaledObject };
}
