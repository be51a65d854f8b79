import { randomUUID } from 'node:crypto';
import { authorize, type Principal } from '@emporium/auth';
import type { NotificationsDb } from '../data-access/db.js';
import { type EndpointRecord, insertEndpoint } from '../data-access/endpoints-repository.js';
import { notificationsPolicy } from '../policy.js';
import { isWebhookUrl, newWebhookSecret } from './endpoint-rules.js';
import { endpointExists, invalidEndpointUrl } from './errors.js';

/**
 * Registers a partner endpoint; from now on every new notification is also sent to it. The
 * signing secret is the one given, or a new one — returned this once, never shown again. The
 * endpoint keeps who registered it (the audit trail, in the same statement).
 */
export async function registerEndpoint(
  db: NotificationsDb,
  principal: Principal,
  input: { partner: string; url: string; secret?: string | undefined },
): Promise<EndpointRecord & { secret: string }> {
  authorize(notificationsPolicy(principal), 'register', 'Endpoint');
  if (!isWebhookUrl(input.url)) throw invalidEndpointUrl();
  const secret = input.secret ?? newWebhookSecret();
  const endpoint = await insertEndpoint(db, {
    id: randomUUID(),
    partner: input.partner,
    url: input.url,
    secret,
    source: 'api',
    createdBy: principal.subject,
  });
  if (!endpoint) throw endpointExists(input.partner);
  return { ...endpoint, secret };
}
