import {
  INBOX_ENTRY_STATUSES,
  type InboxEntryStatus,
  type InboxFilter,
} from '../inbox/inbox-store.js';
import { normalizeEventType } from '../payload/vocabulary.js';
import { duration, integer, UsageError } from './args.js';
import { type StoreTarget, storeTarget } from './open-store.js';

/** The options that name the store, and `--help`, of every inbox command. */
export const STORE_OPTIONS = {
  store: { type: 'string' },
  schema: { type: 'string' },
  'table-prefix': { type: 'string' },
  prefix: { type: 'string' },
  'redis-client': { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options that filter entries: of list, replay and purge. */
export const FILTER_OPTIONS = {
  status: { type: 'string', multiple: true },
  request: { type: 'string' },
  'event-type': { type: 'string' },
  'older-than': { type: 'string' },
  'newer-than': { type: 'string' },
} as const;

type StoreValues = { [K in keyof typeof STORE_OPTIONS]?: string | boolean | undefined };
type FilterValues = {
  status?: string[] | undefined;
  request?: string | undefined;
  'event-type'?: string | undefined;
  'older-than'?: string | undefined;
  'newer-than'?: string | undefined;
};

/** The store `values` name: a {@link UsageError} when it is missing or an option does not fit it. */
export function targetOf(values: StoreValues, command: string): StoreTarget {
  const text = (name: keyof StoreValues): string | undefined => values[name] as string | undefined;
  const store = text('store');
  if (store === undefined || store === '') {
    throw new UsageError(
      `inbox ${command} needs --store <SQLite file | postgres:// URL | redis:// URL> (see --help)`,
    );
  }
  return storeTarget({
    store,
    schema: text('schema'),
    tablePrefix: text('table-prefix'),
    prefix: text('prefix'),
    redisClient: text('redis-client'),
    timeoutMs: integer(text('timeout'), 'timeout', 10_000, 1, 3_600_000),
  });
}

/** The filter the options give, and whether any was given. */
export function filterOf(
  values: FilterValues,
  now: number,
): { filter: InboxFilter; given: boolean } {
  const statuses = values.status
    ?.flatMap((value) => value.split(','))
    .map((value) => value.trim().toLowerCase());
  for (const status of statuses ?? []) {
    if (!INBOX_ENTRY_STATUSES.includes(status as InboxEntryStatus)) {
      throw new UsageError(
        `--status must be one of ${INBOX_ENTRY_STATUSES.join(', ')}, got "${status}"`,
      );
    }
  }
  const request = values.request;
  const eventType = values['event-type'];
  if (eventType !== undefined && eventType.trim() === '') {
    throw new UsageError('--event-type cannot be empty');
  }
  const olderThan = values['older-than'];
  const newerThan = values['newer-than'];
  const filter: InboxFilter = {
    status: statuses as InboxEntryStatus[] | undefined,
    requestId:
      request === undefined
        ? undefined
        : integer(request, 'request', 0, 0, Number.MAX_SAFE_INTEGER),
    eventType: eventType === undefined ? undefined : normalizeEventType(eventType),
    receivedBefore:
      olderThan === undefined ? undefined : new Date(now - duration(olderThan, 'older-than')),
    receivedAfter:
      newerThan === undefined ? undefined : new Date(now - duration(newerThan, 'newer-than')),
  };
  const given = Object.values(filter).some((value) => value !== undefined);
  return { filter, given };
}
