/**
 * The observability assets in deploy/ are only worth shipping if they match the system: every
 * alert rule passes its `promtool test rules` cases, every dashboard parses, and every metric a
 * dashboard or rule queries is one the running services really export on /metrics.
 */
import path from 'node:path';
import { testMode, uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/services.js';
import {
  dashboardExpressions,
  loadDashboards,
  loadRules,
  metricFamilies,
  metricNamesIn,
  PROMETHEUS_CONFIG,
  PROMTOOL_INSTALL,
  panelsOf,
  promtool,
  promtoolAvailable,
  readYaml,
  ruleFiles,
  ruleTestFiles,
  selectableNames,
} from './support/observability-assets.js';
import { startTestSystem } from './support/distributed.js';
import { startInProcessSystem } from './support/in-process.js';
import { checkout, DEMO_SKUS, orderBody, type Shop, waitForStatus } from './support/shop.js';

/** Grafana's reference to the dashboard's datasource variable. */
const DATASOURCE_VARIABLE = ['$', '{datasource}'].join('');

const rules = loadRules();
const alerts = rules.filter((r) => r.alert);
const dashboards = loadDashboards();

describe('alert rules', () => {
  it('ship the alerts the runbook promises, each with a severity, a summary, a description and a runbook note', () => {
    const names = new Set(alerts.map((a) => a.alert));
    for (const expected of [
      'ServiceDown',
      'HighErrorRate',
      'LatencySLOBurn',
      'OutboxBacklogOld',
      'MessagesParked',
      'SagasStuck',
      'PaymentsUnknownOutcome',
      'ReconciliationMismatch',
      'BrokerDisconnected',
    ]) {
      expect(names, `alert ${expected}`).toContain(expected);
    }
    for (const a of alerts) {
      expect(['critical', 'warning'], `${a.alert} severity`).toContain(a.labels?.severity);
      for (const key of ['summary', 'description', 'runbook']) {
        expect(a.annotations?.[key]?.trim().length ?? 0, `${a.alert} annotation ${key}`).toBeGreaterThan(20);
      }
    }
  });

  it('have a promtool case where each alert fires and one where it stays quiet', () => {
    const fires = new Set<string>();
    const quiet = new Set<string>();
    for (const file of ruleTestFiles()) {
      const suite = readYaml(file);
      expect(suite.rule_files?.length, `${path.basename(file)} rule_files`).toBeGreaterThan(0);
      for (const test of suite.tests ?? []) {
        for (const c of test.alert_rule_test ?? []) {
          ((c.exp_alerts ?? []).length > 0 ? fires : quiet).add(c.alertname);
        }
      }
    }
    for (const name of new Set(alerts.map((a) => a.alert as string))) {
      expect(fires, `a case where ${name} fires`).toContain(name);
      expect(quiet, `a case where ${name} stays quiet`).toContain(name);
    }
  });

  const havePromtool = promtoolAvailable();
  const mustRun = process.env.EMPORIUM_REQUIRE_REAL === '1';
  if (!havePromtool && !mustRun) {
    console.warn(
      `\n!!! SKIPPED: promtool is not installed, so the alert rules' unit tests did not run.\n!!! Install it: ${PROMTOOL_INSTALL}\n`,
    );
  }
  it.skipIf(!havePromtool && !mustRun)(
    `pass \`promtool check rules\` and \`promtool test rules\`${havePromtool || mustRun ? '' : ' (SKIPPED: promtool is not installed)'}`,
    () => {
      if (!havePromtool) throw new Error(`promtool is required here (EMPORIUM_REQUIRE_REAL=1); install it: ${PROMTOOL_INSTALL}`);
      const check = promtool(['check', 'rules', ...ruleFiles()]);
      expect(check.status, check.output).toBe(0);
      const config = promtool(['check', 'config', '--syntax-only', PROMETHEUS_CONFIG]);
      expect(config.status, config.output).toBe(0);
      const unit = promtool(['test', 'rules', ...ruleTestFiles()]);
      expect(unit.status, unit.output).toBe(0);
      expect(unit.output).toMatch(/SUCCESS/);
    },
  );
});

describe('Prometheus scrape configuration', () => {
  it('scrapes every part of the system on its default port, and loads the alert rules', () => {
    const config = readYaml(PROMETHEUS_CONFIG);
    const jobs = new Map<string, any>((config.scrape_configs as any[]).map((j) => [j.job_name, j]));
    for (const entry of SYSTEM) {
      const name = entry.module.name;
      const port = (entry.module.configSchema as Record<string, { default?: unknown }>).PORT?.default;
      const job = jobs.get(name);
      expect(job, `scrape job ${name}`).toBeDefined();
      expect(job.metrics_path ?? '/metrics').toBe('/metrics');
      expect(job.static_configs.flatMap((s: any) => s.targets)).toContain(`${name}:${port}`);
    }
    expect(config.rule_files).toEqual(expect.arrayContaining(['rules/*.yml']));
  });
});

describe('Grafana dashboards', () => {
  it('parse, and each has a uid, a title, the datasource variable and panels that query it', () => {
    expect(dashboards.map((d) => path.basename(d.file)).sort()).toEqual([
      'checkout-and-money.json',
      'messaging.json',
      'service-drilldown.json',
      'system-overview.json',
    ]);
    const uids = new Set<string>();
    for (const { file, json } of dashboards) {
      const name = path.basename(file);
      expect(json.uid, `${name} uid`).toMatch(/^[\w-]{1,40}$/);
      expect(uids.has(json.uid), `${name} uid is unique`).toBe(false);
      uids.add(json.uid);
      expect(json.title, `${name} title`).toBeTruthy();
      expect(json.schemaVersion, `${name} schemaVersion`).toBeGreaterThanOrEqual(36);
      expect(
        (json.templating?.list ?? []).some((v: any) => v.type === 'datasource' && v.name === 'datasource'),
        `${name} has a $datasource variable`,
      ).toBe(true);
      const graphs = panelsOf(json).filter((p) => p.type !== 'row' && p.type !== 'text');
      expect(graphs.length, `${name} panels`).toBeGreaterThan(2);
      for (const panel of graphs) {
        expect(panel.targets?.length ?? 0, `${name}: panel "${panel.title}" has targets`).toBeGreaterThan(0);
        expect(panel.datasource?.uid, `${name}: panel "${panel.title}" uses $datasource`).toBe(DATASOURCE_VARIABLE);
        for (const t of panel.targets) expect(t.expr, `${name}: panel "${panel.title}" ${t.refId}`).toBeTruthy();
      }
    }
  });

  it('a dashboard of each service lets you pick the service', () => {
    const drill = dashboards.find((d) => d.file.endsWith('service-drilldown.json'))?.json;
    const service = drill.templating.list.find((v: any) => v.name === 'service');
    expect(service?.type).toBe('query');
    expect(dashboardExpressions(drill).every((q) => q.where.startsWith('variable') || /\$service\b/.test(q.expr))).toBe(true);
  });
});

describe('the PromQL name reader', () => {
  it('finds metric names, and leaves functions, labels, keywords, ranges and Grafana variables out', () => {
    expect(
      metricNamesIn(
        'sum by (service) (rate(http_server_requests_total{status_code=~"5..", route!="x_total"}[$__rate_interval] offset 5m)) / on (service) group_left(job) up > bool 0.5e1 unless absent(emporium_x) or vector(1)',
      ).sort(),
    ).toEqual(['emporium_x', 'http_server_requests_total', 'up']);
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le) (rate(a:b_bucket[5m])))')).toEqual(['a:b_bucket']);
  });
});

