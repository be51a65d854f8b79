import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// EMPORIUM_TEST_MODE=embedded (default): embedded PostgreSQL and the embedded transport.
// EMPORIUM_TEST_MODE=real: TEST_DATABASE_URL and TEST_AMQP_URL, plus the *.real.test.ts suites.
// *.embedded.test.ts suites run only in the embedded mode (e.g. the quick start of a fresh clone).
const mode = process.env.EMPORIUM_TEST_MODE === 'real' ? 'real' : 'embedded';

// Tests run the workspace packages from their TypeScript sources (their "@emporium/source" export),
// so no build is needed first.
const root = import.meta.dirname;
const alias: Record<string, string> = {};
for (const group of ['platform', 'services', 'sandboxes', 'tools', '.']) {
  const dir = path.join(root, group);
  const dirs = group === '.' ? ['contracts'] : existsSync(dir) ? readdirSync(dir) : [];
  for (const d of dirs) {
    const pkgDir = group === '.' ? path.join(root, d) : path.join(dir, d);
    const file = path.join(pkgDir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const source = pkg.exports?.['.']?.['@emporium/source'];
    if (source) alias[pkg.name] = path.join(pkgDir, source);
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', mode === 'real' ? '**/*.embedded.test.ts' : '**/*.real.test.ts'],
    globalSetup: ['./platform/testing/src/global-setup.ts'],
    pool: 'forks',
    // Test files share their worker's module cache: each file importing the platform, Fastify,
    // oidc-provider and the OpenTelemetry SDK afresh cost ~2.5 s of a 2-core CI run per file
    // (import 286 s → 43 s a pass). The code has no module-level state to leak (one composition
    // root, dependencies passed in); a file that changes process-wide state (fake timers, the
    // global tracer) restores it in its own hooks.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
