/**
 * The Secrets an operator creates, one per part, generated from the config schemas for
 * deploy/kubernetes/README.md (tools/deploy/test/kubernetes.test.ts keeps the two equal).
 */
import { type Part, partsOf, secretKeysOf, secretNameOf } from './parts.js';
import { loadValues } from './values.js';

export function secretsReference(): string {
  // dev deploys every part (the sandboxes too); the keys do not depend on the environment.
  const parts: Part[] = partsOf(loadValues('dev'));
  const keys = (part: Part, required: boolean) =>
    secretKeysOf(part)
      .filter((k) => k.required === required)
      .map((k) => `\`${k.key}\``)
      .join(', ') || '—';
  const rows = parts.map((p) => `| \`${secretNameOf(p)}\`${p.sandbox ? ' (dev sandbox)' : ''} | ${keys(p, true)} | ${keys(p, false)} |`);
  return ['| Secret | required keys | optional keys |', '| --- | --- | --- |', ...rows].join('\n');
}
