import { randomBytes } from 'node:crypto';
import { ConfigError } from '@emporium/config';
import { type Db, sql } from '@emporium/db';
import { afterAll, describe, expect, it } from 'vitest';
import { type IdentityDatabase, ROTATION_NOT_READY, rotateKeysCommand } from '../src/index.js';
import type { KeyLifetimes, SigningKey } from '../src/oidc/settings.js';
import { jwkThumbprint, loadKeySet, openPrivateKey, prepareSigningKeys, rotateSigningKeys } from '../src/oidc/signing-keys.js';
import { aMigratedDatabase } from './key-support.js';
import { anEs256Key } from './oidc-support.js';

/** A key of IDENTITY_OIDC_JWKS, as the settings hand it over. */
const anImport = () => anEs256Key() as SigningKey;

const LIFETIMES: KeyLifetimes = { publishAheadSeconds: 600, rotationSeconds: 86_400, retentionSeconds: 3_905 };
const T0 = new Date('2026-03-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const opened: Db<IdentityDatabase>[] = [];
afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()));
});

/** A database of the test's own, its keys prepared at T0 (as identity's first start does). */
async function keyTable(imports = [anImport()], encryptionKey = randomBytes(32)) {
  const { db, url } = await aMigratedDatabase();
  opened.push(db);
  await prepareSigningKeys(db, encryptionKey, imports, LIFETIMES, T0);
  return { db, url, encryptionKey, imports };
}

interface Row {
  kid: string;
  state: string;
  encrypted_private_jwk: Buffer | null;
}
const rowsOf = async (db: Db<IdentityDatabase>) =>
  (await sql<Row>`SELECT kid, state, encrypted_private_jwk FROM oidc_signing_keys ORDER BY published_at, kid`.execute(db)).rows;

const configRefusal = (work: () => Promise<unknown>) =>
  work().then(
    () => {
      throw new Error('accepted');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    },
  );

describe('signing keys at rest', () => {
  it('when identity first starts with IDENTITY_OIDC_JWKS, then that key signs, a next key is published beside it, and neither is stored in the clear', async () => {
    const { db, encryptionKey, imports } = await keyTable();
    const [imported] = imports;

    const keys = await loadKeySet(db, encryptionKey, T0);
    expect(keys.signing).toEqual(imported);
    expect(keys.keys).toHaveLength(2);
    const next = keys.keys[1]!;
    // Published to verify only: oidc-provider never picks it to sign, verifiers take it to verify.
    expect(next).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', key_ops: ['verify'] });
    expect(next.use).toBeUndefined();
    expect(next.kid).toBe(jwkThumbprint(next));

    for (const row of await rowsOf(db)) {
      const stored = row.encrypted_private_jwk!.toString('latin1');
      expect(stored).not.toContain('"d"');
      const key = openPrivateKey(encryptionKey, row.kid, row.encrypted_private_jwk!);
      expect(stored).not.toContain(key.d);
    }
    expect((await rowsOf(db)).map((r) => r.state).sort()).toEqual(['current', 'next']);

    // A restart changes nothing: the key is known, the next key is there.
    await prepareSigningKeys(db, encryptionKey, imports, LIFETIMES, at(60));
    expect((await loadKeySet(db, encryptionKey, at(60))).fingerprint).toBe(keys.fingerprint);
  });

  it('when no key is given, then one is generated to sign (ES256, its kid the RFC 7638 thumbprint)', async () => {
    const { db, encryptionKey } = await keyTable([]);
    const keys = await loadKeySet(db, encryptionKey, T0);
    expect(keys.signing).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', d: expect.any(String) });
    expect(keys.signing.kid).toBe(jwkThumbprint(keys.signing));
    expect(keys.keys).toHaveLength(2);
  });

  it('when the encryption key is another one, then the keys are neither used nor added to, naming the setting and no secret', async () => {
    const { db } = await keyTable();
    const other = randomBytes(32);
    for (const work of [
      () => loadKeySet(db, other, T0),
      () => prepareSigningKeys(db, other, [anImport()], LIFETIMES, T0),
      () => rotateSigningKeys(db, other, LIFETIMES, at(3_600)),
    ]) {
      const message = await configRefusal(work);
      expect(message).toMatch(/^IDENTITY_OIDC_KEY_ENCRYPTION_KEY: does not decrypt the stored signing key /);
      expect(message).not.toContain(other.toString('base64'));
    }
    expect(await rowsOf(db)).toHaveLength(2);
  });
});

