import {
  excerpt,
  HandlerError,
  InFlightError,
  InvalidOptionsError,
  StoreUnavailableError,
  type WebhookError,
} from '../errors.js';
import { classifyTransition, type TransitionVerdict } from '../lifecycle/classify.js';
import type { WebhookEvent } from '../payload/event.js';
import { type ParseOptions, safeParseWebhook, type WebhookBody } from '../payload/parse.js';
import { assertTimeZone } from '../payload/timestamp.js';
import { createMemoryStateStore } from '../state/memory-state-store.js';
import type { SkippableTransition, StateOptions } from '../state/state-options.js';
import type { RequestState, StateStore } from '../state/state-store.js';
import type { ClaimResult, DedupeStore } from './dedupe-store.js';
import { isNormalized, normalizeHeaders } from './headers.js';
import { createKeyedQueue } from './keyed-queue.js';
import { createMemoryDedupeStore, type SyncClaim, syncCores } from './memory-dedupe-store.js';
import { type EventFor, kindOfName, type NameKind, type WebhookName } from './names.js';

/** What an adapter knows about the HTTP request that carried a notification. */
export interface ReceiveContext {
  /** The request's headers. Names are lower-cased before handlers see them. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** The client's address, as the adapter determined it (after any trusted proxy). */
  clientIp?: string | undefined;
}

/** The second argument of every handler: facts about the delivery being handled. */
export interface HandlerContext {
  /** The event's `idempotencyKey`, under which the delivery is deduplicated. */
  readonly idempotencyKey: string;
  /** When `receive` was called. */
  readonly receivedAt: Date;
  /**
   * The request's headers with lower-cased names (a frozen object without prototype); empty
   * when the adapter passed none.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The client's address, when the adapter passed one. */
  readonly clientIp: string | undefined;
  /**
   * What `classifyTransition` says about this notification given the request's stored state
   * (`previous`): `'apply'`, `'duplicate'`, `'stale'` or `'unexpected'`.
   *
   * `undefined` when the `state` option is off, and for notifications without a request id
   * (the provider's `ISSUED` and certificate templates carry none), which cannot be tracked.
   */
  readonly transition: TransitionVerdict | undefined;
  /**
   * The request's state before this notification: the status and `occurredAt` last applied,
   * which `transition` was computed against. `undefined` when nothing was stored yet for the
   * request (then `transition` is `'apply'`), and whenever `transition` is `undefined`.
   */
  readonly previous: RequestState | undefined;
}

/** What {@link Webhooks.receive} resolves with. */
export interface ReceiveResult {
  /** The parsed, normalized notification. */
  readonly event: WebhookEvent;
  /**
   * `true` when this notification was already handled (the deduplication store has it as
   * done), in which case no handler ran.
   */
  readonly duplicate: boolean;
  /**
   * The `classifyTransition` verdict the notification was handled with (see
   * {@link HandlerContext.transition}). Present when the `state` option is on and the
   * notification has a request id; `undefined` otherwise, and for a `duplicate`.
   */
  readonly transition?: TransitionVerdict | undefined;
  /**
   * `true` when no handler ran because `transition` is listed in `state.skip`: the
   * notification counts as handled (it is marked done, and adapters answer 200). Present,
   * `true` or `false`, exactly when `transition` is.
   */
  readonly skipped?: boolean | undefined;
}

/**
 * A function that handles notifications. It may be `async`; a throw or a rejection is a
 * failure. Its return value is ignored.
 *
 * Handlers must be idempotent: when one fails, the notification is processed again from the
 * first handler on its next delivery.
 */
export type WebhookHandler<E extends WebhookEvent = WebhookEvent> = (
  event: E,
  context: HandlerContext,
) => unknown;

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
   * Within one process, the notifications of one request are handled one at a time (a
   * handler that hangs delays the next for at most half of `dedupe.claimTtlMs`), so each verdict is
   * computed against the state its predecessor left. After the handlers succeed, a
   * notification classified `'apply'` is stored with a compare-and-set, so that instances
   * sharing a store cannot overwrite a newer status with an older one: on a conflict the
   * state is read and classified again (a handler on another instance may then have seen
   * `'apply'` for a notification that ends up not stored). Nothing is stored when a handler
   * fails.
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
   * Called with every error `receive` rejects with, and the event when it was parsed
   * (invalid bodies have none). Use it to log; what it throws or rejects with is ignored.
   *
   * @example
   * ```ts
   * onError: (error, event) => logger.error({ err: error.cause ?? error, key: event?.idempotencyKey })
   * ```
   */
  onError?: ((error: WebhookError, event?: WebhookEvent) => void) | undefined;
}

