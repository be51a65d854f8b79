import { problems, requireRole, type ServiceApp } from '@emporium/service';
import { describeEntry } from '../../domain/activity.js';
import { getUser, listUsers } from '../../domain/admin-users.js';
import type { IdentityDeps } from '../../domain/deps.js';
import { readAuditLog } from '../../domain/read-audit.js';
import { updateUser } from '../../domain/update-user.js';
import { clientOf, requireTokenCaller } from './caller.js';
import { sendLogoutNotices } from './logout-notices.js';
import { AdminHeaders, AuditPageView, AuditQuery, UserPageView, UserParams, UserPatchBody, UserView, UsersQuery } from './schemas.js';
import { auditView, userView } from './views.js';

/**
 * User management and the audit log, for admins: a verified access token for identity whose user
 * holds the role admin — in the token (the `requireRole` hook, before the body is read) and in
 * our table now (the policy, domain/policy.ts). The admin's id is the actor of every change.
 */
export function adminRoutes(app: ServiceApp, deps: IdentityDeps, trustedHops: number): void {
  const admins = requireRole('admin');
  const denied = {
    401: 'unauthenticated, invalid_token',
    403: 'forbidden (not an admin, a suspended one, or an admin changing their own account)',
  };

  app.get(
    '/api/identity/admin/users',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Users, newest first; filter by e-mail prefix',
        headers: AdminHeaders,
        querystring: UsersQuery,
        response: { 200: UserPageView, ...problems({ 400: 'validation_failed, invalid_cursor', ...denied }) },
      },
    },
    async (request) => {
      const page = await listUsers(deps, await requireTokenCaller(deps, request), request.query);
      return { items: page.items.map(userView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/identity/admin/users/:id',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'One user with roles and attributes',
        headers: AdminHeaders,
        params: UserParams,
        response: { 200: UserView, ...problems({ 400: 'validation_failed', ...denied, 404: 'user_not_found' }) },
      },
    },
    async (request) => userView(await getUser(deps, await requireTokenCaller(deps, request), request.params.id)),
  );

  app.patch(
    '/api/identity/admin/users/:id',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: "Change another user's roles, region, refund limit or suspension",
        description:
          'Each change is an audit entry (actor: the admin; details: from, to) committed with it; suspending ends every session of ' +
          'the user everywhere. Unknown properties → 400. An admin cannot change their own account (403).',
        headers: AdminHeaders,
        params: UserParams,
        body: UserPatchBody,
        response: { 200: UserView, ...problems({ 400: 'validation_failed, empty_patch', ...denied, 404: 'user_not_found' }) },
      },
    },
    async (request) => {
      const caller = await requireTokenCaller(deps, request);
      const { user, ended } = await updateUser(deps, request.params.id, request.body, { caller, client: clientOf(request, trustedHops) });
      sendLogoutNotices(app, ended.providerSessions);
      return userView(user);
    },
  );

  app.get(
    '/api/identity/admin/audit',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'The audit log, newest first; filter by subject user or action',
        headers: AdminHeaders,
        querystring: AuditQuery,
        response: { 200: AuditPageView, ...problems({ 400: 'validation_failed, invalid_cursor', ...denied }) },
      },
    },
    async (request) => {
      const page = await readAuditLog(deps, await requireTokenCaller(deps, request), request.query);
      return { items: page.items.map((e) => auditView(e, describeEntry(e))), nextCursor: page.nextCursor };
    },
  );
}
