/**
 * Least privilege in the distributed mode: each service reaches PostgreSQL as a role of its own
 * that owns only its database, and RabbitMQ as a user of its own that may touch only its own
 * queues and publish only the message types it publishes. Made at start, removed at stop; the
 * shared exchange, which those users may not declare, is declared here too (and stays).
 *
 * The names are stable per system (`<system>_<service>`) and the passwords fresh at every start:
 * the accounts a killed run left behind are taken over by the next start, never in its way.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { createDb } from '@emporium/db';
import { deadLetterExchangeOf, declareSharedExchange } from '@emporium/messaging';

/** What a service does on the broker: the types it publishes, and its queue's bindings if it consumes. */
export interface BrokerNeeds {
  publishes: readonly string[];
  /** Absent: the service has no queue (it only publishes). */
  queue?: { bindings: readonly string[] };
}

export interface ServiceNeeds {
  name: string;
  /** The URL of the service's own database, as the administrator reaches it; absent: no database. */
  databaseUrl?: string;
  /** Absent: the service touches no broker and gets no user. */
  broker?: BrokerNeeds;
}

export interface BrokerTopology {
  /** The topic exchange every message is published to; createServiceAccounts declares it. */
  exchange: string;
  /** The prefix of every queue name (`<prefix>.<service>`), if any. */
  queuePrefix?: string | undefined;
}

export interface AccountsOptions extends BrokerTopology {
  /** Names every account: `<system>_<service>`. */
  system: string;
  services: ServiceNeeds[];
  /** The administrator's AMQP URL: only its host, port and vhost are kept in the services' URLs. */
  amqpUrl: string;
  /** The rabbitmqctl command (default `rabbitmqctl` on the PATH). RabbitMQ 3.x without the management API. */
  rabbitmqctl?: string;
}

export interface ServiceAccounts {
  /** The service's DATABASE_URL: its own role on its own database. */
  databaseUrl(service: string): string | undefined;
  /** The service's AMQP_URL: its own user. */
  amqpUrl(service: string): string | undefined;
  /** Drops every role (its database and data stay, owned by the administrator) and deletes every user. */
  remove(): Promise<void>;
}

/**
 * What a service's RabbitMQ user may do, derived from what the transport (platform/messaging
 * rabbitmq.ts) does on its behalf. Per AMQP operation RabbitMQ checks (access-control guide):
 *   exchange.declare          configure on the exchange; a passive declare (a check) nothing
 *   queue.declare             configure on the queue; with a dead-letter exchange, also write on
 *                             that exchange and read on the queue
 *   queue.bind                write on the queue, read on the exchange, topic read on the binding key
 *   exchange.bind             write on the destination, read on the source, topic read on the key
 *   basic.publish             write on the exchange, topic write on the routing key (topic exchange)
 *   basic.consume / get       read on the queue
 * The shared exchange is declared by the administrator (createServiceAccounts), and the services
 * only check it (AMQP_DECLARE_EXCHANGE=false): configure on it would also allow deleting it.
 * A consumer's retries, parking and dead-lettering go through an exchange of its queue's own
 * (`<queue>.dlx`, bound only to its queue, parking queue and retry queues), never the nameless
 * default exchange (`amq.default`), which reaches every queue of the vhost: so no user can put a
 * message into another service's queue. That own exchange is a topic one with a topic permission
 * limited to the queue names: the user reads it (to bind its queues) and writes the shared one, so
 * it could bind it to the shared exchange and publish there under any key; the topic permission
 * refuses such a binding for every key but its own queue names (which no consumer binds).
 */
export interface BrokerGrant {
  configure: string;
  write: string;
  read: string;
  /** Topic permissions per exchange: routing keys the user may publish (write) and bind with (read). */
  topics: { exchange: string; write: string; read: string }[];
}

const NOTHING = '^$';
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (patterns: readonly string[]) => (patterns.length ? `^(${patterns.join('|')})$` : NOTHING);

/** The service's queue name on the broker, as the transport names it (`<prefix>.<service>`). */
const queueNameOf = (service: string, topology: BrokerTopology) => (topology.queuePrefix ? `${topology.queuePrefix}.${service}` : service);

export function brokerGrantOf(service: string, needs: BrokerNeeds, topology: BrokerTopology): BrokerGrant {
  const exchange = escapeRegex(topology.exchange);
  const publishing = { exchange: topology.exchange, write: anyOf(needs.publishes.map(escapeRegex)), read: NOTHING };
  if (needs.queue === undefined) {
    // Publishes only: the shared exchange, nothing else. Its health check is a passive declare.
    return { configure: NOTHING, write: anyOf([exchange]), read: NOTHING, topics: [publishing] };
  }
  const queueName = queueNameOf(service, topology);
  const queue = escapeRegex(queueName);
  // The queue, its parking queue and its retry queues (one per delay, `.retry.<ms>`).
  const ownQueues = `${queue}(\\.parked|\\.retry\\.[0-9]+)?`;
  const ownExchange = escapeRegex(deadLetterExchangeOf(queueName));
  return {
    configure: anyOf([ownQueues, ownExchange]),
    // Own queues: as binding destinations. The shared exchange: topic-limited below.
    write: anyOf([exchange, ownExchange, ownQueues]),
    read: anyOf([exchange, ownExchange, ownQueues]),
    topics: [
      { ...publishing, read: anyOf(needs.queue.bindings.map(escapeRegex)) },
      { exchange: deadLetterExchangeOf(queueName), write: anyOf([ownQueues]), read: anyOf([ownQueues]) },
    ],
  };
}

