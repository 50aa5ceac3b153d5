/**
 * Where an entry is in its life: waiting for a (first or next) attempt, being handled,
 * handled, given up after its last attempt, or recorded although it was not a valid
 * notification (quarantined, to be replayed after an upgrade).
 */
export type InboxEntryStatus = 'pending' | 'running' | 'done' | 'dead' | 'invalid';

/** Every status an entry can have, in the order of its life. */
export const INBOX_ENTRY_STATUSES: readonly InboxEntryStatus[] = Object.freeze([
  'pending',
  'running',
  'done',
  'dead',
  'invalid',
]);

/** A notification as the inbox keeps it. */
export interface InboxEntry {
  /** The store's id of the entry. */
  readonly id: string;
  /**
   * The notification's `idempotencyKey`; for an `'invalid'` entry, `invalid:` and a hash of
   * its body, so that the same invalid body delivered twice is recorded once.
   */
  readonly idempotencyKey: string;
  /** The request id, when the notification has one. */
  readonly requestId?: number | undefined;
  /** The normalized event type, when the notification has one. */
  readonly eventType?: string | undefined;
  /** Where the entry is in its life. */
  readonly status: InboxEntryStatus;
  /** How many times its handlers were started. */
  readonly attempts: number;
  /** When the notification was recorded. */
  readonly receivedAt: Date;
  /** When the next attempt is due (`'pending'` entries), or when the lease of a `'running'` one ends. */
  readonly nextAttemptAt?: Date | undefined;
  /** Why the last attempt failed; for an `'invalid'` entry, what the parser found wrong. */
  readonly lastError?: string | undefined;
  /** The raw body text, as received. */
  readonly body: string;
}

/** A notification to record: what the router knows of it when it arrives. */
export interface NewInboxEntry {
  readonly idempotencyKey: string;
  readonly requestId?: number | undefined;
  readonly eventType?: string | undefined;
  /** `'pending'` for a valid notification, `'invalid'` for a body the parser refused. */
  readonly status: 'pending' | 'invalid';
  readonly receivedAt: Date;
  /** For an `'invalid'` entry: what the parser found wrong. */
  readonly lastError?: string | undefined;
  readonly body: string;
}

/** Which entries `list`, `replay` and `purge` act on. Every given field must match. */
export interface InboxFilter {
  /** One status or several. */
  status?: InboxEntryStatus | readonly InboxEntryStatus[] | undefined;
  /** The request id. */
  requestId?: number | undefined;
  /** The normalized event type. */
  eventType?: string | undefined;
  /** Entries received before this instant. */
  receivedBefore?: Date | undefined;
  /** Entries received at or after this instant. */
  receivedAfter?: Date | undefined;
  /**
   * The most entries `list` returns, newest first.
   *
   * @default 100
   */
  limit?: number | undefined;
  /** For `list`: entries older than the entry of this id, to read the next page. */
  before?: string | undefined;
}

/** Counts and the age of the backlog, from {@link InboxStore.stats}. */
export interface InboxStats {
  readonly pending: number;
  readonly running: number;
  readonly done: number;
  readonly dead: number;
  readonly invalid: number;
  /** When the oldest `'pending'` entry was received; `undefined` when none is pending. */
  readonly oldestPendingAt: Date | undefined;
}

/** How a leased attempt ended. */
export type AttemptOutcome =
  | { readonly status: 'done' }
  | { readonly status: 'pending'; readonly nextAttemptAt: Date; readonly error: string }
  | { readonly status: 'dead'; readonly error: string };

/** What {@link InboxStore.replay} did to one entry. */
export type ReplayResult =
  /** Pending again, due now, its attempts counted from zero. */
  | 'replayed'
  /** An invalid entry whose notification, read again, was already in the inbox: now done. */
  | 'duplicate'
  /** Pending or running already: left as it is. */
  | 'busy'
  /** An invalid entry whose body is still not a valid notification: left as it is. */
  | 'invalid'
  /** No such entry. */
  | 'missing';

/** The fields an invalid entry gets when it is read again successfully. */
export interface ReparsedFields {
  readonly idempotencyKey: string;
  readonly requestId?: number | undefined;
  readonly eventType?: string | undefined;
}

/**
 * Where the durable inbox keeps notifications: an engine the router drives. Every method is
 * one atomic step, safe when several processes share the store; times are the store's
 * process clock unless an engine says otherwise.
 *
 * The package has one on SQLite (`uanataca-webhooks/sqlite`), PostgreSQL
 * (`uanataca-webhooks/postgres`), Redis (`uanataca-webhooks/redis`), and in memory for
 * tests. A contract test suite in the package's repository is run against each.
 */
export interface InboxStore {
  /**
   * Records `entry` unless an entry with its `idempotencyKey` is there already. Resolves
   * only once the entry is durable (committed), with its id and whether it was there.
   */
  add(entry: NewInboxEntry): Promise<{ readonly id: string; readonly duplicate: boolean }>;
  /**
   * Leases up to `limit` entries to `owner` for `leaseMs` milliseconds and marks them
   * `'running'`, counting an attempt for each: `'pending'` entries that are due, and
   * `'running'` ones whose lease ran out (their owner died or stalled). Never two entries of
   * one request id at once, and none of a request that has an entry `'running'`, under a
   * live lease or one that ran out: such an entry is the one of its request leased next, so
   * that the notifications of one request are handled one at a time, in order, across every
   * process sharing the store. The entries received first go first.
   */
  lease(owner: string, limit: number, leaseMs: number): Promise<InboxEntry[]>;
  /**
   * Extends `owner`'s lease of entry `id` by `leaseMs`; `false` when it no longer holds it,
   * which includes once the lease has run out (by the store's clock), even if nobody took
   * the entry over since: a lease that ran out is never revived.
   */
  renew(id: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Ends `owner`'s attempt at entry `id`; `false` (and nothing changed) when it no longer holds it. */
  settle(id: string, owner: string, outcome: AttemptOutcome): Promise<boolean>;
  /** The entry of this id. */
  get(id: string): Promise<InboxEntry | undefined>;
  /** Entries matching `filter`, newest first, at most `filter.limit` (100 by default). */
  list(filter: InboxFilter): Promise<InboxEntry[]>;
  /**
   * Makes entry `id` pending again, due now, attempts counted from zero: a `'done'` or
   * `'dead'` one as it is, an `'invalid'` one with the `fields` its body gives when read again
   * (or `'duplicate'`, and done, when another entry has that key).
   */
  replay(id: string, fields?: ReparsedFields): Promise<ReplayResult>;
  /** Deletes the entries matching `filter` that are not `'running'`; resolves how many. */
  purge(filter: InboxFilter): Promise<number>;
  /** Counts by status and the oldest pending entry. */
  stats(): Promise<InboxStats>;
  /** Closes what the store opened itself (a database file); a store given a client leaves it open. */
  close?(): Promise<void>;
}

/**
 * Whether `value` has the methods of an {@link InboxStore}.
 *
 * @internal
 */
export function isInboxStore(value: unknown): value is InboxStore {
  const store = value as Partial<Record<keyof InboxStore, unknown>> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    (['add', 'lease', 'renew', 'settle', 'get', 'list', 'replay', 'purge', 'stats'] as const).every(
      (method) => typeof store[method] === 'function',
    )
  );
}
