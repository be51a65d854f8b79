import { bool, ConfigError, configTable, defineConfig, int, intList, loadConfig, oneOf, str, url } from '@emporium/config';
import { describe, expect, it } from 'vitest';

const schema = defineConfig({
  PORT: int({ default: 3000, min: 0, max: 65535, description: 'port' }),
  MODE: oneOf(['a', 'b'] as const, { default: 'a', description: 'mode' }),
  DEBUG: bool({ optional: true, description: 'debug' }),
  DATABASE_URL: url({ protocols: ['postgres'], secret: true, description: 'db' }),
  NAME: str({ default: 'x', minLength: 1, description: 'name' }),
  DELAYS: intList({ default: [1, 2], min: 1, description: 'delays' }),
});

describe('configuration', () => {
  it('parses, applies defaults and freezes the result', () => {
    const config = loadConfig(schema, { PORT: '8080', DATABASE_URL: 'postgres://h/db', DELAYS: '5, 10' });
    expect(config).toEqual({ PORT: 8080, MODE: 'a', DEBUG: undefined, DATABASE_URL: 'postgres://h/db', NAME: 'x', DELAYS: [5, 10] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', /must be an integer/],
    [{ PORT: '70000' }, 'PORT', /≤ 65535/],
    [{ MODE: 'c' }, 'MODE', /one of a, b/],
    [{ DEBUG: 'perhaps' }, 'DEBUG', /true or false/],
    [{ DATABASE_URL: 'mysql://u:pw@h/db' }, 'DATABASE_URL', /scheme postgres/],
    [{ DELAYS: '1,0' }, 'DELAYS', /≥ 1/],
  ])('rejects %o naming the variable', (env, variable, message) => {
    const error = (() => {
      try {
        loadConfig(schema, { DATABASE_URL: 'postgres://h/db', ...env });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message.split('\n')).toHaveLength(1);
  });

  it('never echoes the value of a secret', () => {
    expect(() => loadConfig(schema, { DATABASE_URL: 'mysql://u:hunter2@h/db' })).toThrow(
      /^DATABASE_URL: must be a URL with scheme postgres$/,
    );
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig(schema, {})).toThrow(/^DATABASE_URL: is required/);
  });

  it('refuses a secret with a default', () => {
    expect(() => defineConfig({ TOKEN: str({ secret: true, default: 'x', description: 't' }) })).toThrow(/TOKEN is a secret/);
  });

  it('documents the schema as a Markdown table', () => {
    const table = configTable(schema);
    expect(table).toContain('| `PORT` | integer ≥ 0 ≤ 65535 | `3000` | port |');
    expect(table).toContain('| `DATABASE_URL` | URL (postgres) | (required, secret) | db |');
    expect(table).toContain('a \\| b');
  });
});
