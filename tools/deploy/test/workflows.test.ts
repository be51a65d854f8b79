/**
 * The GitHub Actions workflows (.github/workflows), read without running them: they parse, every
 * script and file they run exists, every action is pinned to a commit, CI tests against real
 * PostgreSQL and RabbitMQ service containers, the image filters know every part, and every
 * rollout is atomic, into the namespace the Kubernetes values name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SYSTEM } from '@emporium/cli';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadValues } from '../src/kubernetes/values.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const WORKFLOWS = path.join(REPO, '.github/workflows');
const PARTS = SYSTEM.map((e) => e.module.name);
// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
const MATRIX_PART = '${{ matrix.part }}';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean | string };
  services?: Record<string, { image: string; env?: Record<string, string>; ports?: string[] }>;
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: unknown;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const files = existsSync(WORKFLOWS) ? readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)) : [];
const workflows = new Map(files.map((f) => [f, parse(readFileSync(path.join(WORKFLOWS, f), 'utf8')) as Workflow]));
const workflow = (file: string): Workflow => {
  const w = workflows.get(file);
  if (!w) throw new Error(`.github/workflows/${file} is missing`);
  return w;
};
const allSteps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const runs = (w: Workflow) => allSteps(w).flatMap((s) => (s.run ? [s.run] : []));

// --- what a script may refer to -----------------------------------------------------------------

const rootPackage = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  workspaces: string[];
};

/** Every workspace's package.json, by name and by folder. */
const workspaces = new Map<string, { scripts: Record<string, string> }>();
for (const pattern of rootPackage.workspaces) {
  const dirs = pattern.endsWith('/*')
    ? readdirSync(path.join(REPO, pattern.slice(0, -2)), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => path.join(pattern.slice(0, -2), d.name))
    : [pattern];
  for (const dir of dirs) {
    const file = path.join(REPO, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; scripts?: Record<string, string> };
    const entry = { scripts: pkg.scripts ?? {} };
    workspaces.set(pkg.name, entry);
    workspaces.set(dir, entry);
  }
}

/** `npm run X`, `npm test`, with `-w W` / `--workspace W` / `--workspace=W` anywhere before `--`. */
function npmScripts(script: string): { script: string; workspace?: string }[] {
  const found: { script: string; workspace?: string }[] = [];
  for (const line of script.split('\n')) {
    const match = /\bnpm\s+(.*)$/.exec(line);
    if (!match) continue;
    const words = (match[1] as string).split('--')[0]?.trim().split(/\s+/) ?? [];
    let workspace: string | undefined;
    let name: string | undefined;
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      if (word === '-w' || word === '--workspace') workspace = words[++i];
      else if (word.startsWith('--workspace=')) workspace = word.slice('--workspace='.length);
      else if (word === 'run' || word === 'run-script') name = words[++i];
      else if (['test', 'start'].includes(word) && name === undefined) name = word;
    }
    if (name) found.push({ script: name, ...(workspace ? { workspace } : {}) });
  }
  return found;
}

/** Paths of the repository a script runs or reads (`.ci/run`, `tools/x/y.mjs`, `deploy/…`). */
function repoPaths(script: string): string[] {
  return [...script.matchAll(/(?<![\w$/.-])((?:\.ci|tools|deploy|scripts|platform|services|sandboxes)\/[\w./-]+)/g)].map(
    (m) => m[1] as string,
  );
}

