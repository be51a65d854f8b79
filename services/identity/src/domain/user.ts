/** An account as the use cases see it. The password hash never leaves the data-access layer's callers in domain/. */

export const ROLES = ['customer', 'support', 'merchandiser', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Money {
  /** Integer minor units. */
  amount: number;
  currency: string;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  roles: Role[];
  region: string | null;
  refundLimit: Money | null;
  suspended: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A user with the hash of their password: read only where a password is checked or changed. */
export interface UserWithCredentials extends User {
  passwordHash: string;
}

/** E-mail addresses are compared case-insensitively (the unique index is on lower(email)). */
export const emailKey = (email: string) => email.trim().toLowerCase();
