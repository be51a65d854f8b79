export { freePort, freePortBlock } from './ports.js';
export { testMode, testServerUrl, testAmqpUrl, uniqueName, createTestDatabase, type TestMode } from './env.js';
export { waitFor } from './wait.js';
export { startTestService, createTestTransport, deleteTestTopology, type TestService } from './service.js';
export { spawnTs, type Child } from './child.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { startRabbitNode, type RabbitNode, type RabbitNodeOptions } from './rabbitmq-node.js';
export { startStandIn, type StandIn } from './stand-in-server.js';
export { testIssuer, testAuthEnv, bearerFor, type TestCaller } from './auth.js';
