import type { Role } from '@emporium/service';

/** Who may change stock (set counts, record receipts). */
export const STOCK_WRITERS: readonly Role[] = ['merchandiser', 'admin'];

/** Who may read stock levels and reservations (support answers customers about their orders). */
export const STOCK_READERS: readonly Role[] = ['support', 'merchandiser', 'admin'];
