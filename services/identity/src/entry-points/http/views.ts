import type { Address } from '../../domain/address.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { Session } from '../../domain/session.js';
import type { User } from '../../domain/user.js';
import type { AccountView, AddressView, AuditEntryView, SessionView, UserView } from './schemas.js';

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

export const accountView = (u: User): AccountView => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles,
  region: u.region,
  createdAt: u.createdAt.toISOString(),
});

/** `currentId`: the session the request came with (null for an access token: none is marked). */
export const sessionView = (s: Session, currentId: string | null): SessionView => ({
  id: s.id,
  current: s.id === currentId,
  createdAt: s.createdAt.toISOString(),
  lastSeenAt: s.lastSeenAt.toISOString(),
  expiresAt: s.idleExpiresAt.toISOString(),
  absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
  userAgent: s.userAgent,
  ip: s.ip,
  singleSignOn: s.providerSessionUid !== null,
});

export const auditView = (e: AuditEntry, summary: string): AuditEntryView => ({
  id: e.id,
  at: e.at.toISOString(),
  actor: e.actor,
  subjectUserId: e.subjectUserId,
  action: e.action,
  summary,
  details: e.details,
  ip: e.ip,
});

export const addressView = (a: Address): AddressView => ({
  id: a.id,
  name: a.name,
  line1: a.line1,
  line2: a.line2,
  city: a.city,
  postalCode: a.postalCode,
  country: a.country,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});
