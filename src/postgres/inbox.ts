import { InvalidOptionsError } from '../errors.js';
import { resolveFilter } from '../inbox/filter.js';
import type { InboxStore, NewInboxEntry, ReplayResult } from '../inbox/inbox-store.js';
import { createBatcher } from './batch.js';
import {
  createDatabase,
  fromMs,
  fromNow,
  isRace,
  type PostgresClientLike,
  type PostgresStoreOptions,
  type Query,
  textOf,
  toMs,
} from './client.js';
import { bodyToHex, entryColumns, filterSql, isEntryId, toEntry } from './inbox-rows.js';
import { inboxSchema, type TableNames } from './schema.js';

/**
 * Options of {@link createPostgresInbox}.
 *
 * @example
 * ```ts
 * createPostgresInbox(pool, { schema: 'webhooks', timeoutMs: 1_000 })
 * ```
 */
export interface PostgresInboxOptions extends PostgresStoreOptions {}

type AddResult = { readonly id: string; readonly duplicate: boolean };

/** Tries of a statement that lost a race (a unique violation, a deadlock) before it fails. */
const RACE_ATTEMPTS = 5;
/** The most notifications one INSERT records. */
const MAX_BATCH = 256;
/**
 * Statements of one kind (INSERTs, settlements) one store has under way at once: what arrives
 * meanwhile goes in the next. One at a time makes fewer, larger commits, which measured faster
 * than several smaller ones at once (BENCHMARKS.md).
 */
const MAX_IN_FLIGHT = 1;
/** The most entries one DELETE of `purge` removes, so that each stays within the deadline. */
const PURGE_CHUNK = 5_000;
const STATUSES = ['pending', 'running', 'done', 'dead', 'invalid'] as const;

