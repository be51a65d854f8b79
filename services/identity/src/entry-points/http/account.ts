import { problems, type ServiceApp } from '@emporium/service';
import { changePassword } from '../../domain/change-password.js';
import type { IdentityDeps } from '../../domain/deps.js';
import { login } from '../../domain/login.js';
import { signUp } from '../../domain/sign-up.js';
import { clientOf, requireSession } from './caller.js';
import { ChangePasswordBody, ChangePasswordView, LoginBody, LoginView, SessionHeaders, SignedUpView, SignUpBody } from './schemas.js';

/** Sign-up, login and password change: the routes anyone (or the signed-in user) calls. */
export function accountRoutes(app: ServiceApp, deps: IdentityDeps, trustedHops: number): void {
  app.post(
    '/api/identity/signup',
    {
      schema: {
        tags: ['account'],
        summary: 'Open an account (role customer)',
        body: SignUpBody,
        response: {
          201: SignedUpView,
          ...problems({
            400: 'validation_failed (including unknown properties such as roles or suspended)',
            409: 'email_taken',
            422: 'weak_password',
            429: 'rate_limited (too many taken e-mails from this address; Retry-After)',
          }),
        },
      },
    },
    async (request, reply) => {
      const user = await signUp(deps, request.body, clientOf(request, trustedHops));
      return reply.status(201).header('location', `/api/identity/admin/users/${user.id}`).send({ userId: user.id });
    },
  );

  app.post(
    '/api/identity/login',
    {
      schema: {
        tags: ['account'],
        summary: 'Log in with e-mail and password; starts a new session',
        description:
          'A wrong password and an unknown e-mail get the same 401 in about the same time. Failures are limited per e-mail and per ' +
          'client address (429 with Retry-After).',
        body: LoginBody,
        response: {
          200: LoginView,
          ...problems({
            400: 'validation_failed',
            401: 'invalid_credentials',
            403: 'account_suspended',
            429: 'rate_limited (Retry-After)',
          }),
        },
      },
    },
    async (request, reply) => {
      const { session, secret } = await login(deps, request.body, clientOf(request, trustedHops));
      reply.header('cache-control', 'no-store');
      return {
        sessionId: secret,
        userId: session.userId,
        expiresAt: session.idleExpiresAt.toISOString(),
        absoluteExpiresAt: session.absoluteExpiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/api/identity/password',
    {
      schema: {
        tags: ['account'],
        summary: "Change the signed-in user's password; ends every other session",
        headers: SessionHeaders,
        body: ChangePasswordBody,
        response: {
          200: ChangePasswordView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated',
            403: 'current_password_invalid',
            422: 'weak_password',
            429: 'rate_limited (counts with failed logins of the account; Retry-After)',
          }),
        },
      },
    },
    async (request) => {
      const auth = await requireSession(deps, request);
      return changePassword(deps, auth, request.body, clientOf(request, trustedHops));
    },
  );
}
