import type { Logger } from '@emporium/observability';
import type { BackgroundJob } from '@emporium/service';
import type { IdentityDb } from '../data-access/db.js';
import type { KeyLifetimes } from '../oidc/settings.js';
import { rotateSigningKeys } from '../oidc/signing-keys.js';
import { every } from '@emporium/service';

export interface RotationJobOptions {
  db: IdentityDb;
  encryptionKey: Buffer;
  lifetimes: KeyLifetimes;
  intervalMs: number;
  now: () => Date;
  logger: Logger;
}

/**
 * The scheduled rotation: every replica looks each `intervalMs` whether the current key has signed
 * for the rotation period; the rotation itself runs under the key set's advisory lock and checks
 * again inside it, so one replica rotates and the others find nothing due. It also removes retired
 * keys past their retention.
 */
export function signingKeyRotationJob(options: RotationJobOptions): BackgroundJob {
  const { db, encryptionKey, lifetimes, now, logger } = options;
  let waitingFor: string | undefined;
  return every(
    'signing-key-rotation',
    options.intervalMs,
    async () => {
      const outcome = await rotateSigningKeys(db, encryptionKey, lifetimes, now(), { onlyWhenDue: true });
      if (outcome.rotated) {
        waitingFor = undefined;
        logger.info(
          { signing: outcome.signing, retired: outcome.retired, retiredUntil: outcome.retiredUntil, next: outcome.next },
          'signing keys rotated',
        );
      } else if (outcome.reason !== 'not_due' && `${outcome.reason} ${outcome.retryAt?.toISOString()}` !== waitingFor) {
        // Due, but the next key is too recent (or there are no keys): said once, tried at every tick.
        waitingFor = `${outcome.reason} ${outcome.retryAt?.toISOString()}`;
        logger.warn({ reason: outcome.reason }, `scheduled key rotation waits: ${outcome.message}`);
      }
    },
    logger,
  );
}
