import type { BackgroundJob, ServiceContext } from '@emporium/service';
import type { IdentityConfig } from '../config.js';
import type { IdentityDatabase } from '../data-access/tables.js';
import { oidcSettingsOf } from '../oidc/settings.js';
import { oidcPayloadPurgeJob } from './purge-oidc-payloads.js';
import { signingKeyRotationJob } from './signing-key-rotation.js';

/** Identity's loops beside its HTTP server: the scheduled key rotation (provider on) and the purge of expired provider records. */
export function identityJobs(ctx: ServiceContext<IdentityDatabase, IdentityConfig>): BackgroundJob[] {
  const { config, db, logger } = ctx;
  const now = () => new Date();
  const oidc = oidcSettingsOf(config);
  return [
    ...(oidc
      ? [
          signingKeyRotationJob({
            db,
            encryptionKey: oidc.keyEncryptionKey,
            lifetimes: oidc.keyLifetimes,
            intervalMs: oidc.keyPollIntervalMs,
            now,
            logger,
          }),
        ]
      : []),
    oidcPayloadPurgeJob({
      db,
      graceSeconds: config.IDENTITY_OIDC_PURGE_GRACE_SECONDS,
      batchSize: config.IDENTITY_OIDC_PURGE_BATCH_SIZE,
      intervalMs: config.IDENTITY_OIDC_PURGE_INTERVAL_MS,
      now,
      logger,
    }),
  ];
}
