import { settleWithin, TimeoutError } from '../deadline.js';
import { HandlerError, InFlightError, isWebhookError, type WebhookError } from '../errors.js';
import { createInboxControl, type InboxControl } from '../inbox/control.js';
import { createDefaultInbox } from '../inbox/default-store.js';
import type { InboxEntry, InboxStore } from '../inbox/inbox-store.js';
import { recordInInbox } from '../inbox/record.js';
import { createInboxWorker, type InboxWorker } from '../inbox/worker.js';
import { classifyTransition, type TransitionVerdict } from '../lifecycle/classify.js';
import { createLoggingObserver } from '../observe/logger.js';
import { beginTrace, type DeliveryTrace, type Observer } from '../observe/observer.js';
import type { WebhookEvent } from '../payload/event.js';
import { type SafeParseResult, safeParseWebhook, type WebhookBody } from '../payload/parse.js';
import { callSafely } from '../safe-call.js';
import type { RequestState } from '../state/state-store.js';
import { DeliveryContext, type ReceiveContext } from './context.js';
import { createKeyedQueue, type KeyedQueue } from './keyed-queue.js';
import type { RouterSettings } from './options.js';
import type { HandlerRegistry } from './registry.js';
import {
  createDeduplication,
  createTracking,
  type Deduplication,
  type Tracking,
} from './stores.js';

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
  /**
   * `true` with the inbox: the notification is durably recorded (now, or already when
   * `duplicate`), and its handlers run from the inbox.
   */
  readonly queued?: boolean | undefined;
  /**
   * With the inbox: resolves once this process has handled every notification due now, this
   * one included. Keep a serverless function alive with it, e.g.
   * `ctx.waitUntil(result.handled())`.
   */
  readonly handled?: (() => Promise<void>) | undefined;
}

/** What one delivery carries from step to step. */
interface Delivery {
  readonly event: WebhookEvent;
  readonly receivedAt: Date;
  readonly source: ReceiveContext | undefined;
  /** The request id, when the lifecycle of the request is tracked. */
  readonly requestId: number | undefined;
  /** The deduplication claim's token, once taken. */
  token: string | undefined;
  /**
   * Whether the handlers outlived `handlerTimeoutMs`: then they, not the answer, settle the
   * claim when they end.
   */
  outlived: boolean;
  /** The inbox entry the delivery comes from, when it does. */
  readonly entry: InboxEntry | undefined;
  /** The delivery as observers follow it, when any is installed. */
  readonly trace: DeliveryTrace | undefined;
}

/**
 * What a router keeps between deliveries: its settings, its handlers, its stores as
 * deliveries use them, and the line of each tracked request in this process.
 *
 * @internal
 */
export interface RouterState {
  readonly settings: RouterSettings;
  /** Who follows deliveries (logging, tracing); empty unless installed. */
  readonly observers: Observer[];
  /** The durable inbox, with the inbox option. */
  readonly inbox: RouterInbox | undefined;
  readonly registry: HandlerRegistry;
  readonly dedupe: Deduplication | undefined;
  readonly tracking: Tracking | undefined;
  /** One line per tracked request: its notifications run one at a time. */
  readonly turns: KeyedQueue;
  /** Keys of tracked notifications waiting for their turn or running in this process. */
  readonly inProgress: Set<string>;
}

/** The inbox as a router drives it. */
export interface RouterInbox {
  readonly store: InboxStore;
  readonly control: InboxControl;
  readonly worker: InboxWorker;
}

