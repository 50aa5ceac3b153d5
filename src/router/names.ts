import type { WebhookEvent } from '../payload/event.js';
import {
  EVENT_TYPES,
  type KnownEventType,
  type KnownRequestStatus,
  REQUEST_STATUSES,
  type RequestStatus,
} from '../payload/vocabulary.js';

/** One name a handler can be registered under: a documented status or event type, or `'*'`. */
type SingleName = KnownRequestStatus | KnownEventType | '*';

/**
 * What {@link Webhooks.on} accepts: a documented request status (`'VIDEOREVIEW'`), a
 * documented event type (`'REQUEST_ENROLLED'`), `'*'` for every notification, or a
 * readonly array of these.
 *
 * Status names and event-type names never collide, so one name says which field it matches.
 */
export type WebhookName = SingleName | readonly SingleName[];

/** The event a handler registered under one name receives. */
type EventForSingle<N> = N extends KnownRequestStatus
  ? WebhookEvent<N>
  : N extends KnownEventType
    ? WebhookEvent<RequestStatus, N>
    : WebhookEvent;

/**
 * The event type a handler registered under `N` receives: `status` narrowed for a status
 * name, `eventType` narrowed for an event-type name, the union for an array, and the plain
 * {@link WebhookEvent} for `'*'`.
 *
 * @example
 * ```ts
 * type Review = EventFor<'VIDEOREVIEW'> // WebhookEvent<'VIDEOREVIEW'>
 * type Done = EventFor<['ISSUED', 'CANCELLED']> // WebhookEvent<'ISSUED'> | WebhookEvent<'CANCELLED'>
 * ```
 */
export type EventFor<N extends WebhookName> = N extends readonly (infer M)[]
  ? EventForSingle<M>
  : EventForSingle<N>;

/** Which field of an event a registered name is compared with. */
export type NameKind = 'status' | 'eventType' | 'wildcard';

const STATUS_NAMES: ReadonlySet<string> = new Set(REQUEST_STATUSES);
const EVENT_TYPE_NAMES: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * Says which field `name` matches, or `undefined` when it is not a name {@link WebhookName}
 * allows (a misspelling that plain JavaScript let through).
 *
 * @internal
 */
export function kindOfName(name: unknown): NameKind | undefined {
  if (name === '*') return 'wildcard';
  if (typeof name !== 'string') return undefined;
  if (STATUS_NAMES.has(name)) return 'status';
  if (EVENT_TYPE_NAMES.has(name)) return 'eventType';
  return undefined;
}
