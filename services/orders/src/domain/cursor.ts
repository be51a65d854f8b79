import { keysetCursor } from '@emporium/db';
import { invalidCursor } from './errors.js';

export const { encodeCursor, decodeCursor } = keysetCursor(invalidCursor);
