/**
 * NetworkPolicies: nothing moves unless a policy allows it (default deny, both directions), then
 * one policy per part allowing exactly its links: who may call it, what it may call (DNS, the
 * parts it is configured to call, its database and broker, its third parties), and metrics
 * scraping from the monitoring namespace. Only the gateway takes traffic from outside, through
 * the ingress controller.
 */
import { type INetworkPolicyPeer, type INetworkPolicyPort, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { Part } from './parts.js';
import type { Peer, Values } from './values.js';
import { metadataOf, type RenderContext, selectorLabels } from './workload.js';

const portsOf = (part: Part): INetworkPolicyPort[] => [
  { protocol: 'TCP' as const, port: part.port },
  ...part.extraPorts.map((p) => ({ protocol: 'TCP' as const, port: p.port })),
];

/** A namespace by its name: the label Kubernetes (≥ 1.21) puts on every namespace. */
const namespaceSelector = (namespace: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': namespace } });

const inNamespace = (target: { namespace: string; podLabels?: Record<string, string> }): INetworkPolicyPeer => ({
  namespaceSelector: namespaceSelector(target.namespace),
  ...(target.podLabels && Object.keys(target.podLabels).length ? { podSelector: { matchLabels: target.podLabels } } : {}),
});

const peerOf = (peer: Peer): INetworkPolicyPeer =>
  'cidr' in peer ? { ipBlock: { cidr: peer.cidr, ...(peer.except?.length ? { except: peer.except } : {}) } } : inNamespace(peer);

/** Every Emporium pod of this installation: the default deny's selector. */
export function defaultDeny(ctx: RenderContext) {
  return new NetworkPolicy({
    metadata: {
      name: 'emporium-default-deny',
      namespace: ctx.values.namespace,
      labels: { 'app.kubernetes.io/instance': ctx.values.instance, 'app.kubernetes.io/part-of': 'emporium' },
    },
    spec: {
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': ctx.values.instance, 'app.kubernetes.io/part-of': 'emporium' } },
      policyTypes: ['Ingress', 'Egress'],
    },
  });
}

export function networkPolicyOf(ctx: RenderContext, part: Part, parts: Part[]) {
  const { values } = ctx;
  const net = values.network;
  const callers = parts.filter((p) => p.calls.includes(part.name));
  const podsOf = (p: Part): INetworkPolicyPeer => ({ podSelector: { matchLabels: selectorLabels(ctx, p.name) } });

  const ingress = [
    ...(part.name === 'gateway'
      ? [{ from: [inNamespace(net.ingressController)], ports: [{ protocol: 'TCP' as const, port: part.port }] }]
      : []),
    ...(callers.length ? [{ from: callers.map(podsOf), ports: portsOf(part) }] : []),
    { from: [inNamespace(net.monitoring)], ports: [{ protocol: 'TCP' as const, port: part.port }] },
  ];

  const dns = {
    to: [inNamespace(net.dns)],
    ports: [
      { protocol: 'UDP' as const, port: 53 },
      { protocol: 'TCP' as const, port: 53 },
    ],
  };
  const callees = parts.filter((p) => part.calls.includes(p.name));
  const egress = [
    dns,
    ...callees.map((callee) => ({ to: [podsOf(callee)], ports: portsOf(callee) })),
    ...part.externals.map((name) => destination(values, name)),
  ];

  return new NetworkPolicy({
    metadata: metadataOf(ctx, part),
    spec: {
      podSelector: { matchLabels: selectorLabels(ctx, part.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    },
  });
}

function destination(values: Values, name: Part['externals'][number]) {
  const d = values.network[name];
  return { to: d.peers.map(peerOf), ports: d.ports.map((port) => ({ protocol: 'TCP' as const, port })) };
}
