import type { RequestStatus } from '../payload/vocabulary.js';

/**
 * What the router remembers about one request: the status of the last notification it
 * applied, and that notification's `occurredAt`. It is what `classifyTransition` compares a
 * new notification with.
 *
 * @example
 * ```ts
 * webhooks.on('ENROLLREADY', (event, { previous }) => {
 *   if (previous?.status === 'VIDEOREVIEW') console.log('approved by an operator at', event.occurredAt)
 * })
 * ```
 */
export interface RequestState {
  /** The normalized request status last applied. */
  readonly status: RequestStatus;
  /** The `occurredAt` of the notification that set `status`. */
  readonly occurredAt: Date;
}

/**
 * Where the router keeps the lifecycle state of each request, keyed by the request id
 * (`event.requestId`), when the `state` option of `createWebhooks` is on.
 *
 * Two operations, so that any store with a conditional write can implement it: a key-value
 * store with scripts (see `createRedisStateStore` in `uanataca-webhooks/redis`), or a SQL
 * table with one row per request. `compareAndSet` compares the stored value itself (status
 * and time), so no version column is needed: the router reads, decides, and writes only if
 * nobody wrote in between; on a conflict it reads again and decides again.
 *
 * Notifications without a request id (the provider's `ISSUED` and certificate templates
 * carry none) never reach the store.
 *
 * @example
 * ```ts
 * // PostgreSQL with node-postgres:
 * // CREATE TABLE request_state (request_id bigint PRIMARY KEY, status text NOT NULL,
 * //                             occurred_at timestamptz NOT NULL);
 * const store: StateStore = {
 *   async get(requestId) {
 *     const { rows } = await pool.query(
 *       'SELECT status, occurred_at FROM request_state WHERE request_id = $1', [requestId])
 *     return rows[0] && { status: rows[0].status, occurredAt: rows[0].occurred_at }
 *   },
 *   async compareAndSet(requestId, expected, next) {
 *     const { rowCount } = expected === undefined
 *       ? await pool.query(
 *           'INSERT INTO request_state VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
 *           [requestId, next.status, next.occurredAt])
 *       : await pool.query(
 *           `UPDATE request_state SET status = $2, occurred_at = $3
 *            WHERE request_id = $1 AND status = $4 AND occurred_at = $5`,
 *           [requestId, next.status, next.occurredAt, expected.status, expected.occurredAt])
 *     return rowCount === 1
 *   },
 * }
 * ```
 */
export interface StateStore {
  /**
   * The state stored for `requestId`, or `undefined` (or `null`) when there is none. A
   * rejection makes the router answer 503 (`StoreUnavailableError`) without running handlers.
   */
  get(requestId: number): Promise<RequestState | null | undefined>;
  /**
   * Atomically stores `next` for `requestId` if, and only if, the stored state is still
   * `expected`: the same `status` and the same `occurredAt` instant, or nothing stored when
   * `expected` is `undefined`. Resolves `true` when it stored, `false` when the stored state
   * was something else (the router then reads again and retries if the notification still
   * applies).
   */
  compareAndSet(
    requestId: number,
    expected: RequestState | undefined,
    next: RequestState,
  ): Promise<boolean>;
  /**
   * Optional, for stores shared by several instances: takes the lock of `requestId` for
   * `ttlMs` milliseconds unless another holder has it (an expired lock counts as free).
   * Resolves the token that proves it, or `undefined` when it is held. With it, the router
   * handles the notifications of one request one at a time across every instance, so that
   * the verdict a handler sees is the one that is stored.
   */
  lock?(requestId: number, ttlMs: number): Promise<string | undefined>;
  /** Releases a lock taken with `lock`: only its holder (`token`) can; anyone else changes nothing. */
  unlock?(requestId: number, token: string): Promise<void>;
}

/**
 * Whether `value` has the methods of a {@link StateStore}.
 *
 * @internal
 */
export function isStateStore(value: unknown): value is StateStore {
  const store = value as Partial<Record<keyof StateStore, unknown>> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.get === 'function' &&
    typeof store.compareAndSet === 'function'
  );
}
