import { type KeysetPosition, keysetCursor } from '@emporium/db';
import { invalidCursor } from './errors.js';

/** Where a page ended (the keyset of its last row). */
export type Position = KeysetPosition;

export const { encodeCursor, decodeCursor } = keysetCursor(invalidCursor);
