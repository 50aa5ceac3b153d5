import { InvalidOptionsError } from '../errors.js';
import { type ParseOptions, safeParseWebhook } from '../payload/parse.js';
import { resolveFilter } from './filter.js';
import type {
  InboxEntry,
  InboxFilter,
  InboxStats,
  InboxStore,
  ReplayResult,
} from './inbox-store.js';

/** How many entries of each kind {@link InboxControl.replay} found. */
export type ReplaySummary = Readonly<Record<ReplayResult, number>>;

/** {@link InboxStats}, with the age of the oldest pending entry. */
export interface InboxReport extends InboxStats {
  /** Milliseconds since the oldest pending entry was received; `undefined` when none is pending. */
  readonly oldestPendingAgeMs: number | undefined;
}

/** Reading and managing an inbox: what `webhooks.inbox` and the command line offer. */
export interface InboxControl {
  /** Entries matching `filter`, newest first (100 at most unless `filter.limit` says more). */
  list(filter?: InboxFilter): Promise<InboxEntry[]>;
  /** The entry of this id, or `undefined`. */
  get(id: string): Promise<InboxEntry | undefined>;
  /**
   * Starts over the entry of this id, or every entry matching a filter (all of them, page by
   * page): a `'dead'` or `'done'` entry becomes pending, due now, its attempts counted from
   * zero; an `'invalid'` one is read again with the parser of this version and becomes
   * pending when it is now a valid notification. Pending and running entries are left as
   * they are.
   *
   * @example
   * ```ts
   * await webhooks.inbox.replay({ status: 'dead' })
   * await webhooks.inbox.replay({ status: 'invalid', receivedAfter: upgradeDay })
   * ```
   */
  replay(idOrFilter: string | InboxFilter): Promise<ReplaySummary>;
  /**
   * Deletes the entries matching `filter` (never a running one); resolves how many. A filter
   * without `status` would delete pending notifications too: it needs `status` or
   * `receivedBefore`.
   *
   * @example
   * ```ts
   * await webhooks.inbox.purge({ status: 'done', receivedBefore: new Date(Date.now() - 7 * 86_400_000) })
   * ```
   */
  purge(filter: InboxFilter): Promise<number>;
  /** How many entries there are of each status, and the age of the oldest pending one. */
  stats(): Promise<InboxReport>;
}

const PAGE = 500;

/**
 * Creates the {@link InboxControl} of `store`; `parse` is how invalid entries are read again.
 *
 * @example
 * ```ts
 * const inbox = createInboxControl(createSqliteInbox({ path: 'inbox.sqlite' }))
 * console.log(await inbox.stats())
 * ```
 */
export function createInboxControl(store: InboxStore, parse: ParseOptions = {}): InboxControl {
  const replayOne = async (entry: InboxEntry): Promise<ReplayResult> => {
    if (entry.status !== 'invalid') return store.replay(entry.id);
    const parsed = safeParseWebhook(entry.body, parse);
    if (!parsed.success) return 'invalid';
    const { idempotencyKey, requestId, eventType } = parsed.data;
    return store.replay(entry.id, { idempotencyKey, requestId, eventType });
  };

  return {
    list: (filter) => store.list(filter ?? {}),
    async get(id) {
      if (typeof id !== 'string') throw new InvalidOptionsError('An entry id is a string');
      return store.get(id);
    },
    async replay(idOrFilter) {
      const summary: Record<ReplayResult, number> = {
        replayed: 0,
        duplicate: 0,
        busy: 0,
        invalid: 0,
        missing: 0,
      };
      if (typeof idOrFilter === 'string') {
        const entry = await store.get(idOrFilter);
        summary[entry === undefined ? 'missing' : await replayOne(entry)] += 1;
        return summary;
      }
      const filter = { ...idOrFilter, limit: PAGE };
      resolveFilter(filter);
      // Replayed entries become pending and may leave the filter: page by the last id seen.
      for (let before: string | undefined; ; ) {
        const page = await store.list(before === undefined ? filter : { ...filter, before });
        for (const entry of page) summary[await replayOne(entry)] += 1;
        if (page.length < PAGE) return summary;
        before = page[page.length - 1]!.id;
      }
    },
    async purge(filter) {
      const resolved = resolveFilter(filter);
      if (resolved.statuses === undefined && resolved.receivedBefore === undefined) {
        throw new InvalidOptionsError(
          'purge needs a filter with status or receivedBefore, so that it never deletes every pending notification by mistake',
        );
      }
      return store.purge(filter);
    },
    async stats() {
      const stats = await store.stats();
      const oldest = stats.oldestPendingAt;
      return {
        ...stats,
        oldestPendingAgeMs:
          oldest === undefined ? undefined : Math.max(0, Date.now() - oldest.getTime()),
      };
    },
  };
}
