/**
 * Rendered objects as files: YAML, one file per part plus `common.yaml`, and a minimal Helm chart
 * holding the same files as templates with nothing to template, so that the pipeline gets
 * `helm upgrade --install --atomic` (wait for readiness, roll back on failure) on exactly the
 * objects it rendered and validated here.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { type Environment, type KubeObject, partOf } from './index.js';

/** The first line of every file written: also how stale files of an earlier render are recognised. */
export const HEADER = '# Rendered by tools/deploy/src/render.ts; edit deploy/kubernetes/values or the renderer, not this file.';

export interface ManifestFile {
  name: string;
  content: string;
}

/** Validates every object (throws naming the first invalid one) and groups them in files. */
export function manifestFiles(objects: KubeObject[], meta: { env: Environment; imageTag: string }): ManifestFile[] {
  const groups = new Map<string, KubeObject[]>();
  for (const object of objects) {
    try {
      object.validate();
    } catch (error) {
      throw new Error(`${object.kind} ${object.metadata?.name}: ${(error as Error).message}`);
    }
    const file = partOf(object) ?? 'common';
    groups.set(file, [...(groups.get(file) ?? []), object]);
  }
  return [...groups].map(([name, group]) => ({
    name: `${name}.yaml`,
    content: [
      `${HEADER}\n# environment: ${meta.env}, image tag: ${meta.imageTag}\n`,
      group.map((o) => stringify(o.toJSON(), { lineWidth: 0 })).join('---\n'),
    ].join(''),
  }));
}

export function writeManifests(dir: string, files: ManifestFile[]): string[] {
  mkdirSync(dir, { recursive: true });
  removeStale(dir, files);
  return files.map((f) => {
    const file = path.join(dir, f.name);
    writeFileSync(file, f.content);
    return file;
  });
}

/**
 * A chart whose templates are the rendered files. Helm reads templates as Go templates: text
 * without `{{` passes through unchanged, so any `{{` is refused rather than risk Helm
 * rewriting an object.
 */
export function writeChart(dir: string, files: ManifestFile[], meta: { env: Environment; imageTag: string }): string[] {
  for (const f of files) {
    if (f.content.includes('{{')) throw new Error(`${f.name}: contains "{{", which Helm would read as a template`);
  }
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  const chart = {
    apiVersion: 'v2',
    name: 'emporium',
    description: `Emporium (${meta.env}), rendered and validated by tools/deploy; no templating`,
    type: 'application',
    // SemVer build metadata carries the image tag (letters, digits and '-' only).
    version: `0.1.0+${meta.imageTag.replace(/[^0-9A-Za-z.-]/g, '-')}`,
    appVersion: meta.imageTag,
  };
  const chartFile = path.join(dir, 'Chart.yaml');
  writeFileSync(chartFile, `${HEADER}\n${stringify(chart)}`);
  return [chartFile, ...writeManifests(path.join(dir, 'templates'), files)];
}

/** A part rendered before but not now (the sandboxes, left by a dev render) must not be installed. */
function removeStale(dir: string, files: ManifestFile[]): void {
  const keep = new Set(files.map((f) => f.name));
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.yaml') || keep.has(name)) continue;
    const file = path.join(dir, name);
    if (readFileSync(file, 'utf8').startsWith(HEADER)) rmSync(file);
  }
}
