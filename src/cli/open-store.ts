import { existsSync } from 'node:fs';
import { TimeoutError } from '../deadline.js';
import { isWebhookError } from '../errors.js';
import type { InboxStore } from '../inbox/inbox-store.js';
import { createPostgresInbox } from '../postgres/inbox.js';
import { resolveNames } from '../postgres/schema.js';
import { createRedisInbox } from '../redis/inbox.js';
import { isMissingModule, openDatabase } from '../sqlite/driver.js';
import { TABLE } from '../sqlite/schema.js';
import { createSqliteInbox } from '../sqlite/store.js';
import { UsageError } from './args.js';
import { displayStoreUrl, scrub, urlSecrets } from './display-url.js';

/** The engine of each URL scheme `--store` accepts; anything else is a SQLite file's path. */
const ENGINES: Readonly<Record<string, 'postgres' | 'redis'>> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  redis: 'redis',
  rediss: 'redis',
};

/** The Redis clients the command line can connect with. */
export const REDIS_CLIENTS = ['ioredis', 'redis'] as const;

/** What the options `--store`, `--schema`, `--table-prefix`, `--prefix`, ... say. */
export interface StoreOptions {
  /** A SQLite file, a `postgres://` URL or a `redis://` URL. */
  readonly store: string;
  readonly schema?: string | undefined;
  readonly tablePrefix?: string | undefined;
  readonly prefix?: string | undefined;
  readonly redisClient?: string | undefined;
  /** The deadline of connecting and of each store operation. */
  readonly timeoutMs: number;
}

/** A store that the command line has opened, connected. */
export interface OpenStore {
  readonly store: InboxStore;
  /** `error`, thrown by an operation on the store, said in one line a user can act on. */
  explain(error: unknown): Error;
  /** Closes the file or the connections, so that the process can exit. */
  close(): Promise<void>;
}

/** A store named by `--store`: checked, not opened yet. */
export interface StoreTarget {
  /** The store as it may be printed: the path, or the URL without its password. */
  readonly label: string;
  /** Where the inbox's entries are, in the store: a table or a key prefix. */
  readonly where: string;
  open(): Promise<OpenStore>;
}

type Module = Record<string, unknown>;

/** The first line of what went wrong, looking through the store's own wrapper. */
function reason(error: unknown): string {
  let current = error;
  // StoreUnavailableError says only that the store is unavailable: its cause says why.
  while (isWebhookError(current, 'store_unavailable') && current.cause !== undefined) {
    current = current.cause;
  }
  const { message, code, errors } = (current ?? {}) as {
    message?: unknown;
    code?: unknown;
    errors?: unknown;
  };
  if (typeof message === 'string' && message.trim() !== '') {
    return message.trim().split('\n')[0]!;
  }
  // A failed connection to every address of a name is an AggregateError without a message.
  if (Array.isArray(errors) && errors.length > 0) return reason(errors[0]);
  return typeof code === 'string' ? code : String(current);
}