/** @internal */
export function createRouterState(
  settings: RouterSettings,
  registry: HandlerRegistry,
): RouterState {
  const { dedupe, state, storeTimeoutMs } = settings;
  let inbox: RouterInbox | undefined;
  const router: RouterState = {
    settings,
    observers: settings.logger === undefined ? [] : [createLoggingObserver(settings.logger)],
    get inbox() {
      return inbox;
    },
    registry,
    dedupe: dedupe && createDeduplication(dedupe, storeTimeoutMs),
    tracking: state && createTracking(state, storeTimeoutMs),
    turns: createKeyedQueue(),
    inProgress: new Set(),
  };
  if (settings.inbox !== undefined) {
    const store = settings.inbox.store ?? createDefaultInbox();
    inbox = {
      store,
      control: createInboxControl(store, settings.parse),
      worker: createInboxWorker(
        store,
        settings.inbox,
        (entry) => handleEntry(router, entry),
        (error) => report(router, error),
      ),
    };
    if (settings.inbox.worker) inbox.worker.start();
  }
  return router;
}

/**
 * Parses a notification and delivers it: a notification of a tracked request waits for its
 * turn among those of its request; then its key is claimed, the request's state read, the
 * handlers run, the state stored and the key marked done. Every step throws a
 * `WebhookError`, reported to `onError` once, here.
 *
 * @internal
 */
export async function receive(
  router: RouterState,
  body: WebhookBody,
  source: ReceiveContext | undefined,
): Promise<ReceiveResult> {
  const receivedAt = new Date();
  const trace = beginTrace(router.observers, 'receive', undefined);
  let event: WebhookEvent | undefined;
  try {
    const parsed = parse(router, body, trace);
    if (router.inbox !== undefined) {
      const result = await enqueue(router, router.inbox, body, parsed, receivedAt, trace);
      trace?.end({ result, error: undefined });
      return result;
    }
    if (!parsed.success) throw parsed.error;
    event = parsed.data;
    const requestId = router.tracking === undefined ? undefined : event.requestId;
    const delivery: Delivery = {
      event,
      receivedAt,
      source,
      requestId,
      token: undefined,
      outlived: false,
      entry: undefined,
      trace,
    };
    const result =
      requestId === undefined
        ? await claimAndHandle(router, delivery)
        : await handleInTurn(router, delivery, requestId);
    trace?.end({ result, error: undefined });
    return result;
  } catch (error) {
    const reported = report(router, error, event);
    trace?.end({ result: undefined, error: reported });
    throw reported;
  }
}

/** Parses a body, as a step of `trace`. */
function parse(
  router: RouterState,
  body: WebhookBody,
  trace: DeliveryTrace | undefined,
): SafeParseResult {
  const end = trace?.step('parse');
  const parsed = safeParseWebhook(body, router.settings.parse);
  end?.(parsed.success ? undefined : parsed.error);
  if (parsed.success) trace?.parsed(parsed.data);
  return parsed;
}

/**
 * Records a notification in the inbox, or a body the parser refused as invalid (it is still
 * refused), and wakes the worker.
 */
async function enqueue(
  router: RouterState,
  inbox: RouterInbox,
  body: WebhookBody,
  parsed: SafeParseResult,
  receivedAt: Date,
  trace: DeliveryTrace | undefined,
): Promise<ReceiveResult> {
  const timeoutMs = router.settings.storeTimeoutMs;
  const record = async (
    what: { readonly event: WebhookEvent } | { readonly error: WebhookError },
  ) => {
    const end = trace?.step('inbox.record');
    try {
      const recorded = await recordInInbox(inbox.store, body, what, receivedAt, timeoutMs);
      end?.();
      return recorded;
    } catch (error) {
      end?.(error);
      throw error;
    }
  };
  if (!parsed.success) {
    if (isWebhookError(parsed.error, 'invalid_payload')) await record(parsed);
    throw parsed.error;
  }
  const event = parsed.data;
  const { duplicate } = await record({ event });
  if (!duplicate) inbox.worker.wake();
  return { event, duplicate, queued: true, handled: inbox.worker.drain };
}

