import { positiveInteger } from '../options.js';
import type { StateStore } from './state-store.js';

/**
 * Options of {@link createMemoryStateStore}.
 *
 * @example
 * ```ts
 * createMemoryStateStore({ maxEntries: 10_000 })
 * ```
 */
export interface MemoryStateStoreOptions {
  /**
   * How many requests the store remembers at most. When it is full, the request written
   * least recently is forgotten; a forgotten request's next notification is classified as
   * if nothing were stored (`'apply'`).
   *
   * @default 100_000
   */
  maxEntries?: number | undefined;
}

interface Entry {
  readonly status: string;
  readonly time: number;
}

/**
 * Creates a {@link StateStore} that keeps the lifecycle state of requests in memory: the
 * default of the `state` option of `createWebhooks`. It serves one process; when several
 * instances share a webhook URL, give them a shared store (`createRedisStateStore` from
 * `uanataca-webhooks/redis`, or your database).
 *
 * Its size is bounded by `maxEntries`; it starts no timer.
 *
 * @throws {InvalidOptionsError} when `maxEntries` is not a positive integer.
 * @example
 * ```ts
 * const webhooks = createWebhooks({
 *   state: { store: createMemoryStateStore({ maxEntries: 10_000 }), skip: ['stale'] },
 * })
 * ```
 */
export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): StateStore {
  const maxEntries = positiveInteger(options.maxEntries, 100_000, 'maxEntries');
  // Every write re-inserts its key, so the Map iterates from the least recently written.
  const entries = new Map<number, Entry>();

  return {
    async get(requestId) {
      const entry = entries.get(requestId);
      return entry === undefined
        ? undefined
        : { status: entry.status, occurredAt: new Date(entry.time) };
    },

    async compareAndSet(requestId, expected, next) {
      const entry = entries.get(requestId);
      const matches =
        expected === undefined
          ? entry === undefined
          : entry !== undefined &&
            entry.status === expected.status &&
            entry.time === expected.occurredAt.getTime();
      if (!matches) return false;
      entries.delete(requestId);
      // Full, so not empty (`maxEntries` is at least 1): forget the least recently written.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(requestId, { status: next.status, time: next.occurredAt.getTime() });
      return true;
    },
  };
}
