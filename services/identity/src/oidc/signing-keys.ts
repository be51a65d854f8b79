import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ConfigError } from '@emporium/config';
import { inTransaction } from '@emporium/db';
import type { IdentityDb } from '../data-access/db.js';
import {
  activateSigningKey,
  insertSigningKey,
  knownSigningKeyIds,
  listLiveSigningKeys,
  lockSigningKeys,
  publishedSigningKeys,
  removeExpiredSigningKeys,
  retireSigningKey,
  type SigningKeyRow,
  type SigningKeyState,
} from '../data-access/signing-keys-repository.js';
import type { KeyLifetimes, SigningAlg, SigningKey } from './settings.js';

/*
 * The provider's signing keys, kept in identity's database so that every replica signs with the same
 * key and a rotation needs no restart:
 *
 *   next     published in the JWKS, not signing — for at least the publish-ahead time, so that every
 *            verifier's cached JWKS has it before the first token it signs arrives;
 *   current  signs (exactly one);
 *   retired  published until every token it signed has expired (retention), then
 *   removed  a tombstone: unpublished, the private key erased, the kid kept.
 *
 * A rotation makes the next key current, retires the current one and creates a new next key, in one
 * transaction under an advisory lock (one rotation at a time, whoever asks).
 */

const ENCRYPTION_KEY_VARIABLE = 'IDENTITY_OIDC_KEY_ENCRYPTION_KEY';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const seconds = (at: Date, n: number) => new Date(at.getTime() + n * 1000);
const associatedData = (kid: string) => Buffer.from(`emporium identity oidc signing key ${kid}`);

/** AES-256-GCM of a private JWK; the kid is authenticated with it, so a sealed key cannot pass for another row. */
export function sealPrivateKey(encryptionKey: Buffer, key: SigningKey): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(associatedData(key.kid));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(key), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]);
}

export function openPrivateKey(encryptionKey: Buffer, kid: string, sealed: Buffer): SigningKey {
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(kid));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    const key = JSON.parse(plain.toString('utf8')) as SigningKey;
    if (key.kid !== kid) throw new Error('kid mismatch');
    return key;
  } catch {
    // A start with another key than the one that sealed them: name the setting, never a key.
    throw new ConfigError(
      ENCRYPTION_KEY_VARIABLE,
      `does not decrypt the stored signing key ${kid} (is it the key the keys were stored with?)`,
    );
  }
}