/** The statements of the inbox on its table. */
function statements(names: TableNames) {
  const inbox = names.table('inbox');
  const now = 'statement_timestamp()';
  const fresh = 'other.id IS NULL';
  return {
    // One row per notification, in arrival order, a key given twice recorded once. The join
    // reads the rows committed before the statement: a key another instance inserted
    // meanwhile comes back without id, and is asked for again.
    add: `WITH input AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[])
    WITH ORDINALITY AS t(idempotency_key, request_id, event_type, status, received_ms, last_error, body_hex, n)
), inserted AS (
  INSERT INTO ${inbox} (idempotency_key, request_id, event_type, status, received_at, next_attempt_at, last_error, body)
  SELECT idempotency_key, request_id, event_type, status, ${fromMs('received_ms')},
    CASE WHEN status = 'pending' THEN ${now} END, last_error, decode(body_hex, 'hex')
  FROM input ORDER BY n
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, idempotency_key
)
SELECT coalesce(inserted.id, existing.id)::text AS id,
  inserted.id IS NULL OR n > min(n) OVER (PARTITION BY idempotency_key) AS duplicate
FROM input
LEFT JOIN inserted USING (idempotency_key)
LEFT JOIN ${inbox} existing USING (idempotency_key)
ORDER BY n`,
    // Due entries, oldest first, each the only one of its request to go: none while another
    // entry of the request runs (a live lease, or an expired one, which goes first), and only
    // the oldest due pending one. The partial unique index on running entries' request ids
    // turns any race this read misses into a unique violation, and the lease is tried again.
    lease: `WITH picked AS (
  SELECT e.id FROM ${inbox} e
  WHERE e.status IN ('pending', 'running') AND e.next_attempt_at <= ${now}
    AND (e.request_id IS NULL OR (
      NOT EXISTS (
        SELECT 1 FROM ${inbox} r
        WHERE r.request_id = e.request_id AND r.status = 'running' AND r.id <> e.id)
      AND (e.status = 'running' OR NOT EXISTS (
        SELECT 1 FROM ${inbox} o
        WHERE o.request_id = e.request_id AND (o.received_at, o.id) < (e.received_at, e.id)
          AND o.status = 'pending' AND o.next_attempt_at <= ${now}))))
  ORDER BY e.received_at, e.id
  LIMIT $2
  FOR UPDATE OF e SKIP LOCKED
), leased AS (
  UPDATE ${inbox} e SET status = 'running', lease_owner = $1, attempts = e.attempts + 1,
    next_attempt_at = ${fromNow('$3')}
  WHERE e.id = ANY (ARRAY(SELECT id FROM picked))
  RETURNING ${entryColumns('e')}
)
SELECT * FROM leased ORDER BY received_ms, id::bigint`,
    unlease: `UPDATE ${inbox} SET status = 'pending', lease_owner = NULL, attempts = attempts - 1,
  next_attempt_at = ${now}
WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'running'`,
    // A lease that ran out is over, even before another instance takes the entry over.
    renew: `UPDATE ${inbox} SET next_attempt_at = ${fromNow('$3')}
WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND next_attempt_at > ${now} RETURNING 1`,
    // Attempts ending together, one row each: which of them still held their entry.
    settle: `WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::text[])
    WITH ORDINALITY AS t(id, lease_owner, status, next_ms, last_error, n)
)
UPDATE ${inbox} e SET status = input.status, lease_owner = NULL,
  next_attempt_at = CASE WHEN input.status = 'pending' THEN ${fromMs('input.next_ms')} END,
  last_error = CASE WHEN input.status = 'done' THEN e.last_error ELSE input.last_error END
FROM input
WHERE e.id = input.id AND e.lease_owner = input.lease_owner AND e.status = 'running'
RETURNING input.n`,
    select: (where: string) => `SELECT ${entryColumns('e')} FROM ${inbox} e WHERE ${where}`,
    // A done or dead entry starts over; an invalid one too, with the fields its body now gives
    // ($2, $3, $4), unless another entry has that key: then it is done, as a duplicate. The
    // last SELECT reads the entry as it was before, to say why nothing changed.
    replay: `WITH other AS (
  SELECT min(id) AS id FROM ${inbox} WHERE idempotency_key = $2 AND id <> $1
), replayed AS (
  UPDATE ${inbox} e SET
    status = CASE WHEN ${fresh} THEN 'pending' ELSE 'done' END,
    attempts = CASE WHEN ${fresh} THEN 0 ELSE e.attempts END,
    next_attempt_at = CASE WHEN ${fresh} THEN ${now} END,
    last_error = CASE WHEN ${fresh} THEN e.last_error ELSE 'A duplicate of entry ' || other.id END,
    idempotency_key = CASE WHEN e.status = 'invalid' AND ${fresh} THEN $2 ELSE e.idempotency_key END,
    request_id = CASE WHEN e.status = 'invalid' AND ${fresh} THEN $3 ELSE e.request_id END,
    event_type = CASE WHEN e.status = 'invalid' AND ${fresh} THEN $4 ELSE e.event_type END,
    lease_owner = NULL
  FROM other
  WHERE e.id = $1 AND (e.status IN ('done', 'dead') OR (e.status = 'invalid' AND $2 IS NOT NULL))
  RETURNING e.status
)
SELECT coalesce(
  (SELECT CASE status WHEN 'done' THEN 'duplicate' ELSE 'replayed' END FROM replayed),
  (SELECT CASE WHEN status = 'invalid' AND $2 IS NULL THEN 'invalid' ELSE 'busy' END
    FROM ${inbox} WHERE id = $1),
  'missing') AS result`,
    purge: (where: string) => `WITH deleted AS (
  DELETE FROM ${inbox} WHERE id IN (
    SELECT id FROM ${inbox} WHERE status <> 'running' AND ${where} LIMIT ${PURGE_CHUNK}
  ) AND status <> 'running' RETURNING 1
)
SELECT count(*)::float8 AS count FROM deleted`,
    stats: `SELECT ${STATUSES.map((status) => `count(*) FILTER (WHERE status = '${status}')::float8 AS ${status}`).join(', ')},
  ${toMs("min(received_at) FILTER (WHERE status = 'pending')")} AS oldest
FROM ${inbox}`,
  };
}

/** Runs `work` again while it loses races, up to {@link RACE_ATTEMPTS} times. */
async function retryingRaces<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isRace(error) || attempt >= RACE_ATTEMPTS) throw error;
    }
  }
}

/** Text for a nullable `text` column. */
const optionalText = (value: string | undefined): string | null =>
  value === undefined ? null : textOf(value);

