import { type DedupeStore, isDedupeStore } from '../dedupe/dedupe-store.js';
import { createMemoryDedupeStore } from '../dedupe/memory-dedupe-store.js';
import { InvalidOptionsError, type WebhookError } from '../errors.js';
import { type InboxOptions, type InboxSettings, resolveInbox } from '../inbox/options.js';
import { type Logger, resolveLogger } from '../observe/logger.js';
import { positiveInteger } from '../options.js';
import type { WebhookEvent } from '../payload/event.js';
import type { ParseOptions } from '../payload/parse.js';
import { assertTimeZone } from '../payload/timestamp.js';
import { createMemoryStateStore } from '../state/memory-state-store.js';
import type { SkippableTransition, StateOptions } from '../state/state-options.js';
import { isStateStore, type StateStore } from '../state/state-store.js';

/** Deduplication settings of {@link createWebhooks}. */
export interface DedupeOptions {
  /**
   * Where handled and in-progress notifications are remembered. The default, in memory,
   * serves one process; several instances behind one URL need a shared store.
   *
   * @default createMemoryDedupeStore()
   */
  store?: DedupeStore | undefined;
  /**
   * How long, in milliseconds, a handled notification is remembered: a redelivery within
   * this time resolves `{ duplicate: true }` without running any handler.
   *
   * @default 86_400_000 (24 hours)
   */
  ttlMs?: number | undefined;
  /**
   * How long, in milliseconds, a delivery in progress holds its claim. Meanwhile another
   * delivery of the same notification is rejected with `InFlightError`; after it, a claim
   * left by a crashed instance is taken over. Make it longer than your slowest handler run.
   *
   * @default 300_000 (5 minutes)
   */
  claimTtlMs?: number | undefined;
}

