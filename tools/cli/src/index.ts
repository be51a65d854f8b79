export { SERVICES, databaseName, BROKER_DATABASE } from './services.js';
export { startEmbedded } from './start-embedded.js';
export { startDistributed } from './start-distributed.js';
export { configReference } from './config-docs.js';