describe('the workflows', () => {
  it('are there, and parse', () => {
    expect(files.sort()).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml']));
    for (const [file, w] of workflows) {
      expect(w.name, file).toBeTruthy();
      expect(Object.keys(w.jobs).length, file).toBeGreaterThan(0);
      for (const [id, job] of Object.entries(w.jobs)) expect(job.steps?.length, `${file} ${id}`).toBeGreaterThan(0);
    }
  });

  it('run only npm scripts that exist (the root package.json or the named workspace)', () => {
    let checked = 0;
    for (const [file, w] of workflows) {
      for (const script of runs(w)) {
        for (const { script: name, workspace } of npmScripts(script)) {
          const scripts = workspace ? workspaces.get(workspace)?.scripts : rootPackage.scripts;
          expect(scripts, `${file}: workspace ${workspace}`).toBeDefined();
          expect(Object.keys(scripts ?? {}), `${file}: npm run ${name}${workspace ? ` -w ${workspace}` : ''}`).toContain(name);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it('run only files that exist', () => {
    for (const [file, w] of workflows)
      for (const script of runs(w)) for (const p of repoPaths(script)) expect(existsSync(path.join(REPO, p)), `${file}: ${p}`).toBe(true);
  });

  it('pin every action to a commit', () => {
    for (const [file, w] of workflows)
      for (const step of allSteps(w)) if (step.uses) expect(step.uses, file).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
  });

  it('grant read access by default, and more only to the jobs that need it', () => {
    for (const [file, w] of workflows) {
      expect(w.permissions, file).toBeDefined();
      for (const [scope, level] of Object.entries(w.permissions ?? {})) expect(level, `${file} ${scope}`).not.toBe('write');
    }
    for (const [file, w] of workflows) {
      for (const [id, job] of Object.entries(w.jobs)) {
        const pushes = job.steps.some((s) => s.uses?.startsWith('docker/login-action'));
        const mayWritePackages = typeof job.permissions === 'object' && job.permissions.packages === 'write';
        expect(mayWritePackages, `${file} ${id}: packages: write only where images are pushed`).toBe(pushes);
      }
    }
  });
});

describe('CI', () => {
  it('runs on every pull request and on main, newer pull request pushes cancelling older runs', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
    expect(ci.concurrency).toBeDefined();
  });

  it('lints, typechecks, builds and tests', () => {
    const scripts = runs(workflow('ci.yml'))
      .flatMap(npmScripts)
      .map((s) => s.script);
    expect(scripts).toEqual(expect.arrayContaining(['lint', 'typecheck', 'build', 'test']));
  });

  it('tests against PostgreSQL 15 and RabbitMQ service containers, and fails if the real-server suites did not run', () => {
    const ci = workflow('ci.yml');
    const job = Object.values(ci.jobs).find((j) => runs({ ...ci, jobs: { j } }).some((r) => /^npm test\b/m.test(r)));
    expect(job).toBeDefined();
    const services = job?.services ?? {};
    expect(services.postgres?.image).toMatch(/^postgres:15\.\d+/);
    expect(services.rabbitmq?.image).toMatch(/^rabbitmq:\d+\.\d+\.\d+/);
    const env = job?.env ?? {};
    expect(new URL(env.TEST_DATABASE_URL as string).port).toBe(services.postgres?.ports?.[0]?.split(':')[0]);
    expect(new URL(env.TEST_AMQP_URL as string).port).toBe(services.rabbitmq?.ports?.[0]?.split(':')[0]);
    expect(env.EMPORIUM_REQUIRE_REAL).toBe('1');
    // Least privilege in the distributed suites runs rabbitmqctl; promtool runs the alert rules' tests.
    const setup = (job?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(setup).toContain('rabbitmqctl');
    expect(setup).toContain('promtool');
  });

  it('builds the image of every part whose sources changed, from the repository Dockerfile', () => {
    const ci = workflow('ci.yml');
    const filter = allSteps(ci).find((s) => s.uses?.startsWith('dorny/paths-filter@'));
    const filters = parse(String(filter?.with?.filters), { merge: true }) as Record<string, string[]>;
    const shared = filters.shared ?? [];
    expect(shared).toEqual(expect.arrayContaining(['Dockerfile', 'package-lock.json', 'platform/**', 'contracts/**']));
    expect(
      Object.keys(filters)
        .filter((k) => k !== 'shared')
        .sort(),
    ).toEqual([...PARTS].sort());
    for (const entry of SYSTEM) {
      const paths = (filters[entry.module.name] ?? []).flat();
      expect(paths, entry.module.name).toEqual(expect.arrayContaining([...shared, `${entry.dir}/**`]));
    }
    const build = allSteps(ci).find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toMatchObject({ context: '.', target: MATRIX_PART, push: false });
  });
});

describe('delivery', () => {
  const deploy = () => workflow('deploy.yml');

  it('builds and pushes every part’s image tagged with the commit, on main', () => {
    const images = deploy().jobs.images as Job;
    expect(images.if).toContain("github.ref_type == 'branch'");
    expect([...((images.strategy?.matrix?.part as string[] | undefined) ?? [])].sort()).toEqual([...PARTS].sort());
    expect((deploy().env?.PARTS ?? '').split(/\s+/).sort()).toEqual([...PARTS].sort());
    const build = images.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toMatchObject({ target: MATRIX_PART, push: true });
    expect(String(build?.with?.tags)).toMatch(/\/\$\{\{ matrix\.part \}\}:\$\{\{ github\.sha \}\}$/);
  });

  it('rolls out with helm upgrade --install --atomic --wait, every time', () => {
    const helm = runs(deploy())
      .map((r) => r.replace(/\\\n\s*/g, ' '))
      .flatMap((r) => r.split('\n'))
      .filter((line) => /\bhelm upgrade\b/.test(line));
    expect(helm.length).toBe(2);
    for (const line of helm) {
      expect(line).toContain('--install');
      expect(line).toContain('--atomic');
      expect(line).toContain('--wait');
    }
  });

  it('deploys main to staging and a v* tag to production, one rollout at a time, into the namespaces the values name', () => {
    const w = deploy();
    expect((w.on.push as { tags: string[] }).tags).toEqual(['v*']);
    const staging = w.jobs.staging as Job;
    const production = w.jobs.production as Job;
    expect(staging.environment).toBe('staging');
    expect(production.environment).toBe('production');
    expect(production.if).toContain("github.ref_type == 'tag'");
    for (const job of [staging, production]) {
      expect(job.concurrency?.['cancel-in-progress']).toBe(false);
    }
    expect(staging.env?.NAMESPACE).toBe(loadValues('staging').namespace);
    expect(production.env?.NAMESPACE).toBe(loadValues('prod').namespace);
    const render = (job: Job) => job.steps.map((s) => s.run ?? '').find((r) => r.includes('npm run render')) ?? '';
    expect(render(staging)).toMatch(/--env staging --tag "\$GITHUB_SHA"/);
    expect(render(production)).toMatch(/--env prod --tag "\$GITHUB_REF_NAME"/);
  });

  it('promotes the images main built (a second tag on the same digest), never rebuilding them', () => {
    const production = deploy().jobs.production as Job;
    expect(production.steps.some((s) => s.uses?.startsWith('docker/build-push-action'))).toBe(false);
    const promote = production.steps.map((s) => s.run ?? '').join('\n');
    expect(promote).toMatch(
      /docker buildx imagetools create --tag "\$registry\/\$part:\$GITHUB_REF_NAME" "\$registry\/\$part:\$GITHUB_SHA"/,
    );
  });
});
