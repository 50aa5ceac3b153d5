import { TimeoutError, withDeadline } from '../deadline.js';
import { InvalidOptionsError, StoreUnavailableError } from '../errors.js';
import { positiveInteger } from '../options.js';

/**
 * The part of an `ioredis` client (`Redis` or `Cluster`, version 5 or later) the Redis
 * stores use. Any `ioredis` client fits; nothing of `ioredis` is imported.
 *
 * @example
 * ```ts
 * const redis: IoRedisClientLike = new Redis({ enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * ```
 */
export interface IoRedisClientLike {
  /** `EVAL script numkeys key... arg...`. */
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** Present on every `ioredis` client; tells it apart from a `redis` one. */
  defineCommand(...args: never[]): unknown;
}

/**
 * The part of a `redis` (node-redis, version 4 or later) client or cluster the Redis stores
 * use. Any such client fits, except one created with `legacyMode`; nothing of `redis` is
 * imported.
 *
 * @example
 * ```ts
 * const redis: NodeRedisClientLike = createClient({ disableOfflineQueue: true })
 * ```
 */
export interface NodeRedisClientLike {
  /** `EVAL script numkeys key... arg...`, with keys and arguments in an object. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** Present on every `redis` client. */
  sendCommand(...args: never[]): unknown;
}

/**
 * A Redis client the stores of `uanataca-webhooks/redis` accept: an `ioredis` client or
 * cluster, or a `redis` (node-redis) client or cluster. Which one it is is detected from the
 * methods it has (`defineCommand` for `ioredis`, `sendCommand` for `redis`).
 *
 * @example
 * ```ts
 * function stores(redis: RedisClientLike) {
 *   return { dedupe: createRedisDedupeStore(redis), state: createRedisStateStore(redis) }
 * }
 * ```
 */
export type RedisClientLike = IoRedisClientLike | NodeRedisClientLike;

/**
 * Options shared by the Redis stores.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = { prefix: 'billing:webhooks:', timeoutMs: 1_000 }
 * ```
 */
export interface RedisStoreOptions {
  /**
   * Prepended to every key the store writes, to share a Redis database with other data.
   * A `keyPrefix` configured on the client applies on top of it.
   *
   * @default 'uanataca-webhooks:'
   * @example
   * ```ts
   * createRedisDedupeStore(redis, { prefix: 'billing:webhooks:' })
   * ```
   */
  prefix?: string | undefined;
  /**
   * How long, in milliseconds, one store operation (one `EVAL`) may take. One that has not
   * settled by then rejects with `StoreUnavailableError` (its `cause` a `TimeoutError`), and
   * the router answers 503 with `Retry-After`. The deadline is the store's own: it holds
   * whatever the client's settings, including while commands keep flowing to a Redis that
   * stopped answering, where node-redis's `socketTimeout` never fires.
   *
   * What the client does with the command afterwards is up to it: it may still reach Redis
   * later (see the stores' documentation for what a late claim or done mark means).
   *
   * @default 2_000
   * @example
   * ```ts
   * createRedisDedupeStore(redis, { timeoutMs: 1_000 })
   * ```
   */
  timeoutMs?: number | undefined;
}

/**
 * Runs a Lua script with its keys and arguments, whatever the client.
 *
 * @internal
 */
export type Evaluate = (
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>;

/** The default key prefix. @internal */
export const DEFAULT_PREFIX = 'uanataca-webhooks:';

/** The default deadline of one store operation, in milliseconds. @internal */
export const DEFAULT_TIMEOUT_MS = 2_000;

/**
 * Checks the prefix option; `fallback` when it is not given.
 *
 * @internal
 */
export function resolvePrefix(
  options: RedisStoreOptions,
  fallback: string = DEFAULT_PREFIX,
): string {
  const prefix = options.prefix ?? fallback;
  if (typeof prefix !== 'string') throw new InvalidOptionsError('prefix must be a string');
  return prefix;
}

/**
 * Deletes `KEYS[1]` if it still holds `ARGV[1]`, the token of whoever took it: a holder whose
 * hold expired cannot release what another has taken since.
 *
 * @internal
 */
export const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/**
 * A duration as Redis's `PX` wants it: a whole positive number of milliseconds.
 *
 * @internal
 */
export const milliseconds = (ms: number): number => Math.max(1, Math.ceil(ms));

const decoder = /* @__PURE__ */ new TextDecoder();

/** Clients configured to return buffers give byte arrays where strings are expected. */
function decode(value: unknown): unknown {
  if (value instanceof Uint8Array) return decoder.decode(value);
  if (Array.isArray(value)) return value.map(decode);
  return value;
}

/** Runs a script on the client, without a deadline. */
function createRunner(client: RedisClientLike): Evaluate {
  const candidate = client as Partial<Record<'eval' | 'defineCommand' | 'sendCommand', unknown>>;
  if (typeof client !== 'object' || client === null || typeof candidate.eval !== 'function') {
    throw new InvalidOptionsError('The Redis store needs an ioredis or redis (node-redis) client');
  }
  if (typeof candidate.defineCommand === 'function') {
    const io = client as IoRedisClientLike;
    return (script, keys, args) => io.eval(script, keys.length, ...keys, ...args.map(String));
  }
  if (typeof candidate.sendCommand === 'function') {
    const node = client as NodeRedisClientLike;
    return (script, keys, args) =>
      node.eval(script, { keys: [...keys], arguments: args.map(String) });
  }
  throw new InvalidOptionsError(
    'Unrecognized Redis client: pass an ioredis client or a redis (node-redis) client',
  );
}

/**
 * Builds the script runner for `client`, detecting whether it is an `ioredis` client
 * (`eval(script, numKeys, ...keysAndArgs)`) or a `redis` one (`eval(script, { keys,
 * arguments })`). Every run is bounded by `options.timeoutMs`: one still pending then rejects
 * with a `StoreUnavailableError` caused by a `TimeoutError`.
 *
 * @throws {InvalidOptionsError} when `client` is neither, or `timeoutMs` is not a positive
 * integer.
 * @internal
 */
export function createEvaluator(client: RedisClientLike, options: RedisStoreOptions): Evaluate {
  const run = createRunner(client);
  const timeoutMs = positiveInteger(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const timedOut = (): StoreUnavailableError =>
    new StoreUnavailableError(new TimeoutError('The Redis command', timeoutMs));
  return async (script, keys, args) =>
    decode(await withDeadline(run(script, keys, args), timeoutMs, timedOut));
}
