import type { TransitionVerdict } from '../lifecycle/classify.js';
import type { RequestState } from '../state/state-store.js';
import { isNormalized, normalizeHeaders } from './headers.js';

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
   * The request's headers with lower-cased names (a frozen object that inherits nothing); empty
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
  /**
   * Which attempt at the notification this is: 1 for the first, more when the inbox retries
   * it. Always 1 without the inbox.
   */
  readonly attempt: number;
  /** With the inbox, the id of the notification's entry; `undefined` otherwise. */
  readonly entryId: string | undefined;
}

/** The headers of a delivery without any: like every normalized header object. */
const NO_HEADERS: Readonly<Record<string, string>> = normalizeHeaders([]);

/**
 * The {@link HandlerContext} of one delivery, frozen.
 *
 * @internal
 */
export class DeliveryContext implements HandlerContext {
  readonly idempotencyKey: string;
  readonly receivedAt: Date;
  readonly headers: Readonly<Record<string, string>>;
  readonly clientIp: string | undefined;
  readonly transition: TransitionVerdict | undefined;
  readonly previous: RequestState | undefined;
  readonly attempt: number;
  readonly entryId: string | undefined;

  constructor(
    idempotencyKey: string,
    receivedAt: Date,
    source: ReceiveContext | undefined,
    transition: TransitionVerdict | undefined,
    previous: RequestState | undefined,
    entry?: { readonly id: string; readonly attempts: number },
  ) {
    const headers = source?.headers;
    this.idempotencyKey = idempotencyKey;
    this.receivedAt = receivedAt;
    // An adapter's headers are already what handlers get; a caller's are copied, so that it
    // may reuse its object.
    // Anything but an object (from a JavaScript caller) counts as no headers.
    this.headers =
      typeof headers !== 'object' || headers === null
        ? NO_HEADERS
        : isNormalized(headers)
          ? headers
          : normalizeHeaders(Object.entries(headers));
    this.clientIp = source?.clientIp;
    this.transition = transition;
    this.previous = previous;
    this.attempt = entry?.attempts ?? 1;
    this.entryId = entry?.id;
    Object.freeze(this);
  }
}
