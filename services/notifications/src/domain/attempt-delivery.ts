import { type ClaimedDelivery, markDelivered, markParked, scheduleRetry } from '../data-access/deliveries-repository.js';
import type { AttemptOutcome, DeliveryDeps } from './deps.js';
import type { SendOutcome } from './ports.js';
import { afterFailure } from './retry-policy.js';

/**
 * One attempt at a delivery a worker has claimed: send it with its stable id, then record the
 * outcome — delivered, retry later (the schedule), or parked. A send that timed out may have
 * arrived: the retry carries the same id (Message-ID / webhook-id) and the same body, so the
 * receiver sees one message. Never throws; a failure to record is left to the lease.
 */
export async function attemptDelivery(deps: DeliveryDeps, d: ClaimedDelivery): Promise<AttemptOutcome | 'lease_lost'> {
  const started = performance.now();
  const outcome = await send(deps, d).catch(
    (error: unknown): SendOutcome => ({ ok: false, permanent: false, reason: `send failed: ${(error as Error).name ?? 'error'}` }),
  );
  const seconds = (performance.now() - started) / 1000;
  const log = deps.logger.child({ deliveryId: d.id, channel: d.channel, attempt: d.attempts, partner: d.endpoint?.partner });
  try {
    if (outcome.ok) {
      if (!(await markDelivered(deps.db, d.id, d.leaseToken))) return leaseLost(log);
      deps.metrics.attempt(d.channel, 'delivered', seconds);
      log.info('notification delivered');
      return 'delivered';
    }
    const next = afterFailure(d.attempts, deps.retryScheduleMs, outcome.permanent, deps.random);
    if (next.park) {
      if (!(await markParked(deps.db, d.id, d.leaseToken, outcome.reason))) return leaseLost(log);
      deps.metrics.attempt(d.channel, 'parked', seconds);
      log.error({ reason: outcome.reason }, 'notification delivery parked');
      return 'parked';
    }
    if (!(await scheduleRetry(deps.db, d.id, d.leaseToken, next.delayMs, outcome.reason))) return leaseLost(log);
    deps.metrics.attempt(d.channel, 'failed', seconds);
    log.warn({ reason: outcome.reason, retryInMs: next.delayMs }, 'notification delivery failed; will retry');
    return 'failed';
  } catch (error) {
    // The outcome could not be written (database away): the lease ends and the delivery is tried
    // again with the same id; the receiver deduplicates.
    log.error({ err: error }, 'could not record a delivery outcome');
    return 'lease_lost';
  }
}

function leaseLost(log: DeliveryDeps['logger']): 'lease_lost' {
  log.warn('delivery lease lost before its outcome was written (another worker owns it now)');
  return 'lease_lost';
}

function send(deps: DeliveryDeps, d: ClaimedDelivery): Promise<SendOutcome> {
  if (d.channel === 'email') {
    if (!d.recipient) return Promise.resolve({ ok: false, permanent: true, reason: 'no recipient' });
    return deps.email.send({ deliveryId: d.id, to: d.recipient, subject: d.emailSubject, text: d.emailText });
  }
  if (!d.endpoint) return Promise.resolve({ ok: false, permanent: true, reason: 'endpoint missing' });
  return deps.webhook.send({ deliveryId: d.id, url: d.endpoint.url, secret: d.endpoint.secret, body: d.webhookBody });
}
