import { InvalidOptionsError, isWebhookError, StoreUnavailableError } from '../errors.js';
import { resolveFilter } from '../inbox/filter.js';
import type {
  InboxEntry,
  InboxEntryStatus,
  InboxStats,
  InboxStore,
  ReplayResult,
} from '../inbox/inbox-store.js';
import { positiveInteger } from '../options.js';
import {
  DRIVER_MODULES,
  type DriverModules,
  openDatabase,
  type SqliteDatabase,
  type SqliteDriver,
  type SqliteRow,
  type SqliteStatement,
  type SqliteValue,
} from './driver.js';
import { createGroupCommit, type GroupCommit } from './group-commit.js';
import { prepareDatabase, TABLE } from './schema.js';
import { whereOf } from './where.js';

/**
 * Options of {@link createSqliteInbox}.
 *
 * @example
 * ```ts
 * const options: SqliteInboxOptions = { path: 'data/inbox.sqlite', busyTimeoutMs: 10_000 }
 * ```
 */
export interface SqliteInboxOptions {
  /**
   * The database file, created with its table when missing (its folder must exist). Every
   * process given the same file shares one inbox.
   *
   * @default 'uanataca-webhooks-inbox.sqlite' (in the working directory)
   * @example
   * ```ts
   * createSqliteInbox({ path: '/var/lib/billing/webhooks.sqlite' })
   * ```
   */
  path?: string | undefined;
  /**
   * The SQLite driver: `'node:sqlite'`, built into Node.js 22.13 and later, or the
   * `better-sqlite3` package (an optional peer dependency, to install yourself).
   *
   * @default 'node:sqlite' where the runtime has it, otherwise 'better-sqlite3'
   * @example
   * ```ts
   * createSqliteInbox({ driver: 'better-sqlite3' })
   * ```
   */
  driver?: SqliteDriver | undefined;
  /**
   * How long, in milliseconds, a write waits for another process's write to the same file
   * before it fails. The drivers are synchronous: the process waits meanwhile, which only
   * happens while another process commits (a few milliseconds each time).
   *
   * @default 5_000
   * @example
   * ```ts
   * createSqliteInbox({ busyTimeoutMs: 10_000 })
   * ```
   */
  busyTimeoutMs?: number | undefined;
}

/**
 * The file of the embedded inbox when no `path` is given, in the working directory.
 *
 * @example
 * ```ts
 * const inbox = createInboxControl(createSqliteInbox({ path: DEFAULT_SQLITE_INBOX_PATH }))
 * ```
 */
export const DEFAULT_SQLITE_INBOX_PATH = 'uanataca-webhooks-inbox.sqlite';

const COLUMNS =
  'id, idempotency_key, request_id, event_type, status, attempts, received_at, next_attempt_at, last_error, body';

/**
 * The entries to lease among `candidates` (a query of due entries), oldest first, at most one
 * per request: none of a request while another of its entries runs under a live lease; while
 * one runs under a lease that ran out, that one (the oldest, were there several), before any
 * pending entry of its request; otherwise the request's oldest due entry.
 */
function pick(candidates: string): string {
  return `WITH due AS (
      SELECT id, request_id, status, received_at,
        row_number() OVER (
          PARTITION BY request_id ORDER BY status = 'running' DESC, received_at, id
        ) AS turn
      FROM (${candidates})
    )
    SELECT id FROM due
    WHERE request_id IS NULL OR (turn = 1 AND NOT EXISTS (
      SELECT 1 FROM ${TABLE} other
      WHERE other.request_id = due.request_id AND other.status = 'running' AND other.id <> due.id
        AND (due.status = 'pending' OR other.next_attempt_at > ?
          OR (other.received_at, other.id) < (due.received_at, due.id))
    ))
    ORDER BY received_at, id LIMIT ?`;
}

/**
 * The most entries one transaction of `purge` deletes, so that none holds the write lock (and
 * this thread) long.
 *
 * @internal
 */
export const PURGE_CHUNK = 5_000;

/** How many due entries a lease of `limit` looks at first. */
const nearWindow = (limit: number): number => limit * 16 + 64;

