/** Where a page ended: the keyset (created_at with microseconds, id) of its last row. */
export interface KeysetPosition {
  position: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The opaque page cursor of keyset pagination (base64url of a small versioned JSON document).
 * `invalid` makes the service's own error for a cursor it did not issue (400 invalid_cursor).
 */
export function keysetCursor(invalid: () => Error) {
  return {
    encodeCursor: (p: KeysetPosition): string => Buffer.from(JSON.stringify({ v: 1, t: p.position, i: p.id })).toString('base64url'),
    decodeCursor(cursor: string): KeysetPosition {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      const { v, t, i } = (parsed ?? {}) as { v?: unknown; t?: unknown; i?: unknown };
      if (v !== 1 || typeof t !== 'string' || typeof i !== 'string' || !TIMESTAMP.test(t) || !UUID.test(i)) throw invalid();
      // A well-formed but impossible date (2024-02-30) would make PostgreSQL fail: check it round-trips.
      const ms = `${t.slice(0, 23)}Z`;
      const date = new Date(ms);
      if (Number.isNaN(date.getTime()) || date.toISOString() !== ms) throw invalid();
      return { position: t, id: i };
    },
  };
}
