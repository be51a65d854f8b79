/**
 * Reading the observability assets shipped in deploy/ (Grafana dashboards, Prometheus rules and
 * scrape configuration) and the metric names a PromQL expression refers to, so a test can hold
 * them against what the services really export on /metrics.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
export const DEPLOY = path.join(REPO_ROOT, 'deploy');
export const DASHBOARDS_DIR = path.join(DEPLOY, 'grafana/dashboards');
export const RULES_DIR = path.join(DEPLOY, 'prometheus/rules');
export const RULE_TESTS_DIR = path.join(DEPLOY, 'prometheus/tests');
export const PROMETHEUS_CONFIG = path.join(DEPLOY, 'prometheus/prometheus.yml');

const filesIn = (dir: string, ext: RegExp) =>
  readdirSync(dir)
    .filter((f) => ext.test(f))
    .sort()
    .map((f) => path.join(dir, f));

export const readYaml = (file: string): any => parseYaml(readFileSync(file, 'utf8'));

// ── Dashboards ──────────────────────────────────────────────────────────────────────────────

export interface Dashboard {
  file: string;
  json: any;
}

export const loadDashboards = (): Dashboard[] =>
  filesIn(DASHBOARDS_DIR, /\.json$/).map((file) => ({ file, json: JSON.parse(readFileSync(file, 'utf8')) }));

/** Every panel, rows' nested panels included. */
export function panelsOf(dashboard: any): any[] {
  const out: any[] = [];
  const walk = (panels: any[] | undefined) => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** The PromQL a dashboard runs: panel targets, and the metric queries of its template variables. */
export function dashboardExpressions(dashboard: any): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const panel of panelsOf(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr === 'string') out.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (typeof query !== 'string') continue;
    // Grafana's Prometheus helpers: label_values(label), label_values(expr, label), query_result(expr).
    const labelValues = /^\s*label_values\(\s*(?:(.*),\s*)?[a-zA-Z_]\w*\s*\)\s*$/s.exec(query);
    const expr = labelValues ? labelValues[1] : (/^\s*query_result\((.*)\)\s*$/s.exec(query)?.[1] ?? query);
    if (expr) out.push({ where: `variable $${variable.name}`, expr });
  }
  return out;
}

// ── Rules ───────────────────────────────────────────────────────────────────────────────────

export interface Rule {
  file: string;
  group: string;
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const ruleFiles = () => filesIn(RULES_DIR, /\.ya?ml$/);
export const ruleTestFiles = () => filesIn(RULE_TESTS_DIR, /\.ya?ml$/);

export function loadRules(): Rule[] {
  return ruleFiles().flatMap((file) =>
    (readYaml(file).groups as any[]).flatMap((g) => (g.rules as any[]).map((r) => ({ file, group: g.name, ...r, expr: String(r.expr) }))),
  );
}

// ── PromQL ──────────────────────────────────────────────────────────────────────────────────

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'atan2',
  'inf',
  'nan',
  'start',
  'end',
]);

/**
 * The metric names a PromQL expression selects. Not a full parser: it removes what cannot be a
 * metric name (strings, label matchers, ranges, grouping lists, Grafana variables), then keeps
 * the identifiers that are neither keywords nor function or aggregation calls.
 */
export function metricNamesIn(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{[^}]*\}|\$[a-zA-Z_]\w*/g, ' 1 ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?!\w)(\s*\()?/g)) {
    const [, name, call] = m;
    if (!name || call || KEYWORDS.has(name.toLowerCase())) continue;
    // Numbers in exponent form (1e3) start with a digit and never match; durations (5m) neither.
    names.add(name);
  }
  return [...names];
}

// ── /metrics ────────────────────────────────────────────────────────────────────────────────

/** The metric families of a Prometheus text exposition (its # TYPE lines), with their types. */
export function metricFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1] as string, m[2] as string);
  return families;
}

/** The names a query may use for these families: a histogram's _bucket/_sum/_count, a summary's _sum/_count. */
export function selectableNames(families: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of families) {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

// ── promtool ────────────────────────────────────────────────────────────────────────────────

export const PROMTOOL_INSTALL = 'apt-get update && apt-get install -y --no-install-recommends prometheus  # Debian ships promtool in it';

export function promtoolAvailable(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: path.join(DEPLOY, 'prometheus'), encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}` };
}
