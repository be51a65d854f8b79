/** What the audit log records, by action name (stable: readers and alerts match on them). */
export const AUDIT_ACTIONS = {
  signedUp: 'account.signed_up',
  loginSucceeded: 'login.succeeded',
  loginFailed: 'login.failed',
  loginRefusedSuspended: 'login.refused_suspended',
  passwordChanged: 'password.changed',
  passwordChangeFailed: 'password.change_failed',
  sessionRevoked: 'session.revoked',
  sessionsRevokedAll: 'sessions.revoked_all',
  rolesChanged: 'user.roles_changed',
  regionChanged: 'user.region_changed',
  refundLimitChanged: 'user.refund_limit_changed',
  suspended: 'user.suspended',
  reinstated: 'user.reinstated',
  addressAdded: 'address.added',
  addressChanged: 'address.changed',
  addressRemoved: 'address.removed',
} as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

/** What a user reads as their own account activity (admin decisions about them stay in the admin log). */
export const ACCOUNT_ACTIVITY_ACTIONS: readonly AuditAction[] = [
  AUDIT_ACTIONS.signedUp,
  AUDIT_ACTIONS.loginSucceeded,
  AUDIT_ACTIONS.loginFailed,
  AUDIT_ACTIONS.loginRefusedSuspended,
  AUDIT_ACTIONS.passwordChanged,
  AUDIT_ACTIONS.passwordChangeFailed,
  AUDIT_ACTIONS.sessionRevoked,
  AUDIT_ACTIONS.sessionsRevokedAll,
  AUDIT_ACTIONS.addressAdded,
  AUDIT_ACTIONS.addressChanged,
  AUDIT_ACTIONS.addressRemoved,
];

/**
 * Who acted: a user id — the user themselves, or the admin named by the verified access token's
 * `sub` — or 'system' only for a refused login, whose typist is not known.
 */
export type Actor = string | 'system';

export interface AuditEntry {
  id: string;
  at: Date;
  actor: Actor;
  subjectUserId: string | null;
  action: AuditAction;
  /** Never a secret: no password, hash, session secret or token. */
  details: Record<string, unknown>;
  ip: string | null;
}

/** A new entry with its id; `at` is the time of the effect it records. */
export function auditEntry(
  newId: () => string,
  at: Date,
  entry: { actor: Actor; subjectUserId: string | null; action: AuditAction; details?: Record<string, unknown>; ip: string | null },
): AuditEntry {
  return { id: newId(), at, details: {}, ...entry };
}
