import { InvalidOptionsError } from '../errors.js';
import { positiveInteger } from '../options.js';
import { createTokenSource } from './claim-token.js';
import type { ClaimResult, DedupeStore } from './dedupe-store.js';

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

/** A key's entry: created by a claim, turned done in place by its owner. */
interface Entry {
  readonly key: string;
  /** The owner's token while claimed. */
  readonly token: string;
  done: boolean;
  /** Removed from the store: the queue of done entries skips it. */
  gone: boolean;
  expiresAt: number;
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
  const maxEntries = positiveInteger(options.maxEntries, 10_000, 'maxEntries');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new InvalidOptionsError('now must be a function');

  // Map keeps insertion order and a claim (re-)inserts its key (a done mark changes its entry
  // in place), so iteration runs from the oldest claim.
  const entries = new Map<string, Entry>();
  const nextToken = createTokenSource();
  // A lower bound of every expiry: until then no entry can have expired, so a full sweep
  // would find nothing and is skipped.
  let earliestExpiry = Number.POSITIVE_INFINITY;

  // Done entries in the order they were marked, for eviction: a queue rather than a scan of
  // the Map, whose iteration from the front slows down as deleted slots pile up there.
  // Entries removed since are skipped.
  let doneQueue: Entry[] = [];
  let head = 0;

  /** Drops the queue's items before `head`, and those of entries removed since. */
  const compactQueue = (): void => {
    doneQueue = doneQueue.slice(head).filter((one) => !one.gone);
    head = 0;
  };

  const remove = (entry: Entry): void => {
    entry.gone = true;
    entries.delete(entry.key);
  };

  /** Forgets the oldest done entry still held; `false` when there is none. */
  const evictOldestDone = (): boolean => {
    while (head < doneQueue.length) {
      const entry = doneQueue[head++]!;
      if (!entry.gone) {
        remove(entry);
        if (head > 1024 && head * 2 > doneQueue.length) compactQueue();
        return true;
      }
    }
    return false;
  };

  const makeRoom = (time: number): void => {
    if (time >= earliestExpiry) {
      earliestExpiry = Number.POSITIVE_INFINITY;
      for (const entry of entries.values()) {
        if (entry.expiresAt <= time) remove(entry);
        else if (entry.expiresAt < earliestExpiry) earliestExpiry = entry.expiresAt;
      }
      if (entries.size < maxEntries) return;
    }
    // Forgetting a done key risks running a late redelivery again; forgetting a live claim
    // risks running a notification twice at once, so claims go last. When no done entry is
    // left, every entry is a claim and the Map's first one is the oldest.
    if (evictOldestDone()) return;
    const oldestClaim = entries.values().next();
    if (!oldestClaim.done) remove(oldestClaim.value);
  };

  /** The entry `token` holds for `key`, while it holds it. */
  const owned = (key: string, token: string): Entry | undefined => {
    const entry = entries.get(key);
    return entry !== undefined && entry.token === token && !entry.done ? entry : undefined;
  };

  return {
    async claim(key, ttlMs) {
      // A key built by concatenation is a tree of string pieces in V8, several times the
      // size of its text and slower to hash; reading a character makes it one flat string.
      key.charCodeAt(0);
      const time = now();
      const held = entries.get(key);
      if (held !== undefined) {
        if (held.expiresAt > time) return held.done ? DONE : IN_FLIGHT;
        remove(held);
      }
      if (entries.size >= maxEntries) makeRoom(time);
      const expiresAt = time + ttlMs;
      if (expiresAt < earliestExpiry) earliestExpiry = expiresAt;
      const token = nextToken();
      entries.set(key, { key, token, done: false, gone: false, expiresAt });
      return { state: 'claimed', token };
    },

    async markDone(key, token, ttlMs) {
      const entry = owned(key, token);
      if (entry === undefined) return;
      entry.done = true;
      entry.expiresAt = now() + ttlMs;
      if (entry.expiresAt < earliestExpiry) earliestExpiry = entry.expiresAt;
      doneQueue.push(entry);
      // Items of entries removed since pile up when the store never fills: drop them.
      if (doneQueue.length - head > 2 * maxEntries + 1024) compactQueue();
    },

    async release(key, token) {
      const entry = owned(key, token);
      if (entry !== undefined) remove(entry);
    },
  };
}