/** `<system>_<service>`, a name PostgreSQL takes unquoted and RabbitMQ as is. */
export function accountName(system: string, service: string): string {
  const name = `${system}_${service}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`account name ${name} is not a valid role name (1 to 63 characters)`);
  return name;
}

export async function createServiceAccounts(options: AccountsOptions): Promise<ServiceAccounts> {
  const databaseUrls = new Map<string, string>();
  const amqpUrls = new Map<string, string>();
  const roles: { role: string; adminUrl: string }[] = [];
  const users: string[] = [];
  const rabbitmqctl = options.rabbitmqctl ?? 'rabbitmqctl';

  let removing: Promise<void> | undefined;
  const remove = () => {
    removing ??= (async () => {
      const results = await Promise.allSettled([
        ...roles.map((r) => dropRole(r.adminUrl, r.role)),
        ...users.map((user) => deleteBrokerUser(rabbitmqctl, user)),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        removing = undefined; // a later call tries again
        throw failed.reason;
      }
    })();
    return removing;
  };

  try {
    await Promise.all(
      options.services
        .filter((s) => s.databaseUrl)
        .map(async (s) => {
          const role = accountName(options.system, s.name);
          const adminUrl = s.databaseUrl as string;
          const password = newPassword();
          roles.push({ role, adminUrl });
          await grantDatabase(adminUrl, role, scramSha256Verifier(password));
          databaseUrls.set(s.name, withCredentials(adminUrl, role, password));
        }),
    );

    const brokerServices = options.services.filter((s): s is ServiceNeeds & { broker: BrokerNeeds } => s.broker !== undefined);
    if (brokerServices.length) {
      const vhost = vhostOf(options.amqpUrl);
      const definitions: BrokerDefinitions = { users: [], permissions: [], topic_permissions: [] };
      // The services only check the shared exchange (their users may not configure it): it is
      // declared here, as the administrator, before any of them starts.
      await declareSharedExchange(options.amqpUrl, options.exchange);
      for (const s of brokerServices) {
        const user = accountName(options.system, s.name);
        const password = newPassword();
        const grant = brokerGrantOf(s.name, s.broker, options);
        definitions.users.push({ name: user, password_hash: rabbitPasswordHash(password), hashing_algorithm: HASHING, tags: '' });
        definitions.permissions.push({ user, vhost, configure: grant.configure, write: grant.write, read: grant.read });
        // Without a topic permission on a topic exchange RabbitMQ allows every key: one per exchange it writes.
        for (const topic of grant.topics) definitions.topic_permissions.push({ user, vhost, ...topic });
        users.push(user);
        amqpUrls.set(s.name, withCredentials(options.amqpUrl, user, password));
      }
      // One import for every user (each rabbitmqctl run boots an Erlang VM); on stdin, so that no
      // password hash is on a command line. An existing user (a killed run's) is updated.
      await run(rabbitmqctl, ['import_definitions', '--format', 'json'], JSON.stringify(definitions));
    }
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }

  return {
    databaseUrl: (service) => databaseUrls.get(service),
    amqpUrl: (service) => amqpUrls.get(service),
    remove,
  };
}

// --- PostgreSQL ---------------------------------------------------------------------------------

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Schemas of the system and of extensions' internals: never adopted. */
const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

/**
 * Statements that give the role every object of the database it does not own yet: tables and
 * views (their indexes, triggers and column sequences follow), standalone sequences, functions,
 * types and schemas. What the services' migrations create, also when an earlier start or a run
 * before least privilege created it as the administrator.
 */
const ADOPT = [
  `SELECT 'SCHEMA ' || quote_ident(n.nspname) AS object FROM pg_namespace n
     WHERE ${USER_SCHEMA} AND pg_get_userbyid(n.nspowner) NOT IN ($1, 'pg_database_owner')`,
  `SELECT CASE c.relkind WHEN 'v' THEN 'VIEW ' WHEN 'm' THEN 'MATERIALIZED VIEW ' ELSE 'TABLE ' END || c.oid::regclass::text AS object
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE ${USER_SCHEMA} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_get_userbyid(c.relowner) <> $1
       AND ${notExtensionMember('pg_class', 'c.oid')}`,
  // After the tables: a column's sequence has followed its table; what is left stands alone.
  `SELECT 'SEQUENCE ' || c.oid::regclass::text AS object FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE ${USER_SCHEMA} AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> $1 AND ${notExtensionMember('pg_class', 'c.oid')}`,
  `SELECT CASE p.prokind WHEN 'a' THEN 'AGGREGATE ' ELSE 'ROUTINE ' END || p.oid::regprocedure::text AS object
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE ${USER_SCHEMA} AND pg_get_userbyid(p.proowner) <> $1 AND ${notExtensionMember('pg_proc', 'p.oid')}`,
  `SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN ' ELSE 'TYPE ' END || t.oid::regtype::text AS object
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid
     WHERE ${USER_SCHEMA} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))
       AND pg_get_userbyid(t.typowner) <> $1 AND ${notExtensionMember('pg_type', 't.oid')}`,
];

/**
 * Makes (or takes over) the service's login role and gives it its database: the role owns the
 * database and everything in it, nothing else. No superuser, no CREATEDB, no CREATEROLE, and
 * CONNECT revoked from PUBLIC, so no other service's role can even connect. One transaction.
 */
async function grantDatabase(adminUrl: string, role: string, verifier: string): Promise<void> {
  const db = createDb(adminUrl, { max: 1, applicationName: 'emporium-least-privilege', prepareStatements: false });
  try {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      // A killed run's role: its sessions (processes it left behind) end with its old password.
      if (exists.rowCount) await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      // The verifier, not the password, is what the server (and a DDL statement log) sees. INHERIT:
      // the database owner's CREATE on schema public comes through pg_database_owner (PostgreSQL 15).
      await client.query(
        `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT
           NOREPLICATION NOBYPASSRLS PASSWORD ${literal(verifier)}`,
      );
      const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
      const database = ident((rows[0] as { name: string }).name);
      await client.query(`ALTER DATABASE ${database} OWNER TO ${ident(role)}`);
      await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
      for (const query of ADOPT) {
        const found = await client.query<{ object: string }>(query, [role]);
        for (const { object } of found.rows) await client.query(`ALTER ${object} OWNER TO ${ident(role)}`);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  } finally {
    await db.destroy();
  }
}

/**
 * Ends the role's sessions, hands what it owns to the administrator (the data stays for the next
 * start) and drops it. Run in the role's database: REASSIGN and DROP OWNED act on one database
 * (and on shared objects); when that database is gone already, in the server's `postgres`.
 */
async function dropRole(adminUrl: string, role: string): Promise<void> {
  await dropRoleVia(adminUrl, role).catch((error: { code?: string }) => {
    if (error.code !== '3D000') throw error; // invalid_catalog_name: no such database
    const postgres = new URL(adminUrl);
    postgres.pathname = '/postgres';
    return dropRoleVia(postgres.toString(), role);
  });
}

async function dropRoleVia(adminUrl: string, role: string): Promise<void> {
  const db = createDb(adminUrl, { max: 1, applicationName: 'emporium-least-privilege', prepareStatements: false });
  try {
    const found = await db.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (!found.rowCount) return;
    await db.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await db.pool.query(`REASSIGN OWNED BY ${ident(role)} TO CURRENT_USER`);
    await db.pool.query(`DROP OWNED BY ${ident(role)}`);
    await db.pool.query(`DROP ROLE ${ident(role)}`);
  } finally {
    await db.destroy();
  }
}

/**
 * The SCRAM-SHA-256 verifier of a password as PostgreSQL stores it (RFC 5802, RFC 7677; the
 * format of PostgreSQL's scram_build_secret), so the password itself never reaches the server.
 */
export function scramSha256Verifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

// --- RabbitMQ -----------------------------------------------------------------------------------

const HASHING = 'rabbit_password_hashing_sha256';

interface BrokerDefinitions {
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions: { user: string; vhost: string; exchange: string; write: string; read: string }[];
}

/** RabbitMQ's stored form of a password: base64(salt ‖ SHA-256(salt ‖ password)), 4-byte salt. */
export function rabbitPasswordHash(password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash('sha256').update(salt).update(password, 'utf8').digest()]).toString('base64');
}

async function deleteBrokerUser(rabbitmqctl: string, user: string): Promise<void> {
  await run(rabbitmqctl, ['delete_user', user]).catch((error: Error) => {
    // Already gone (a second stop, or removed by hand): what was asked for holds.
    if (!/no such user|does not exist/i.test(error.message)) throw error;
  });
}

function run(command: string, args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['-q', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(`${command} not found: least privilege needs rabbitmqctl (on the PATH, or set RABBITMQCTL)`)
          : error,
      ),
    );
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`rabbitmqctl ${args[0]} failed (exit ${code}): ${out.trim()}`)),
    );
    child.stdin.end(input);
  });
}

// --- shared -------------------------------------------------------------------------------------

/** 256 random bits. */
const newPassword = () => randomBytes(32).toString('base64url');

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** The vhost of an AMQP URL, as amqplib reads it: the path, decoded; none means `/`. */
function vhostOf(url: string): string {
  const path = new URL(url).pathname;
  return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
}