const SQL = {
  insert: `INSERT INTO ${TABLE} (idempotency_key, request_id, event_type, status, received_at, next_attempt_at, last_error, body)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
  idOfKey: `SELECT id FROM ${TABLE} WHERE idempotency_key = ?`,
  get: `SELECT ${COLUMNS} FROM ${TABLE} WHERE id = ?`,
  anyDue: `SELECT 1 FROM ${TABLE} WHERE status IN ('pending', 'running') AND next_attempt_at <= ? LIMIT 1`,
  // The entries to lease: `pickNear` looks at the first due entries only, read in order from
  // the queue index, so that a backlog does not make every lease sort all of it; `pickAll`
  // looks at every due entry, for when the first ones were all held back.
  pickNear: pick(`SELECT id, request_id, status, received_at FROM ${TABLE} INDEXED BY ${TABLE}_queue
      WHERE status IN ('pending', 'running') AND next_attempt_at <= ?
      ORDER BY received_at, id LIMIT ?`),
  pickAll: pick(`SELECT id, request_id, status, received_at FROM ${TABLE}
      WHERE status IN ('pending', 'running') AND next_attempt_at <= ?`),
  nearCount: `SELECT count(*) AS count FROM (SELECT 1 FROM ${TABLE} INDEXED BY ${TABLE}_queue
      WHERE status IN ('pending', 'running') AND next_attempt_at <= ? LIMIT ?)`,
  take: `UPDATE ${TABLE} SET status = 'running', owner = ?, attempts = attempts + 1, next_attempt_at = ?
    WHERE id = ? RETURNING ${COLUMNS}`,
  // A lease that ran out is over, even before another owner takes the entry over.
  renew: `UPDATE ${TABLE} SET next_attempt_at = ?
    WHERE id = ? AND status = 'running' AND owner = ? AND next_attempt_at > ?`,
  settle: `UPDATE ${TABLE} SET status = ?, owner = NULL, next_attempt_at = ?, last_error = coalesce(?, last_error)
    WHERE id = ? AND status = 'running' AND owner = ?`,
  otherWithKey: `SELECT id FROM ${TABLE} WHERE idempotency_key = ? AND id <> ?`,
  markDuplicate: `UPDATE ${TABLE} SET status = 'done', last_error = ? WHERE id = ?`,
  rekey: `UPDATE ${TABLE} SET idempotency_key = ?, request_id = ?, event_type = ? WHERE id = ?`,
  restart: `UPDATE ${TABLE} SET status = 'pending', attempts = 0, next_attempt_at = ?, owner = NULL WHERE id = ?`,
  counts: `SELECT status, count(*) AS count FROM ${TABLE} GROUP BY status`,
  oldestPending: `SELECT min(received_at) AS oldest FROM ${TABLE} WHERE status = 'pending'`,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The row id an entry id names, or `undefined` when it names none. */
function rowId(id: string): number | undefined {
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const value = Number(id);
  return Number.isSafeInteger(value) ? value : undefined;
}

const optional = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

function toEntry(row: SqliteRow): InboxEntry {
  const nextAttemptAt = row.next_attempt_at as number | null;
  return Object.freeze({
    id: String(row.id),
    idempotencyKey: row.idempotency_key as string,
    requestId: optional(row.request_id as number | null),
    eventType: optional(row.event_type as string | null),
    status: row.status as InboxEntryStatus,
    attempts: Number(row.attempts),
    receivedAt: new Date(Number(row.received_at)),
    nextAttemptAt: nextAttemptAt === null ? undefined : new Date(Number(nextAttemptAt)),
    lastError: optional(row.last_error as string | null),
    body: decoder.decode(row.body as Uint8Array),
  });
}

/** An open database with its statements, prepared once each, and its group commit. */
interface Connection {
  readonly database: SqliteDatabase;
  readonly commit: GroupCommit;
  statement(sql: string): SqliteStatement;
}

function connect(database: SqliteDatabase): Connection {
  const prepared = new Map<string, SqliteStatement>();
  return {
    database,
    commit: createGroupCommit(database),
    statement(sql) {
      let statement = prepared.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        prepared.set(sql, statement);
      }
      return statement;
    },
  };
}

function resolveOptions(options: SqliteInboxOptions): {
  path: string;
  driver: SqliteDriver | undefined;
  busyTimeoutMs: number;
} {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError('createSqliteInbox options must be an object');
  }
  const { path = DEFAULT_SQLITE_INBOX_PATH, driver } = options;
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidOptionsError('path must be a non-empty string (a file name)');
  }
  if (driver !== undefined && driver !== 'node:sqlite' && driver !== 'better-sqlite3') {
    throw new InvalidOptionsError(`driver must be 'node:sqlite' or 'better-sqlite3'`);
  }
  return {
    path,
    driver,
    busyTimeoutMs: positiveInteger(options.busyTimeoutMs, 5_000, 'busyTimeoutMs'),
  };
}

/** Rejects as `StoreUnavailableError` what the database threw; this package's errors as they are. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isWebhookError(error) ? error : new StoreUnavailableError(error);
  }
}

/**
 * {@link createSqliteInbox}, importing the drivers from `modules`.
 *
 * @internal
 */
export function createSqliteInboxFrom(
  modules: DriverModules,
  options: SqliteInboxOptions = {},
): InboxStore {
  const { path, driver, busyTimeoutMs } = resolveOptions(options);
  let opening: Promise<Connection> | undefined;
  let closed = false;

  const open = async (): Promise<Connection> => {
    const { database } = await openDatabase(path, driver, modules);
    try {
      prepareDatabase(database, busyTimeoutMs);
    } catch (error) {
      database.close();
      throw error;
    }
    return connect(database);
  };

  const ready = (): Promise<Connection> => {
    // A failed opening (a missing folder, a locked file) is tried again by the next call.
    opening ??= open().catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
  // Opened at once, so that the file exists and the first notification does not wait.
  ready().catch(() => {});

  /** The calls under way, which `close` lets finish. */
  const underway = new Set<Promise<unknown>>();
  const track = <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) {
      return Promise.reject(new StoreUnavailableError(new Error('The SQLite inbox is closed')));
    }
    const call = guarded(work);
    underway.add(call);
    const forget = (): void => void underway.delete(call);
    call.then(forget, forget);
    return call;
  };
  const read = <T>(work: (connection: Connection) => T): Promise<T> =>
    track(async () => work(await ready()));
  const write = <T>(work: (connection: Connection) => T): Promise<T> =>
    track(async () => {
      const connection = await ready();
      return connection.commit.run(() => work(connection));
    });

  const get = (connection: Connection, id: number): SqliteRow | undefined =>
    connection.statement(SQL.get).get(id);

  return {
    async add(entry) {
      const values: SqliteValue[] = [
        entry.idempotencyKey,
        entry.requestId ?? null,
        entry.eventType ?? null,
        entry.status,
        entry.receivedAt.getTime(),
      ];
      const body = encoder.encode(entry.body);
      return write(({ statement }) => {
        const nextAttemptAt = entry.status === 'pending' ? Date.now() : null;
        const inserted = statement(SQL.insert).get(
          ...values,
          nextAttemptAt,
          entry.lastError ?? null,
          body,
        );
        if (inserted !== undefined) return { id: String(inserted.id), duplicate: false };
        const existing = statement(SQL.idOfKey).get(entry.idempotencyKey);
        if (existing === undefined) throw new Error('The entry was neither added nor found');
        return { id: String(existing.id), duplicate: true };
      });
    },

    async lease(owner, limit, leaseMs) {
      // Looked for first without the write lock, which idle workers polling need not take.
      const due = await read(({ statement }) => statement(SQL.anyDue).get(Date.now()));
      if (due === undefined) return [];
      return write(({ statement }) => {
        const time = Date.now();
        const window = nearWindow(limit);
        let picked = statement(SQL.pickNear).all(time, window, time, limit);
        if (picked.length < limit && statement(SQL.nearCount).get(time, window)?.count === window) {
          picked = statement(SQL.pickAll).all(time, time, limit);
        }
        return picked.map(({ id }) =>
          toEntry(statement(SQL.take).get(owner, time + leaseMs, id as number)!),
        );
      });
    },

    async renew(id, owner, leaseMs) {
      const row = rowId(id);
      if (row === undefined) return false;
      return write(({ statement }) => {
        const time = Date.now();
        return statement(SQL.renew).run(time + leaseMs, row, owner, time).changes > 0;
      });
    },

    async settle(id, owner, outcome) {
      const row = rowId(id);
      if (row === undefined) return false;
      const nextAttemptAt = outcome.status === 'pending' ? outcome.nextAttemptAt.getTime() : null;
      const error = outcome.status === 'done' ? null : outcome.error;
      return write(
        ({ statement }) =>
          statement(SQL.settle).run(outcome.status, nextAttemptAt, error, row, owner).changes > 0,
      );
    },

    async get(id) {
      const row = rowId(id);
      if (row === undefined) return undefined;
      return read((connection) => {
        const found = get(connection, row);
        return found && toEntry(found);
      });
    },

    async list(filter) {
      const resolved = resolveFilter(filter);
      const before = resolved.before === undefined ? undefined : rowId(resolved.before);
      if (resolved.before !== undefined && before === undefined) return [];
      // An entry purged since still marks where the page ends: ids only grow.
      const where = whereOf(resolved, before === undefined ? [] : [`id < ${before}`]);
      // Prepared each time: filters combine in too many ways to keep a statement for each.
      return read(({ database }) =>
        database
          .prepare(`SELECT ${COLUMNS} FROM ${TABLE} ${where.sql} ORDER BY id DESC LIMIT ?`)
          .all(...where.params, resolved.limit)
          .map(toEntry),
      );
    },

    async replay(id, fields) {
      const row = rowId(id);
      if (row === undefined) return 'missing';
      return write((connection): ReplayResult => {
        const { statement } = connection;
        const found = get(connection, row);
        if (found === undefined) return 'missing';
        if (found.status === 'pending' || found.status === 'running') return 'busy';
        if (found.status === 'invalid') {
          if (fields === undefined) return 'invalid';
          const other = statement(SQL.otherWithKey).get(fields.idempotencyKey, row);
          if (other !== undefined) {
            statement(SQL.markDuplicate).run(`A duplicate of entry ${String(other.id)}`, row);
            return 'duplicate';
          }
          statement(SQL.rekey).run(
            fields.idempotencyKey,
            fields.requestId ?? null,
            fields.eventType ?? null,
            row,
          );
        }
        statement(SQL.restart).run(Date.now(), row);
        return 'replayed';
      });
    },

    async purge(filter) {
      const where = whereOf(resolveFilter({ ...filter, limit: undefined }), [
        `status <> 'running'`,
      ]);
      const sql = `DELETE FROM ${TABLE} WHERE id IN (SELECT id FROM ${TABLE} ${where.sql} LIMIT ${PURGE_CHUNK})`;
      // A chunk per transaction, through the group commit: between chunks other processes
      // take the write lock and this one's event loop serves requests. Tracked as one call,
      // which `close` lets finish.
      return track(async () => {
        const connection = await ready();
        const statement = connection.database.prepare(sql);
        let purged = 0;
        for (;;) {
          const deleted = await connection.commit.run(() =>
            Number(statement.run(...where.params).changes),
          );
          purged += deleted;
          if (deleted < PURGE_CHUNK) return purged;
        }
      });
    },

    async stats() {
      return read(({ statement }): InboxStats => {
        const counts = { pending: 0, running: 0, done: 0, dead: 0, invalid: 0 };
        for (const { status, count } of statement(SQL.counts).all()) {
          counts[status as InboxEntryStatus] = Number(count);
        }
        const oldest = statement(SQL.oldestPending).get()?.oldest;
        return {
          ...counts,
          oldestPendingAt:
            oldest === null || oldest === undefined ? undefined : new Date(Number(oldest)),
        };
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled(underway);
      const connection = await opening?.catch(() => undefined);
      if (connection === undefined) return;
      connection.commit.flush();
      connection.database.close();
    },
  };
}

/**
 * Creates the embedded {@link InboxStore}: a SQLite database file, the default store of
 * `createWebhooks({ inbox: true })`. A notification is acknowledged once it is committed and
 * synced to disk: it survives the process being killed and a power cut. Several processes on
 * one machine may share the file; across machines, use the PostgreSQL or Redis store.
 *
 * It runs on `node:sqlite` (Node.js 22.13 and later) or on `better-sqlite3` (install it on
 * Node.js 20); the file is opened at once, and `close()` closes it.
 *
 * An entry whose lease ran out keeps its request until it is leased again, before the
 * request's other entries, and can no longer be renewed (`renew` resolves `false`). `purge`
 * deletes in chunks of 5 000 entries, each its own transaction, so that the other processes
 * sharing the file and this one's event loop carry on meanwhile.
 *
 * @example
 * ```ts
 * import { createWebhooks } from 'uanataca-webhooks'
 * import { createSqliteInbox } from 'uanataca-webhooks/sqlite'
 *
 * const webhooks = createWebhooks({ inbox: { store: createSqliteInbox({ path: 'data/inbox.sqlite' }) } })
 * ```
 */
export function createSqliteInbox(options: SqliteInboxOptions = {}): InboxStore {
  return createSqliteInboxFrom(DRIVER_MODULES, options);
}
