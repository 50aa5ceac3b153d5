import { type ResolvedFilter, resolveFilter } from './filter.js';
import type { InboxEntry, InboxEntryStatus, InboxStore } from './inbox-store.js';

/** Options of {@link createMemoryInbox}. */
export interface MemoryInboxOptions {
  /**
   * The clock, in milliseconds since the epoch. Inject one to test leases and retries.
   *
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

interface Row {
  readonly id: string;
  idempotencyKey: string;
  requestId: number | undefined;
  eventType: string | undefined;
  status: InboxEntryStatus;
  attempts: number;
  readonly receivedAt: number;
  nextAttemptAt: number | undefined;
  lastError: string | undefined;
  readonly body: string;
  owner: string | undefined;
}

/** Whether `a` was received before `b` (by id, when received at the same instant). */
const before = (a: Row, b: Row): boolean =>
  a.receivedAt < b.receivedAt || (a.receivedAt === b.receivedAt && Number(a.id) < Number(b.id));

function toEntry(row: Row): InboxEntry {
  return Object.freeze({
    id: row.id,
    idempotencyKey: row.idempotencyKey,
    requestId: row.requestId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    receivedAt: new Date(row.receivedAt),
    nextAttemptAt: row.nextAttemptAt === undefined ? undefined : new Date(row.nextAttemptAt),
    lastError: row.lastError,
    body: row.body,
  });
}

/**
 * Whether `row` matches `filter`.
 *
 * @internal
 */
export function matches(row: Omit<Row, 'owner' | 'body'>, filter: ResolvedFilter): boolean {
  return (
    (filter.statuses === undefined || filter.statuses.has(row.status)) &&
    (filter.requestId === undefined || row.requestId === filter.requestId) &&
    (filter.eventType === undefined || row.eventType === filter.eventType) &&
    (filter.receivedBefore === undefined || row.receivedAt < filter.receivedBefore) &&
    (filter.receivedAfter === undefined || row.receivedAt >= filter.receivedAfter)
  );
}

/**
 * Creates an {@link InboxStore} in memory: nothing survives the process, so it suits tests
 * and trying the inbox out, never production (use `createSqliteInbox`, or PostgreSQL or
 * Redis for several instances). It follows the same contract as the durable stores: an
 * entry whose lease ran out can no longer be renewed, and keeps the other entries of its
 * request waiting until it is leased again (it goes first) and settled.
 *
 * @example
 * ```ts
 * const webhooks = createWebhooks({ inbox: { store: createMemoryInbox() } })
 * ```
 */
export function createMemoryInbox(options: MemoryInboxOptions = {}): InboxStore {
  const now = options.now ?? Date.now;
  const rows = new Map<string, Row>();
  const byKey = new Map<string, Row>();
  let lastId = 0;

  const held = (id: string, owner: string): Row | undefined => {
    const row = rows.get(id);
    return row?.status === 'running' && row.owner === owner ? row : undefined;
  };

  return {
    async add(entry) {
      const existing = byKey.get(entry.idempotencyKey);
      if (existing !== undefined) return { id: existing.id, duplicate: true };
      lastId += 1;
      const row: Row = {
        id: String(lastId),
        idempotencyKey: entry.idempotencyKey,
        requestId: entry.requestId,
        eventType: entry.eventType,
        status: entry.status,
        attempts: 0,
        receivedAt: entry.receivedAt.getTime(),
        nextAttemptAt: entry.status === 'pending' ? now() : undefined,
        lastError: entry.lastError,
        body: entry.body,
        owner: undefined,
      };
      rows.set(row.id, row);
      byKey.set(row.idempotencyKey, row);
      return { id: row.id, duplicate: false };
    },

    async lease(owner, limit, leaseMs) {
      const time = now();
      // Per request with a running entry, the one entry that may go: none while a lease is
      // live; otherwise the oldest running entry whose lease ran out, before any pending one.
      const turns = new Map<number, Row | null>();
      const due: Row[] = [];
      for (const row of rows.values()) {
        const running = row.status === 'running';
        const live = running && (row.nextAttemptAt ?? 0) > time;
        if (running && row.requestId !== undefined) {
          const turn = turns.get(row.requestId);
          if (live) turns.set(row.requestId, null);
          else if (turn === undefined || (turn !== null && before(row, turn))) {
            turns.set(row.requestId, row);
          }
        }
        if ((running && !live) || (row.status === 'pending' && (row.nextAttemptAt ?? 0) <= time)) {
          due.push(row);
        }
      }
      due.sort((a, b) => a.receivedAt - b.receivedAt || Number(a.id) - Number(b.id));
      const taken = new Set<number>();
      const leased: InboxEntry[] = [];
      for (const row of due) {
        if (leased.length >= limit) break;
        if (row.requestId !== undefined) {
          const turn = turns.get(row.requestId);
          if (taken.has(row.requestId) || (turn !== undefined && turn !== row)) continue;
          taken.add(row.requestId);
        }
        row.status = 'running';
        row.owner = owner;
        row.attempts += 1;
        row.nextAttemptAt = time + leaseMs;
        leased.push(toEntry(row));
      }
      return leased;
    },

    async renew(id, owner, leaseMs) {
      const row = held(id, owner);
      const time = now();
      // A lease that ran out is over, even before another owner takes the entry.
      if (row === undefined || (row.nextAttemptAt ?? 0) <= time) return false;
      row.nextAttemptAt = time + leaseMs;
      return true;
    },

    async settle(id, owner, outcome) {
      const row = held(id, owner);
      if (row === undefined) return false;
      row.owner = undefined;
      row.status = outcome.status;
      row.nextAttemptAt =
        outcome.status === 'pending' ? outcome.nextAttemptAt.getTime() : undefined;
      if (outcome.status !== 'done') row.lastError = outcome.error;
      return true;
    },

    async get(id) {
      const row = rows.get(id);
      return row && toEntry(row);
    },

    async list(filter) {
      const resolved = resolveFilter(filter);
      const found: InboxEntry[] = [];
      const newestFirst = [...rows.values()].reverse();
      // Ids count up, so a page goes on from an entry purged since it was read.
      const before = resolved.before === undefined ? Infinity : Number(resolved.before);
      for (const row of newestFirst) {
        if (!(Number(row.id) < before)) continue;
        if (!matches(row, resolved)) continue;
        found.push(toEntry(row));
        if (found.length >= resolved.limit) break;
      }
      return found;
    },

    async replay(id, fields) {
      const row = rows.get(id);
      if (row === undefined) return 'missing';
      if (row.status === 'pending' || row.status === 'running') return 'busy';
      if (row.status === 'invalid') {
        if (fields === undefined) return 'invalid';
        const other = byKey.get(fields.idempotencyKey);
        if (other !== undefined && other !== row) {
          row.status = 'done';
          row.lastError = `A duplicate of entry ${other.id}`;
          return 'duplicate';
        }
        byKey.delete(row.idempotencyKey);
        row.idempotencyKey = fields.idempotencyKey;
        row.requestId = fields.requestId;
        row.eventType = fields.eventType;
        byKey.set(row.idempotencyKey, row);
      }
      row.status = 'pending';
      row.attempts = 0;
      row.nextAttemptAt = now();
      return 'replayed';
    },

    async purge(filter) {
      const resolved = resolveFilter({ ...filter, limit: undefined });
      let purged = 0;
      for (const row of [...rows.values()]) {
        if (row.status === 'running' || !matches(row, resolved)) continue;
        rows.delete(row.id);
        byKey.delete(row.idempotencyKey);
        purged += 1;
      }
      return purged;
    },

    async stats() {
      const counts = { pending: 0, running: 0, done: 0, dead: 0, invalid: 0 };
      let oldest: number | undefined;
      for (const row of rows.values()) {
        counts[row.status] += 1;
        if (row.status === 'pending' && (oldest === undefined || row.receivedAt < oldest)) {
          oldest = row.receivedAt;
        }
      }
      return { ...counts, oldestPendingAt: oldest === undefined ? undefined : new Date(oldest) };
    },
  };
}