/**
 * Creates an {@link InboxStore} on PostgreSQL, for the `inbox` option of `createWebhooks`
 * when several instances (processes, machines) receive the same webhook URL and share one
 * database: each records what it receives, and their workers share the handling.
 *
 * - **One table**, `uanataca_webhooks_inbox` (see {@link PostgresSchemaOptions} for its
 *   schema and prefix), created on first use unless `createTables` is `false`; the SQL is
 *   `postgresInboxSchema()`, for migrations. The body is kept as `bytea`, to the byte
 *   (`convert_from(body, 'UTF8')` reads it as text).
 * - **`add`** resolves once the row is committed (with `synchronous_commit` on, PostgreSQL's
 *   default: flushed to disk). Notifications arriving together share one multi-row
 *   `INSERT … ON CONFLICT DO NOTHING`, so one commit serves many; the idempotency key is
 *   unique.
 * - **`lease`** is one `UPDATE` over a `SELECT … FOR UPDATE SKIP LOCKED`: instances never
 *   wait for each other and never take the same entry, the oldest due entries go first, and
 *   only one entry of a request runs at a time (a partial unique index on the request id of
 *   running entries guarantees it; a lease that loses that race is tried again). An entry
 *   whose lease ran out keeps its request until it is leased again, before the request's
 *   other entries, and can no longer be renewed (`renew` resolves `false`).
 * - **Time**: leases, their renewals and the due time of a new or replayed entry come from
 *   the database's clock (`statement_timestamp()`), so instances whose clocks disagree still
 *   agree on when a lease ends. The instants given to the store are kept as given: an
 *   entry's `receivedAt`, and the `nextAttemptAt` of a retry (which the worker computes from
 *   its own clock). Tests that move time for this store (`harness.now()`) read the
 *   database's clock, and wait in real time.
 * - **Failures**: every operation has the deadline `timeoutMs`; a database error or a missed
 *   deadline rejects with `StoreUnavailableError`, which the router answers with 503 (the
 *   provider delivers again) and the worker retries later. An `add` that missed its deadline
 *   may still commit: the redelivery is then a duplicate, answered 200.
 *
 * `list` pages by id (the order of recording), newest first. `stats` counts the whole table:
 * purge old `'done'` entries now and then (`webhooks.inbox.purge`).
 *
 * @param pool - A node-postgres `Pool` (or `Client`). Give it an `'error'` listener: without
 * one, an idle connection that breaks ends the process.
 * @throws {InvalidOptionsError} when `pool` has no `query`, or an option is invalid.
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createWebhooks } from 'uanataca-webhooks'
 * import { createPostgresInbox } from 'uanataca-webhooks/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2_000 })
 * pool.on('error', (error) => console.warn('postgres:', error.message))
 * const webhooks = createWebhooks({ inbox: { store: createPostgresInbox(pool) } })
 * ```
 */
