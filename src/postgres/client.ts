import { TimeoutError, withDeadline } from '../deadline.js';
import { InvalidOptionsError, StoreUnavailableError } from '../errors.js';
import { positiveInteger } from '../options.js';
import { type PostgresSchemaOptions, resolveNames, type TableNames } from './schema.js';

/**
 * The part of a node-postgres (`pg`) client the PostgreSQL stores use: a `Pool`, a `Client`
 * or a `PoolClient` all fit. Nothing of `pg` is imported; any object whose `query(text,
 * values)` resolves `{ rows, rowCount }` the way `pg` does works.
 *
 * A `Pool` is what to give: the stores send one statement per step and never hold a
 * connection between two, so they share the pool with the rest of the application.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const pool: PostgresClientLike = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * ```
 */
export interface PostgresClientLike {
  /** Runs one statement (or, without `values`, a script) and resolves its rows. */
  query(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: unknown[]; rowCount?: number | null | undefined }>;
}

/**
 * Options shared by the PostgreSQL stores: where their tables are, whether they create them,
 * and how long one operation may take.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { schema: 'webhooks', tablePrefix: 'billing_', timeoutMs: 1_000 }
 * ```
 */
export interface PostgresStoreOptions extends PostgresSchemaOptions {
  /**
   * Whether the store creates its tables and indexes (`CREATE TABLE IF NOT EXISTS`) before its
   * first operation. Several instances starting together are safe: the creation is
   * serialised with an advisory lock, and skipped when the tables are there. Set it to
   * `false` when a migration creates them (see `postgresInboxSchema` and its siblings) and
   * the application's role may not run DDL.
   *
   * @default true
   * @example
   * ```ts
   * createPostgresInbox(pool, { createTables: false })
   * ```
   */
  createTables?: boolean | undefined;
  /**
   * How long, in milliseconds, one store operation may take, the creation of the tables on
   * first use included. One that has not settled by then rejects with
   * `StoreUnavailableError` (its `cause` a `TimeoutError`), and the router answers 503 with
   * `Retry-After`. The statement itself is not cancelled: set `statement_timeout` or `pg`'s
   * `query_timeout` too, so that a stalled server does not keep the pool's connections busy.
   *
   * @default 2_000
   * @example
   * ```ts
   * createPostgresDedupeStore(pool, { timeoutMs: 1_000 })
   * ```
   */
  timeoutMs?: number | undefined;
}

/** A row as `pg` returns it. @internal */
export type Row = Readonly<Record<string, unknown>>;

/** Runs one statement and resolves its rows. @internal */
export type Query = (text: string, values?: unknown[]) => Promise<Row[]>;

/** A store's connection to its tables. @internal */
export interface Database {
  /** The store's quoted table and index names. */
  readonly names: TableNames;
  /**
   * Runs `work` once the tables exist, within `timeoutMs`; whatever goes wrong rejects with
   * `StoreUnavailableError`. When `work` resolves after its deadline, `undo` gets its result,
   * to give back what nobody will use (a claim, a lock, leased entries).
   */
  operation<T>(
    what: string,
    work: (query: Query) => Promise<T>,
    undo?: (late: T, query: Query) => Promise<unknown>,
  ): Promise<T>;
  /** Runs `sql` now and then (at most once a minute), without waiting, ignoring failures. */
  sweep(sql: string): void;
}

/** The default deadline of one store operation, in milliseconds. */
const DEFAULT_TIMEOUT_MS = 2_000;
/** How often a store deletes expired rows, at most. */
const SWEEP_EVERY_MS = 60_000;
/** Serialises the creation of tables by instances starting together. */
const SCHEMA_LOCK = "hashtext('uanataca-webhooks schema')";

/** SQL for the instant `ms` milliseconds after the epoch, exactly. @internal */
export const fromMs = (ms: string): string =>
  `(timestamptz 'epoch' + ${ms} * interval '1 millisecond')`;

/** SQL for the milliseconds since the epoch of a `timestamptz`, as a `float8`. @internal */
export const toMs = (column: string): string => `(extract(epoch from ${column}) * 1000)::float8`;

/** SQL for the database's clock, `ms` milliseconds from now. @internal */
export const fromNow = (ms: string): string =>
  `(statement_timestamp() + ${ms} * interval '1 millisecond')`;

/**
 * Text for a `text` column: PostgreSQL's text cannot hold U+0000, which a body the parser
 * refused may have put in an error message.
 *
 * @internal
 */
export const textOf = (value: string): string => value.replaceAll('\u0000', '\uFFFD');

/**
 * Whether a statement failed only because another one raced it (a unique violation or a
 * deadlock), so that running it again is the answer.
 *
 * @internal
 */
export const isRace = (error: unknown): boolean =>
  ['23505', '40P01', '40001'].includes((error as { code?: string } | null)?.code ?? '');

/**
 * Checks the options of a PostgreSQL store and connects it to its tables: `ddl` creates
 * them, `probe` is the last object it creates (present: nothing to create).
 *
 * @throws {InvalidOptionsError} when `client` has no `query`, `schema` or `tablePrefix` is
 * not an identifier, `createTables` is not a boolean or `timeoutMs` is not a positive integer.
 * @internal
 */
export function createDatabase(
  client: unknown,
  options: PostgresStoreOptions,
  store: string,
  schema: (names: TableNames) => { readonly ddl: string; readonly probe: string },
): Database {
  const pg = client as PostgresClientLike;
  if (typeof (client as { query?: unknown } | null)?.query !== 'function') {
    throw new InvalidOptionsError(`${store} needs a node-postgres (pg) Pool or Client`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError(`The options of ${store} must be an object`);
  }
  const names = resolveNames(options);
  const timeoutMs = positiveInteger(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const createTables = options.createTables === undefined ? true : options.createTables;
  if (typeof createTables !== 'boolean') {
    throw new InvalidOptionsError('createTables must be a boolean');
  }
  const { ddl, probe } = schema(names);
  const query: Query = async (text, values) => (await pg.query(text, values)).rows as Row[];

  let created: Promise<void> | undefined;
  const createOnce = (): Promise<void> => {
    created ??= (async () => {
      const [found] = await query('SELECT to_regclass($1) IS NOT NULL AS present', [probe]);
      if (found?.present === true) return;
      // Without values, pg sends a script: its statements run as one transaction, which holds
      // the advisory lock until the tables are committed.
      await pg.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK});\n${ddl}`);
    })().catch((error: unknown) => {
      created = undefined;
      throw error;
    });
    return created;
  };

  let lastSweep = 0;
  return {
    names,
    async operation<T>(
      what: string,
      work: (query: Query) => Promise<T>,
      undo?: (late: T, query: Query) => Promise<unknown>,
    ): Promise<T> {
      let late = false;
      const timedOut = (): StoreUnavailableError => {
        late = true;
        return new StoreUnavailableError(new TimeoutError(`PostgreSQL ${what}`, timeoutMs));
      };
      try {
        const run = async (): Promise<T> => {
          if (createTables) await createOnce();
          const result = await work(query);
          if (late) undo?.(result, query).catch(() => {});
          return result;
        };
        return await withDeadline(run(), timeoutMs, timedOut);
      } catch (cause) {
        throw cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError(cause);
      }
    },
    sweep(sql) {
      const now = Date.now();
      if (now - lastSweep < SWEEP_EVERY_MS) return;
      lastSweep = now;
      query(sql).catch(() => {});
    },
  };
}
