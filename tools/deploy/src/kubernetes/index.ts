/**
 * The Kubernetes objects of one environment, rendered from TypeScript: every part's workload,
 * network policies, autoscaling and the gateway's Ingress. Secrets are only referenced (the
 * operator creates `emporium-<part>`, see deploy/kubernetes/README.md); nothing rendered holds a
 * secret value. Each object is a kubernetes-models instance: `.validate()` checks it against the
 * Kubernetes (and KEDA) OpenAPI schemas offline.
 */
import type { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type { Deployment } from 'kubernetes-models/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, type NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { defaultDeny, networkPolicyOf } from './network.js';
import { type Part, partsOf } from './parts.js';
import { kedaObjectsOf, scaledByKeda } from './scaling.js';
import { type Environment, loadValues, type Values } from './values.js';
import { autoscaled, cpuAutoscalerOf, metadataOf, type RenderContext, workloadOf } from './workload.js';

export { ENVIRONMENTS, type Environment, loadValues, type Values, VALUES_DIR } from './values.js';
export { type Part, partsOf, secretKeysOf, secretNameOf, internalUrl } from './parts.js';
export { gracePeriodSeconds, imageOf, configMapNameOf, RUN_AS } from './workload.js';
export { queueNameOf } from './scaling.js';

export type KubeObject =
  | Deployment
  | Service
  | ServiceAccount
  | ConfigMap
  | PodDisruptionBudget
  | HorizontalPodAutoscaler
  | NetworkPolicy
  | Ingress
  | ScaledObject
  | TriggerAuthentication;

export interface RenderOptions {
  /** The images' tag: a commit sha or a release version, never `latest`. */
  imageTag: string;
  /** Overrides values `image.registry` (images are `<registry>/<part>:<tag>`). */
  registry?: string;
}

/** Every object of the environment, the parts' in system order, then those shared by all. */
export function renderEnvironment(env: Environment, options: RenderOptions): KubeObject[] {
  return renderValues(loadValues(env), options);
}

export function renderValues(values: Values, options: RenderOptions): KubeObject[] {
  checkTag(options.imageTag);
  const ctx: RenderContext = {
    values,
    imageTag: options.imageTag,
    registry: (options.registry ?? values.image.registry).replace(/\/+$/, ''),
  };
  const parts = partsOf(values);
  const known = new Set(parts.map((p) => p.name));
  for (const name of Object.keys(values.services)) if (!known.has(name)) throw new Error(`values: services.${name} is not a service`);

  const objects: KubeObject[] = [];
  for (const part of parts) {
    const w = workloadOf(ctx, part);
    objects.push(w.serviceAccount, w.configMap, w.deployment, w.service, w.disruptionBudget, networkPolicyOf(ctx, part, parts));
    if (scaledByKeda(ctx, part)) {
      const k = kedaObjectsOf(ctx, part);
      objects.push(k.authentication, k.scaledObject);
    } else if (autoscaled(part)) {
      objects.push(cpuAutoscalerOf(ctx, part));
    }
    if (part.name === 'gateway') objects.push(ingressOf(ctx, part));
  }
  objects.push(defaultDeny(ctx));
  return objects;
}

/** The gateway, the only part reachable from outside: TLS at the ingress controller, the public host. */
function ingressOf(ctx: RenderContext, gateway: Part): Ingress {
  const host = new URL(ctx.values.publicUrl).hostname;
  return new Ingress({
    metadata: {
      ...metadataOf(ctx, gateway),
      ...(Object.keys(ctx.values.ingress.annotations).length ? { annotations: ctx.values.ingress.annotations } : {}),
    },
    spec: {
      ingressClassName: ctx.values.ingress.className,
      tls: [{ hosts: [host], secretName: ctx.values.ingress.tlsSecretName }],
      rules: [
        {
          host,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: gateway.name, port: { name: 'http' } } } }] },
        },
      ],
    },
  });
}

/** An image tag that is also a valid label value (app.kubernetes.io/version), and never `latest`. */
function checkTag(tag: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(tag))
    throw new Error(`image tag ${JSON.stringify(tag)} must be 1–63 letters, digits, '.', '_' or '-', starting and ending alphanumeric`);
  if (tag === 'latest') throw new Error('image tag must name one build (a commit sha or a version), not latest');
}

/** The part an object belongs to (its `app.kubernetes.io/name`), or undefined for the shared ones. */
export const partOf = (object: KubeObject): string | undefined => object.metadata?.labels?.['app.kubernetes.io/name'];