export function createPostgresInbox(
  pool: PostgresClientLike,
  options: PostgresInboxOptions = {},
): InboxStore {
  const db = createDatabase(pool, options, 'createPostgresInbox', inboxSchema);
  const sql = statements(db.names);

  /** Records a batch, asking again for the ids that a concurrent insert hid. */
  const insert = async (query: Query, entries: NewInboxEntry[]): Promise<AddResult[]> => {
    const results: AddResult[] = [];
    let todo = entries;
    let positions = entries.map((_, index) => index);
    for (let attempt = 1; todo.length > 0; attempt += 1) {
      if (attempt > RACE_ATTEMPTS) throw new Error('The inbox kept losing races on its keys');
      const rows = await query(sql.add, [
        todo.map((entry) => textOf(entry.idempotencyKey)),
        todo.map((entry) => entry.requestId ?? null),
        todo.map((entry) => optionalText(entry.eventType)),
        todo.map((entry) => entry.status),
        todo.map((entry) => entry.receivedAt.getTime()),
        todo.map((entry) => optionalText(entry.lastError)),
        todo.map((entry) => bodyToHex(entry.body)),
      ]);
      rows.forEach(({ id, duplicate }, row) => {
        if (id !== null)
          results[positions[row]!] = { id: String(id), duplicate: duplicate === true };
      });
      todo = todo.filter((_, row) => rows[row]?.id === null);
      positions = positions.filter((position) => results[position] === undefined);
    }
    return results;
  };

  const enqueue = createBatcher<NewInboxEntry, AddResult>(
    (entries) => db.operation('add', (query) => insert(query, entries)),
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
  );

  type Settlement = readonly [
    id: string,
    owner: string,
    status: string,
    next: unknown,
    error: unknown,
  ];
  // A busy worker ends many attempts at once: one UPDATE, one commit, for those together.
  const settleTogether = createBatcher<Settlement, boolean>(
    (settlements) =>
      db.operation('settle', async (query) => {
        const columns = [0, 1, 2, 3, 4].map((column) => settlements.map((one) => one[column]));
        const held = new Set((await query(sql.settle, columns)).map((row) => Number(row.n) - 1));
        return settlements.map((_, index) => held.has(index));
      }),
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
  );

  return {
    async add(entry) {
      if (
        (entry.status !== 'pending' && entry.status !== 'invalid') ||
        Number.isNaN(entry.receivedAt?.getTime?.())
      ) {
        throw new InvalidOptionsError('An entry to add is pending or invalid, with a receivedAt');
      }
      return db.operation('add', () => enqueue(entry));
    },

    lease(owner, limit, leaseMs) {
      const values = [textOf(owner), Math.max(1, Math.floor(limit)), Math.ceil(leaseMs)];
      return db.operation(
        'lease',
        async (query) => (await retryingRaces(() => query(sql.lease, values))).map(toEntry),
        // Entries leased after the worker gave up would wait for their lease to run out.
        (late, query) => query(sql.unlease, [late.map((entry) => entry.id), values[0]]),
      );
    },

    async renew(id, owner, leaseMs) {
      const values = [id, textOf(owner), Math.ceil(leaseMs)];
      return (
        isEntryId(id) &&
        db.operation('renew', async (query) => (await query(sql.renew, values)).length > 0)
      );
    },

    async settle(id, owner, outcome) {
      const next = outcome.status === 'pending' ? outcome.nextAttemptAt.getTime() : null;
      if (Number.isNaN(next)) throw new InvalidOptionsError('nextAttemptAt must be a valid Date');
      const error = outcome.status === 'done' ? null : textOf(outcome.error);
      return (
        isEntryId(id) &&
        db.operation('settle', () =>
          settleTogether([id, textOf(owner), outcome.status, next, error]),
        )
      );
    },

    async get(id) {
      if (!isEntryId(id)) return undefined;
      return db.operation('get', async (query) => {
        const [row] = await query(sql.select('e.id = $1'), [id]);
        return row && toEntry(row);
      });
    },

    async list(filter) {
      const resolved = resolveFilter(filter);
      const { before, limit } = resolved;
      if (before !== undefined && !isEntryId(before)) return [];
      const values: unknown[] = [before ?? '9223372036854775807', limit];
      const text = `${sql.select(`e.id < $1 AND ${filterSql(resolved, values)}`)} ORDER BY e.id DESC LIMIT $2`;
      return db.operation('list', async (query) => (await query(text, values)).map(toEntry));
    },

    async replay(id, fields) {
      if (!isEntryId(id)) return 'missing';
      const values = [
        id,
        fields === undefined ? null : textOf(fields.idempotencyKey),
        fields?.requestId ?? null,
        optionalText(fields?.eventType),
      ];
      return db.operation('replay', async (query) => {
        const [row] = await retryingRaces(() => query(sql.replay, values));
        return row?.result as ReplayResult;
      });
    },

    async purge(filter) {
      const values: unknown[] = [];
      const text = sql.purge(filterSql(resolveFilter({ ...filter, limit: undefined }), values));
      let purged = 0;
      // In chunks, each within the deadline: a purge of months of entries takes a while.
      for (;;) {
        const [row] = await db.operation('purge', (query) => query(text, values));
        const deleted = Number(row?.count);
        purged += deleted;
        if (deleted < PURGE_CHUNK) return purged;
      }
    },

    stats() {
      return db.operation('stats', async (query) => {
        const [row = {}] = await query(sql.stats);
        const counts = Object.fromEntries(STATUSES.map((status) => [status, Number(row[status])]));
        return {
          ...(counts as Record<(typeof STATUSES)[number], number>),
          oldestPendingAt: row.oldest === null ? undefined : new Date(Number(row.oldest)),
        };
      });
    },
  };
}
