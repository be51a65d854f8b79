/**
 * The Dockerfile read as text (fast, no podman): it keeps up with the workspace and the system.
 * The images themselves are built and run by images.real.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SYSTEM } from '@emporium/cli';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const lines = dockerfile.split('\n').map((l) => l.trim());
const stageOf = (name: string) => {
  const start = lines.findIndex((l) => new RegExp(`^FROM \\S+ AS ${name}$`).test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
  return lines.slice(start, end < 0 ? undefined : end);
};

describe('the Dockerfile', () => {
  it('copies every workspace package.json before npm ci (npm ci refuses a lockfile naming a missing workspace)', () => {
    const workspaces = [
      'contracts',
      ...['platform', 'services', 'sandboxes', 'tools'].flatMap((group) => readdirSync(path.join(root, group)).map((d) => `${group}/${d}`)),
    ].filter((dir) => existsSync(path.join(root, dir, 'package.json')));
    const build = stageOf('build') ?? [];
    const install = build.findIndex((l) => l.startsWith('RUN') && l.includes('npm ci'));
    const copied = build.slice(0, install).flatMap((l) => /^COPY (\S+)\/package\.json /.exec(l)?.[1] ?? []);
    expect(copied.sort()).toEqual(workspaces.sort());
  });

  it('has one target per part of the system, running its compiled main.js on its default port', () => {
    for (const entry of SYSTEM) {
      const stage = stageOf(entry.module.name);
      expect(stage, `a target ${entry.module.name}`).toBeDefined();
      expect(stage?.[0]).toBe(`FROM runtime AS ${entry.module.name}`);
      expect(stage).toContain(`CMD ["node", "${entry.dir}/dist/main.js"]`);
      expect(stage?.find((l) => l.startsWith('EXPOSE'))).toContain(String(entry.module.configSchema.PORT?.default));
    }
  });

  it('runs every part as uid 10001 in production mode with a node HEALTHCHECK on /healthz, on a base given by a build argument', () => {
    expect(lines[lines.findIndex((l) => l.startsWith('ARG BASE='))]).toBe('ARG BASE=node:22-bookworm-slim');
    const runtime = stageOf('runtime') ?? [];
    expect(runtime[0]).toMatch(/^FROM \$\{BASE\} AS runtime$/);
    expect(runtime).toContain('USER 10001:10001');
    expect(runtime).toContain('ENV NODE_ENV=production');
    expect(runtime.find((l) => l.startsWith('HEALTHCHECK'))).toMatch(/CMD \["node", "-e", ".*\/healthz/);
    // The CA for npm is a build secret of the install step: never an ARG, COPY or ENV.
    expect(dockerfile).not.toMatch(/^(COPY|ADD|ENV|ARG)\b.*(ca\.pem|cafile|npm_ca)/im);
  });

  it('keeps local state, secrets and build output out of the build context', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.emporium', '.test-results', '**/.env', '**/.env.*', '**/.npmrc']) {
      expect(ignored).toContain(entry);
    }
  });
});
