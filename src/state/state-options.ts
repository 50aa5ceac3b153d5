import type { TransitionVerdict } from '../lifecycle/classify.js';
import type { StateStore } from './state-store.js';

/**
 * A verdict of `classifyTransition` that {@link StateOptions.skip} can list: every verdict
 * but `'apply'`.
 *
 * @example
 * ```ts
 * const skip: SkippableTransition[] = ['stale', 'duplicate']
 * ```
 */
export type SkippableTransition = Exclude<TransitionVerdict, 'apply'>;

/**
 * Lifecycle state settings: the `state` option of `createWebhooks`.
 *
 * @example
 * ```ts
 * const state: StateOptions = { store: createRedisStateStore(redis), skip: ['stale'] }
 * const webhooks = createWebhooks({ state })
 * ```
 */
export interface StateOptions {
  /**
   * Where each request's last applied status and `occurredAt` are kept. The default, in
   * memory, serves one process; several instances behind one URL need a shared store.
   *
   * @default createMemoryStateStore()
   */
  store?: StateStore | undefined;
  /**
   * Verdicts for which the handlers are not run: the notification is then counted as
   * handled (marked done, answered 200) and `receive` resolves with `skipped: true`.
   *
   * Mind that certificate events (suspension, revocation) carry the status `ISSUED` again, so
   * they classify as `'duplicate'` when they carry a request id: skipping `'duplicate'` skips
   * them too. (The provider's own certificate templates carry no request id and are never
   * skipped.)
   *
   * @default [] (handlers always run, and read the verdict from their context)
   * @example
   * ```ts
   * createWebhooks({ state: { store, skip: ['stale', 'duplicate'] } })
   * ```
   */
  skip?: readonly SkippableTransition[] | undefined;
}
