/**
 * The compose system from the command line (tools/deploy package scripts):
 *
 *   compose:secrets [--force] [--public-url URL]   make deploy/compose/.env and the broker's definitions
 *   compose:up [--public-url URL]                  the secrets if they are missing, then build and start everything
 *   compose:down [--volumes]                       stop everything (--volumes: and delete the data)
 *
 * `up` and `down` use `docker compose`, or `podman-compose` where Docker is not installed.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { COMPOSE_DIR, writeComposeSecrets } from './secrets.js';

const COMPOSE_FILE = path.join(COMPOSE_DIR, 'compose.yaml');
// Given explicitly: podman-compose 1.0 ignores the file's `name:` and would call it `compose`.
const PROJECT = 'emporium';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    force: { type: 'boolean', default: false },
    'public-url': { type: 'string' },
    volumes: { type: 'boolean', default: false },
  },
});

function secrets(force: boolean): void {
  const publicUrl = values['public-url'];
  const result = writeComposeSecrets(COMPOSE_DIR, { force, ...(publicUrl ? { publicUrl } : {}) });
  const where = path.relative(process.cwd(), result.envFile) || result.envFile;
  console.log(
    result.written ? `secrets written: ${where} and its broker definitions` : `secrets kept: ${where} exists (--force replaces it)`,
  );
}

/** `docker compose` when it answers, else `podman-compose`. */
function composeCommand(): [string, string[]] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', ['compose']];
  if (spawnSync('podman-compose', ['--version'], { stdio: 'ignore' }).status === 0) return ['podman-compose', []];
  throw new Error('neither `docker compose` nor `podman-compose` is installed');
}

function compose(args: string[]): number {
  const [command, prefix] = composeCommand();
  const all = [...prefix, '-p', PROJECT, '-f', COMPOSE_FILE, ...args];
  console.log(`$ ${command} ${all.join(' ')}`);
  return spawnSync(command, all, { stdio: 'inherit' }).status ?? 1;
}

const command = positionals[0];
try {
  if (command === 'secrets') secrets(values.force ?? false);
  else if (command === 'up') {
    secrets(false);
    process.exitCode = compose(['up', '-d', '--build']);
  } else if (command === 'down') process.exitCode = compose(['down', ...(values.volumes ? ['--volumes'] : [])]);
  else {
    console.error('usage: main.ts secrets [--force] [--public-url URL] | up [--public-url URL] | down [--volumes]');
    process.exitCode = 64;
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
