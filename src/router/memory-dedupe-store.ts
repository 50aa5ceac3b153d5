import { InvalidOptionsError } from '../errors.js';
import type { ClaimResult, DedupeStore } from './dedupe-store.js';
import { createTokenSource } from './random-id.js';

/** Options of {@link createMemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /**
   * How many keys the store holds at most. When it is full, a new key evicts expired
   * entries first, then the oldest done one, and only when every entry is a live claim,
   * the oldest claim.
   *
   * @default 10_000
   */
  maxEntries?: number | undefined;
  /**
   * The clock, in milliseconds since the epoch. Inject one to test expiry.
   *
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

interface Entry {
  readonly state: 'claimed' | 'done';
  readonly token: string;
  readonly expiresAt: number;
}

/**
 * Done entries in the order they were written, for eviction: a queue rather than a scan of
 * the Map, whose iteration from the front slows down as deleted slots pile up there.
 */
interface DoneQueue {
  keys: string[];
  entries: Entry[];
  head: number;
}

const IN_FLIGHT: ClaimResult = Object.freeze({ state: 'in_flight' });
const DONE: ClaimResult = Object.freeze({ state: 'done' });

/**
 * Creates a {@link DedupeStore} that keeps its keys in memory: the default of
 * `createWebhooks`. It deduplicates the deliveries one process receives; when several
 * processes or instances share a webhook URL, give them a shared store instead.
 *
 * Its size is bounded by `maxEntries`, and entries expire lazily, when they are read or
 * when room is needed: it starts no timer, so it never keeps a process alive.
 *
 * @throws {InvalidOptionsError} when `maxEntries` is not a positive integer or `now` is not a
 * function.
 * @example
 * ```ts
 * const webhooks = createWebhooks({ dedupe: { store: createMemoryDedupeStore({ maxEntries: 50_000 }) } })
 * ```
 */
export function createMemoryDedupeStore(options: MemoryDedupeStoreOptions = {}): DedupeStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new InvalidOptionsError('maxEntries must be a positive integer');
  }
  if (typeof now !== 'function') throw new InvalidOptionsError('now must be a function');

  // Map keeps insertion order and every write re-inserts its key, so iteration runs from the
  // least recently written entry.
  const entries = new Map<string, Entry>();
  const nextToken = createTokenSource();
  // A lower bound of every expiry: until then no entry can have expired, so a full sweep
  // would find nothing and is skipped.
  let earliestExpiry = Number.POSITIVE_INFINITY;

  const done: DoneQueue = { keys: [], entries: [], head: 0 };

  const write = (key: string, entry: Entry): void => {
    entries.delete(key);
    entries.set(key, entry);
    if (entry.expiresAt < earliestExpiry) earliestExpiry = entry.expiresAt;
    if (entry.state === 'done') {
      done.keys.push(key);
      done.entries.push(entry);
      // Items of rewritten or expired keys pile up when the store never fills: drop them.
      if (done.keys.length - done.head > 2 * maxEntries + 1024) rebuildDone();
    }
  };

  const rebuildDone = (): void => {
    const keys: string[] = [];
    const held: Entry[] = [];
    for (let i = done.head; i < done.keys.length; i++) {
      const key = done.keys[i]!;
      const entry = done.entries[i]!;
      if (entries.get(key) === entry) {
        keys.push(key);
        held.push(entry);
      }
    }
    done.keys = keys;
    done.entries = held;
    done.head = 0;
  };

  /** Forgets the oldest done entry still held; `false` when there is none. */
  const evictOldestDone = (): boolean => {
    while (done.head < done.keys.length) {
      const key = done.keys[done.head]!;
      const entry = done.entries[done.head]!;
      done.head += 1;
      // Skip queue items whose key was rewritten or removed since.
      if (entries.get(key) === entry) {
        entries.delete(key);
        compact();
        return true;
      }
    }
    compact();
    return false;
  };

  const compact = (): void => {
    if (done.head > 1024 && done.head * 2 > done.keys.length) {
      done.keys = done.keys.slice(done.head);
      done.entries = done.entries.slice(done.head);
      done.head = 0;
    }
  };

  const makeRoom = (time: number): void => {
    if (time >= earliestExpiry) {
      earliestExpiry = Number.POSITIVE_INFINITY;
      for (const [key, entry] of entries) {
        if (entry.expiresAt <= time) entries.delete(key);
        else if (entry.expiresAt < earliestExpiry) earliestExpiry = entry.expiresAt;
      }
      if (entries.size < maxEntries) return;
    }
    // Forgetting a done key risks running a late redelivery again; forgetting a live claim
    // risks running a notification twice at once, so claims go last.
    if (evictOldestDone()) return;
    const oldestClaim = entries.keys().next();
    if (!oldestClaim.done) entries.delete(oldestClaim.value);
  };

  return {
    async claim(key, ttlMs) {
      const time = now();
      const entry = entries.get(key);
      if (entry !== undefined) {
        if (entry.expiresAt > time) return entry.state === 'done' ? DONE : IN_FLIGHT;
        entries.delete(key);
      }
      if (entries.size >= maxEntries) makeRoom(time);
      const token = nextToken();
      write(key, { state: 'claimed', token, expiresAt: time + ttlMs });
      return { state: 'claimed', token };
    },

    async markDone(key, token, ttlMs) {
      const entry = entries.get(key);
      if (entry?.state !== 'claimed' || entry.token !== token) return;
      write(key, { state: 'done', token, expiresAt: now() + ttlMs });
    },

    async release(key, token) {
      const entry = entries.get(key);
      if (entry?.state === 'claimed' && entry.token === token) entries.delete(key);
    },
  };
}
