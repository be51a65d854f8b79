import { findUserById, findUserPage } from '../data-access/users-repository.js';
import { decodeCursor, pageOf } from './cursor.js';
import type { IdentityDeps } from './deps.js';
import { userNotFound } from './errors.js';
import type { Page } from './read-audit.js';
import type { User } from './user.js';

/** Users for admins, newest first, optionally those whose e-mail starts with a prefix. */
export async function listUsers(
  deps: IdentityDeps,
  query: Page & { emailPrefix?: string | undefined },
): Promise<{ items: User[]; nextCursor: string | null }> {
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

export async function getUser(deps: IdentityDeps, id: string): Promise<User> {
  const user = await findUserById(deps.db, id);
  if (!user) throw userNotFound(id);
  return user;
}
