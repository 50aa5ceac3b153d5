/**
 * The answer of {@link DedupeStore.claim}: the key is now yours (`'claimed'`, with the token
 * that proves it), another delivery holds it (`'in_flight'`), or it was handled (`'done'`).
 */
export type ClaimResult =
  | { readonly state: 'claimed'; readonly token: string }
  | { readonly state: 'in_flight' }
  | { readonly state: 'done' };

/**
 * Where the router remembers which notifications it is handling and has handled, keyed by
 * the event's `idempotencyKey`. Implement it over a shared store (Redis, a SQL table)
 * when several instances receive the same webhook URL.
 *
 * Each key is absent, claimed (by one owner, until its claim expires) or done (until it
 * expires). The owner token lets a store refuse a late `markDone` or `release` from a
 * delivery whose claim expired and was taken by another.
 *
 * @example
 * ```ts
 * // Redis: SET NX PX to claim; compare-and-delete / compare-and-set scripts for the rest.
 * const store: DedupeStore = {
 *   async claim(key, ttlMs) {
 *     const token = crypto.randomUUID()
 *     if (await redis.set(key, `claimed:${token}`, 'PX', ttlMs, 'NX')) return { state: 'claimed', token }
 *     return (await redis.get(key)) === 'done' ? { state: 'done' } : { state: 'in_flight' }
 *   },
 *   async markDone(key, token, ttlMs) { await redis.eval(SET_IF_OWNER, 1, key, `claimed:${token}`, 'done', ttlMs) },
 *   async release(key, token) { await redis.eval(DELETE_IF_OWNER, 1, key, `claimed:${token}`) },
 * }
 * ```
 */
export interface DedupeStore {
  /**
   * Atomically claims `key` for `ttlMs` milliseconds unless it is claimed (→ `'in_flight'`)
   * or done (→ `'done'`). An expired claim or done mark counts as absent.
   */
  claim(key: string, ttlMs: number): Promise<ClaimResult>;
  /**
   * Marks a claimed key done for `ttlMs` milliseconds; only the claim's owner (`token`) may.
   * A call from anyone else changes nothing.
   */
  markDone(key: string, token: string, ttlMs: number): Promise<void>;
  /**
   * Releases a claim so the key can be claimed again; only the claim's owner (`token`) may.
   * A call from anyone else, or for a key already done, changes nothing.
   */
  release(key: string, token: string): Promise<void>;
}

/**
 * Whether `value` has the methods of a {@link DedupeStore}.
 *
 * @internal
 */
export function isDedupeStore(value: unknown): value is DedupeStore {
  const store = value as Partial<Record<keyof DedupeStore, unknown>> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.claim === 'function' &&
    typeof store.markDone === 'function' &&
    typeof store.release === 'function'
  );
}
