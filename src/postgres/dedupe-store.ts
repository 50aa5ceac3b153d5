import { createTokenSource } from '../dedupe/claim-token.js';
import type { ClaimResult, DedupeStore } from '../dedupe/dedupe-store.js';
import {
  createDatabase,
  fromNow,
  type PostgresClientLike,
  type PostgresStoreOptions,
  textOf,
} from './client.js';
import { dedupeSchema } from './schema.js';

/**
 * Options of {@link createPostgresDedupeStore}. How long claims and done marks last is the
 * router's `dedupe.claimTtlMs` and `dedupe.ttlMs`.
 *
 * @example
 * ```ts
 * createPostgresDedupeStore(pool, { tablePrefix: 'billing_', timeoutMs: 1_000 })
 * ```
 */
export interface PostgresDedupeStoreOptions extends PostgresStoreOptions {}

const IN_FLIGHT: ClaimResult = Object.freeze({ state: 'in_flight' });
const DONE: ClaimResult = Object.freeze({ state: 'done' });

/** Whole milliseconds, at least one. */
const milliseconds = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs));

/**
 * Creates a {@link DedupeStore} on PostgreSQL, shared by every instance that receives the
 * same webhook URL, so that a notification delivered to two instances is handled once.
 *
 * One row per notification in `uanataca_webhooks_dedupe` (created on first use unless
 * `createTables` is `false`; the SQL is `postgresDedupeSchema()`):
 * - a claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE expires_at <= now`, atomic: it
 *   takes an absent or expired key, and leaves a live claim or done mark alone;
 * - `markDone` and `release` change the row only while it holds the caller's token, so an
 *   instance whose claim expired and was taken over cannot undo the work of the one that
 *   took it;
 * - expiry times come from the database's clock, so instances whose clocks disagree still
 *   agree. Expired rows count as absent, and are deleted now and then (at most once a
 *   minute, by a claim).
 *
 * Database errors and missed deadlines (`timeoutMs`) reject with `StoreUnavailableError`: the
 * router answers 503 and nothing is marked done. A claim that missed its deadline may still
 * commit later (a stalled network that recovers): the store then releases it as soon as it
 * learns of it, so that a redelivery is not refused until `claimTtlMs`. A done mark that
 * missed its deadline may commit too: the next delivery is then a duplicate.
 *
 * @param pool - A node-postgres `Pool` (or `Client`).
 * @throws {InvalidOptionsError} when `pool` has no `query`, or an option is invalid.
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresDedupeStore } from 'uanataca-webhooks/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * pool.on('error', (error) => console.warn('postgres:', error.message))
 * const webhooks = createWebhooks({ dedupe: { store: createPostgresDedupeStore(pool) } })
 * ```
 */
export function createPostgresDedupeStore(
  pool: PostgresClientLike,
  options: PostgresDedupeStoreOptions = {},
): DedupeStore {
  const db = createDatabase(pool, options, 'createPostgresDedupeStore', dedupeSchema);
  const table = db.names.table('dedupe');
  const nextToken = createTokenSource();
  // The SELECT reads the row as it was before the statement: none (or an expired one) means
  // another instance claimed the key meanwhile.
  const claim = `WITH claimed AS (
  INSERT INTO ${table} AS d (idempotency_key, token, done, expires_at)
  VALUES ($1, $2, false, ${fromNow('$3')})
  ON CONFLICT (idempotency_key) DO UPDATE
    SET token = excluded.token, done = false, expires_at = excluded.expires_at
    WHERE d.expires_at <= statement_timestamp()
  RETURNING 1
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN 'claimed'
  WHEN EXISTS (SELECT 1 FROM ${table} WHERE idempotency_key = $1 AND done
    AND expires_at > statement_timestamp()) THEN 'done'
  ELSE 'in_flight' END AS state`;
  const markDone = `UPDATE ${table} SET done = true, expires_at = ${fromNow('$3')}
WHERE idempotency_key = $1 AND token = $2 AND NOT done`;
  const release = `DELETE FROM ${table} WHERE idempotency_key = $1 AND token = $2 AND NOT done`;
  const sweep = `DELETE FROM ${table} WHERE idempotency_key IN (
  SELECT idempotency_key FROM ${table} WHERE expires_at <= statement_timestamp() LIMIT 10000
) AND expires_at <= statement_timestamp()`;

  return {
    async claim(key, ttlMs) {
      const token = nextToken();
      const [row] = await db.operation(
        'claim',
        (query) => query(claim, [textOf(key), token, milliseconds(ttlMs)]),
        // A claim taken after the router gave up would hold the key until it expires.
        ([late], query) =>
          late?.state === 'claimed' ? query(release, [textOf(key), token]) : Promise.resolve(),
      );
      db.sweep(sweep);
      if (row?.state === 'claimed') return { state: 'claimed', token };
      return row?.state === 'done' ? DONE : IN_FLIGHT;
    },

    async markDone(key, token, ttlMs) {
      await db.operation('markDone', (query) =>
        query(markDone, [textOf(key), textOf(token), milliseconds(ttlMs)]),
      );
    },

    async release(key, token) {
      await db.operation('release', (query) => query(release, [textOf(key), textOf(token)]));
    },
  };
}
