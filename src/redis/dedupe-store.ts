import { createTokenSource } from '../dedupe/claim-token.js';
import type { ClaimResult, DedupeStore } from '../dedupe/dedupe-store.js';
import {
  COMPARE_AND_DELETE,
  createEvaluator,
  milliseconds,
  type RedisClientLike,
  type RedisStoreOptions,
  resolvePrefix,
} from './client.js';

/**
 * Options of {@link createRedisDedupeStore}. How long claims and done marks last is the
 * router's `dedupe.claimTtlMs` and `dedupe.ttlMs`.
 *
 * @example
 * ```ts
 * createRedisDedupeStore(redis, { prefix: 'billing:webhooks:', timeoutMs: 1_000 })
 * ```
 */
export interface RedisDedupeStoreOptions extends RedisStoreOptions {}

// One key per notification: `claimed:<token>` while a delivery holds it, then `done`. Both
// carry an expiry (PX), so Redis forgets them by itself.
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 'claimed' end
if redis.call('GET', KEYS[1]) == 'done' then return 'done' end
return 'in_flight'
`;

const MARK_DONE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
return 1
`;

const IN_FLIGHT: ClaimResult = Object.freeze({ state: 'in_flight' });
const DONE: ClaimResult = Object.freeze({ state: 'done' });

/**
 * Creates a {@link DedupeStore} on Redis, shared by every instance that receives the same
 * webhook URL, so that a notification delivered to two instances is handled once.
 *
 * Works with an `ioredis` client or cluster and with a `redis` (node-redis) client or
 * cluster; it imports neither, and only sends `EVAL` commands. Each notification has one
 * key, `<prefix>dedupe:<idempotencyKey>`:
 * - a claim is one atomic `SET key claimed:<token> PX claimTtlMs NX`, and expires by itself,
 *   so the claim of an instance that crashed mid-handler is taken over after `claimTtlMs`;
 * - `markDone` and `release` are compare-and-set / compare-and-delete scripts: only the
 *   delivery holding the claim (its owner token) can complete or release it, so a slow
 *   instance whose claim expired cannot undo the work of the one that took it over;
 * - a done key expires after the router's `ttlMs`.
 *
 * Redis errors are not swallowed: the router answers 503 (`StoreUnavailableError`, with
 * `Retry-After`) so the provider delivers again, and nothing is marked done. Every operation
 * has its own deadline, `timeoutMs` (default 2 s): one that has not settled by then rejects
 * with `StoreUnavailableError` (its `cause` a `TimeoutError`), whatever the client's
 * settings. A client timeout alone is not enough: node-redis's `socket.socketTimeout` is the
 * socket's inactivity timer, which every command written restarts, so while deliveries keep
 * arriving at a Redis that stopped answering (paused, overloaded, a stalled network) it never
 * fires and each delivery would wait until Redis answers again.
 *
 * Still configure the client not to queue commands while it is disconnected, so that a
 * delivery fails at once instead of after `timeoutMs` (by default both clients queue them
 * until the connection is back):
 * - `ioredis`: `enableOfflineQueue: false` (commands fail at once while disconnected) and
 *   `maxRetriesPerRequest: 1` (a command caught by a disconnection fails after one
 *   reconnection attempt instead of 20); `commandTimeout` does no harm but is not needed.
 * - `redis`: `disableOfflineQueue: true` (commands fail at once while reconnecting), a
 *   `socket.reconnectStrategy` that keeps reconnecting and an `'error'` listener (without one,
 *   node-redis's connection errors crash the process). `socket.socketTimeout` with a shorter
 *   `pingInterval` (so that an idle connection is not taken for a dead one) still helps: it
 *   drops a connection that went silent while idle, so that the client reconnects.
 *
 * A command that timed out may still reach Redis once the network is back: a claim then
 * holds its key until `claimTtlMs` (redeliveries meanwhile are answered 409), and a done
 * mark makes the next redelivery a duplicate. No notification is lost; as after any failure
 * between the handlers and the done mark, the handlers may run again on a redelivery, so
 * they must be idempotent.
 *
 * @param client - A connected `ioredis` or `redis` client (or cluster).
 * @throws {InvalidOptionsError} when `client` is neither, `prefix` is not a string or
 * `timeoutMs` is not a positive integer.
 * @example
 * ```ts
 * // ioredis
 * import { Redis } from 'ioredis'
 * import { createRedisDedupeStore } from 'uanataca-webhooks/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL, {
 *   enableOfflineQueue: false,
 *   maxRetriesPerRequest: 1,
 *   commandTimeout: 2_000,
 * })
 * const webhooks = createWebhooks({ dedupe: { store: createRedisDedupeStore(redis) } })
 * ```
 * @example
 * ```ts
 * // redis (node-redis)
 * import { createClient } from 'redis'
 * import { createRedisDedupeStore } from 'uanataca-webhooks/redis'
 *
 * const redis = createClient({
 *   url: process.env.REDIS_URL,
 *   disableOfflineQueue: true,
 *   pingInterval: 1_000,
 *   socket: {
 *     connectTimeout: 2_000,
 *     socketTimeout: 5_000,
 *     reconnectStrategy: (retries) => Math.min(retries * 100, 2_000),
 *   },
 * })
 * redis.on('error', (error) => console.warn('redis:', error.message))
 * await redis.connect()
 * const webhooks = createWebhooks({ dedupe: { store: createRedisDedupeStore(redis) } })
 * ```
 */
export function createRedisDedupeStore(
  client: RedisClientLike,
  options: RedisDedupeStoreOptions = {},
): DedupeStore {
  const evaluate = createEvaluator(client, options);
  const prefix = `${resolvePrefix(options)}dedupe:`;
  const nextToken = createTokenSource();

  return {
    async claim(key, ttlMs) {
      const token = nextToken();
      const result = await evaluate(
        CLAIM,
        [prefix + key],
        [`claimed:${token}`, milliseconds(ttlMs)],
      );
      if (result === 'claimed') return { state: 'claimed', token };
      if (result === 'done') return DONE;
      if (result === 'in_flight') return IN_FLIGHT;
      throw new TypeError('Unexpected reply from Redis to the claim script');
    },

    async markDone(key, token, ttlMs) {
      await evaluate(MARK_DONE, [prefix + key], [`claimed:${token}`, milliseconds(ttlMs)]);
    },

    async release(key, token) {
      await evaluate(COMPARE_AND_DELETE, [prefix + key], [`claimed:${token}`]);
    },
  };
}