/** RFC 7638 thumbprint of the public key: the kid of a generated key. */
export function jwkThumbprint(key: SigningKey): string {
  const members = key.kty === 'EC' ? { crv: key.crv, kty: key.kty, x: key.x, y: key.y } : { crv: key.crv, kty: key.kty, x: key.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** A fresh private signing key: ES256 on P-256, or EdDSA on Ed25519. */
export function generateSigningKey(alg: SigningAlg): SigningKey {
  const { privateKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const key = { ...jwk, kid: '', alg, use: 'sig' } as SigningKey;
  key.kid = jwkThumbprint(key);
  return key;
}

function newRow(encryptionKey: Buffer, key: SigningKey, state: SigningKeyState, now: Date, retentionSeconds: number): SigningKeyRow {
  return {
    kid: key.kid,
    alg: key.alg,
    state,
    encrypted_private_jwk: sealPrivateKey(encryptionKey, key),
    published_at: now,
    activated_at: state === 'current' ? now : null,
    retired_at: state === 'retired' ? now : null,
    remove_after: state === 'retired' ? seconds(now, retentionSeconds) : null,
    removed_at: null,
  };
}

/** Throws the ConfigError of openPrivateKey unless `encryptionKey` opens every stored key. */
function assertOpens(encryptionKey: Buffer, rows: SigningKeyRow[]): void {
  for (const row of rows) openPrivateKey(encryptionKey, row.kid, row.encrypted_private_jwk!);
}

const algOf = (row: SigningKeyRow | undefined): SigningAlg => (row?.alg === 'EdDSA' ? 'EdDSA' : 'ES256');

/**
 * At start: imports the keys of IDENTITY_OIDC_JWKS the table has never held (the first becomes
 * current when no key is: existing deployments keep their key; the others are published as retired),
 * creates a current key when there is none (nothing can trust an older one yet) and a next key when
 * there is none. Replicas starting together do this one at a time.
 */
export async function prepareSigningKeys(
  db: IdentityDb,
  encryptionKey: Buffer,
  imports: SigningKey[],
  lifetimes: KeyLifetimes,
  now: Date,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await lockSigningKeys(trx);
    await removeExpiredSigningKeys(trx, now);
    const known = await knownSigningKeyIds(
      trx,
      imports.map((k) => k.kid),
    );
    const live = await listLiveSigningKeys(trx);
    assertOpens(encryptionKey, live);
    let current = live.find((k) => k.state === 'current');
    for (const key of imports) {
      if (known.has(key.kid)) continue;
      const row = newRow(encryptionKey, key, current ? 'retired' : 'current', now, lifetimes.retentionSeconds);
      await insertSigningKey(trx, row);
      current ??= row;
    }
    if (!current) {
      current = newRow(encryptionKey, generateSigningKey('ES256'), 'current', now, lifetimes.retentionSeconds);
      await insertSigningKey(trx, current);
    }
    if (!live.some((k) => k.state === 'next'))
      await insertSigningKey(trx, newRow(encryptionKey, generateSigningKey(algOf(current)), 'next', now, lifetimes.retentionSeconds));
  });
}

/** What a provider is built with: the private keys to publish, the signing one first. */
export interface KeySet {
  /** The current key: it signs. */
  signing: SigningKey;
  /**
   * Every published key. Only the first signs: the others are marked `key_ops: ["verify"]`, which
   * both oidc-provider (choosing a key to sign with) and every verifier (choosing one to verify with) honour.
   */
  keys: SigningKey[];
  /** Changes whenever the published set or the signing key does. */
  fingerprint: string;
}

/** The published keys at `now`, decrypted. */
export async function loadKeySet(db: IdentityDb, encryptionKey: Buffer, now: Date): Promise<KeySet> {
  const rows = await publishedSigningKeys(db, now);
  const current = rows.find((r) => r.state === 'current');
  if (!current) throw new Error('no current signing key: identity has not prepared its keys (prepareSigningKeys)');
  const open = (row: SigningKeyRow) => openPrivateKey(encryptionKey, row.kid, row.encrypted_private_jwk!);
  const signing = open(current);
  const others = rows
    .filter((r) => r !== current)
    .map((row) => {
      const { use: _use, key_ops: _ops, ...key } = open(row);
      return { ...key, key_ops: ['verify'] } as SigningKey;
    });
  return {
    signing,
    keys: [signing, ...others],
    fingerprint: [current, ...rows.filter((r) => r !== current)].map((r) => `${r.kid}:${r.state}`).join(','),
  };
}

export type RotationOutcome =
  | {
      rotated: true;
      /** The former next key: it signs from now on. */
      signing: string;
      /** The former current key, published until `retiredUntil`. */
      retired: string;
      retiredUntil: Date;
      /** The new next key, published now; it may sign from `nextReadyAt`. */
      next: string;
      nextReadyAt: Date;
    }
  | { rotated: false; reason: 'not_due' | 'next_not_ready' | 'no_keys'; message: string; retryAt?: Date };

/**
 * One rotation: the next key signs, the current one retires, a new next key is published. Refused
 * while the next key has been published for less than the publish-ahead time (a verifier might not
 * know it yet). With `onlyWhenDue` (the schedule), only once the current key has signed for the
 * rotation period. Retired keys past their retention are removed on the way.
 */
export async function rotateSigningKeys(
  db: IdentityDb,
  encryptionKey: Buffer,
  lifetimes: KeyLifetimes,
  now: Date,
  options: { onlyWhenDue?: boolean } = {},
): Promise<RotationOutcome> {
  return inTransaction(db, async (trx) => {
    await lockSigningKeys(trx);
    await removeExpiredSigningKeys(trx, now);
    const live = await listLiveSigningKeys(trx);
    // A new key sealed with another encryption key than the others would stop every replica.
    assertOpens(encryptionKey, live);
    const current = live.find((k) => k.state === 'current');
    if (!current)
      return {
        rotated: false,
        reason: 'no_keys',
        message: 'there is no signing key yet: start identity once with its OpenID provider on (IDENTITY_ISSUER)',
      } as const;
    const dueAt = seconds(current.activated_at!, lifetimes.rotationSeconds);
    if (options.onlyWhenDue && now < dueAt)
      return {
        rotated: false,
        reason: 'not_due',
        message: `key ${current.kid} signs until ${dueAt.toISOString()}`,
        retryAt: dueAt,
      } as const;

    let next = live.find((k) => k.state === 'next');
    if (!next) {
      next = newRow(encryptionKey, generateSigningKey(algOf(current)), 'next', now, lifetimes.retentionSeconds);
      await insertSigningKey(trx, next);
    }
    const readyAt = seconds(next.published_at, lifetimes.publishAheadSeconds);
    if (now < readyAt) {
      const published = Math.floor((now.getTime() - next.published_at.getTime()) / 1000);
      return {
        rotated: false,
        reason: 'next_not_ready',
        message:
          `the next key ${next.kid} has been published for ${published} s; it may sign only ${lifetimes.publishAheadSeconds} s ` +
          `after it was published (IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS), so that every verifier knows it: try again from ${readyAt.toISOString()}`,
        retryAt: readyAt,
      } as const;
    }

    const retiredUntil = seconds(now, lifetimes.retentionSeconds);
    await retireSigningKey(trx, current.kid, now, retiredUntil);
    await activateSigningKey(trx, next.kid, now);
    const fresh = newRow(encryptionKey, generateSigningKey(algOf(next)), 'next', now, lifetimes.retentionSeconds);
    await insertSigningKey(trx, fresh);
    return {
      rotated: true,
      signing: next.kid,
      retired: current.kid,
      retiredUntil,
      next: fresh.kid,
      nextReadyAt: seconds(now, lifetimes.publishAheadSeconds),
    } as const;
  });
}