/** Runs the handlers of an inbox entry: rejects when the attempt failed. */
async function handleEntry(router: RouterState, entry: InboxEntry): Promise<void> {
  const trace = beginTrace(router.observers, 'process', entry);
  let event: WebhookEvent | undefined;
  try {
    const parsed = parse(router, entry.body, trace);
    if (!parsed.success) throw parsed.error;
    event = parsed.data;
    const result = await handle(router, {
      event,
      receivedAt: entry.receivedAt,
      source: undefined,
      requestId: router.tracking === undefined ? undefined : event.requestId,
      token: undefined,
      outlived: false,
      entry,
      trace,
    });
    trace?.end({ result, error: undefined });
  } catch (error) {
    const reported = report(router, error, event);
    trace?.end({ result: undefined, error: reported });
    throw reported;
  }
}

/** Hands `error` to `onError`, as a `WebhookError`, with the event once parsed, and returns it. */
function report(router: RouterState, error: unknown, event?: WebhookEvent): WebhookError {
  const reported = isWebhookError(error) ? error : new HandlerError(error);
  const { onError } = router.settings;
  if (event === undefined) callSafely(onError, reported);
  else callSafely(onError, reported, event);
  return reported;
}

/** Waits for a tracked notification's turn among those of its request, then handles it. */
async function handleInTurn(
  router: RouterState,
  delivery: Delivery,
  requestId: number,
): Promise<ReceiveResult> {
  const { dedupe, inProgress, turns, settings } = router;
  const key = delivery.event.idempotencyKey;
  // Another delivery of the same notification is waiting or running here: the store would
  // only say so once this one's turn came.
  if (dedupe !== undefined) {
    if (inProgress.has(key)) throw new InFlightError();
    inProgress.add(key);
  }
  const waitUntil = Date.now() + settings.handlerTimeoutMs;
  try {
    return await turns.run(
      requestId,
      settings.handlerTimeoutMs,
      () => handleLocked(router, delivery, requestId, waitUntil),
      busyRequest,
    );
  } finally {
    if (dedupe !== undefined) inProgress.delete(key);
  }
}

/** The error of a notification whose request stays busy longer than it may wait. */
function busyRequest(): InFlightError {
  return new InFlightError(1, {
    message: 'An earlier notification of the same request is still being processed',
  });
}

/** How often a delivery asks again for a request's lock held by another instance. */
const LOCK_POLL_MS = 25;

/**
 * With a state store that locks requests across instances, takes the request's lock (asking
 * again until `waitUntil`), then handles the notification and releases the lock.
 */
async function handleLocked(
  router: RouterState,
  delivery: Delivery,
  requestId: number,
  waitUntil: number,
): Promise<ReceiveResult> {
  const { tracking, settings } = router;
  if (tracking === undefined || !tracking.locks) return claimAndHandle(router, delivery);
  // Held through the handlers and the state's write, and no longer: a lock left by a
  // crashed instance frees itself.
  const ttlMs = settings.handlerTimeoutMs + 4 * settings.storeTimeoutMs;
  let token = await tracking.lock(requestId, ttlMs, delivery.trace);
  while (token === undefined) {
    if (Date.now() + LOCK_POLL_MS > waitUntil) throw busyRequest();
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    token = await tracking.lock(requestId, ttlMs, delivery.trace);
  }
  try {
    return await claimAndHandle(router, delivery);
  } finally {
    await tracking.unlock(requestId, token, delivery.trace);
  }
}

/** Claims the notification's key, handles it, and releases the claim when that fails. */
async function claimAndHandle(router: RouterState, delivery: Delivery): Promise<ReceiveResult> {
  const { dedupe } = router;
  const { event } = delivery;
  if (dedupe !== undefined) {
    const claim = await dedupe.claim(event.idempotencyKey, delivery.trace);
    if (claim === 'done') return { event, duplicate: true };
    if (claim === 'in_flight') throw new InFlightError();
    delivery.token = claim;
  }
  try {
    return await handle(router, delivery);
  } catch (error) {
    if (delivery.token !== undefined && !delivery.outlived) {
      await dedupe?.release(event.idempotencyKey, delivery.token, delivery.trace);
    }
    throw error;
  }
}

