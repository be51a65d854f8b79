#!/usr/bin/env node
// The one test command (`npm test`). Runs every suite on the embedded PostgreSQL and the
// embedded transport; when TEST_DATABASE_URL and TEST_AMQP_URL are set, runs them again against
// those servers, with the *.real.test.ts suites (broker restarts, cut connections, PostgreSQL 15).
// Prints `N passed, N failed` as its last line. EMPORIUM_REQUIRE_REAL=1 (CI) fails the run when
// the real-server suites did not run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const resultsDir = path.join(root, '.test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const extraArgs = process.argv.slice(2);
const haveReal = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_AMQP_URL);
const modes = ['embedded', ...(haveReal ? ['real'] : [])];
const totals = { passed: 0, failed: 0, skipped: 0 };
let realServerTests = 0;
let exitCodes = 0;

for (const mode of modes) {
  const env = { ...process.env, EMPORIUM_TEST_MODE: mode };
  if (mode === 'embedded') delete env.TEST_DATABASE_URL; // the global setup starts its own
  const out = path.join(resultsDir, `${mode}.json`);
  console.log(
    `\n=== ${mode === 'real' ? `real servers (${redact(process.env.TEST_DATABASE_URL)}, ${redact(process.env.TEST_AMQP_URL)})` : 'embedded PostgreSQL + embedded transport'} ===\n`,
  );
  const run = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...extraArgs,
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  let report;
  try {
    report = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    console.error(`[${mode}] vitest wrote no report (exit ${run.status})`);
    totals.failed += 1;
    exitCodes ||= run.status || 1;
    continue;
  }
  const passed = report.numPassedTests;
  // A suite that failed to load has no failed test but must count as a failure.
  let failed =
    report.numFailedTests +
    report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')).length;
  if (run.status !== 0 && failed === 0) {
    // Vitest fails a run on an error outside any test (an unhandled rejection, a crash in a hook).
    console.error(`[${mode}] vitest exited ${run.status} with no failed test: an error outside the tests (see above)`);
    failed += 1;
  }
  const skipped = report.numPendingTests + report.numTodoTests;
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  if (mode === 'real') {
    realServerTests = report.testResults
      .filter((f) => f.name.endsWith('.real.test.ts'))
      .flatMap((f) => f.assertionResults)
      .filter((a) => a.status === 'passed').length;
  }
  console.log(`[${mode}] ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (run.status !== 0) exitCodes ||= run.status || 1;
}

if (process.env.EMPORIUM_REQUIRE_REAL === '1' && (!haveReal || realServerTests === 0)) {
  console.error('EMPORIUM_REQUIRE_REAL=1 but the real-server suites did not run (TEST_DATABASE_URL and TEST_AMQP_URL, *.real.test.ts)');
  totals.failed += 1;
  exitCodes ||= 1;
}
if (haveReal) console.log(`real-server-only suites: ${realServerTests} passed`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : exitCodes);

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'unset';
  }
}
