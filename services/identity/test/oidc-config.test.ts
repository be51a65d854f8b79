import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@emporium/config';
import { describe, expect, it } from 'vitest';
import { oidcSettingsOf } from '../src/oidc/settings.js';
import { identityConfig } from '../src/index.js';
import { anEs256Key, oidcEnv } from './oidc-support.js';

const settingsFrom = (overrides: Record<string, string | undefined>) =>
  oidcSettingsOf(
    loadConfig(identityConfig, {
      DATABASE_URL: 'postgres://localhost/identity',
      // Every service verifies access tokens (authConfig): identity trusts its own issuer.
      AUTH_ISSUER: 'http://127.0.0.1:3006/oidc',
      ...oidcEnv(3006),
      ...overrides,
    }),
  );

const refusal = (overrides: Record<string, string | undefined>) => {
  try {
    settingsFrom(overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the settings were accepted');
};

describe('OpenID Connect settings', () => {
  it('when no issuer is set, then no provider is configured', () => {
    expect(settingsFrom({ IDENTITY_ISSUER: undefined })).toBeUndefined();
  });

  it('when the issuer is set, then the mount path is its path and the first key signs', () => {
    const settings = settingsFrom({});
    expect(settings).toMatchObject({ issuer: 'http://127.0.0.1:3006/oidc', mountPath: '/oidc', accessTokenTtlSeconds: 300 });
    expect(settings?.keys[0]?.alg).toBe('ES256');
  });

  it.each([
    // The signing keys live in the key table (IDENTITY_OIDC_JWKS only imports some); their encryption key is required.
    [{ IDENTITY_OIDC_KEY_ENCRYPTION_KEY: undefined }, 'IDENTITY_OIDC_KEY_ENCRYPTION_KEY: is required when IDENTITY_ISSUER is set'],
    [{ IDENTITY_OIDC_JWKS: 'not json' }, 'IDENTITY_OIDC_JWKS: must be valid JSON'],
    [{ IDENTITY_OIDC_JWKS: JSON.stringify({ keys: [{ ...anEs256Key(), kid: undefined }] }) }, 'has no kid'],
    [{ IDENTITY_OIDC_JWKS: JSON.stringify({ keys: [{ ...anEs256Key('k1'), alg: 'RS256' }] }) }, 'key k1 must be ES256'],
    [{ IDENTITY_OIDC_JWKS: JSON.stringify({ keys: [{ ...anEs256Key('k1'), d: undefined }] }) }, 'key k1 is not a private key'],
    [{ IDENTITY_OIDC_COOKIE_KEYS: 'short' }, 'IDENTITY_OIDC_COOKIE_KEYS: every key must have at least 32 characters'],
    [{ IDENTITY_ISSUER: 'https://id.example.com' }, 'IDENTITY_ISSUER: must have a path of its own'],
    [{ IDENTITY_OIDC_CLIENTS: '[{"client_id":"x","grant_types":["implicit"]}]' }, 'client x: grant_types must be some of'],
    [{ IDENTITY_OIDC_CLIENTS: '[{"client_id":"x","grant_types":["password"]}]' }, 'client x: grant_types must be some of'],
    [
      { IDENTITY_OIDC_CLIENTS: '[{"client_id":"x","grant_types":["authorization_code"]}]' },
      'client x: authorization_code needs redirect_uris',
    ],
    [
      { IDENTITY_OIDC_CLIENTS: '[{"client_id":"x","grant_types":["client_credentials"]}]' },
      'client x: client_credentials needs a client_secret',
    ],
    [
      {
        IDENTITY_OIDC_CLIENTS: `[{"client_id":"x","grant_types":["client_credentials"],"client_secret":"${randomBytes(32).toString('hex')}","roles":["admin"]}]`,
      },
      'client x: unknown property roles',
    ],
  ])('when %j, then the start stops naming the variable', (overrides, message) => {
    const text = refusal(overrides);
    expect(text).toContain(message);
    // A secret is never echoed.
    for (const value of Object.values(overrides)) if (value && value.length > 10) expect(text).not.toContain(value);
  });
});
