import { InventoryCommitRequestedV1, InventoryReleaseRequestedV1, InventoryReserveRequestedV1 } from '@emporium/contracts';
import type { InboxHandler } from '@emporium/messaging';
import type { InventoryDatabase } from '../../data-access/tables.js';
import { type CommitCommand, commitReservation } from '../../domain/commit-reservation.js';
import type { InventoryDeps } from '../../domain/deps.js';
import { type ReleaseCommand, releaseReservation } from '../../domain/release-reservation.js';
import { type ReserveCommand, reserveStock } from '../../domain/reserve-stock.js';

/** The commands the inventory consumes (their schemas are validated by the runtime before a handler runs). */
export const CONSUMED = [InventoryReserveRequestedV1, InventoryCommitRequestedV1, InventoryReleaseRequestedV1];

/**
 * Thin consumers: each runs its use case in the inbox transaction, so the effects, the answer in
 * the outbox and the inbox row commit together, and a redelivered message is skipped. `deps`
 * resolves the dependencies of the running instance (see index.ts).
 */
export function inventoryHandlers(deps: () => InventoryDeps): Record<string, InboxHandler<InventoryDatabase>> {
  return {
    [InventoryReserveRequestedV1.type]: async (trx, envelope) => {
      await reserveStock(deps(), trx, envelope.data as ReserveCommand);
    },
    [InventoryCommitRequestedV1.type]: async (trx, envelope) => {
      await commitReservation(deps(), trx, envelope.data as CommitCommand);
    },
    [InventoryReleaseRequestedV1.type]: async (trx, envelope) => {
      await releaseReservation(deps(), trx, envelope.data as ReleaseCommand);
    },
  };
}
