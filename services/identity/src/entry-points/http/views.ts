import type { AuditEntry } from '../../domain/audit.js';
import type { Session } from '../../domain/session.js';
import type { User } from '../../domain/user.js';
import type { AuditEntryView, SessionView, UserView } from './schemas.js';

export const userView = (u: User): UserView => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles,
  region: u.region,
  refundLimit: u.refundLimit,
  suspended: u.suspended,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
});

export const sessionView = (s: Session, currentId: string): SessionView => ({
  id: s.id,
  current: s.id === currentId,
  createdAt: s.createdAt.toISOString(),
  lastSeenAt: s.lastSeenAt.toISOString(),
  expiresAt: s.idleExpiresAt.toISOString(),
  absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
  userAgent: s.userAgent,
  ip: s.ip,
});

export const auditView = (e: AuditEntry): AuditEntryView => ({
  id: e.id,
  at: e.at.toISOString(),
  actor: e.actor,
  subjectUserId: e.subjectUserId,
  action: e.action,
  details: e.details,
  ip: e.ip,
});