/** Options of {@link createWebhooks}. */
export interface WebhooksOptions {
  /**
   * IANA time zone in which the provider's zone-less timestamps are read, such as
   * `'Europe/Madrid'`. It is checked when the router is created.
   *
   * @default 'UTC'
   */
  timeZone?: string | undefined;
  /**
   * Deduplication of notifications by their `idempotencyKey`, or `false` to run the handlers
   * on every delivery.
   *
   * @default { store: createMemoryDedupeStore(), ttlMs: 86_400_000, claimTtlMs: 300_000 }
   */
  dedupe?: false | DedupeOptions | undefined;
  /**
   * Tracks the lifecycle of each request: the status and `occurredAt` of the last notification
   * applied are stored per request id, every notification is classified against them with
   * `classifyTransition`, and handlers read the verdict (`transition`) and the stored state
   * (`previous`) from their context. Verdicts listed in `skip` run no handler.
   *
   * Within one process, the notifications of one request are handled one at a time, each
   * after the one before it has finished (or outlived `handlerTimeoutMs`), so each verdict is
   * computed against the state its predecessor left; a notification that would wait longer than `handlerTimeoutMs` for its
   * turn is refused with `InFlightError` (409) instead, for the sender to deliver again. Its
   * deduplication claim is taken only when its turn comes, so waiting never uses up the
   * claim's life. After the handlers succeed, a notification classified `'apply'` is stored
   * with a compare-and-set, so that instances sharing a store cannot overwrite a newer status
   * with an older one: on a conflict the state is read and classified again (a handler on
   * another instance may then have seen `'apply'` for a notification that ends up not
   * stored). Nothing is stored when a handler fails.
   *
   * Only notifications with a request id can be tracked. The provider's `ISSUED`
   * (`REQUEST_ENROLLED`) and certificate templates carry none: for those, `transition` and
   * `previous` are `undefined`, the handlers always run, and the stored state is unchanged
   * (a request's stored state therefore stops at `ENROLLREADY` when its `ISSUED`
   * notification has no id).
   *
   * @default undefined (off)
   * @example
   * ```ts
   * const webhooks = createWebhooks({ state: { skip: ['stale'] } })
   * webhooks.on('*', async (event, { transition, previous }) => {
   *   if (transition === 'unexpected') log.warn('undocumented transition', previous, event.status)
   *   if (transition === 'apply') await db.requests.setStatus(event.requestId, event.status)
   * })
   * ```
   */
  state?: false | StateOptions | undefined;
  /**
   * The durable inbox: `receive` records each notification (committed, it survives a crash of
   * the process) and resolves `{ queued: true }` at once, so that the sender is answered
   * quickly; a worker then runs the handlers from the inbox, at least once, retried with
   * backoff up to `attempts`, after which the entry is `'dead'`. A body that is not a valid
   * notification is answered 422 as always and recorded as `'invalid'`, to be replayed after
   * an upgrade. `true` uses the embedded SQLite store; several instances share a PostgreSQL
   * or Redis store. The inbox deduplicates by itself: the `dedupe` option does not go with it.
   *
   * @default undefined (off: handlers run while the sender waits)
   * @example
   * ```ts
   * const webhooks = createWebhooks({ inbox: true, state: {} })
   * webhooks.on('ISSUED', async (event) => saveCertificate(event)) // runs from the inbox
   * ```
   */
  inbox?: boolean | InboxOptions | undefined;
  /**
   * How long, in milliseconds, the handlers of one notification may take together before
   * `receive` rejects with `HandlerError` (500) whose `cause` is a `TimeoutError`. The
   * handlers are not stopped (JavaScript cannot stop them): when they settle at last, the
   * notification is marked done (or its claim released) as it would have been, and until
   * then a redelivery is refused with `InFlightError`. With the `state` option it is also
   * the longest a notification waits for the earlier ones of its request; and handlers that
   * run past it give up their request's turn then, so that one that never ends does not hold
   * its request's later notifications (which may then run beside it).
   *
   * With the inbox, handlers that run past it are reported to `onError` (a `HandlerError`),
   * and their entry stays leased until they end: its attempt ends with what they end with,
   * and no retry starts beside them. Meanwhile they take one of the worker's `concurrency`
   * slots.
   *
   * @default 30_000 (30 seconds)
   */
  handlerTimeoutMs?: number | undefined;
  /**
   * How long, in milliseconds, one operation of the deduplication or state store may take
   * before it counts as failed: `receive` then rejects with `StoreUnavailableError` (503), so
   * that a store that stopped answering never holds deliveries open.
   *
   * @default 5_000 (5 seconds)
   */
  storeTimeoutMs?: number | undefined;
  /**
   * Where to write one line per delivery (and per attempt of the inbox): `info` when it was
   * handled (or a duplicate, or queued), `warn` when the sender got it wrong (400, 409, 422),
   * `error` when it failed here (500, 503, with the cause). Each line has the notification's
   * key, request id, event type and status, the verdict, the outcome and the duration; never
   * a body, a header or a credential. Any pino-style logger (`info(fields, message)`), or
   * `console`.
   *
   * @default undefined (silent)
   * @example
   * ```ts
   * createWebhooks({ logger: pino() })
   * ```
   */
  logger?: Logger | undefined;
  /**
   * Called with every error `receive` rejects with, and the event when it was parsed
   * (invalid bodies have none), and with errors found after a delivery was answered (the
   * bookkeeping of handlers that outlived `handlerTimeoutMs`). Use it to log; it is not
   * awaited, and what it throws or rejects with is ignored.
   *
   * @example
   * ```ts
   * onError: (error, event) => logger.error({ err: error.cause ?? error, key: event?.idempotencyKey })
   * ```
   */
  onError?: ((error: WebhookError, event?: WebhookEvent) => void) | undefined;
}

/** Deduplication as configured. */
export interface DedupeSettings {
  readonly store: DedupeStore;
  readonly ttlMs: number;
  readonly claimTtlMs: number;
}

