import { InvalidOptionsError } from '../errors.js';

/**
 * Where the PostgreSQL stores keep their tables.
 *
 * @example
 * ```ts
 * const where: PostgresSchemaOptions = { schema: 'webhooks', tablePrefix: 'billing_' }
 * ```
 */
export interface PostgresSchemaOptions {
  /**
   * The schema of the tables, which must exist. Without it, table names are unqualified and
   * PostgreSQL looks them up in the connection's `search_path` (usually `public`). Lower-case
   * letters, digits and `_`, starting with a letter or `_`.
   *
   * @default undefined (the `search_path`)
   * @example
   * ```ts
   * createPostgresInbox(pool, { schema: 'webhooks' })
   * ```
   */
  schema?: string | undefined;
  /**
   * Prepended to the name of every table and index, to keep several receivers (or other
   * applications) apart in one schema. Lower-case letters, digits and `_` (at most 40),
   * starting with a letter or `_`, or empty.
   *
   * @default 'uanataca_webhooks_'
   * @example
   * ```ts
   * createPostgresDedupeStore(pool, { tablePrefix: 'billing_webhooks_' })
   * ```
   */
  tablePrefix?: string | undefined;
}

/** The quoted names of the stores' tables and indexes. @internal */
export interface TableNames {
  /**
   * The schema-qualified, quoted name of table `name` (after the prefix); of an index too,
   * for `to_regclass`.
   */
  table(name: string): string;
  /** The quoted name of index `name` (after the prefix), which lives in its table's schema. */
  index(name: string): string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const DEFAULT_PREFIX = 'uanataca_webhooks_';

/**
 * Checks `schema` and `tablePrefix` (identifiers only: they are written into SQL) and
 * names the tables.
 *
 * @throws {InvalidOptionsError} when either is not an identifier as documented.
 * @internal
 */
export function resolveNames(options: PostgresSchemaOptions): TableNames {
  const { schema } = options;
  const prefix = options.tablePrefix === undefined ? DEFAULT_PREFIX : options.tablePrefix;
  const check = (value: unknown, name: string, most: number): void => {
    if (typeof value !== 'string' || value.length > most || !IDENTIFIER.test(value)) {
      throw new InvalidOptionsError(
        `${name} must be lower-case letters, digits and _ (not first), at most ${most}`,
      );
    }
  };
  if (schema !== undefined) check(schema, 'schema', 63);
  if (prefix !== '') check(prefix, 'tablePrefix', 40);
  const qualifier = schema === undefined ? '' : `"${schema}".`;
  return {
    table: (name) => `${qualifier}"${prefix}${name}"`,
    index: (name) => `"${prefix}${name}"`,
  };
}

/** The statements that create the inbox's table, and the last object they create. @internal */
export function inboxSchema(names: TableNames): { ddl: string; probe: string } {
  const inbox = names.table('inbox');
  const ddl = `CREATE TABLE IF NOT EXISTS ${inbox} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  request_id bigint,
  event_type text,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'dead', 'invalid')),
  attempts integer NOT NULL DEFAULT 0,
  received_at timestamptz NOT NULL,
  next_attempt_at timestamptz,
  lease_owner text,
  last_error text,
  body bytea NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ${names.index('inbox_running')} ON ${inbox} (request_id) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS ${names.index('inbox_due')} ON ${inbox} (received_at, id) WHERE status IN ('pending', 'running');
CREATE INDEX IF NOT EXISTS ${names.index('inbox_request')} ON ${inbox} (request_id, received_at, id);
`;
  return { ddl, probe: names.table('inbox_request') };
}

/** The statements that create the dedupe store's table. @internal */
export function dedupeSchema(names: TableNames): { ddl: string; probe: string } {
  const dedupe = names.table('dedupe');
  const ddl = `CREATE TABLE IF NOT EXISTS ${dedupe} (
  idempotency_key text PRIMARY KEY,
  token text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${names.index('dedupe_expires')} ON ${dedupe} (expires_at);
`;
  return { ddl, probe: names.table('dedupe_expires') };
}

/** The statements that create the state store's tables. @internal */
export function stateSchema(names: TableNames): { ddl: string; probe: string } {
  const state = names.table('state');
  const ddl = `CREATE TABLE IF NOT EXISTS ${state} (
  request_id bigint PRIMARY KEY,
  status text NOT NULL,
  occurred_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${names.index('state_expires')} ON ${state} (expires_at);
CREATE UNLOGGED TABLE IF NOT EXISTS ${names.table('locks')} (
  request_id bigint PRIMARY KEY,
  token text NOT NULL,
  expires_at timestamptz NOT NULL
);
`;
  return { ddl, probe: names.table('locks') };
}

/**
 * The SQL that creates the table of `createPostgresInbox` (with its indexes), for a migration
 * tool: apply it, then create the store with `createTables: false`. Every statement is
 * `IF NOT EXISTS`, so running it twice is harmless. Give the same `schema` and
 * `tablePrefix` as to the store.
 *
 * @throws {InvalidOptionsError} when `schema` or `tablePrefix` is not an identifier.
 * @example
 * ```ts
 * // migrations/001_webhooks.js
 * import { postgresDedupeSchema, postgresInboxSchema, postgresStateSchema } from 'uanataca-webhooks/postgres'
 * export const up = (pgm) => pgm.sql(postgresInboxSchema() + postgresDedupeSchema() + postgresStateSchema())
 * ```
 */
export function postgresInboxSchema(options: PostgresSchemaOptions = {}): string {
  return inboxSchema(resolveNames(options)).ddl;
}

/**
 * The SQL that creates the table of `createPostgresDedupeStore`, for a migration tool (see
 * {@link postgresInboxSchema}).
 *
 * @throws {InvalidOptionsError} when `schema` or `tablePrefix` is not an identifier.
 * @example
 * ```ts
 * await pool.query(postgresDedupeSchema({ schema: 'webhooks' }))
 * ```
 */
export function postgresDedupeSchema(options: PostgresSchemaOptions = {}): string {
  return dedupeSchema(resolveNames(options)).ddl;
}

/**
 * The SQL that creates the tables of `createPostgresStateStore` (the state of each request,
 * and the locks of requests being handled), for a migration tool (see
 * {@link postgresInboxSchema}).
 *
 * @throws {InvalidOptionsError} when `schema` or `tablePrefix` is not an identifier.
 * @example
 * ```ts
 * await pool.query(postgresStateSchema())
 * ```
 */
export function postgresStateSchema(options: PostgresSchemaOptions = {}): string {
  return stateSchema(resolveNames(options)).ddl;
}
