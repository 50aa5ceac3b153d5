import { createTokenSource } from '../dedupe/claim-token.js';
import { positiveInteger } from '../options.js';
import type { StateStore } from '../state/state-store.js';
import {
  createDatabase,
  fromMs,
  fromNow,
  type PostgresClientLike,
  type PostgresStoreOptions,
  textOf,
  toMs,
} from './client.js';
import { stateSchema } from './schema.js';

/**
 * Options of {@link createPostgresStateStore}.
 *
 * @example
 * ```ts
 * createPostgresStateStore(pool, { ttlMs: 90 * 24 * 60 * 60 * 1000 })
 * ```
 */
export interface PostgresStateStoreOptions extends PostgresStoreOptions {
  /**
   * How long, in milliseconds, a request's state is kept after its last change. Once it has
   * expired, the request's next notification is classified as if nothing were stored
   * (`'apply'`), so keep it longer than your requests live, including late certificate
   * events.
   *
   * @default 2_592_000_000 (30 days)
   * @example
   * ```ts
   * createPostgresStateStore(pool, { ttlMs: 365 * 24 * 60 * 60 * 1000 })
   * ```
   */
  ttlMs?: number | undefined;
}

const DEFAULT_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Whole milliseconds, at least one. */
const milliseconds = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs));

/**
 * Creates a {@link StateStore} on PostgreSQL, for the `state` option of `createWebhooks` when
 * several instances receive the same webhook URL, with the optional `lock` and `unlock`: the
 * router then handles the notifications of one request one at a time across every
 * instance, so that the verdict a handler sees is the one stored.
 *
 * Two tables (created on first use unless `createTables` is `false`; the SQL is
 * `postgresStateSchema()`): `uanataca_webhooks_state`, one row per request with its
 * `status` and `occurred_at`, and `uanataca_webhooks_locks`, one row per request being
 * handled. The locks table is `UNLOGGED`: a lock lives for one notification and is worth
 * nothing after a crash (PostgreSQL empties such a table then), so taking and releasing one
 * costs no flush to disk. `compareAndSet` is one conditional `INSERT … ON CONFLICT` or `UPDATE … WHERE
 * status = … AND occurred_at = …`, so the check and the write are one atomic step; a lock is
 * an `INSERT … ON CONFLICT DO UPDATE … WHERE expires_at <= now` with an owner token. Every
 * write renews the state's expiry (`ttlMs`); expiry times come from the database's clock, and
 * expired rows are deleted now and then (at most once a minute).
 *
 * Database errors and missed deadlines (`timeoutMs`) reject with `StoreUnavailableError`: the
 * router answers 503 without running handlers. A lock that missed its deadline but commits
 * later (a stalled network that recovers) is released as soon as the store learns of it. Notifications without a request id never
 * reach the store.
 *
 * @param pool - A node-postgres `Pool` (or `Client`).
 * @throws {InvalidOptionsError} when `pool` has no `query`, or an option (`ttlMs` among them)
 * is invalid.
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresDedupeStore, createPostgresStateStore } from 'uanataca-webhooks/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * pool.on('error', (error) => console.warn('postgres:', error.message))
 * const webhooks = createWebhooks({
 *   dedupe: { store: createPostgresDedupeStore(pool) },
 *   state: { store: createPostgresStateStore(pool), skip: ['stale'] },
 * })
 * ```
 */
export function createPostgresStateStore(
  pool: PostgresClientLike,
  options: PostgresStateStoreOptions = {},
): StateStore {
  const db = createDatabase(pool, options, 'createPostgresStateStore', stateSchema);
  const ttlMs = positiveInteger(options.ttlMs, DEFAULT_TTL_MS, 'ttlMs');
  const state = db.names.table('state');
  const locks = db.names.table('locks');
  const nextToken = createTokenSource();
  const now = 'statement_timestamp()';

  const get = `SELECT status, ${toMs('occurred_at')} AS occurred_ms FROM ${state}
WHERE request_id = $1 AND expires_at > ${now}`;
  const create = `INSERT INTO ${state} AS s (request_id, status, occurred_at, expires_at)
VALUES ($1, $2, ${fromMs('$3::float8')}, ${fromNow('$4')})
ON CONFLICT (request_id) DO UPDATE
  SET status = excluded.status, occurred_at = excluded.occurred_at, expires_at = excluded.expires_at
  WHERE s.expires_at <= ${now}
RETURNING 1`;
  const replace = `UPDATE ${state} SET status = $2, occurred_at = ${fromMs('$3::float8')},
  expires_at = ${fromNow('$4')}
WHERE request_id = $1 AND status = $5 AND occurred_at = ${fromMs('$6::float8')} AND expires_at > ${now}
RETURNING 1`;
  const lock = `INSERT INTO ${locks} AS l (request_id, token, expires_at) VALUES ($1, $2, ${fromNow('$3')})
ON CONFLICT (request_id) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at
  WHERE l.expires_at <= ${now}
RETURNING 1`;
  const unlock = `DELETE FROM ${locks} WHERE request_id = $1 AND token = $2`;
  // Locks are deleted by their holder; only those of a crashed instance expire in place.
  const sweep = [state, locks]
    .map(
      (table) => `DELETE FROM ${table} WHERE request_id IN (
  SELECT request_id FROM ${table} WHERE expires_at <= ${now} LIMIT 10000
) AND expires_at <= ${now};`,
    )
    .join('\n');

  return {
    get(requestId) {
      return db.operation('get', async (query) => {
        const [row] = await query(get, [requestId]);
        if (row === undefined) return undefined;
        return { status: String(row.status), occurredAt: new Date(Number(row.occurred_ms)) };
      });
    },

    compareAndSet(requestId, expected, next) {
      const values = [requestId, textOf(next.status), next.occurredAt.getTime(), ttlMs];
      return db.operation('compareAndSet', async (query) => {
        const rows =
          expected === undefined
            ? await query(create, values)
            : await query(replace, [
                ...values,
                textOf(expected.status),
                expected.occurredAt.getTime(),
              ]);
        db.sweep(sweep);
        return rows.length === 1;
      });
    },

    lock(requestId, lockTtlMs) {
      const token = nextToken();
      return db.operation(
        'lock',
        async (query) => {
          const rows = await query(lock, [requestId, token, milliseconds(lockTtlMs)]);
          return rows.length === 1 ? token : undefined;
        },
        // A lock taken after the router gave up would hold the request until it expires.
        (late, query) =>
          late === undefined ? Promise.resolve() : query(unlock, [requestId, late]),
      );
    },

    async unlock(requestId, token) {
      await db.operation('unlock', (query) => query(unlock, [requestId, textOf(token)]));
    },
  };
}