/** The cause of `error` of the kind `test` recognises, if any. */
function causeOf(error: unknown, test: (cause: unknown) => boolean): unknown {
  for (let current = error; current !== undefined && current !== null; ) {
    if (test(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Imports the optional peer `name` from the application's dependencies; `undefined` when it
 * is not installed.
 */
async function importPeer(name: string): Promise<Module | undefined> {
  try {
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)) as Module;
  } catch (error) {
    // Only the package itself missing: a broken install says what broke.
    if (isMissingModule(error) && String((error as Error).message).includes(`'${name}'`)) {
      return undefined;
    }
    throw error;
  }
}

function sqliteTarget(path: string): StoreTarget {
  const failed = (error: unknown): Error => new Error(`the inbox ${path}: ${reason(error)}`);
  return {
    label: path,
    where: `table ${TABLE}`,
    async open() {
      // Opening a file creates it: a mistyped path must not become a new, empty inbox.
      if (!existsSync(path)) throw new Error(`no inbox at ${path}: the file does not exist`);
      const { database } = await openDatabase(path, undefined).catch((error: unknown) => {
        throw failed(error);
      });
      let found: unknown;
      try {
        found = database
          .prepare(`SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?`)
          .get(TABLE);
      } catch (error) {
        throw failed(error);
      } finally {
        database.close();
      }
      if (found === undefined) throw new Error(`no inbox in ${path}: it has no table ${TABLE}`);
      const store = createSqliteInbox({ path });
      return { store, explain: failed, close: async () => store.close?.() };
    },
  };
}

interface PgPool {
  connect(): Promise<{ release(): void }>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  on(event: 'error', listener: () => void): unknown;
  end(): Promise<void>;
}

function postgresTarget(url: URL, options: StoreOptions): StoreTarget {
  const { schema, tablePrefix, timeoutMs } = options;
  let table: string;
  try {
    table = resolveNames({ schema, tablePrefix }).table('inbox');
  } catch (error) {
    const message = (error as Error).message;
    throw new UsageError(
      message.startsWith('schema')
        ? `--${message}`
        : message.replace('tablePrefix', '--table-prefix'),
    );
  }
  const label = displayStoreUrl(url);
  const secrets = urlSecrets(url);
  const said = (text: string): Error => new Error(scrub(text, secrets));
  const explain = (error: unknown): Error => {
    const code = codeOf(causeOf(error, (cause) => codeOf(cause)?.length === 5));
    if (code === '42P01') {
      return said(
        `${label} has no inbox table ${table}: check --schema and --table-prefix (the receiver's schema and tablePrefix options)`,
      );
    }
    if (code === '3F000') return said(`${label} has no schema "${schema}": check --schema`);
    const timeout = causeOf(error, (cause) => cause instanceof TimeoutError);
    if (timeout !== undefined) {
      return said(`${label} did not answer within ${timeoutMs} ms (see --timeout)`);
    }
    return said(`the store at ${label} failed: ${reason(error)}`);
  };
  return {
    label,
    where: `table ${table}`,
    async open() {
      const pg = await importPeer('pg');
      if (pg === undefined) {
        throw new Error(
          'a PostgreSQL store needs the pg package, which is not installed: run `npm install pg`',
        );
      }
      const Pool = ((pg.default as Module | undefined)?.Pool ?? pg.Pool) as new (
        config: object,
      ) => PgPool;
      let pool: PgPool | undefined;
      try {
        pool = new Pool({
          connectionString: options.store,
          max: 2,
          connectionTimeoutMillis: timeoutMs,
          application_name: 'uanataca-webhooks inbox',
        });
        // A connection that breaks while idle is reported here; the next query says why.
        pool.on('error', () => {});
        (await pool.connect()).release();
      } catch (error) {
        await pool?.end().catch(() => {});
        throw said(`cannot connect to ${label}: ${reason(error)}`);
      }
      // Never create the table: a wrong --schema or --table-prefix must say so, not find an
      // empty inbox it has just made.
      const store = createPostgresInbox(pool, {
        schema,
        tablePrefix,
        createTables: false,
        timeoutMs,
      });
      const opened = pool;
      return { store, explain, close: () => opened.end() };
    },
  };
}

interface Connected {
  readonly client: unknown;
  close(): Promise<void>;
}

/** Connects an `ioredis` client to the URL `url`, giving up after one failed attempt. */
async function connectIoRedis(module: Module, url: string, timeoutMs: number): Promise<Connected> {
  const Redis = (module.Redis ?? module.default) as new (
    url: string,
    options: object,
  ) => {
    readonly status: string;
    connect(): Promise<void>;
    disconnect(): void;
    on(event: 'error', listener: (error: unknown) => void): unknown;
  };
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  // connect() rejects with "Connection is closed."; the error event said why.
  let failure: unknown;
  client.on('error', (error) => {
    failure = error;
  });
  try {
    await client.connect();
  } catch (error) {
    // Once given up ('end'), disconnecting again would start timers that hold the process.
    if (client.status !== 'end') client.disconnect();
    throw failure ?? error;
  }
  return { client, close: async () => client.disconnect() };
}

/** Connects a `redis` (node-redis) client to the URL `url`, giving up after one failed attempt. */
async function connectNodeRedis(
  module: Module,
  url: string,
  timeoutMs: number,
): Promise<Connected> {
  const createClient = module.createClient as (options: object) => {
    connect(): Promise<unknown>;
    destroy?(): void;
    disconnect(): Promise<void>;
    on(event: 'error', listener: () => void): unknown;
  };
  const client = createClient({
    url,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
    disableOfflineQueue: true,
  });
  client.on('error', () => {});
  const close = async (): Promise<void> => {
    // destroy() since version 5; disconnect() before it.
    if (typeof client.destroy === 'function') client.destroy();
    else await client.disconnect().catch(() => {});
  };
  try {
    await client.connect();
  } catch (error) {
    await close();
    throw error;
  }
  return { client, close };
}

/** The Redis client module to use: the one asked for, or the first installed. */
async function loadRedisClient(
  asked: string | undefined,
): Promise<{ kind: (typeof REDIS_CLIENTS)[number]; module: Module }> {
  for (const kind of asked === undefined ? REDIS_CLIENTS : [asked as 'ioredis' | 'redis']) {
    const module = await importPeer(kind);
    if (module !== undefined) return { kind, module };
  }
  throw new Error(
    asked === undefined
      ? 'a Redis store needs the ioredis or the redis package, and neither is installed: run `npm install ioredis` (or `npm install redis`)'
      : `--redis-client ${asked}: the ${asked} package is not installed: run \`npm install ${asked}\``,
  );
}

function redisTarget(url: URL, options: StoreOptions): StoreTarget {
  const { prefix, redisClient, timeoutMs } = options;
  if (redisClient !== undefined && !(REDIS_CLIENTS as readonly string[]).includes(redisClient)) {
    throw new UsageError(`--redis-client must be ioredis or redis, got "${redisClient}"`);
  }
  const label = displayStoreUrl(url);
  const secrets = urlSecrets(url);
  const said = (text: string): Error => new Error(scrub(text, secrets));
  const explain = (error: unknown): Error =>
    causeOf(error, (cause) => cause instanceof TimeoutError) === undefined
      ? said(`the store at ${label} failed: ${reason(error)}`)
      : said(`${label} did not answer within ${timeoutMs} ms (see --timeout)`);
  return {
    label,
    where: `keys ${prefix ?? '{uanataca-webhooks}:'}inbox:*`,
    async open() {
      const { kind, module } = await loadRedisClient(redisClient);
      let connected: Connected;
      try {
        connected =
          kind === 'ioredis'
            ? await connectIoRedis(module, options.store, timeoutMs)
            : await connectNodeRedis(module, options.store, timeoutMs);
      } catch (error) {
        throw said(`cannot connect to ${label}: ${reason(error)}`);
      }
      const store = createRedisInbox(connected.client as Parameters<typeof createRedisInbox>[0], {
        prefix,
        timeoutMs,
      });
      return { store, explain, close: connected.close };
    },
  };
}

/**
 * The store `--store` names: a `postgres://` (or `postgresql://`) URL, a `redis://` (or
 * `rediss://`) URL, or else the path of a SQLite file. Throws {@link UsageError} for an
 * option that does not fit it.
 */
export function storeTarget(options: StoreOptions): StoreTarget {
  const { store } = options;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(store)?.[1]?.toLowerCase();
  const kind =
    scheme === undefined ? 'sqlite' : Object.hasOwn(ENGINES, scheme) ? ENGINES[scheme] : undefined;
  if (kind === undefined) {
    throw new UsageError(
      `--store ${scheme}:// is not a store; give a SQLite file, a postgres:// URL or a redis:// URL`,
    );
  }
  if (kind !== 'postgres' && (options.schema !== undefined || options.tablePrefix !== undefined)) {
    throw new UsageError('--schema and --table-prefix are for a PostgreSQL store (postgres://)');
  }
  if (kind !== 'redis' && (options.prefix !== undefined || options.redisClient !== undefined)) {
    throw new UsageError('--prefix and --redis-client are for a Redis store (redis://)');
  }
  if (kind === 'sqlite') return sqliteTarget(store);
  let url: URL;
  try {
    url = new URL(store);
  } catch {
    throw new UsageError(`--store "${scheme}://…" is not a valid URL`);
  }
  return kind === 'postgres' ? postgresTarget(url, options) : redisTarget(url, options);
}
