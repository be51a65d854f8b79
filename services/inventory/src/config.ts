import { defineConfig, int } from '@emporium/config';
import { authConfig, databaseConfig, httpConfig, messagingConfig } from '@emporium/service';

/** The inventory's settings, validated at start (`npm run docs:config` prints them as a table). */
export const inventoryConfig = defineConfig({
  ...httpConfig(3002),
  ...authConfig(),
  ...databaseConfig(),
  ...messagingConfig(),
  INVENTORY_RESERVATION_TTL_MS: int({
    default: 15 * 60_000,
    min: 100,
    max: 7 * 24 * 3_600_000,
    description: "Longest a reservation lives before it is released: a reserve command's later expiresAt is shortened to this",
  }),
  INVENTORY_EXPIRY_SWEEP_INTERVAL_MS: int({
    default: 5_000,
    min: 20,
    max: 3_600_000,
    description: 'Pause between sweeps that release expired reservations (a sweep continues while it finds full batches)',
  }),
  INVENTORY_EXPIRY_BATCH_SIZE: int({
    default: 100,
    min: 1,
    max: 5_000,
    description: 'Reservations released per sweep transaction',
  }),
});

export type InventoryConfig = typeof inventoryConfig;
