import { problems, type ServiceApp } from '@emporium/service';
import { myAccount } from '../../domain/admin-users.js';
import { changePassword } from '../../domain/change-password.js';
import type { IdentityDeps } from '../../domain/deps.js';
import { login } from '../../domain/login.js';
import { signUp } from '../../domain/sign-up.js';
import { addressRoutes } from './addresses.js';
import { clientOf, requireCaller } from './caller.js';
import { sendLogoutNotices } from './logout-notices.js';
import {
  AccountView,
  CallerHeaders,
  ChangePasswordBody,
  ChangePasswordView,
  LoginBody,
  LoginView,
  SignedUpView,
  SignUpBody,
} from './schemas.js';
import { accountView } from './views.js';

const CALLER_PROBLEMS = { 401: 'unauthenticated, invalid_token', 403: 'forbidden (a service token, or a suspended account)' };

/**
 * Sign-up and login (anyone), and the signed-in user's own account: reading it, changing the
 * password, saved addresses. There is no route by which users change their own roles or
 * attributes: only an admin changes them, and never their own.
 */
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
        summary: "Change the signed-in user's password; ends every other session everywhere",
        description:
          'The session the request came with stays; with an access token every session ends (the app signs in again), and so ' +
          'does every refresh token of the account.',
        headers: CallerHeaders,
        body: ChangePasswordBody,
        response: {
          200: ChangePasswordView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated, invalid_token',
            403: 'current_password_invalid; forbidden (a service token, or a suspended account)',
            422: 'weak_password',
            429: 'rate_limited (counts with failed logins of the account; Retry-After)',
          }),
        },
      },
    },
    async (request) => {
      const caller = await requireCaller(deps, request);
      const { revokedSessions, ended } = await changePassword(deps, caller, request.body, clientOf(request, trustedHops));
      sendLogoutNotices(app, ended.providerSessions);
      return { revokedSessions };
    },
  );

  app.get(
    '/api/identity/me',
    {
      schema: {
        tags: ['account'],
        summary: 'My account: e-mail, name, roles, region (read only)',
        headers: CallerHeaders,
        response: { 200: AccountView, ...problems(CALLER_PROBLEMS) },
      },
    },
    async (request) => accountView(myAccount(await requireCaller(deps, request))),
  );

  addressRoutes(app, deps, trustedHops);
}
