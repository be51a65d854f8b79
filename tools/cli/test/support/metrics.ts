/**
 * Reading every part's /metrics (the Prometheus text format) and comparing two readings, so a
 * test asserts what a behaviour moved (after minus before), never an absolute count.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One reading of every part: its samples and the raw text it answered. */
export type Scrape = Map<string, { samples: Sample[]; text: string }>;

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

const unescapeLabel = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** The samples of one exposition (comments and blank lines skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, line.indexOf(' '));
    const labels: Record<string, string> = {};
    if (brace >= 0 && brace < space) {
      for (const m of line.slice(brace + 1, line.lastIndexOf('}')).matchAll(LABEL)) labels[m[1] as string] = unescapeLabel(m[2] as string);
    }
    samples.push({ name, labels, value: Number(line.slice(space + 1)) });
  }
  return samples;
}

/** /metrics of every part, at once. */
export async function scrapeAll(urls: Record<string, string>): Promise<Scrape> {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([part, url]) => {
      const res = await fetch(`${url}/metrics`);
      if (res.status !== 200) throw new Error(`${part} /metrics answered ${res.status}`);
      const text = await res.text();
      return [part, { samples: parseMetrics(text), text }] as const;
    }),
  );
  return new Map(entries);
}

/** The sum of a series over the samples whose labels include `labels` (0 when there is none). */
export function sampleSum(scrape: Scrape, part: string, name: string, labels: Record<string, string> = {}): number {
  const samples = scrape.get(part)?.samples;
  if (!samples) throw new Error(`no reading of ${part}`);
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Whether the part exports the series (with these labels), even at 0: a counter that never moved still does. */
export function hasSeries(scrape: Scrape, part: string, name: string, labels: Record<string, string> = {}): boolean {
  return (scrape.get(part)?.samples ?? []).some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** After minus before, for one series. */
export function delta(before: Scrape, after: Scrape, part: string, name: string, labels: Record<string, string> = {}): number {
  return sampleSum(after, part, name, labels) - sampleSum(before, part, name, labels);
}
