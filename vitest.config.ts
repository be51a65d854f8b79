import { defineConfig } from 'vitest/config';

// EMPORIUM_TEST_MODE=embedded (default): embedded PostgreSQL and the embedded transport.
// EMPORIUM_TEST_MODE=real: TEST_DATABASE_URL and TEST_AMQP_URL, plus the *.real.test.ts suites.
const mode = process.env.EMPORIUM_TEST_MODE === 'real' ? 'real' : 'embedded';

export default defineConfig({
  resolve: { conditions: ['@emporium/source'] },
  ssr: { resolve: { conditions: ['@emporium/source'] } },
  test: {
    include: mode === 'real' ? ['**/test/**/*.test.ts'] : ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', ...(mode === 'real' ? [] : ['**/*.real.test.ts'])],
    globalSetup: ['./platform/testing/src/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