/**
 * The system as each mode ships it: embedded, every part in one process on one shared transport
 * (`npm start`); real, every part its own process with its own RabbitMQ connections
 * (start-distributed, the shape of a deployment).
 */
async function startShippedSystem(): Promise<Shop & { stop(): Promise<void> }> {
  return testMode() === 'real' ? startTestSystem() : startInProcessSystem();
}

describe(`dashboards and rules query only what the services export (${testMode()} mode)`, () => {
  let system: Awaited<ReturnType<typeof startShippedSystem>> | undefined;
  let exported: Set<string>;

  beforeAll(async () => {
    system = await startShippedSystem();
    // One confirmed checkout, so the series created on first use (saga steps, consumers) exist.
    const customer = uniqueName('cust');
    const { orderId } = await checkout(system, customer, orderBody({ sku: DEMO_SKUS[DEMO_SKUS.length - 1] as string }));
    await waitForStatus(system, customer, orderId, 'confirmed');

    const families = new Map<string, string>();
    for (const [name, url] of Object.entries(system.urls)) {
      const res = await fetch(`${url}/metrics`);
      if (res.status !== 200) throw new Error(`${name} /metrics answered ${res.status}`);
      for (const [family, type] of metricFamilies(await res.text())) families.set(family, type);
    }
    exported = selectableNames(families);
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  /** Names Prometheus itself makes (`up`) and the recording rules' outputs. */
  const known = new Set(['up', ...rules.flatMap((r) => (r.record ? [r.record] : []))]);

  /** The embedded transport has no connection to re-establish. */
  const notInEmbedded = new Set(['emporium_broker_reconnects_total']);

  const unexported = (queries: { where: string; expr: string }[]) =>
    queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((n) => !exported.has(n) && !known.has(n) && !(testMode() === 'embedded' && notInEmbedded.has(n)))
        .map((n) => `${n} (${where})`),
    );

  it('every metric an alert or recording rule reads is exported by a service', () => {
    expect(rules.length).toBeGreaterThan(10);
    expect(unexported(rules.map((r) => ({ where: `${r.alert ?? r.record} in ${path.basename(r.file)}`, expr: r.expr })))).toEqual([]);
  });

  it('every metric a dashboard queries is exported by a service', () => {
    const queries = dashboards.flatMap((d) =>
      dashboardExpressions(d.json).map((q) => ({ ...q, where: `${path.basename(d.file)}: ${q.where}` })),
    );
    expect(queries.length).toBeGreaterThan(20);
    expect(unexported(queries)).toEqual([]);
  });
});
