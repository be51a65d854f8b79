export { createTokenVerifier, ALLOWED_ALGORITHMS, type Algorithm, type TokenVerifier, type TokenVerifierOptions } from './verifier.js';
export { principalFromClaims, CLAIMS, ROLES, type Principal, type Role, type Money } from './principal.js';
export { bearerTokenOf } from './bearer.js';
export { definePolicy, authorize, authorizeVisible, allowed, requireScope, type Ability } from './policy.js';
export {
  AuthError,
  forbidden,
  identityUnavailable,
  insufficientScope,
  invalidToken,
  unauthenticated,
  type TokenRejection,
} from './errors.js';
// Test support: a real issuer with a JWKS on a loopback port (see README, "Testing with real tokens").
export { createTestIssuer, type TestIssuer, type TestKey, type TestAlgorithm, type TestClaims, type MintOptions } from './testing.js';
export { serviceTokens, resourceIndicatorOf, ServiceTokenError, type ServiceTokens, type ServiceTokenOptions } from './service-tokens.js';
