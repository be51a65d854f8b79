import type { MigrationSet } from '@emporium/db';
import * as m0001 from './0001-payments.js';
import * as m0002 from './0002-operations-notify.js';
import * as m0003 from './0003-operation-hints.js';
import * as m0004 from './0004-operation-trace.js';
import * as m0005 from './0005-refund-requester.js';

/** Forward-only; a change is a new entry, never an edit of an applied one. */
export const paymentsMigrations: MigrationSet = {
  '0001_payments': m0001,
  '0002_operations_notify': m0002,
  '0003_operation_hints': m0003,
  '0004_operation_trace': m0004,
  '0005_refund_requester': m0005,
};
