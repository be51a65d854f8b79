/**
 * Compose's variable interpolation (compose spec, "Interpolation"), for reading compose.yaml as
 * compose will run it: `$$` is a `$`; `${VAR}` and `$VAR`; `${VAR:-default}` (unset or empty) and
 * `${VAR-default}` (unset); `${VAR:?message}` and `${VAR?message}` fail with the message.
 */
export class InterpolationError extends Error {}

const PATTERN = /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\})/g;

export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(PATTERN, (_match, dollar, bare, braced, colon, operator, argument) => {
    if (dollar) return '$';
    const name = (bare ?? braced) as string;
    const value = env[name];
    const missing = colon ? value === undefined || value === '' : value === undefined;
    if (!operator || !missing) return value ?? '';
    if (operator === '-') return interpolate(argument as string, env);
    throw new InterpolationError(`${name}: ${argument || 'is required'}`);
  });
}

/** Every string in a parsed YAML value, interpolated. */
export function interpolateAll<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)])) as T;
  return value;
}
