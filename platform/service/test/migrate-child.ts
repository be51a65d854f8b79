// A service's main.ts in miniature, for `node main.js migrate`: runMain with a module that owns a
// database and has a required secret that the migrate command must not ask for.
import { str } from '@emporium/config';
import { sql } from '@emporium/db';
import { databaseConfig, httpConfig, messagingConfig, runMain, type ServiceModule } from '@emporium/service';

const configSchema = {
  ...httpConfig(0),
  ...databaseConfig(),
  ...messagingConfig(),
  WIDGET_SIGNING_KEY: str({ secret: true, description: 'test' }),
};

const module: ServiceModule<any, typeof configSchema> = {
  name: 'widgets',
  description: 'migrate command test',
  configSchema,
  ...(process.env.CHILD_WITHOUT_MIGRATIONS
    ? {}
    : {
        migrations: {
          '0001_widgets': { up: async (db) => void (await sql`CREATE TABLE widgets (id text PRIMARY KEY)`.execute(db)) },
        },
      }),
  async buildApp(ctx) {
    process.stdout.write('app built\n');
    return ctx.createApp();
  },
};

await runMain(module);
