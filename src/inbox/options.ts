import { InvalidOptionsError } from '../errors.js';
import { positiveInteger } from '../options.js';
import type { RetryDelay } from './backoff.js';
import { type InboxEntry, type InboxStore, isInboxStore } from './inbox-store.js';

/** Options of the durable inbox: the `inbox` option of `createWebhooks`. */
export interface InboxOptions {
  /**
   * Where notifications are recorded. Several instances receiving the same URL share one
   * store on PostgreSQL (`createPostgresInbox`) or Redis (`createRedisInbox`).
   *
   * @default createSqliteInbox() from `uanataca-webhooks/sqlite`: the file
   * `uanataca-webhooks-inbox.sqlite` in the working directory
   */
  store?: InboxStore | undefined;
  /**
   * How many times the handlers of a notification are started before it is given up as
   * `'dead'` (then `onDeadLetter` is called, and `replay` starts it over).
   *
   * @default 10
   */
  attempts?: number | undefined;
  /**
   * The delay between two attempts: `min` after the first failure, doubling each time up to
   * `max`, half of it random (so that notifications that failed together do not retry
   * together). With the defaults, the nine delays between ten attempts add up to 511 s
   * before the jitter: 4 to 8.5 minutes, about 6.4 on average.
   *
   * @default { min: 1_000, max: 300_000 }
   */
  retryDelayMs?: { min?: number | undefined; max?: number | undefined } | undefined;
  /**
   * How many notifications this process handles at once (of different requests: those of
   * one request are always handled one at a time, across every process).
   *
   * @default 4
   */
  concurrency?: number | undefined;
  /**
   * Whether this process runs a worker that handles recorded notifications. `false` makes it
   * receive only: another process (with `worker: true`, or calling `inbox.drain()`) handles
   * them — the way to go where work after the answer is not kept alive (serverless).
   *
   * @default true
   */
  worker?: boolean | undefined;
  /**
   * How long, in milliseconds, a worker holds a notification it handles before another
   * process may take it over (after a crash). It is renewed while the handlers run.
   *
   * @default 60_000
   */
  leaseMs?: number | undefined;
  /**
   * How often, in milliseconds, an idle worker looks for notifications due (a retry that
   * comes due, one recorded by another process). A notification recorded by this process
   * is handled at once.
   *
   * @default 1_000
   */
  pollMs?: number | undefined;
  /**
   * Called with an entry given up after its last attempt, for alerting. What it throws or
   * rejects with is ignored.
   */
  onDeadLetter?: ((entry: InboxEntry) => void) | undefined;
}

/** {@link InboxOptions}, checked, with their defaults. */
export interface InboxSettings {
  /** The store, or `undefined` for the default one, loaded when first used. */
  readonly store: InboxStore | undefined;
  readonly attempts: number;
  readonly retryDelayMs: RetryDelay;
  readonly concurrency: number;
  readonly worker: boolean;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly onDeadLetter: ((entry: InboxEntry) => void) | undefined;
}

/**
 * Checks the `inbox` option: `undefined` when it is off.
 *
 * @internal
 */
export function resolveInbox(option: unknown): InboxSettings | undefined {
  if (option === undefined || option === false) return undefined;
  const given = option === true ? {} : option;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidOptionsError('inbox must be true, false or an object');
  }
  const options = given as InboxOptions;
  if (options.store !== undefined && !isInboxStore(options.store)) {
    throw new InvalidOptionsError('inbox.store is not an InboxStore');
  }
  const delay = options.retryDelayMs ?? {};
  if (typeof delay !== 'object' || delay === null) {
    throw new InvalidOptionsError('inbox.retryDelayMs must be an object with min and max');
  }
  const min = positiveInteger(delay.min, 1_000, 'inbox.retryDelayMs.min');
  const max = positiveInteger(delay.max, Math.max(300_000, min), 'inbox.retryDelayMs.max');
  if (max < min) throw new InvalidOptionsError('inbox.retryDelayMs.max must not be below min');
  const worker = options.worker ?? true;
  if (typeof worker !== 'boolean') throw new InvalidOptionsError('inbox.worker must be a boolean');
  const { onDeadLetter } = options;
  if (onDeadLetter !== undefined && typeof onDeadLetter !== 'function') {
    throw new InvalidOptionsError('inbox.onDeadLetter must be a function');
  }
  return {
    store: options.store,
    attempts: positiveInteger(options.attempts, 10, 'inbox.attempts'),
    retryDelayMs: { min, max },
    concurrency: positiveInteger(options.concurrency, 4, 'inbox.concurrency'),
    worker,
    leaseMs: positiveInteger(options.leaseMs, 60_000, 'inbox.leaseMs'),
    pollMs: positiveInteger(options.pollMs, 1_000, 'inbox.pollMs'),
    onDeadLetter,
  };
}