/** Classifies the notification, runs its handlers, then completes it. */
async function handle(router: RouterState, delivery: Delivery): Promise<ReceiveResult> {
  const { tracking, registry } = router;
  const { event, requestId } = delivery;
  let previous: RequestState | undefined;
  let transition: TransitionVerdict | undefined;
  if (tracking !== undefined && requestId !== undefined) {
    previous = await tracking.read(requestId, delivery.trace);
    transition = classifyTransition(previous, event);
    if (tracking.skip.has(transition)) {
      await complete(router, delivery, previous, transition);
      return { event, duplicate: false, transition, skipped: true };
    }
  }
  const context = new DeliveryContext(
    event.idempotencyKey,
    delivery.receivedAt,
    delivery.source,
    transition,
    previous,
    delivery.entry,
  );
  const handlers = registry.run(event, context, delivery.trace);
  await handlersWithin(router, delivery, handlers, previous, transition);
  await complete(router, delivery, previous, transition);
  return transition === undefined
    ? { event, duplicate: false }
    : { event, duplicate: false, transition, skipped: false };
}

/**
 * Waits for the handlers at most `handlerTimeoutMs`. Past it, they go on (JavaScript cannot
 * stop them):
 *
 * - for an inbox entry, the overrun is reported and the handlers are waited for: the entry
 *   stays leased, and its attempt ends with what they end with, so that no retry starts
 *   beside them;
 * - for a delivery, the answer is a `HandlerError` now, and what the handlers end with is
 *   recorded when they do (`complete`, or the claim released): until then the claim stays,
 *   so that a redelivery is refused as in flight. The request's turn passes on: a handler
 *   that never ends does not hold its request's later notifications.
 */
function handlersWithin(
  router: RouterState,
  delivery: Delivery,
  handlers: Promise<void>,
  previous: RequestState | undefined,
  transition: TransitionVerdict | undefined,
): Promise<void> {
  const { handlerTimeoutMs } = router.settings;
  const timedOut = (): TimeoutError => new TimeoutError('The handlers', handlerTimeoutMs);
  return new Promise((resolve, reject) => {
    settleWithin(handlers, handlerTimeoutMs, timedOut, resolve, (error) => {
      if (!(error instanceof TimeoutError)) {
        reject(error);
        return;
      }
      const { event, token, entry } = delivery;
      if (entry !== undefined) {
        const message = `The handlers did not settle within ${handlerTimeoutMs} ms: inbox entry ${entry.id} stays leased until they do`;
        report(router, new HandlerError(error, message), event);
        handlers.then(resolve, reject);
        return;
      }
      delivery.outlived = true;
      const release = (): Promise<void> | undefined =>
        token === undefined ? undefined : router.dedupe?.release(event.idempotencyKey, token);
      handlers
        .then(() => complete(router, delivery, previous, transition), release)
        .catch((late: unknown) => report(router, late, event));
      reject(new HandlerError(error, `The handlers did not settle within ${handlerTimeoutMs} ms`));
    });
  });
}

/**
 * Once the handlers succeeded (or a verdict in `state.skip` spared them): stores the state
 * they applied, and marks the key done.
 */
async function complete(
  router: RouterState,
  delivery: Delivery,
  previous: RequestState | undefined,
  transition: TransitionVerdict | undefined,
): Promise<void> {
  const { event, requestId, token } = delivery;
  if (transition === 'apply' && router.tracking !== undefined && requestId !== undefined) {
    const next = Object.freeze({ status: event.status, occurredAt: event.occurredAt });
    await router.tracking.apply(requestId, previous, next, delivery.trace);
  }
  if (router.dedupe !== undefined && token !== undefined) {
    await router.dedupe.markDone(event.idempotencyKey, token, delivery.trace);
  }
}
