import { createTestIssuer, type Role, type TestIssuer } from '@emporium/auth';

/**
 * The identity service's stand-in for component tests: one issuer per test process (real ES256
 * keys, a JWKS on a loopback port) that every test service trusts unless a test gives its own
 * AUTH_ISSUER. Tokens are minted for the service under test's name (its default audience).
 */
let issuerOnce: Promise<TestIssuer> | undefined;

export function testIssuer(): Promise<TestIssuer> {
  issuerOnce ??= createTestIssuer();
  return issuerOnce;
}

/** AUTH_ISSUER and AUTH_JWKS_URL of the test issuer. */
export async function testAuthEnv(): Promise<Record<string, string>> {
  const issuer = await testIssuer();
  return { AUTH_ISSUER: issuer.issuer, AUTH_JWKS_URL: issuer.jwksUrl };
}

/** Who a test token speaks for. */
export type TestCaller =
  | { customer: string; region?: string; suspended?: boolean }
  | {
      roles: Role[];
      /** The user id; default `usr_<first role>`. */
      sub?: string;
      region?: string;
      refundLimit?: { amount: number; currency: string };
      suspended?: boolean;
    }
  | { service: string; scopes?: string[] };

/** An `Authorization: Bearer` header for `audience` (a service's name), valid for an hour. */
export async function bearerFor(audience: string, caller: TestCaller): Promise<{ authorization: string }> {
  const issuer = await testIssuer();
  const options = { expiresInSec: 3_600 };
  let token: string;
  if ('service' in caller) {
    token = await issuer.serviceToken(caller.service, audience, caller.scopes ?? [], options);
  } else if ('customer' in caller) {
    token = await issuer.userToken(
      audience,
      { sub: caller.customer, roles: ['customer'], region: caller.region, suspended: caller.suspended ?? false },
      options,
    );
  } else {
    token = await issuer.userToken(
      audience,
      {
        sub: caller.sub ?? `usr_${caller.roles[0] ?? 'nobody'}`,
        client_id: 'admin-console',
        roles: caller.roles,
        region: caller.region,
        refund_limit: caller.refundLimit,
        suspended: caller.suspended ?? false,
      },
      options,
    );
  }
  return { authorization: `Bearer ${token}` };
}
