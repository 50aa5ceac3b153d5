import { TimeoutError, withDeadline } from '../deadline.js';
import { HandlerError, InFlightError, isWebhookError, type WebhookError } from '../errors.js';
import { classifyTransition, type TransitionVerdict } from '../lifecycle/classify.js';
import type { WebhookEvent } from '../payload/event.js';
import { safeParseWebhook, type WebhookBody } from '../payload/parse.js';
import { callSafely } from '../safe-call.js';
import type { RequestState } from '../state/state-store.js';
import { DeliveryContext, type ReceiveContext } from './context.js';
import { createKeyedQueue } from './keyed-queue.js';
import type { RouterSettings } from './options.js';
import type { HandlerRegistry } from './registry.js';
import { createDeduplication, createTracking } from './stores.js';

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
}

/**
 * Builds `receive`: parse, then deliver. A delivery of a tracked request waits for its turn
 * among the notifications of that request; then it claims its key, reads the request's
 * state, runs the handlers, stores the state and marks the key done. Every step throws a
 * `WebhookError`; each is reported to `onError` once, where `receive` rejects.
 *
 * @internal
 */
export function createReceive(
  settings: RouterSettings,
  registry: HandlerRegistry,
): (body: WebhookBody, source?: ReceiveContext) => Promise<ReceiveResult> {
  const dedupe = settings.dedupe && createDeduplication(settings.dedupe, settings.storeTimeoutMs);
  const tracking = settings.state && createTracking(settings.state, settings.storeTimeoutMs);
  const { handlerTimeoutMs } = settings;
  const turns = createKeyedQueue();
  /** Keys of tracked notifications waiting for their turn or running in this process. */
  const inProgress = new Set<string>();

  const report = (error: unknown, event?: WebhookEvent): WebhookError => {
    const reported = isWebhookError(error) ? error : new HandlerError(error);
    if (event === undefined) callSafely(settings.onError, reported);
    else callSafely(settings.onError, reported, event);
    return reported;
  };

  /** The delivery's steps once its turn has come. */
  const handle = async (delivery: Delivery): Promise<ReceiveResult> => {
    const { event } = delivery;
    if (dedupe !== undefined) {
      const claim = await dedupe.claim(event.idempotencyKey);
      if (claim === 'done') return { event, duplicate: true };
      if (claim === 'in_flight') throw new InFlightError();
      delivery.token = claim;
    }
    try {
      return await handleClaimed(delivery);
    } catch (error) {
      if (delivery.token !== undefined && !delivery.outlived) {
        await dedupe?.release(event.idempotencyKey, delivery.token);
      }
      throw error;
    }
  };

  const handleClaimed = async (delivery: Delivery): Promise<ReceiveResult> => {
    const { event, requestId } = delivery;
    let previous: RequestState | undefined;
    let transition: TransitionVerdict | undefined;
    if (tracking !== undefined && requestId !== undefined) {
      previous = await tracking.read(requestId);
      transition = classifyTransition(previous, event);
      if (tracking.skip.has(transition)) {
        await markDone(delivery);
        return { event, duplicate: false, transition, skipped: true };
      }
    }
    const context = new DeliveryContext(
      event.idempotencyKey,
      delivery.receivedAt,
      delivery.source,
      transition,
      previous,
    );
    const handlers = registry.run(event, context);
    const finish = (): Promise<void> => complete(delivery, previous, transition);
    try {
      await withDeadline(
        handlers,
        handlerTimeoutMs,
        () => new TimeoutError('The handlers', handlerTimeoutMs),
      );
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      // The handlers go on; what they end with is recorded when they do, and until then the
      // claim stays, so that a redelivery is refused as in flight.
      delivery.outlived = true;
      const { token } = delivery;
      handlers
        .then(finish, () =>
          token === undefined ? undefined : dedupe?.release(event.idempotencyKey, token),
        )
        .catch((late: unknown) => report(late, event));
      throw new HandlerError(error, `The handlers did not settle within ${handlerTimeoutMs} ms`);
    }
    await finish();
    return transition === undefined
      ? { event, duplicate: false }
      : { event, duplicate: false, transition, skipped: false };
  };

  /** After the handlers succeeded: store the state they applied, mark the key done. */
  const complete = async (
    delivery: Delivery,
    previous: RequestState | undefined,
    transition: TransitionVerdict | undefined,
  ): Promise<void> => {
    const { event, requestId } = delivery;
    if (transition === 'apply' && tracking !== undefined && requestId !== undefined) {
      const next = Object.freeze({ status: event.status, occurredAt: event.occurredAt });
      await tracking.apply(requestId, previous, next);
    }
    await markDone(delivery);
  };

  const markDone = async (delivery: Delivery): Promise<void> => {
    if (dedupe !== undefined && delivery.token !== undefined) {
      await dedupe.markDone(delivery.event.idempotencyKey, delivery.token);
    }
  };

  /** Waits for the turn of a tracked notification among those of its request, then handles it. */
  const handleInTurn = async (delivery: Delivery, requestId: number): Promise<ReceiveResult> => {
    const key = delivery.event.idempotencyKey;
    // Another delivery of the same notification is waiting or running here: the store would
    // only say so once this one's turn came.
    if (dedupe !== undefined) {
      if (inProgress.has(key)) throw new InFlightError();
      inProgress.add(key);
    }
    try {
      return await turns.run(
        requestId,
        handlerTimeoutMs,
        () => handle(delivery),
        () =>
          new InFlightError(1, {
            message: 'An earlier notification of the same request is still being processed',
          }),
      );
    } finally {
      if (dedupe !== undefined) inProgress.delete(key);
    }
  };

  return async (body, source) => {
    const receivedAt = new Date();
    const parsed = safeParseWebhook(body, settings.parse);
    if (!parsed.success) throw report(parsed.error);
    const event = parsed.data;
    const requestId = tracking === undefined ? undefined : event.requestId;
    const delivery: Delivery = {
      event,
      receivedAt,
      source,
      requestId,
      token: undefined,
      outlived: false,
    };
    try {
      return requestId === undefined
        ? await handle(delivery)
        : await handleInTurn(delivery, requestId);
    } catch (error) {
      throw report(error, event);
    }
  };
}