/** Lifecycle tracking as configured. */
export interface StateSettings {
  readonly store: StateStore;
  readonly skip: ReadonlySet<string>;
}

/** {@link WebhooksOptions}, checked and with their defaults. */
export interface RouterSettings {
  readonly parse: ParseOptions;
  readonly logger: Logger | undefined;
  readonly inbox: InboxSettings | undefined;
  readonly dedupe: DedupeSettings | undefined;
  readonly state: StateSettings | undefined;
  readonly handlerTimeoutMs: number;
  readonly storeTimeoutMs: number;
  readonly onError: ((error: WebhookError, event?: WebhookEvent) => void) | undefined;
}

const SKIPPABLE: ReadonlySet<string> = new Set<SkippableTransition>([
  'duplicate',
  'stale',
  'unexpected',
]);

const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_CLAIM_TTL_MS = 5 * 60 * 1000;
const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;
const DEFAULT_STORE_TIMEOUT_MS = 5_000;

function isOptionObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveDedupe(option: WebhooksOptions['dedupe']): DedupeSettings | undefined {
  if (option === false) return undefined;
  if (option !== undefined && !isOptionObject(option)) {
    throw new InvalidOptionsError('dedupe must be false or an object');
  }
  const store = option?.store ?? createMemoryDedupeStore();
  if (!isDedupeStore(store)) {
    throw new InvalidOptionsError('dedupe.store must have claim, markDone and release methods');
  }
  return {
    store,
    ttlMs: positiveInteger(option?.ttlMs, DEFAULT_TTL_MS, 'dedupe.ttlMs'),
    claimTtlMs: positiveInteger(option?.claimTtlMs, DEFAULT_CLAIM_TTL_MS, 'dedupe.claimTtlMs'),
  };
}

function resolveState(option: WebhooksOptions['state']): StateSettings | undefined {
  if (option === false || option === undefined) return undefined;
  if (!isOptionObject(option)) throw new InvalidOptionsError('state must be false or an object');
  const store = option.store ?? createMemoryStateStore();
  if (!isStateStore(store)) {
    throw new InvalidOptionsError('state.store must have get and compareAndSet methods');
  }
  const skip: unknown = option.skip ?? [];
  if (!Array.isArray(skip) || !skip.every((verdict) => SKIPPABLE.has(verdict))) {
    throw new InvalidOptionsError(
      "state.skip must be an array of 'duplicate', 'stale' and 'unexpected'",
    );
  }
  return { store, skip: new Set(skip) };
}

/**
 * Checks the options of `createWebhooks` and fills in their defaults, throwing
 * `InvalidOptionsError` for the first one that is wrong.
 *
 * @internal
 */
export function resolveOptions(options: WebhooksOptions): RouterSettings {
  if (!isOptionObject(options)) throw new InvalidOptionsError('options must be an object');
  const { timeZone, onError } = options;
  assertTimeZone(timeZone);
  if (onError !== undefined && typeof onError !== 'function') {
    throw new InvalidOptionsError('onError must be a function');
  }
  const inbox = resolveInbox(options.inbox);
  if (inbox !== undefined && options.dedupe !== undefined && options.dedupe !== false) {
    throw new InvalidOptionsError(
      'The inbox deduplicates notifications by itself: leave the dedupe option out with inbox',
    );
  }
  return {
    parse: { timeZone },
    logger: resolveLogger(options.logger),
    inbox,
    dedupe: inbox === undefined ? resolveDedupe(options.dedupe) : undefined,
    state: resolveState(options.state),
    handlerTimeoutMs: positiveInteger(
      options.handlerTimeoutMs,
      DEFAULT_HANDLER_TIMEOUT_MS,
      'handlerTimeoutMs',
    ),
    storeTimeoutMs: positiveInteger(
      options.storeTimeoutMs,
      DEFAULT_STORE_TIMEOUT_MS,
      'storeTimeoutMs',
    ),
    onError,
  };
}
