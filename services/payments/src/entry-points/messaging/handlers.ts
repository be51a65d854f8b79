import {
  PaymentsAuthorizeRequestedV1,
  PaymentsCaptureRequestedV1,
  PaymentsRefundRequestedV1,
  PaymentsVoidRequestedV1,
} from '@emporium/contracts';
import type { DataOf, InboxHandler } from '@emporium/messaging';
import type { PaymentsDatabase } from '../../data-access/tables.js';
import type { CommandDeps } from '../../domain/deps.js';
import { recordAuthorizeRequest } from '../../domain/record-authorize.js';
import { recordCaptureRequest } from '../../domain/record-capture.js';
import { recordRefundRequest } from '../../domain/record-refund.js';
import { recordVoidRequest } from '../../domain/record-void.js';

/** The commands payments consumes (from the orders saga). */
export const consumedCommands = [
  PaymentsAuthorizeRequestedV1,
  PaymentsCaptureRequestedV1,
  PaymentsVoidRequestedV1,
  PaymentsRefundRequestedV1,
];

/**
 * Thin consumers: each runs in the inbox transaction and only records intent in the database
 * (never a provider call: a handler may run again after a rollback). The worker does the rest.
 */
export function commandHandlers(deps: CommandDeps): Record<string, InboxHandler<PaymentsDatabase>> {
  return {
    [PaymentsAuthorizeRequestedV1.type]: (trx, e) =>
      recordAuthorizeRequest(trx, deps, e.data as DataOf<typeof PaymentsAuthorizeRequestedV1>),
    [PaymentsCaptureRequestedV1.type]: (trx, e) => recordCaptureRequest(trx, deps, e.data as DataOf<typeof PaymentsCaptureRequestedV1>),
    [PaymentsVoidRequestedV1.type]: (trx, e) => recordVoidRequest(trx, deps, e.data as DataOf<typeof PaymentsVoidRequestedV1>),
    [PaymentsRefundRequestedV1.type]: (trx, e) => recordRefundRequest(trx, deps, e.data as DataOf<typeof PaymentsRefundRequestedV1>),
  };
}
