/**
 * Rootful podman as deploy/podman/setup.sh configures it on a machine without a Docker engine or a
 * registry: its containers.conf and storage.conf under a state folder, and a local Node base image.
 * Used by the image tests; every call names the configuration itself, so nothing depends on the
 * caller's shell having sourced the setup's env file.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const PODMAN_STATE = process.env.EMPORIUM_PODMAN_DIR ?? '/tmp/emporium-podman';
export const NODE_BASE_IMAGE = process.env.EMPORIUM_NODE_BASE ?? 'localhost/emporium-node-base';

/** The environment of every podman call: the setup's configuration files, sbin on the PATH (runc). */
export function podmanEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONTAINERS_CONF: path.join(PODMAN_STATE, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(PODMAN_STATE, 'storage.conf'),
    TMPDIR: path.join(PODMAN_STATE, 'tmp'),
    PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`,
  };
}

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `podman ...args`; never throws for a non-zero exit (the caller asserts on `code`). */
export function podman(args: string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<PodmanResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      'podman',
      args,
      { env: podmanEnv(), cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({
          code,
          stdout: stdout.toString(),
          stderr: `${stderr}${error && code === 1 && !stderr ? String(error) : ''}`,
          ms: Date.now() - started,
        });
      },
    );
  });
}

/** Like podman(), but throws with podman's output when the command fails. */
export async function podmanOk(args: string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<PodmanResult> {
  const result = await podman(args, options);
  if (result.code !== 0) {
    throw new Error(`podman ${args.slice(0, 3).join(' ')} … exited ${result.code}:\n${(result.stderr || result.stdout).slice(-4000)}`);
  }
  return result;
}

/**
 * Why podman cannot build and run the images here, or undefined when it can: not installed, the
 * setup not run (no configuration), or no base image.
 */
export function podmanProblem(): string | undefined {
  try {
    execFileSync('podman', ['--version'], { env: podmanEnv(), stdio: 'ignore' });
  } catch {
    return 'podman is not installed';
  }
  for (const file of ['containers.conf', 'storage.conf']) {
    if (!existsSync(path.join(PODMAN_STATE, file))) return `${path.join(PODMAN_STATE, file)} is missing`;
  }
  try {
    execFileSync('podman', ['image', 'exists', NODE_BASE_IMAGE], { env: podmanEnv(), stdio: 'ignore' });
  } catch {
    return `the base image ${NODE_BASE_IMAGE} does not exist`;
  }
  return undefined;
}

/**
 * Builds one target of the repository's Dockerfile. The host's CA file is given to npm's install
 * step as a build secret (this network intercepts TLS); it is never part of a layer.
 */
export function buildImage(options: {
  root: string;
  target: string;
  tag: string;
  base?: string;
  npmCaFile?: string;
}): Promise<PodmanResult> {
  const ca = options.npmCaFile ?? npmCaFile();
  return podman(
    [
      'build',
      '--format',
      'docker',
      '--build-arg',
      `BASE=${options.base ?? NODE_BASE_IMAGE}`,
      ...(ca ? ['--secret', `id=npm_ca,src=${ca}`] : []),
      '--target',
      options.target,
      '--tag',
      options.tag,
      options.root,
    ],
    { timeoutMs: 20 * 60_000, cwd: options.root },
  );
}

/** The CA file npm is configured with on this machine, if any. */
export function npmCaFile(): string | undefined {
  if (process.env.NPM_CONFIG_CAFILE && existsSync(process.env.NPM_CONFIG_CAFILE)) return process.env.NPM_CONFIG_CAFILE;
  try {
    const file = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
    return file && file !== 'null' && file !== 'undefined' && existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}
