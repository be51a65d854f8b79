import { authorize } from '@emporium/auth';
import { findUserById, findUserPage } from '../data-access/users-repository.js';
import { type Caller, principalOfCaller } from './caller.js';
import { decodeCursor, pageOf } from './cursor.js';
import type { IdentityDeps } from './deps.js';
import { userNotFound } from './errors.js';
import { identityPolicy } from '../policy.js';
import type { Page } from './read-audit.js';
import type { User } from './user.js';

/** Users for admins, newest first, optionally those whose e-mail starts with a prefix. */
export async function listUsers(
  deps: IdentityDeps,
  caller: Caller,
  query: Page & { emailPrefix?: string | undefined },
): Promise<{ items: User[]; nextCursor: string | null }> {
  authorize(identityPolicy(principalOfCaller(caller)), 'read', 'User');
  const rows = await findUserPage(deps.db, {
    emailPrefix: query.emailPrefix?.trim() || undefined,
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    limit: query.limit + 1,
  });
  return pageOf(
    rows.map((r) => ({ position: r.position, id: r.user.id, item: r.user })),
    query.limit,
  );
}

export async function getUser(deps: IdentityDeps, caller: Caller, id: string): Promise<User> {
  authorize(identityPolicy(principalOfCaller(caller)), 'read', 'User', { id });
  const user = await findUserById(deps.db, id);
  if (!user) throw userNotFound(id);
  return user;
}

/** The caller's own account. */
export function myAccount(caller: Caller): User {
  authorize(identityPolicy(principalOfCaller(caller)), 'read', 'Account', { id: caller.user.id });
  return caller.user;
}
