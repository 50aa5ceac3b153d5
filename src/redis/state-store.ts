import { createTokenSource } from '../dedupe/claim-token.js';
import { positiveInteger } from '../options.js';
import type { RequestState, StateStore } from '../state/state-store.js';
import {
  COMPARE_AND_DELETE,
  createEvaluator,
  milliseconds,
  type RedisClientLike,
  type RedisStoreOptions,
  resolvePrefix,
} from './client.js';

/**
 * Options of {@link createRedisStateStore}.
 *
 * @example
 * ```ts
 * createRedisStateStore(redis, { prefix: 'billing:webhooks:', ttlMs: 90 * 24 * 60 * 60 * 1000 })
 * ```
 */
export interface RedisStateStoreOptions extends RedisStoreOptions {
  /**
   * How long, in milliseconds, a request's state is kept after its last change. Once it has
   * expired, the request's next notification is classified as if nothing were stored
   * (`'apply'`), so keep it longer than your requests live, including late certificate
   * events.
   *
   * @default 2_592_000_000 (30 days)
   */
  ttlMs?: number | undefined;
}

const DEFAULT_TTL_MS = 30 * 24 * 60 * 60 * 1000;

// A hash per request: `status` and `occurredAt` (milliseconds since the epoch).
const GET = `return redis.call('HMGET', KEYS[1], 'status', 'occurredAt')`;

// ARGV: expected status ('' when nothing is expected), expected time, next status, next
// time, time to live.
const COMPARE_AND_SET = `
local status = redis.call('HGET', KEYS[1], 'status')
if ARGV[1] == '' then
  if status then return 0 end
elseif status ~= ARGV[1] or redis.call('HGET', KEYS[1], 'occurredAt') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'occurredAt', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

// ARGV: the holder's token, the lock's life in milliseconds.
const LOCK = `return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') and 1 or 0`;

function toState(reply: unknown): RequestState | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw new TypeError('Unexpected reply from Redis to the state read');
  }
  const [status, time] = reply as [unknown, unknown];
  if (status == null && time == null) return undefined;
  const occurredAt = new Date(
    typeof time === 'string' || typeof time === 'number' ? Number(time) : Number.NaN,
  );
  if (
    typeof status !== 'string' ||
    status === '' ||
    time === '' ||
    Number.isNaN(occurredAt.getTime())
  ) {
    throw new TypeError('Malformed request state in Redis');
  }
  return { status, occurredAt };
}

/**
 * Creates a {@link StateStore} on Redis, for the `state` option of `createWebhooks` when
 * several instances receive the same webhook URL.
 *
 * Works with an `ioredis` client or cluster and with a `redis` (node-redis) client or
 * cluster, like {@link createRedisDedupeStore}. Every operation has the same deadline of its
 * own, `timeoutMs` (default 2 s): one that has not settled by then rejects with
 * `StoreUnavailableError` (its `cause` a `TimeoutError`) whatever the client's settings, since
 * a client timeout may never fire (node-redis's `socketTimeout` is an inactivity timer that
 * every new command restarts, so under steady traffic to a Redis that stopped answering it
 * never expires). Configure the client as for {@link createRedisDedupeStore} all the same
 * (no offline queue), so that deliveries fail at once, rather than after `timeoutMs`, while
 * Redis is disconnected. Each request has one hash, `<prefix>state:<requestId>`,
 * with its `status` and `occurredAt` (milliseconds since the epoch); `compareAndSet` is a Lua
 * script, so the check and the write are one atomic step. Every write renews the expiry
 * (`ttlMs`).
 *
 * It locks requests across instances (`lock` and `unlock`), so that the router handles the
 * notifications of one request one at a time on every instance sharing the store: a lock is
 * the key `<prefix>lock:<requestId>`, taken with one atomic `SET … NX PX ttlMs` holding a
 * token unique to the holder, and released by a compare-and-delete script, so a holder whose
 * lock expired (the router gives it the handler timeout plus four store deadlines) cannot
 * release the lock another instance has taken since. A lock left by a crashed instance frees
 * itself when it expires.
 *
 * Notifications without a request id (the provider's `ISSUED` and certificate templates)
 * are not tracked and never reach the store.
 *
 * @param client - A connected `ioredis` or `redis` client (or cluster).
 * @throws {InvalidOptionsError} when `client` is neither, `prefix` is not a string, or
 * `ttlMs` or `timeoutMs` is not a positive integer.
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createRedisDedupeStore, createRedisStateStore } from 'uanataca-webhooks/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * const webhooks = createWebhooks({
 *   dedupe: { store: createRedisDedupeStore(redis) },
 *   state: { store: createRedisStateStore(redis), skip: ['stale'] },
 * })
 * ```
 */
export function createRedisStateStore(
  client: RedisClientLike,
  options: RedisStateStoreOptions = {},
): StateStore {
  const evaluate = createEvaluator(client, options);
  const base = resolvePrefix(options);
  const prefix = `${base}state:`;
  const ttlMs = positiveInteger(options.ttlMs, DEFAULT_TTL_MS, 'ttlMs');
  const locks = `${base}lock:`;
  const nextToken = createTokenSource();

  return {
    async get(requestId) {
      return toState(await evaluate(GET, [`${prefix}${requestId}`], []));
    },

    async compareAndSet(requestId, expected, next) {
      const reply = await evaluate(
        COMPARE_AND_SET,
        [`${prefix}${requestId}`],
        [
          expected?.status ?? '',
          expected === undefined ? '' : expected.occurredAt.getTime(),
          next.status,
          next.occurredAt.getTime(),
          ttlMs,
        ],
      );
      return Number(reply) === 1;
    },

    async lock(requestId, lockTtlMs) {
      const token = nextToken();
      const reply = await evaluate(
        LOCK,
        [`${locks}${requestId}`],
        [token, milliseconds(lockTtlMs)],
      );
      return Number(reply) === 1 ? token : undefined;
    },

    async unlock(requestId, token) {
      await evaluate(COMPARE_AND_DELETE, [`${locks}${requestId}`], [token]);
    },
  };
}