describe('rotation', () => {
  it('when rotated before the next key was published for the publish-ahead time, then it is refused saying until when', async () => {
    const { db, encryptionKey } = await keyTable();
    const before = await loadKeySet(db, encryptionKey, T0);
    const outcome = await rotateSigningKeys(db, encryptionKey, LIFETIMES, at(599));
    expect(outcome).toMatchObject({ rotated: false, reason: 'next_not_ready', retryAt: at(600) });
    if (outcome.rotated) throw new Error('rotated');
    expect(outcome.message).toContain('IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS');
    expect(outcome.message).toContain(at(600).toISOString());
    expect((await loadKeySet(db, encryptionKey, at(599))).fingerprint).toBe(before.fingerprint);
  });

  it('when rotated, then the next key signs, the old one stays published until its tokens expired, then it is removed for good', async () => {
    const { db, encryptionKey, imports } = await keyTable();
    const before = await loadKeySet(db, encryptionKey, T0);
    const [oldKid, nextKid] = before.keys.map((k) => k.kid);

    const outcome = await rotateSigningKeys(db, encryptionKey, LIFETIMES, at(600));
    expect(outcome).toMatchObject({ rotated: true, signing: nextKid, retired: oldKid, retiredUntil: at(600 + LIFETIMES.retentionSeconds) });
    if (!outcome.rotated) throw new Error(outcome.message);
    expect(outcome.nextReadyAt).toEqual(at(1_200));

    const after = await loadKeySet(db, encryptionKey, at(600));
    expect(after.signing.kid).toBe(nextKid);
    expect(after.keys.map((k) => k.kid).sort()).toEqual([oldKid, nextKid, outcome.next].sort());
    // The retired key verifies only; the signing key is the one oidc-provider finds first.
    expect(after.keys.find((k) => k.kid === oldKid)).toMatchObject({ key_ops: ['verify'] });
    expect(after.keys[0]!.key_ops).toBeUndefined();

    const lastDay = at(600 + LIFETIMES.retentionSeconds - 1);
    expect((await loadKeySet(db, encryptionKey, lastDay)).keys.map((k) => k.kid)).toContain(oldKid);
    const expired = await loadKeySet(db, encryptionKey, at(600 + LIFETIMES.retentionSeconds));
    expect(expired.keys.map((k) => k.kid)).not.toContain(oldKid);
    expect(expired.fingerprint).not.toBe(after.fingerprint);

    // The next rotation erases it: a tombstone without key material, never imported again.
    await rotateSigningKeys(db, encryptionKey, LIFETIMES, at(600 + LIFETIMES.retentionSeconds));
    expect((await rowsOf(db)).find((r) => r.kid === oldKid)).toEqual({ kid: oldKid, state: 'removed', encrypted_private_jwk: null });
    await prepareSigningKeys(db, encryptionKey, imports, LIFETIMES, at(600 + LIFETIMES.retentionSeconds + 1));
    expect((await rowsOf(db)).find((r) => r.kid === oldKid)?.state).toBe('removed');
  });

  it('when two rotations race, then one rotates and the other finds the new next key too recent', async () => {
    const { db, encryptionKey } = await keyTable();
    const outcomes = await Promise.all([0, 1, 2].map(() => rotateSigningKeys(db, encryptionKey, LIFETIMES, at(700))));
    expect(outcomes.filter((o) => o.rotated)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.rotated).map((o) => !o.rotated && o.reason)).toEqual(['next_not_ready', 'next_not_ready']);
    const states = (await rowsOf(db)).map((r) => r.state).sort();
    expect(states).toEqual(['current', 'next', 'retired']);
  });

  it('when the schedule asks before the rotation period ends, then nothing changes; once it has, the keys rotate', async () => {
    const { db, encryptionKey } = await keyTable();
    const early = await rotateSigningKeys(db, encryptionKey, LIFETIMES, at(LIFETIMES.rotationSeconds - 1), { onlyWhenDue: true });
    expect(early).toMatchObject({ rotated: false, reason: 'not_due', retryAt: at(LIFETIMES.rotationSeconds) });
    const due = await rotateSigningKeys(db, encryptionKey, LIFETIMES, at(LIFETIMES.rotationSeconds), { onlyWhenDue: true });
    expect(due.rotated).toBe(true);
  });

  it('when a key is imported while another signs, then it is published as retired and never signs', async () => {
    const { db, encryptionKey, imports } = await keyTable();
    const added = anImport();
    await prepareSigningKeys(db, encryptionKey, [...imports, added], LIFETIMES, at(10));
    const keys = await loadKeySet(db, encryptionKey, at(10));
    expect(keys.signing.kid).toBe(imports[0]!.kid);
    expect(keys.keys.find((k) => k.kid === added.kid)).toMatchObject({ key_ops: ['verify'] });
    expect((await rowsOf(db)).find((r) => r.kid === added.kid)?.state).toBe('retired');
  });
});

describe('emporium rotate-keys', () => {
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } };
  };

  it('when run with identity’s database and encryption key, then it rotates once and prints the kids; at once again, it refuses (exit 75)', async () => {
    const { db, url, encryptionKey } = await keyTable();
    const [oldKid, nextKid] = (await loadKeySet(db, encryptionKey, T0)).keys.map((k) => k.kid);
    const env = {
      DATABASE_URL: url,
      IDENTITY_OIDC_KEY_ENCRYPTION_KEY: encryptionKey.toString('base64url'),
      IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS: String(LIFETIMES.publishAheadSeconds),
    };

    const first = io();
    expect(await rotateKeysCommand(env, first.io, () => at(600))).toBe(0);
    expect(first.lines.out.join('\n')).toMatch(new RegExp(`signing: +${nextKid}[\\s\\S]*retired: +${oldKid}[\\s\\S]*next: +\\S+`));
    expect((await loadKeySet(db, encryptionKey, at(600))).signing.kid).toBe(nextKid);

    const second = io();
    expect(await rotateKeysCommand(env, second.io, () => at(601))).toBe(ROTATION_NOT_READY);
    expect(second.lines.err.join('\n')).toContain('IDENTITY_OIDC_KEY_PUBLISH_AHEAD_SECONDS');
    expect(second.lines.out).toEqual([]);
  });

  it('when the encryption key is missing or malformed, then it stops naming the variable', async () => {
    const { url } = await keyTable();
    const missing = await configRefusal(() => rotateKeysCommand({ DATABASE_URL: url }, io().io));
    expect(missing).toMatch(/^IDENTITY_OIDC_KEY_ENCRYPTION_KEY: is required/);
    const short = await configRefusal(() =>
      rotateKeysCommand({ DATABASE_URL: url, IDENTITY_OIDC_KEY_ENCRYPTION_KEY: 'c2hvcnQ=' }, io().io),
    );
    expect(short).toBe('IDENTITY_OIDC_KEY_ENCRYPTION_KEY: must be 32 bytes in base64 or base64url');
  });
});
