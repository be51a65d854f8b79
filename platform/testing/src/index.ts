export { freePort } from './ports.js';
export { testMode, testServerUrl, testAmqpUrl, uniqueName, createTestDatabase, type TestMode } from './env.js';
export { waitFor } from './wait.js';
