/**
 * Renders one environment's Kubernetes objects, validates each against the schemas, and writes
 * them as YAML (`--out DIR`: one file per part plus common.yaml) and/or as a Helm chart with
 * nothing to template (`--chart DIR`), for `helm upgrade --install --atomic`.
 *
 *   npm run render -w @emporium/deploy -- --env staging --tag <sha> [--registry R] --out DIR --chart DIR
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ENVIRONMENTS, type Environment, renderEnvironment } from './kubernetes/index.js';
import { manifestFiles, writeChart, writeManifests } from './kubernetes/manifests.js';

const USAGE = `usage: render --env ${ENVIRONMENTS.join('|')} --tag <image tag> [--registry <registry>] [--out <dir>] [--chart <dir>]`;

export function main(argv: string[]): string[] {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      env: { type: 'string' },
      tag: { type: 'string' },
      registry: { type: 'string' },
      out: { type: 'string' },
      chart: { type: 'string' },
    },
    strict: true,
  });
  const env = args.env as Environment | undefined;
  if (!env || !ENVIRONMENTS.includes(env)) throw new UsageError(`--env must be one of ${ENVIRONMENTS.join(', ')}`);
  if (!args.tag) throw new UsageError('--tag is required (the images’ tag, e.g. the commit sha)');
  if (!args.out && !args.chart) throw new UsageError('give --out, --chart or both');

  const objects = renderEnvironment(env, { imageTag: args.tag, ...(args.registry ? { registry: args.registry } : {}) });
  const meta = { env, imageTag: args.tag };
  const files = manifestFiles(objects, meta);
  // `npm run render -w @emporium/deploy` runs in tools/deploy; relative paths mean where npm was called.
  const base = process.env.INIT_CWD ?? process.cwd();
  const written = [
    ...(args.out ? writeManifests(path.resolve(base, args.out), files) : []),
    ...(args.chart ? writeChart(path.resolve(base, args.chart), files, meta) : []),
  ];
  process.stdout.write(
    `rendered ${objects.length} objects for ${env} (tag ${args.tag}), all valid:\n${written.map((f) => `  ${f}\n`).join('')}`,
  );
  return written;
}

class UsageError extends Error {}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`render: ${(error as Error).message}\n${error instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exit(error instanceof UsageError ? 64 : 1);
  }
}
