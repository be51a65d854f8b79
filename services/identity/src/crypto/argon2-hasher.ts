import { randomBytes } from 'node:crypto';
import { hash, type Options, parseOptions, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../domain/deps.js';

export interface Argon2Cost {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

/**
 * argon2id through @node-rs/argon2 (a prebuilt binding: no compiler, no install script). The work
 * runs on libuv's thread pool, so hashing does not block the event loop. A random 16-byte salt per
 * hash; the PHC string stores algorithm, cost and salt with the digest.
 */
export async function createArgon2Hasher(cost: Argon2Cost): Promise<PasswordHasher> {
  // 2 is Algorithm.Argon2id (a const enum, which isolated modules cannot import).
  const options: Options = { algorithm: 2, memoryCost: cost.memoryKiB, timeCost: cost.timeCost, parallelism: cost.parallelism };
  // The dummy: a hash of a random secret at today's cost, so checking an unknown e-mail costs what checking a real one costs.
  const dummy = await hash(randomBytes(32), options);
  return {
    hash: (password) => hash(password, options),
    verify: async (stored, password) => {
      try {
        return await verify(stored, password);
      } catch {
        return false; // a malformed stored hash never lets anyone in
      }
    },
    verifyDummy: async (password) => {
      await verify(dummy, password).catch(() => false);
    },
    needsRehash: (stored) => {
      try {
        const p = parseOptions(stored);
        return p.algorithm !== 2 || p.memoryCost !== cost.memoryKiB || p.timeCost !== cost.timeCost || p.parallelism !== cost.parallelism;
      } catch {
        return true;
      }
    },
  };
}
