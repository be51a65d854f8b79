/**
 * Configuration from the environment, declared per service as a schema, validated at start,
 * frozen, and documented from the same schema (STYLE.md §9). A wrong or missing value stops
 * the process with one line naming the variable.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

interface FieldBase<T> {
  kind: string;
  description: string;
  /** A field with a default is optional; a secret never has one. */
  default?: T;
  /** Secrets are never printed (the docs table shows no value, errors never echo them). */
  secret?: boolean;
  /** Optional field with no default: the value is undefined when unset. */
  optional?: boolean;
  parse(raw: string): T;
  describeType(): string;
}

export type Field<T> = FieldBase<T>;
type Opts<T> = { description: string; default?: T; secret?: boolean; optional?: boolean };

function field<T>(kind: string, opts: Opts<T>, parse: (raw: string) => T, describeType: () => string): Field<T> {
  return { kind, ...opts, parse, describeType };
}

export const str = (opts: Opts<string> & { minLength?: number }) =>
  field<string>(
    'string',
    opts,
    (raw) => {
      if (opts.minLength !== undefined && raw.length < opts.minLength) {
        throw new Error(`must be at least ${opts.minLength} characters`);
      }
      return raw;
    },
    () => 'string',
  );

export const int = (opts: Opts<number> & { min?: number; max?: number }) =>
  field<number>(
    'int',
    opts,
    (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error('must be an integer');
      const n = Number(raw);
      if (opts.min !== undefined && n < opts.min) throw new Error(`must be ≥ ${opts.min}`);
      if (opts.max !== undefined && n > opts.max) throw new Error(`must be ≤ ${opts.max}`);
      return n;
    },
    () => `integer${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}`,
  );

export const bool = (opts: Opts<boolean>) =>
  field<boolean>(
    'bool',
    opts,
    (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new Error('must be true or false');
    },
    () => 'boolean',
  );

export const url = (opts: Opts<string> & { protocols?: string[] }) =>
  field<string>(
    'url',
    opts,
    (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        throw new Error('must be a URL');
      }
      if (opts.protocols && !opts.protocols.includes(parsed.protocol.replace(/:$/, ''))) {
        throw new Error(`must be a URL with scheme ${opts.protocols.join(' or ')}`);
      }
      return raw;
    },
    () => `URL${opts.protocols ? ` (${opts.protocols.join(', ')})` : ''}`,
  );

export const oneOf = <const V extends string>(values: readonly V[], opts: Opts<V>) =>
  field<V>(
    'enum',
    opts,
    (raw) => {
      if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
      return raw as V;
    },
    () => values.join(' | '),
  );

export const list = (opts: Opts<string[]>) =>
  field<string[]>(
    'list',
    opts,
    (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    () => 'comma-separated list',
  );

export type ConfigSchema = Record<string, Field<unknown>>;
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends Field<infer T>
    ? S[K] extends { default: unknown }
      ? T
      : S[K] extends { optional: true }
        ? T | undefined
        : T
    : never;
};

export function defineConfig<const S extends ConfigSchema>(schema: S): S {
  for (const [name, f] of Object.entries(schema)) {
    if (f.secret && f.default !== undefined) throw new Error(`config schema: ${name} is a secret and must not have a default`);
  }
  return schema;
}

/** Reads and validates every variable of the schema; throws a ConfigError naming the first bad one. */
export function loadConfig<S extends ConfigSchema>(schema: S, env: Record<string, string | undefined>): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (f.default !== undefined) out[name] = f.default;
      else if (f.optional) out[name] = undefined;
      else throw new ConfigError(name, `is required (${f.describeType()}): ${f.description}`);
      continue;
    }
    try {
      out[name] = f.parse(raw);
    } catch (error) {
      const shown = f.secret ? '' : ` (got ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw)})`;
      throw new ConfigError(name, `${(error as Error).message}${shown}`);
    }
  }
  return Object.freeze(out) as ConfigOf<S>;
}

/**
 * The composition root's guard: a bad value stops the process with one line naming the variable.
 */
export function loadConfigOrExit<S extends ConfigSchema>(service: string, schema: S, env: Record<string, string | undefined>): ConfigOf<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: invalid configuration: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** A Markdown table of a schema, for the README's configuration reference. */
export function configTable(schema: ConfigSchema): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = Object.entries(schema).map(([name, f]) => {
    const secret = f.secret ? ', secret' : '';
    const def =
      f.default !== undefined
        ? `\`${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}\``
        : f.optional
          ? `(optional${secret})`
          : `(required${secret})`;
    return `| \`${name}\` | ${cell(f.describeType())} | ${def} | ${cell(f.description)} |`;
  });
  return ['| variable | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export const intList = (opts: Opts<number[]> & { min?: number }) =>
  field<number[]>(
    'int-list',
    opts,
    (raw) => {
      const parts = raw.split(',').map((s) => s.trim());
      if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) throw new Error('must be comma-separated integers');
      const values = parts.map(Number);
      if (opts.min !== undefined && values.some((v) => v < (opts.min as number))) throw new Error(`every value must be ≥ ${opts.min}`);
      return values;
    },
    () => 'comma-separated integers',
  );
