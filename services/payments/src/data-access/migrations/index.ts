import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-payments.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const paymentsMigrations: MigrationSet = {
  '0001_payments': m0001,
};
