import type { IdentityDb } from '../data-access/db.js';
import { failureTimes, insertFailure, lockLoginKeys, pruneFailures } from '../data-access/login-failures-repository.js';
import type { IdentityDeps } from './deps.js';
import { rateLimited } from './errors.js';

/**
 * Seconds until the oldest failure that keeps the count at the limit leaves the window, or 0 when
 * the count is below the limit.
 */
function waitSeconds(times: Date[], max: number, windowSeconds: number, now: Date): number {
  if (times.length < max) return 0;
  const freedBy = times[times.length - max]!.getTime() + windowSeconds * 1000;
  return Math.max(1, Math.ceil((freedBy - now.getTime()) / 1000));
}

/**
 * The rate limits of failed attempts, per e-mail (whether or not an account has it, so the limit
 * itself says nothing about which accounts exist) and per client address. Under the advisory locks
 * of both keys: over a limit → 429 rate_limited; otherwise one attempt is RESERVED as a failure
 * before the password is checked, and the caller deletes it when the password was right. So N
 * concurrent guesses cannot all slip through a limit of 5, and a crash mid-check counts against
 * the guesser. Returns the reservation's id.
 */
export async function reserveAttempt(
  deps: IdentityDeps,
  trx: IdentityDb,
  keys: { emailKey: string | undefined; ip: string | null },
  now: Date,
): Promise<string> {
  await checkLimits(deps, trx, keys, now);
  await pruneFailures(trx, new Date(now.getTime() - deps.settings.loginWindowSeconds * 1000));
  return insertFailure(trx, { emailKey: keys.emailKey ?? null, ip: keys.ip, at: now });
}

/** Takes the keys' locks and refuses (429) when either is over its limit. */
export async function checkLimits(
  deps: IdentityDeps,
  trx: IdentityDb,
  keys: { emailKey: string | undefined; ip: string | null },
  now: Date,
): Promise<void> {
  const { loginWindowSeconds: window, maxFailuresPerAccount, maxFailuresPerIp } = deps.settings;
  await lockLoginKeys(trx, { emailKey: keys.emailKey, ip: keys.ip ?? undefined });
  const since = new Date(now.getTime() - window * 1000);
  const account =
    keys.emailKey === undefined
      ? 0
      : waitSeconds(await failureTimes(trx, { emailKey: keys.emailKey }, since), maxFailuresPerAccount, window, now);
  const address = keys.ip === null ? 0 : waitSeconds(await failureTimes(trx, { ip: keys.ip }, since), maxFailuresPerIp, window, now);
  const wait = Math.max(account, address);
  if (wait > 0) throw rateLimited(wait);
}
