import type { InboxControl } from '../inbox/control.js';
import type { InboxStore } from '../inbox/inbox-store.js';
import type { InboxOptions } from '../inbox/options.js';
import { OBSERVERS } from '../observe/observer.js';
import type { WebhookBody } from '../payload/parse.js';
import type { ReceiveContext } from './context.js';
import type { EventFor, WebhookName } from './names.js';
import { resolveOptions, type WebhooksOptions } from './options.js';
import { createRouterState, type ReceiveResult, receive } from './receive.js';
import { createHandlerRegistry, type WebhookHandler } from './registry.js';

export type { HandlerContext, ReceiveContext } from './context.js';
export type { DedupeOptions, WebhooksOptions } from './options.js';
export type { ReceiveResult } from './receive.js';
export type { WebhookHandler } from './registry.js';

/** `webhooks.inbox`: the durable inbox of a router created with the `inbox` option. */
export interface WebhooksInbox extends InboxControl {
  /** The store the notifications are recorded in. */
  readonly store: InboxStore;
  /** Starts this process's worker (it starts by itself unless `worker: false`). */
  start(): void;
  /**
   * Stops this process's worker; with `drain` (the default) resolves once the notifications
   * it is handling are settled. Notifications keep being recorded.
   */
  stop(options?: { drain?: boolean | undefined }): Promise<void>;
  /**
   * Handles every notification due now (and those that come due meanwhile), then resolves:
   * for processes that receive with `worker: false` and handle when asked.
   */
  drain(): Promise<void>;
}

/** The router returned by {@link createWebhooks}. */
export interface Webhooks {
  /** The durable inbox, when the `inbox` option is on; `undefined` otherwise. */
  readonly inbox: WebhooksInbox | undefined;
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
   * @throws {InFlightError} (409) while another delivery of the notification is in progress
   * (or, with `state`, an earlier notification of its request is, for too long).
   * @throws {HandlerError} (500) when a handler failed (`cause` is what it threw) or the
   * handlers did not settle within `handlerTimeoutMs` (`cause` is a `TimeoutError`).
   * @throws {StoreUnavailableError} (503) when the deduplication or state store failed or
   * did not answer within `storeTimeoutMs`.
   */
  receive(body: WebhookBody, context?: ReceiveContext): Promise<ReceiveResult>;
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
 * setting, a timeout that is not a positive integer or an `onError` that is not a function.
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
export function createWebhooks(
  options: WebhooksOptions & { inbox: true | InboxOptions },
): Webhooks & { readonly inbox: WebhooksInbox };
export function createWebhooks(options?: WebhooksOptions): Webhooks;
export function createWebhooks(options: WebhooksOptions = {}): Webhooks {
  const settings = resolveOptions(options);
  const registry = createHandlerRegistry();
  const router = createRouterState(settings, registry);
  const { inbox } = router;
  const webhooks = {
    on: registry.on,
    receive: (body: WebhookBody, context?: ReceiveContext) => receive(router, body, context),
    inbox: inbox && {
      ...inbox.control,
      store: inbox.store,
      start: inbox.worker.start,
      stop: inbox.worker.stop,
      drain: inbox.worker.drain,
    },
  };
  // Where `instrumentWebhooks` installs its observer; hidden, so that spreading or logging the
  // router shows only its API.
  Object.defineProperty(webhooks, OBSERVERS, { value: router.observers });
  return webhooks;
}
