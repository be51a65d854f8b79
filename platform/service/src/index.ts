export { createServiceApp, HIDDEN_FROM_DOCS, type ServiceApp, type ServiceAppOptions, type ReadinessCheck } from './app.js';
export { sendProblem } from './problems.js';
export { httpConfig, databaseConfig, messagingConfig, authConfig, serviceClientConfig } from './base-config.js';
export {
  startService,
  runMain,
  dispatcher,
  queueSpecOf,
  type ServiceModule,
  type ServiceContext,
  type StartOptions,
  type RunningService,
  type BackgroundJob,
} from './runtime.js';
export { principalOf, authenticate, requireRole, requireCustomer, requireServiceScope, type Role, type Principal } from './access.js';
export { ProblemSchema, problems } from './problem-schemas.js';
export { every } from './every.js';
