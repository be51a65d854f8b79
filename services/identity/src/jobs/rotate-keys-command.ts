import { defineConfig, loadConfig } from '@emporium/config';
import { createDb } from '@emporium/db';
import { identityConfig } from '../config.js';
import type { IdentityDatabase } from '../data-access/tables.js';
import { keyLifetimesOf, parseKeyEncryptionKey } from '../oidc/settings.js';
import { rotateSigningKeys } from '../oidc/signing-keys.js';

/** What `emporium rotate-keys` reads: identity's database, its key encryption key, and the durations of the key lifecycle. */
export const rotateKeysConfig = defineConfig({
  DATABASE_URL: identityConfig.DATABASE_URL,
  IDENTITY_OIDC_KEY_ENCRYPTION_KEY: { ...identityConfig.IDENTITY_OIDC_KEY_ENCRYPTION_KEY, optional: false },
  IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS: identityConfig.IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS,
  IDENTITY_OIDC_KEY_ROTATION_SECONDS: identityConfig.IDENTITY_OIDC_KEY_ROTATION_SECONDS,
  IDENTITY_OIDC_KEY_RETENTION_LEEWAY_SECONDS: identityConfig.IDENTITY_OIDC_KEY_RETENTION_LEEWAY_SECONDS,
  IDENTITY_OIDC_KEY_POLL_INTERVAL_MS: identityConfig.IDENTITY_OIDC_KEY_POLL_INTERVAL_MS,
  IDENTITY_OIDC_ACCESS_TOKEN_TTL_SECONDS: identityConfig.IDENTITY_OIDC_ACCESS_TOKEN_TTL_SECONDS,
});

/** EX_TEMPFAIL (sysexits.h): the next key is too recent; the same command succeeds later. */
export const ROTATION_NOT_READY = 75;

/**
 * One rotation now, from the environment (the same settings as the identity service): the next key
 * signs, the current one retires, a new next key is published. The replicas pick the change up
 * within IDENTITY_OIDC_KEY_POLL_INTERVAL_MS, without a restart. Prints the kids; returns the exit code.
 * A bad setting throws its ConfigError (the caller prints it).
 */
export async function rotateKeysCommand(
  env: Record<string, string | undefined>,
  io: { out: (line: string) => void; err: (line: string) => void },
  now: () => Date = () => new Date(),
): Promise<number> {
  const config = loadConfig(rotateKeysConfig, env);
  const encryptionKey = parseKeyEncryptionKey(config.IDENTITY_OIDC_KEY_ENCRYPTION_KEY);
  const db = createDb<IdentityDatabase>(config.DATABASE_URL, { max: 1, applicationName: 'emporium rotate-keys' });
  try {
    const outcome = await rotateSigningKeys(db, encryptionKey, keyLifetimesOf(config), now());
    if (!outcome.rotated) {
      io.err(`identity: keys not rotated: ${outcome.message}`);
      return outcome.reason === 'next_not_ready' ? ROTATION_NOT_READY : 1;
    }
    io.out(`signing:  ${outcome.signing}`);
    io.out(`retired:  ${outcome.retired} (published until ${outcome.retiredUntil.toISOString()})`);
    io.out(`next:     ${outcome.next} (published now; may sign from ${outcome.nextReadyAt.toISOString()})`);
    return 0;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') {
      io.err('identity: the key table does not exist: run `emporium migrate identity` (or start identity) first');
      return 1;
    }
    throw error;
  } finally {
    await db.destroy();
  }
}