/** The router returned by {@link createWebhooks}. */
export interface Webhooks {
  /**
   * Registers `handler` for a request status, an event type, `'*'` (every notification,
   * unknown values included) or an array of these. The handler's event is narrowed to what
   * the name matches.
   *
   * Handlers run one after another in registration order, each awaited; the first failure
   * stops the rest. A function registered under several names runs once per notification.
   *
   * @returns A function that unregisters this handler.
   * @throws {InvalidOptionsError} for a name that is not a documented status, event type or
   * `'*'`, an empty array, or a handler that is not a function.
   * @example
   * ```ts
   * webhooks.on('VIDEOREVIEW', (event) => notifyOperator(event.requestId))
   * webhooks.on('REQUEST_ENROLLED', async (event) => {
   *   for (const certificate of event.certificates) await saveCertificate(certificate)
   * })
   * webhooks.on(['CANCELLED', 'VIDEOERROR'], (event) => closeCase(event.requestId, event.status))
   * ```
   */
  on<const N extends WebhookName>(name: N, handler: WebhookHandler<EventFor<N>>): () => void;
  /**
   * Parses a notification, deduplicates it and runs the matching handlers.
   *
   * @param body - The raw body or a value a framework already parsed from JSON.
   * @param context - What the adapter knows about the request; handlers receive it.
   * @returns `{ event, duplicate: false }` once every matching handler succeeded, or
   * `{ event, duplicate: true }` for a notification already handled. With the `state`
   * option, also `transition` (the verdict) and `skipped` (whether `state.skip` kept the
   * handlers from running) for notifications with a request id.
   * @throws {InvalidJsonError} (400) or {InvalidPayloadError} (422) for a bad body.
   * @throws {InFlightError} (409) while another delivery of the notification is in progress.
   * @throws {HandlerError} (500) when a handler failed; `cause` is what it threw.
   * @throws {StoreUnavailableError} (503) when the deduplication or state store failed.
   */
  receive(body: WebhookBody, context?: ReceiveContext): Promise<ReceiveResult>;
}

/** A handler as registered by one call of `on`. */
interface Registration {
  readonly order: number;
  readonly handler: WebhookHandler;
  active: boolean;
}

/**
 * A delivery's hold on its key, handed back to `markDone` or `release`: the in-memory
 * store's own claim, or another store's token.
 */
type Claim = SyncClaim | { readonly token: string };

/**
 * Deduplication as the router uses it, whatever the store: the in-memory store is called
 * synchronously, any other store through its promises.
 */
interface ResolvedDedupe {
  readonly claimTtlMs: number;
  /** The key's claim, or the state that refused it. */
  claim(key: string): Claim | 'in_flight' | 'done' | Promise<Claim | 'in_flight' | 'done'>;
  markDone(key: string, claim: Claim): void | Promise<void>;
  release(key: string, claim: Claim): void | Promise<void>;
}

interface ResolvedState {
  readonly store: StateStore;
  readonly skip: ReadonlySet<string>;
}

const SKIPPABLE: ReadonlySet<string> = new Set<SkippableTransition>([
  'duplicate',
  'stale',
  'unexpected',
]);
/** Compare-and-set conflicts tolerated in a row before the state store counts as failing. */
const MAX_STATE_ATTEMPTS = 32;
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_CLAIM_TTL_MS = 5 * 60 * 1000;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze(Object.create(null));
const NO_HANDLERS: readonly Registration[] = [];
/**
 * How handling went: the verdict and whether `state.skip` skipped the handlers, or the
 * error to reject with.
 */
type Outcome = readonly [TransitionVerdict | undefined, boolean] | WebhookError;
/** The outcome of handling a notification whose lifecycle is not tracked. */
const NOT_TRACKED: Outcome = [undefined, false];

function duration(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionsError(`${name} must be a positive integer number of milliseconds`);
  }
  return value;
}

