import { invalidCursor } from './errors.js';

/** Where a page ended: the keyset (created_at with microseconds, id) of its last entry. */
export interface Position {
  position: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: base64url of a small versioned JSON document. */
export const encodeCursor = (p: Position): string => Buffer.from(JSON.stringify({ v: 1, t: p.position, i: p.id })).toString('base64url');

/** The position a cursor names; a cursor this service did not issue → 400 invalid_cursor. */
export function decodeCursor(cursor: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const { v, t, i } = (parsed ?? {}) as { v?: unknown; t?: unknown; i?: unknown };
  if (v !== 1 || typeof t !== 'string' || typeof i !== 'string' || !TIMESTAMP.test(t) || !UUID.test(i)) throw invalidCursor();
  const ms = `${t.slice(0, 23)}Z`;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== ms) throw invalidCursor();
  return { position: t, id: i };
}
