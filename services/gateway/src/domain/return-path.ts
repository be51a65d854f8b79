import { invalidReturnTo } from './errors.js';

const BASE = 'https://gateway.invalid';

/**
 * Where to send the browser after sign-in: a path on this site only (an open redirect would let a
 * link to our login send a signed-in user anywhere). `//evil.example`, `/\evil.example`,
 * `https://…` and anything whose resolution leaves our origin are refused; no value → `fallback`.
 */
export function safeReturnPath(raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw === '') return fallback;
  const controls = [...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (raw.length > 1_024 || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\') || controls) throw invalidReturnTo();
  const resolved = new URL(raw, BASE);
  if (resolved.origin !== BASE) throw invalidReturnTo();
  return resolved.pathname + resolved.search + resolved.hash;
}
