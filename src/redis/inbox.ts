import { type ResolvedFilter, resolveFilter } from '../inbox/filter.js';
import {
  type AttemptOutcome,
  INBOX_ENTRY_STATUSES,
  type InboxEntry,
  type InboxEntryStatus,
  type InboxStore,
  type ReplayResult,
} from '../inbox/inbox-store.js';
import { positiveInteger } from '../options.js';
import {
  createEvaluator,
  milliseconds,
  type RedisClientLike,
  type RedisStoreOptions,
  resolvePrefix,
} from './client.js';
import {
  ADD,
  ENTRY_FIELDS,
  GET,
  LEASE,
  RENEW,
  REPLAY,
  SCAN,
  SETTLE,
  STATS,
} from './inbox-scripts.js';

/**
 * Options of {@link createRedisInbox}.
 *
 * @example
 * ```ts
 * createRedisInbox(redis, { prefix: '{billing}:webhooks:', timeoutMs: 1_000 })
 * ```
 */
export interface RedisInboxOptions extends RedisStoreOptions {
  /**
   * Prepended to every key of the inbox (which adds `inbox:`), to share a Redis database with
   * other data; every process sharing the inbox must use the same one. A `keyPrefix`
   * configured on the client applies on top of it.
   *
   * Each operation is one script touching several keys, which a Redis Cluster accepts only
   * when they all hash to one slot: the prefix must hold a hash tag (a part in braces, as in
   * the default), and then the whole inbox lives on the node serving that slot. Outside a
   * Cluster the braces mean nothing.
   *
   * @default '{uanataca-webhooks}:'
   * @example
   * ```ts
   * createRedisInbox(cluster, { prefix: '{billing-webhooks}:' })
   * ```
   */
  prefix?: string | undefined;
}

const DEFAULT_INBOX_PREFIX = '{uanataca-webhooks}:';

/** A field of an entry's hash as a name/value pair, or nothing when the value is absent. */
const field = (name: string, value: string | number | undefined): string[] =>
  value === undefined ? [] : [name, String(value)];

const text = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value);

const time = (value: string | undefined): Date | undefined =>
  value === undefined ? undefined : new Date(Number(value));

/** The error of a reply that is not what the scripts return: another program wrote the keys. */
const malformed = (): TypeError => new TypeError('Unexpected reply from Redis to an inbox script');

/** An entry from the row a script replied (the id, then the fields of `ENTRY_FIELDS`). */
function toEntry(reply: unknown): InboxEntry | undefined {
  if (!Array.isArray(reply) || reply.length !== ENTRY_FIELDS.length + 1) throw malformed();
  const [id, key, request, type, status, attempts, received, next, error, body] = reply.map(text);
  if (status === undefined) return undefined;
  if (
    !INBOX_ENTRY_STATUSES.includes(status as InboxEntryStatus) ||
    key === undefined ||
    body === undefined ||
    received === undefined
  ) {
    throw malformed();
  }
  return Object.freeze({
    id: id as string,
    idempotencyKey: key,
    requestId: request === undefined ? undefined : Number(request),
    eventType: type,
    status: status as InboxEntryStatus,
    attempts: Number(attempts ?? 0),
    receivedAt: new Date(Number(received)),
    nextAttemptAt: time(next),
    lastError: error,
    body,
  });
}

function toEntries(reply: unknown): InboxEntry[] {
  if (!Array.isArray(reply)) throw malformed();
  return reply.map((row) => toEntry(row) as InboxEntry);
}

