import { InvalidOptionsError } from '../errors.js';
import { positiveInteger } from '../options.js';
import { INBOX_ENTRY_STATUSES, type InboxEntryStatus, type InboxFilter } from './inbox-store.js';

/** An {@link InboxFilter} checked, with its statuses as a set and its default limit. */
export interface ResolvedFilter {
  readonly statuses: ReadonlySet<InboxEntryStatus> | undefined;
  readonly requestId: number | undefined;
  readonly eventType: string | undefined;
  readonly receivedBefore: number | undefined;
  readonly receivedAfter: number | undefined;
  readonly limit: number;
  readonly before: string | undefined;
}

const DEFAULT_LIMIT = 100;

function instant(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidOptionsError(`${name} must be a valid Date`);
  }
  return value.getTime();
}

/**
 * Checks a filter given to `list`, `replay` or `purge`, throwing `InvalidOptionsError` for
 * anything it cannot read: every engine reads filters the same way.
 *
 * @internal
 */
export function resolveFilter(filter: InboxFilter | undefined): ResolvedFilter {
  if (filter !== undefined && (typeof filter !== 'object' || filter === null)) {
    throw new InvalidOptionsError('An inbox filter must be an object');
  }
  const given = filter ?? {};
  const status = given.status;
  const statuses =
    status === undefined ? undefined : typeof status === 'string' ? [status] : status;
  if (statuses !== undefined) {
    if (!Array.isArray(statuses) || statuses.length === 0) {
      throw new InvalidOptionsError('filter.status must be a status or a non-empty list of them');
    }
    for (const one of statuses) {
      if (!INBOX_ENTRY_STATUSES.includes(one)) {
        throw new InvalidOptionsError(
          `filter.status has ${JSON.stringify(String(one)).slice(0, 40)}: use ${INBOX_ENTRY_STATUSES.join(', ')}`,
        );
      }
    }
  }
  const { requestId, eventType, before } = given;
  if (requestId !== undefined && !(Number.isSafeInteger(requestId) && requestId >= 0)) {
    throw new InvalidOptionsError('filter.requestId must be a request id (a non-negative integer)');
  }
  if (eventType !== undefined && typeof eventType !== 'string') {
    throw new InvalidOptionsError('filter.eventType must be a string');
  }
  if (before !== undefined && typeof before !== 'string') {
    throw new InvalidOptionsError('filter.before must be an entry id');
  }
  return {
    statuses: statuses && new Set(statuses),
    requestId,
    eventType,
    receivedBefore: instant(given.receivedBefore, 'filter.receivedBefore'),
    receivedAfter: instant(given.receivedAfter, 'filter.receivedAfter'),
    limit: positiveInteger(given.limit, DEFAULT_LIMIT, 'filter.limit'),
    before,
  };
}
