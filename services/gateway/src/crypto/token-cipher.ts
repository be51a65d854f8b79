import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Tokens at rest: AES-256-GCM (NIST SP 800-38D) with a fresh 96-bit nonce per value. A stored value
 * is `key id (4 bytes) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`; the key id (the first bytes of the
 * key's SHA-256) picks the key to decrypt with, so keys can rotate. `context` is authenticated,
 * not stored: it binds a value to its row and purpose (a token copied into another session's row,
 * or from the refresh column into the access column, no longer decrypts).
 */
export interface TokenCipher {
  seal(plaintext: string, context: string): Buffer;
  /** The plaintext, or undefined when no configured key opens the value (rotated away, tampered with). */
  open(sealed: Buffer, context: string): string | undefined;
}

const KEY_ID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest().subarray(0, KEY_ID_BYTES);

export function createTokenCipher(keys: readonly Buffer[]): TokenCipher {
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new TypeError('AES-256-GCM needs 32-byte keys');
  const byId = new Map(keys.map((key) => [keyIdOf(key).toString('hex'), key]));
  const current = keys[0] as Buffer;
  const currentId = keyIdOf(current);
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([currentId, nonce, body, cipher.getAuthTag()]);
    },
    open(sealed, context) {
      if (sealed.length < KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES) return undefined;
      const key = byId.get(sealed.subarray(0, KEY_ID_BYTES).toString('hex'));
      if (!key) return undefined;
      const nonce = sealed.subarray(KEY_ID_BYTES, KEY_ID_BYTES + NONCE_BYTES);
      const body = sealed.subarray(KEY_ID_BYTES + NONCE_BYTES, sealed.length - TAG_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