/**
 * Creates an {@link InboxStore} on Redis, for the durable inbox (`inbox.store` of
 * `createWebhooks`) of several instances receiving the same webhook URL: they share it, and
 * the notifications of one request are handled one at a time across all of them.
 *
 * Works with an `ioredis` client or cluster and with a `redis` (node-redis) client or
 * cluster, like {@link createRedisDedupeStore}, and needs Redis 5 or later. Every operation
 * is one Lua script, so one atomic step, with the same deadline of its own, `timeoutMs`
 * (default 2 s): one that has not settled by then rejects with `StoreUnavailableError` (its
 * `cause` a `TimeoutError`), and a delivery is answered 503 so that the provider delivers it
 * again. Configure the client as for {@link createRedisDedupeStore} (no offline queue), so
 * that deliveries fail at once while Redis is disconnected. A script that timed out may still
 * run once Redis answers again (a paused server, a stalled network): a late `add` makes the
 * redelivery a duplicate, a late `lease` leaves its entries running, unhandled, until their
 * lease runs out (the inbox's `leaseMs`) and another attempt takes them over.
 *
 * **Durability.** `add` resolves once the script has run, so the entry is in Redis: it
 * survives a crash of this process at any later moment. Whether it survives a crash of Redis
 * is Redis's configuration: with `appendonly yes` and `appendfsync always`, Redis writes the
 * entry to its append-only file and syncs it to disk before answering, so an acknowledged
 * notification survives a crash of Redis or of its machine; with `appendfsync everysec` (the
 * default) up to a second of notifications can be lost that way, and without persistence
 * everything is. With replicas, a failover can lose writes the old primary acknowledged
 * before they reached a replica. The provider cannot deliver those again: it got its 200.
 *
 * **Time.** Due times and leases are read from the Redis server's clock (`TIME`, inside the
 * scripts), so that instances whose clocks disagree agree on when a lease runs out. Two
 * times come from the instances: `receivedAt` (when the router received the notification)
 * and the time a failed attempt is retried (the worker's clock plus the backoff).
 *
 * **Keys**, all under `<prefix>inbox:` (see {@link RedisInboxOptions.prefix}): a hash per
 * entry (`e:<id>`), a hash from idempotency keys to ids (`keys`), an id counter (`id`),
 * sorted sets of ids to list by status, by request and in all (`s:<status>`,
 * `r:<requestId>`, `all`), sorted sets to schedule (`pending` and `ready` by reception,
 * `delayed` by due time, `running` by the end of the lease) and a hash of the requests being
 * handled (`busy`). An entry whose lease ran out keeps its request until it is leased
 * again, before the request's other entries, and can no longer be renewed (`renew` resolves
 * `false`). Recording, leasing, renewing and settling cost O(log n) each; a lease
 * looks at 1 000 waiting entries of busy requests at most before it gives up on the rest
 * until the next lease. `list`, `replay` and `purge` run scripts that each look at 1 000
 * entries at most, so a large inbox never holds Redis for long. Nothing expires by itself:
 * purge done entries from time to time (`webhooks.inbox.purge`).
 *
 * `list` returns entries newest first by id, the order in which they were recorded; its
 * `before` cursor works even when the entry of that id was deleted since.
 *
 * @param client - A connected `ioredis` or `redis` client (or cluster).
 * @throws {InvalidOptionsError} when `client` is neither, `prefix` is not a string or
 * `timeoutMs` is not a positive integer.
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createWebhooks } from 'uanataca-webhooks'
 * import { createRedisInbox, createRedisStateStore } from 'uanataca-webhooks/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * const webhooks = createWebhooks({
 *   inbox: { store: createRedisInbox(redis) },
 *   state: { store: createRedisStateStore(redis) },
 * })
 * ```
 */
