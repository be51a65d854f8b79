import { problems, requireRole, type ServiceApp } from '@emporium/service';
import { getUser, listUsers } from '../../domain/admin-users.js';
import type { IdentityDeps } from '../../domain/deps.js';
import { readAuditLog } from '../../domain/read-audit.js';
import { updateUser } from '../../domain/update-user.js';
import { clientOf } from './caller.js';
import { AdminHeaders, AuditPageView, AuditQuery, UserPageView, UserParams, UserPatchBody, UserView, UsersQuery } from './schemas.js';
import { auditView, userView } from './views.js';

/**
 * User management and the audit log: admins only, through the platform's temporary role seam
 * (platform/service access.ts). That seam names no user, so the audit log records these changes
 * with actor 'system' and `via: role-header` until JWT verification gives the admin's id.
 */
export function adminRoutes(app: ServiceApp, deps: IdentityDeps, trustedHops: number): void {
  const admins = requireRole('admin');
  const denied = { 401: 'unauthenticated', 403: 'forbidden' };

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
      const page = await listUsers(deps, request.query);
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
    async (request) => userView(await getUser(deps, request.params.id)),
  );

  app.patch(
    '/api/identity/admin/users/:id',
    {
      onRequest: admins,
      schema: {
        tags: ['admin'],
        summary: 'Change roles, region, refund limit or suspension',
        description: 'Each change is an audit entry committed with it; suspending ends every session of the user.',
        headers: AdminHeaders,
        params: UserParams,
        body: UserPatchBody,
        response: { 200: UserView, ...problems({ 400: 'validation_failed, empty_patch', ...denied, 404: 'user_not_found' }) },
      },
    },
    async (request) =>
      userView(
        await updateUser(deps, request.params.id, request.body, {
          actor: 'system',
          via: 'role-header',
          client: clientOf(request, trustedHops),
        }),
      ),
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
      const page = await readAuditLog(deps, request.query);
      return { items: page.items.map(auditView), nextCursor: page.nextCursor };
    },
  );
}
