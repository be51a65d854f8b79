import { InventoryCommitRequestedV1, InventoryReleaseRequestedV1, InventoryReserveRequestedV1 } from '@emporium/contracts';
import type { Envelope, InboxHandler } from '@emporium/messaging';
import type { InventoryTrx } from '../../data-access/db.js';
import type { InventoryDatabase } from '../../data-access/tables.js';
import { type CommitCommand, commitReservation } from '../../domain/commit-reservation.js';
import type { InventoryDeps } from '../../domain/deps.js';
import type { HeldRows } from '../../domain/held-rows.js';
import { lockForCommands, type OrderCommand } from '../../domain/lock-commands.js';
import { type ReleaseCommand, releaseReservation } from '../../domain/release-reservation.js';
import { type ReserveCommand, reserveStock } from '../../domain/reserve-stock.js';

/** The commands the inventory consumes (their schemas are validated by the runtime before a handler runs). */
export const CONSUMED = [InventoryReserveRequestedV1, InventoryCommitRequestedV1, InventoryReleaseRequestedV1];

/**
 * Thin consumers: each runs its use case in the inbox transaction, so the effects, the answer in
 * the outbox and the inbox row commit together, and a redelivered message is skipped. Before the
 * handlers of a transaction run (one message, or a group commit of many), `lockBatch` takes every
 * lock they need in the inventory's one lock order (domain/lock-commands.ts) and hands each
 * handler the rows it read. `deps` resolves the dependencies of the running instance (see
 * index.ts).
 */
export function inventoryConsumer(deps: () => InventoryDeps): {
  definitions: typeof CONSUMED;
  handlers: Record<string, InboxHandler<InventoryDatabase, HeldRows>>;
  lockBatch: (trx: InventoryTrx, envelopes: readonly Envelope[]) => Promise<HeldRows>;
} {
  return {
    definitions: CONSUMED,
    // Every command the inventory consumes names its order; a reserve command also its lines.
    lockBatch: (trx, envelopes) =>
      lockForCommands(
        trx,
        envelopes.map((e) => e.data as OrderCommand),
      ),
    handlers: {
      [InventoryReserveRequestedV1.type]: async (trx, envelope, _delivery, held) => {
        await reserveStock(deps(), trx, held, envelope.data as ReserveCommand);
      },
      [InventoryCommitRequestedV1.type]: async (trx, envelope, _delivery, held) => {
        await commitReservation(deps(), trx, held, envelope.data as CommitCommand);
      },
      [InventoryReleaseRequestedV1.type]: async (trx, envelope, _delivery, held) => {
        await releaseReservation(deps(), trx, held, envelope.data as ReleaseCommand);
      },
    },
  };
}
