import { closestMatch } from '../closest-match.js';
import type { WebhookEvent } from '../payload/event.js';
import {
  EVENT_TYPES,
  type KnownEventType,
  type KnownRequestStatus,
  normalizeEventType,
  normalizeStatus,
  REQUEST_STATUSES,
  type RequestStatus,
} from '../payload/vocabulary.js';

/**
 * The provider's spelling variants accepted as names, and the documented name each stands
 * for (payloads are normalized the same way).
 */
interface NameVariants {
  CANCELED: 'CANCELLED';
  RENOVATED: 'RENEWED';
  REQUEST_CANCELLED: 'REQUEST_CANCELED';
}

/**
 * One name a handler can be registered under: a documented status or event type, one of the
 * provider's spelling variants of them, or `'*'`.
 */
type SingleName = KnownRequestStatus | KnownEventType | keyof NameVariants | '*';

/** The documented name a name stands for. */
type Canonical<N> = N extends keyof NameVariants ? NameVariants[N] : N;

/**
 * What {@link Webhooks.on} accepts: a documented request status (`'VIDEOREVIEW'`), a
 * documented event type (`'REQUEST_ENROLLED'`), one of the provider's spelling variants of
 * them (`'CANCELED'`, `'RENOVATED'`, `'REQUEST_CANCELLED'`), `'*'` for every notification, or
 * a readonly array of these.
 *
 * Status names and event-type names never collide, so one name says which field it matches.
 */
export type WebhookName = SingleName | readonly SingleName[];

/** The event a handler registered under one name receives. */
type EventForSingle<N> =
  Canonical<N> extends infer C
    ? C extends KnownRequestStatus
      ? WebhookEvent<C>
      : C extends KnownEventType
        ? WebhookEvent<RequestStatus, C>
        : WebhookEvent
    : never;

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
 * What a name given to `on` means: the field it is compared with and the documented value
 * it stands for — names are read like the payload's values (any case, `_`, `-` or spaces
 * ignored, the provider's spelling variants mapped) — or `undefined` for a name that is none
 * of these (a misspelling that plain JavaScript let through).
 *
 * @internal
 */
export function readName(name: unknown): { kind: NameKind; value: string } | undefined {
  if (name === '*') return { kind: 'wildcard', value: '*' };
  if (typeof name !== 'string') return undefined;
  const status = normalizeStatus(name);
  if (STATUS_NAMES.has(status)) return { kind: 'status', value: status };
  const eventType = normalizeEventType(name);
  if (EVENT_TYPE_NAMES.has(eventType)) return { kind: 'eventType', value: eventType };
  return undefined;
}

/**
 * The documented name closest to `name`, when one is close enough to be what was meant.
 *
 * @internal
 */
export function suggestName(name: string): string | undefined {
  const key = name
    .trim()
    .toUpperCase()
    .replace(/[\s_-]+/g, '');
  return closestMatch(key, [...REQUEST_STATUSES, ...EVENT_TYPES], (candidate) =>
    candidate.replace(/_/g, ''),
  );
}