function resolveDedupe(option: false | DedupeOptions | undefined): ResolvedDedupe | undefined {
  if (option === false) return undefined;
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw new InvalidOptionsError('dedupe must be false or an object');
  }
  const ttlMs = duration(option?.ttlMs, DEFAULT_TTL_MS, 'dedupe.ttlMs');
  const claimTtlMs = duration(option?.claimTtlMs, DEFAULT_CLAIM_TTL_MS, 'dedupe.claimTtlMs');
  const store = option?.store ?? createMemoryDedupeStore();
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.claim !== 'function' ||
    typeof store.markDone !== 'function' ||
    typeof store.release !== 'function'
  ) {
    throw new InvalidOptionsError('dedupe.store must have claim, markDone and release methods');
  }
  const sync = syncCores.get(store);
  if (sync !== undefined) {
    return {
      claimTtlMs,
      claim: (key) => sync.claim(key, claimTtlMs),
      markDone: (_key, claim) => sync.markDone(claim as SyncClaim, ttlMs),
      release: (_key, claim) => sync.release(claim as SyncClaim),
    };
  }
  return {
    claimTtlMs,
    async claim(key) {
      const result: unknown = await store.claim(key, claimTtlMs);
      assertClaim(result);
      return result.state === 'claimed' ? { token: result.token } : result.state;
    },
    markDone: (key, claim) => store.markDone(key, (claim as { token: string }).token, ttlMs),
    release: (key, claim) => store.release(key, (claim as { token: string }).token),
  };
}