export function createRedisInbox(
  client: RedisClientLike,
  options: RedisInboxOptions = {},
): InboxStore {
  const evaluate = createEvaluator(client, options);
  const keys = [`${resolvePrefix(options, DEFAULT_INBOX_PREFIX)}inbox:`];
  const run = (script: string, args: readonly (string | number)[]): Promise<unknown> =>
    evaluate(script, keys, args);
  const held = async (script: string, args: readonly (string | number)[]): Promise<boolean> =>
    Number(await run(script, args)) === 1;

  /** Runs the scan script until it found `limit` entries or saw every candidate. */
  const scan = async (
    mode: 'list' | 'purge',
    filter: ResolvedFilter,
    statuses: readonly InboxEntryStatus[],
    limit: number,
    each: (reply: unknown) => number,
  ): Promise<void> => {
    let cursor = filter.before ?? '';
    // Ids are numbers: an entry older than something else has none.
    if (!/^\d*$/.test(cursor)) return;
    do {
      const reply = await run(SCAN, [
        mode,
        cursor,
        limit,
        filter.requestId ?? '',
        filter.eventType === undefined ? '' : `=${filter.eventType}`,
        filter.receivedBefore ?? '',
        filter.receivedAfter ?? '',
        ...statuses,
      ]);
      if (!Array.isArray(reply) || reply.length !== 2) throw malformed();
      limit -= each(reply[1]);
      cursor = String(reply[0]);
    } while (cursor !== '' && limit > 0);
  };

  return {
    async add(entry) {
      const reply = await run(ADD, [
        entry.idempotencyKey,
        entry.status,
        entry.requestId ?? '',
        ...field('received', entry.receivedAt.getTime()),
        ...field('request', entry.requestId),
        ...field('type', entry.eventType),
        ...field('error', entry.lastError),
        ...field('body', entry.body),
      ]);
      if (!Array.isArray(reply)) throw malformed();
      return { id: String(reply[0]), duplicate: Number(reply[1]) === 1 };
    },

    async lease(owner, limit, leaseMs) {
      return toEntries(
        await run(LEASE, [owner, positiveInteger(limit, 1, 'limit'), milliseconds(leaseMs)]),
      );
    },

    renew: (id, owner, leaseMs) => held(RENEW, [id, owner, milliseconds(leaseMs)]),

    async settle(id, owner, outcome: AttemptOutcome) {
      return held(SETTLE, [
        id,
        owner,
        outcome.status,
        outcome.status === 'pending' ? outcome.nextAttemptAt.getTime() : '',
        outcome.status === 'done' ? '' : outcome.error,
      ]);
    },

    async get(id) {
      return toEntry(await run(GET, [id]));
    },

    async list(filter) {
      const resolved = resolveFilter(filter);
      const found: InboxEntry[] = [];
      await scan('list', resolved, [...(resolved.statuses ?? [])], resolved.limit, (rows) => {
        const entries = toEntries(rows);
        found.push(...entries);
        return entries.length;
      });
      return found;
    },

    async replay(id, fields) {
      const reply = await run(
        REPLAY,
        fields === undefined
          ? [id]
          : [
              id,
              fields.idempotencyKey,
              fields.requestId ?? '',
              ...field('request', fields.requestId),
              ...field('type', fields.eventType),
            ],
      );
      return String(reply) as ReplayResult;
    },

    async purge(filter) {
      const resolved = { ...resolveFilter(filter), before: undefined };
      const statuses = [...(resolved.statuses ?? INBOX_ENTRY_STATUSES)].filter(
        (status) => status !== 'running',
      );
      let purged = 0;
      if (statuses.length > 0) {
        await scan('purge', resolved, statuses, Number.MAX_SAFE_INTEGER, (count) => {
          purged += Number(count);
          return 0;
        });
      }
      return purged;
    },

    async stats() {
      const reply = await run(STATS, INBOX_ENTRY_STATUSES);
      if (!Array.isArray(reply) || reply.length !== INBOX_ENTRY_STATUSES.length + 1) {
        throw malformed();
      }
      const [pending, running, done, dead, invalid] = reply.map(Number);
      return {
        pending: pending ?? 0,
        running: running ?? 0,
        done: done ?? 0,
        dead: dead ?? 0,
        invalid: invalid ?? 0,
        oldestPendingAt: time(text(reply.at(-1))),
      };
    },
  };
}
