import { runMain } from '@emporium/service';
import { gatewayModule } from './index.js';

await runMain(gatewayModule);
