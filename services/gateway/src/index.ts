import type { ServiceModule } from '@emporium/service';
import { buildGatewayApp } from './app.js';
import { gatewayConfig } from './config.js';

export { gatewayConfig, type GatewayConfig } from './config.js';
export { upstreamsOf, type Upstream } from './upstreams.js';

/** The gateway owns no database and no messages: it routes public requests to the services. */
export const gatewayModule: ServiceModule<unknown, typeof gatewayConfig> = {
  name: 'gateway',
  description: "Emporium's one public entry: routes /api/<service>/* to the services",
  configSchema: gatewayConfig,
  buildApp: buildGatewayApp,
};