function resolveState(option: false | StateOptions | undefined): ResolvedState | undefined {
  if (option === false || option === undefined) return undefined;
  if (typeof option !== 'object' || option === null) {
    throw new InvalidOptionsError('state must be false or an object');
  }
  const store = option.store ?? createMemoryStateStore();
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.get !== 'function' ||
    typeof store.compareAndSet !== 'function'
  ) {
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

/** Checks and copies what a third-party state store returned. */
function toRequestState(value: unknown): RequestState | undefined {
  if (value === undefined || value === null) return undefined;
  const { status, occurredAt } = value as Partial<Record<string, unknown>>;
  if (
    typeof status !== 'string' ||
    !(occurredAt instanceof Date) ||
    Number.isNaN(occurredAt.getTime())
  ) {
    throw new TypeError('StateStore.get resolved with an invalid state');
  }
  return Object.freeze({ status, occurredAt: new Date(occurredAt.getTime()) });
}

/**
 * Stores `next` unless the stored state moved on meanwhile to something `next` does not
 * apply to; on a conflict, reads and classifies again.
 */
async function applyState(
  store: StateStore,
  requestId: number,
  expected: RequestState | undefined,
  next: RequestState,
): Promise<void> {
  let current = expected;
  for (let attempt = 0; attempt < MAX_STATE_ATTEMPTS; attempt += 1) {
    const stored: unknown = await store.compareAndSet(requestId, current, next);
    if (stored === true) return;
    if (stored !== false)
      throw new TypeError('StateStore.compareAndSet resolved with a non-boolean');
    current = toRequestState(await store.get(requestId));
    if (classifyTransition(current, next) !== 'apply') return;
  }
  throw new Error(`StateStore.compareAndSet conflicted ${MAX_STATE_ATTEMPTS} times in a row`);
}

/** Checks what a third-party store returned, so a broken store reads as unavailable. */
function assertClaim(value: unknown): asserts value is ClaimResult {
  const claim = value as Partial<Record<string, unknown>> | null | undefined;
  const state = claim?.state;
  if (state === 'in_flight' || state === 'done') return;
  if (state === 'claimed' && typeof claim?.token === 'string') return;
  throw new TypeError('DedupeStore.claim resolved with an invalid result');
}

/** The {@link HandlerContext} of one delivery, frozen. */
class DeliveryContext implements HandlerContext {
  readonly idempotencyKey: string;
  readonly receivedAt: Date;
  readonly headers: Readonly<Record<string, string>>;
  readonly clientIp: string | undefined;
  readonly transition: TransitionVerdict | undefined;
  readonly previous: RequestState | undefined;

  constructor(
    idempotencyKey: string,
    receivedAt: Date,
    source: ReceiveContext | undefined,
    transition: TransitionVerdict | undefined,
    previous: RequestState | undefined,
  ) {
    const headers = source?.headers;
    this.idempotencyKey = idempotencyKey;
    this.receivedAt = receivedAt;
    // An adapter's headers are already what handlers get; a caller's are copied, so that it
    // may reuse its object.
    this.headers =
      headers === undefined
        ? NO_HEADERS
        : isNormalized(headers)
          ? headers
          : normalizeHeaders(Object.entries(headers));
    this.clientIp = source?.clientIp;
    this.transition = transition;
    this.previous = previous;
    Object.freeze(this);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function describeName(name: unknown): string {
  return typeof name === 'string' ? excerpt(name) : typeof name;
}

/**
 * Creates a router for notifications: register handlers with `on`, then give every
 * received body to `receive` (the adapters do this for you).
 *
 * Each notification is deduplicated by its `idempotencyKey`: a delivery claims the key,
 * runs the matching handlers and marks the key done; a redelivery of a done notification
 * resolves `{ duplicate: true }` and runs nothing; a delivery that arrives while another is
 * in progress is rejected with `InFlightError` (409) so that the sender retries. When a
 * handler fails, the claim is released so that the next delivery runs the handlers again:
 * handlers must therefore be idempotent.
 *
 * With the `state` option, each request's lifecycle is tracked too: handlers receive the
 * `classifyTransition` verdict, and can be spared stale notifications.
 *
 * @throws {InvalidOptionsError} for an unknown `timeZone`, a bad `dedupe` or `state`
 * setting or an `onError` that is not a function.
 * @example
 * ```ts
 * import { createWebhooks } from 'uanataca-webhooks'
 *
 * const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' })
 * webhooks.on('VIDEOREVIEW', async (event) => {
 *   await db.requests.update(event.requestId, { status: event.status })
 * })
 * webhooks.on('REQUEST_ENROLLED', async (event) => {
 *   for (const certificate of event.certificates) await db.certificates.upsert(certificate)
 * })
 * const { duplicate } = await webhooks.receive(rawBody)
 * ```
 */
export function createWebhooks(options: WebhooksOptions = {}): Webhooks {
  const { timeZone, onError } = options;
  assertTimeZone(timeZone);
  if (onError !== undefined && typeof onError !== 'function') {
    throw new InvalidOptionsError('onError must be a function');
  }
  const dedupe = resolveDedupe(options.dedupe);
  const state = resolveState(options.state);
  const requestQueue = createKeyedQueue();
  // A hanging handler must not hold the other notifications of its request for ever; the
  // next one waits at most half its claim's life, so that it still owns its claim when it
  // runs (an expired claim would let a redelivery run the same notification again).
  const lockWaitMs = Math.floor((dedupe?.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS) / 2);
  const parseOptions: ParseOptions = { timeZone };

  // Lists are replaced, never mutated, so a delivery iterating one is unaffected by `on`.
  const lists: Record<NameKind, Map<string, readonly Registration[]>> = {
    status: new Map(),
    eventType: new Map(),
    wildcard: new Map(),
  };
  let registered = 0;

  const report = (error: WebhookError, event?: WebhookEvent): WebhookError => {
    if (onError === undefined) return error;
    try {
      const result: unknown = event === undefined ? onError(error) : onError(error, event);
      if (isThenable(result)) result.then(undefined, () => {});
    } catch {
      // A failing logger must not change what the sender is answered.
    }
    return error;
  };

  const matching = (event: WebhookEvent): readonly Registration[] => {
    const byStatus = lists.status.get(event.status);
    const byEventType =
      event.eventType === undefined ? undefined : lists.eventType.get(event.eventType);
    const byWildcard = lists.wildcard.get('*');
    // One list alone (the usual case) is used as it is; several are merged in order.
    if (byEventType === undefined && byWildcard === undefined) return byStatus ?? NO_HANDLERS;
    if (byStatus === undefined && (byEventType === undefined || byWildcard === undefined)) {
      return byEventType ?? byWildcard!;
    }
    return [...(byStatus ?? []), ...(byEventType ?? []), ...(byWildcard ?? [])].sort(
      (a, b) => a.order - b.order,
    );
  };

  /**
   * Runs the handlers from the `from`-th matching one on, each after the previous one
   * settled; returns a promise only once a handler returned one, so that synchronous
   * handlers cost no turn of the event loop. Throws or rejects with a HandlerError.
   */
  const runHandlers = (
    event: WebhookEvent,
    context: HandlerContext,
    list: readonly Registration[] = matching(event),
    from = 0,
    // A function registered under several names, matched through more than one, runs once.
    ran: Set<WebhookHandler> | undefined = list.length > 1 ? new Set() : undefined,
  ): Promise<void> | undefined => {
    for (let index = from; index < list.length; index++) {
      const { active, handler } = list[index]!;
      if (!active || ran?.has(handler)) continue;
      ran?.add(handler);
      let result: unknown;
      let thenable: boolean;
      try {
        result = handler(event, context);
        thenable = isThenable(result);
      } catch (cause) {
        throw new HandlerError(cause);
      }
      if (thenable) {
        return Promise.resolve(result).then(
          () => runHandlers(event, context, list, index + 1, ran),
          (cause: unknown) => {
            throw new HandlerError(cause);
          },
        );
      }
    }
    return undefined;
  };

  const release = async (key: string, claim: Claim): Promise<void> => {
    try {
      await dedupe!.release(key, claim);
    } catch {
      // The claim then expires after claimTtlMs; the original error is what matters.
    }
  };

  /** Releases the delivery's claim, if it holds one, and rejects with `error`. */
  const fail = async (
    error: WebhookError,
    event: WebhookEvent,
    claim: Claim | undefined,
  ): Promise<never> => {
    if (claim !== undefined) await release(event.idempotencyKey, claim);
    throw report(error, event);
  };

  /** Handles a notification whose lifecycle is tracked: classify, run, store. */
  const handleTracked = async (
    tracking: ResolvedState,
    requestId: number,
    event: WebhookEvent,
    receivedAt: Date,
    context: ReceiveContext | undefined,
  ): Promise<Outcome> => {
    let previous: RequestState | undefined;
    try {
      previous = toRequestState(await tracking.store.get(requestId));
    } catch (cause) {
      return new StoreUnavailableError(cause);
    }
    const transition = classifyTransition(previous, event);
    if (tracking.skip.has(transition)) return [transition, true];
    const key = event.idempotencyKey;
    try {
      await runHandlers(event, new DeliveryContext(key, receivedAt, context, transition, previous));
    } catch (error) {
      return error as HandlerError;
    }
    if (transition === 'apply') {
      const next = Object.freeze({ status: event.status, occurredAt: event.occurredAt });
      try {
        await applyState(tracking.store, requestId, previous, next);
      } catch (cause) {
        return new StoreUnavailableError(cause);
      }
    }
    return [transition, false];
  };

  return {
    on(name, handler) {
      const names: readonly unknown[] = typeof name === 'string' ? [name] : name;
      if (!Array.isArray(names) || names.length === 0) {
        throw new InvalidOptionsError('on() needs a name or a non-empty array of names');
      }
      if (typeof handler !== 'function') {
        throw new InvalidOptionsError('on() needs a handler function');
      }
      const kinds = new Map<string, NameKind>();
      for (const one of names) {
        const kind = kindOfName(one);
        if (kind === undefined) {
          throw new InvalidOptionsError(
            `Unknown webhook name ${describeName(one)}: use a documented request status, event type or '*'`,
          );
        }
        kinds.set(one as string, kind);
      }
      registered += 1;
      const registration: Registration = {
        order: registered,
        handler: handler as WebhookHandler,
        active: true,
      };
      for (const [one, kind] of kinds) {
        const map = lists[kind];
        map.set(one, [...(map.get(one) ?? []), registration]);
      }
      return () => {
        if (!registration.active) return;
        registration.active = false;
        for (const [one, kind] of kinds) {
          const map = lists[kind];
          const rest = (map.get(one) ?? []).filter((other) => other !== registration);
          if (rest.length === 0) map.delete(one);
          else map.set(one, rest);
        }
      };
    },

    async receive(body, context) {
      const receivedAt = new Date();
      const parsed = safeParseWebhook(body, parseOptions);
      if (!parsed.success) throw report(parsed.error);
      const event = parsed.data;
      const key = event.idempotencyKey;

      let claim: Claim | undefined;
      if (dedupe !== undefined) {
        let held: Claim | 'in_flight' | 'done';
        try {
          const pending = dedupe.claim(key);
          held = pending instanceof Promise ? await pending : pending;
        } catch (cause) {
          throw report(new StoreUnavailableError(cause), event);
        }
        if (held === 'done') return { event, duplicate: true };
        if (held === 'in_flight') throw report(new InFlightError(), event);
        claim = held;
      }

      const requestId = state === undefined ? undefined : event.requestId;
      let outcome: Outcome = NOT_TRACKED;
      if (requestId !== undefined) {
        // Within this process, the notifications of one request are handled one at a time,
        // so that each verdict is computed against the state its predecessor left.
        outcome = await requestQueue.run(requestId, lockWaitMs, () =>
          handleTracked(state!, requestId, event, receivedAt, context),
        );
      } else {
        // Nothing to track: the handlers alone.
        try {
          await runHandlers(
            event,
            new DeliveryContext(key, receivedAt, context, undefined, undefined),
          );
        } catch (error) {
          outcome = error as HandlerError;
        }
      }
      if (!Array.isArray(outcome)) return fail(outcome as WebhookError, event, claim);
      const [transition, skipped] = outcome;

      if (claim !== undefined) {
        try {
          const marking = dedupe!.markDone(key, claim);
          if (marking !== undefined) await marking;
        } catch (cause) {
          return fail(new StoreUnavailableError(cause), event, claim);
        }
      }
      return transition === undefined
        ? { event, duplicate: false }
        : { event, duplicate: false, transition, skipped };
    },
  };
}
