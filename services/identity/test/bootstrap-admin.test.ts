import { sql } from '@emporium/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdminCommand } from '../src/index.js';
import { type Identity, signUp, startIdentity } from './support.js';

let identity: Identity;
beforeAll(async () => {
  identity = await startIdentity();
});
afterAll(async () => {
  await identity?.close();
});

async function run(email: string | undefined) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await bootstrapAdminCommand({ DATABASE_URL: identity.ctx.db.url }, email, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}
const rolesOf = async (userId: string) =>
  (await sql<{ roles: string[] }>`SELECT roles FROM users WHERE id = ${userId}`.execute(identity.ctx.db)).rows[0]!.roles;

describe('emporium bootstrap-admin: the first admin of a new system', () => {
  it('when no admin exists, then the named account becomes one, audited as the system via the command; once one exists, it is refused and nothing changes', async () => {
    const first = await signUp(identity);
    const second = await signUp(identity);

    expect(await run('nobody@example.com')).toMatchObject({ code: 1 });
    expect(await run(undefined)).toMatchObject({ code: 64 });

    const made = await run(first.email.toUpperCase());
    expect(made.code).toBe(0);
    expect(made.out.join('\n')).toContain(first.userId);
    expect(await rolesOf(first.userId)).toEqual(['customer', 'admin']);
    const audit = await sql<{ actor: string; action: string; details: { from: string[]; to: string[] } }>`
      SELECT actor, action, details FROM audit_log WHERE subject_user_id = ${first.userId} AND action = 'user.roles_changed'`.execute(
      identity.ctx.db,
    );
    expect(audit.rows).toEqual([
      expect.objectContaining({
        actor: 'system',
        details: expect.objectContaining({ from: ['customer'], to: ['customer', 'admin'], via: 'bootstrap-admin command' }),
      }),
    ]);

    const again = await run(second.email);
    expect(again.code).toBe(1);
    expect(again.err.join('\n')).toMatch(/an admin exists already/);
    expect(await rolesOf(second.userId)).toEqual(['customer']);
  });
});
