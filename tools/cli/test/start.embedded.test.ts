/**
 * The README's start line on a fresh checkout: `npm start` builds, starts the embedded
 * PostgreSQL and every service, prints the URLs, and the gateway answers with the demo catalog.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePortBlock } from '@emporium/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

describe('the quick start (embedded mode)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'emporium-start-'));
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when `npm start` runs, then the URLs are printed and the gateway serves the seed catalog; SIGTERM stops it cleanly', async () => {
    const portBase = await freePortBlock(); // the system's parts sit at offsets up to +30
    const pgPort = portBase + 31; // free with the block, and no part of the system uses +31
    child = spawn(
      'npm',
      [
        'start',
        '--',
        '--clean',
        '--data-dir',
        dataDir,
        '--port-base',
        String(portBase),
        '--pg-port',
        String(pgPort),
        '--log-level',
        'warn',
      ],
      {
        cwd: root,
        env: { ...process.env, EMPORIUM_TEST_MODE: undefined, TEST_DATABASE_URL: undefined },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let output = '';
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const gatewayUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URLs printed:\n${output}`)), 150_000);
      child?.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
        const m = /gateway\s+(http:\/\/\S+)/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child?.on('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}`)));
    });

    const res = await fetch(`${gatewayUrl}/api/catalog/products?limit=100`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { name: string }[] };
    expect(body.items.length).toBeGreaterThanOrEqual(30);

    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    // SIGTERM to the system's own process (npm → sh → node), as an orchestrator would send it;
    // it drains and exits 0, and npm passes that code on.
    const ps = execFileSync('ps', ['-o', 'pid=,args=', '-g', String(child.pid)]).toString();
    const line = ps.split('\n').find((l) => /^\s*\d+\s+\S*node\s+\S*tools\/cli\/dist\/main\.js start/.test(l));
    expect(line).toBeTruthy();
    process.kill(Number.parseInt(String(line).trim(), 10), 'SIGTERM');
    expect(await exited).toBe(0);
  }, 200_000);
});
