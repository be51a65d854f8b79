export {
  SYSTEM,
  SERVICES,
  databaseName,
  BROKER_DATABASE,
  linksFor,
  newSecrets,
  oidcClientsOf,
  type Links,
  type SystemEntry,
  type SystemSecrets,
} from './services.js';
export { accountName, brokerGrantOf, rabbitPasswordHash, scramSha256Verifier, type BrokerNeeds } from './least-privilege.js';
export { startSystem, seedDemoStock, type RunningSystem, type SystemOptions } from './system.js';
export { startEmbedded } from './start-embedded.js';
export { startDistributed } from './start-distributed.js';
export { configReference } from './config-docs.js';
export { checkInvariants, findViolations, formatFindings, readSystem, INVARIANTS, type CheckOptions, type Finding } from './invariants.js';
export { systemTokens, type SystemTokens } from './tokens.js';
