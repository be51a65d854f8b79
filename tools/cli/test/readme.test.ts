import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configReference } from '@emporium/cli';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8');

describe('the README', () => {
  it('carries the configuration reference generated from every config schema (run `npm run docs:config` after a change)', () => {
    const block = /<!-- config:begin -->\n([\s\S]*?)<!-- config:end -->/.exec(readme)?.[1];
    expect(block?.trim()).toBe(configReference().trim());
  });

  it('gives exactly one line that installs and runs everything, and one that runs the tests', () => {
    const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
    expect(shellBlocks).toContain('npm ci && npm start');
    expect(shellBlocks).toContain('npm test');
  });
});
