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

/** The edit distance (insertions, deletions, substitutions, transpositions) of two strings. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
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
  if (key === '' || key.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of [...REQUEST_STATUSES, ...EVENT_TYPES]) {
    const found = distance(key, candidate.replace(/_/g, ''));
    if (found < bestDistance) {
      best = candidate;
      bestDistance = found;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}
