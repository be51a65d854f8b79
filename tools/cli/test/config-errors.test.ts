/**
 * A wrong or missing setting stops a service with one line naming the variable (exit 78).
 */
import path from 'node:path';
import { spawnTs } from '@emporium/testing';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

async function runCatalog(env: Record<string, string | undefined>): Promise<{ code: number | null; lines: string[] }> {
  const child = spawnTs(path.join(root, 'services/catalog/src/main.ts'), {
    DATABASE_URL: undefined,
    AMQP_URL: undefined,
    AUTH_ISSUER: 'http://127.0.0.1:1/oidc',
    ...env,
  });
  const code = await child.exited;
  return {
    code,
    lines: child
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== ''),
  };
}

describe('configuration errors', () => {
  it('when PORT is not a number, then the process exits 78 with one line naming PORT', async () => {
    const { code, lines } = await runCatalog({ PORT: 'eighty', DATABASE_URL: 'postgres://u:secret-pw@127.0.0.1:1/x' });
    expect(code).toBe(78);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^catalog: invalid configuration: PORT: must be an integer/);
  });

  it('when DATABASE_URL is missing, then the line names DATABASE_URL', async () => {
    const { code, lines } = await runCatalog({});
    expect(code).toBe(78);
    expect(lines).toEqual([expect.stringMatching(/^catalog: invalid configuration: DATABASE_URL: is required/)]);
  });

  it('when AUTH_ISSUER is missing, then the line names it: a service never runs without checking tokens', async () => {
    const { code, lines } = await runCatalog({ AUTH_ISSUER: undefined, DATABASE_URL: 'postgres://u:secret-pw@127.0.0.1:1/x' });
    expect(code).toBe(78);
    expect(lines).toEqual([expect.stringMatching(/^catalog: invalid configuration: AUTH_ISSUER: is required/)]);
  });

  it('when a secret setting is malformed, then its value is not echoed', async () => {
    const { code, lines } = await runCatalog({ DATABASE_URL: 'mysql://u:hunter2@db/x' });
    expect(code).toBe(78);
    expect(lines[0]).toContain('DATABASE_URL');
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});
