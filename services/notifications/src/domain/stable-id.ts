import { createHash } from 'node:crypto';
import type { Channel, NotificationKind } from '../data-access/tables.js';

/** Name-based UUID, version 5 (RFC 9562 §5.5): SHA-1 of the namespace and the name. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error('namespace must be a UUID');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The namespace of every notifications id. Never change it: ids already sent would change. */
const NAMESPACE = 'b6f3c0de-4e0a-4d8e-9a51-7c2f0e6d9a13';

/**
 * One notification per order, kind and reference (the refund id for a refund): the same facts
 * always give the same id, whichever message or replica brings them.
 */
export const notificationIdOf = (orderId: string, kind: NotificationKind, ref: string) =>
  uuidV5(`notification/${orderId.toLowerCase()}/${kind}/${ref}`, NAMESPACE);

/**
 * One delivery per notification, channel and endpoint. This id is what the receiver sees and
 * deduplicates on: the e-mail's Message-ID, the webhook's `webhook-id`, the feed entry's id.
 */
export const deliveryIdOf = (notificationId: string, channel: Channel, endpointId: string | null) =>
  uuidV5(`delivery/${notificationId}/${channel}/${endpointId ?? ''}`, NAMESPACE);

/** A configured endpoint keeps its id across restarts and replicas. */
export const configuredEndpointIdOf = (partner: string, url: string) => uuidV5(`endpoint/${partner}/${url}`, NAMESPACE);

/** RFC 5322 Message-ID of an e-mail delivery: the delivery id at the sender's domain. */
export const messageIdOf = (deliveryId: string, domain: string) => `<${deliveryId}@${domain}>`;
