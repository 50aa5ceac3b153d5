import { TimeoutError, withDeadline } from '../deadline.js';
import type { ClaimResult } from '../dedupe/dedupe-store.js';
import { StoreUnavailableError } from '../errors.js';
import { classifyTransition } from '../lifecycle/classify.js';
import type { RequestState } from '../state/state-store.js';
import type { DedupeSettings, StateSettings } from './options.js';

/**
 * Runs one store operation within `timeoutMs`, turning whatever goes wrong (a rejection, a
 * throw, no answer in time, an answer `check` refuses) into `StoreUnavailableError`.
 */
async function storeCall<T>(
  what: string,
  timeoutMs: number,
  operation: () => unknown,
  check: (value: unknown) => T,
): Promise<T> {
  try {
    const value = await withDeadline(
      operation(),
      timeoutMs,
      () => new TimeoutError(what, timeoutMs),
    );
    return check(value);
  } catch (cause) {
    throw cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError(cause);
  }
}

const anything = (value: unknown): unknown => value;

/**
 * The deduplication store as deliveries use it.
 *
 * @internal
 */
export interface Deduplication {
  /** The key's claim token, or the state that refused it; rejects with StoreUnavailableError. */
  claim(key: string): Promise<string | 'in_flight' | 'done'>;
  /** Marks the key done; rejects with StoreUnavailableError. */
  markDone(key: string, token: string): Promise<void>;
  /** Releases the claim; never rejects (the claim then expires by itself). */
  release(key: string, token: string): Promise<void>;
}

/** Checks what a third-party store returned, so a broken store reads as unavailable. */
function claimState(value: unknown): string | 'in_flight' | 'done' {
  const claim = value as Partial<Record<keyof ClaimResult | 'token', unknown>> | null | undefined;
  const state = claim?.state;
  if (state === 'in_flight' || state === 'done') return state;
  if (state === 'claimed' && typeof claim?.token === 'string') return claim.token;
  throw new TypeError('DedupeStore.claim resolved with an invalid result');
}

/** @internal */
export function createDeduplication(settings: DedupeSettings, timeoutMs: number): Deduplication {
  const { store, ttlMs, claimTtlMs } = settings;
  return {
    claim: (key) =>
      storeCall('DedupeStore.claim', timeoutMs, () => store.claim(key, claimTtlMs), claimState),
    markDone: (key, token) =>
      storeCall(
        'DedupeStore.markDone',
        timeoutMs,
        () => store.markDone(key, token, ttlMs),
        () => undefined,
      ),
    release: (key, token) =>
      storeCall('DedupeStore.release', timeoutMs, () => store.release(key, token), anything).then(
        () => undefined,
        () => undefined,
      ),
  };
}

/** Compare-and-set conflicts tolerated in a row before the state store counts as failing. */
const MAX_STATE_ATTEMPTS = 32;

/**
 * The state store as deliveries use it.
 *
 * @internal
 */
export interface Tracking {
  readonly skip: ReadonlySet<string>;
  /** The request's stored state; rejects with StoreUnavailableError. */
  read(requestId: number): Promise<RequestState | undefined>;
  /**
   * Stores `next` unless the stored state moved on meanwhile to something `next` does not
   * apply to; on a conflict, reads and classifies again. Rejects with StoreUnavailableError.
   */
  apply(requestId: number, expected: RequestState | undefined, next: RequestState): Promise<void>;
  /** Whether the store can lock a request across instances. */
  readonly locks: boolean;
  /**
   * Takes the request's lock for `ttlMs`: its token, or `undefined` while another holds it;
   * rejects with StoreUnavailableError.
   */
  lock(requestId: number, ttlMs: number): Promise<string | undefined>;
  /** Releases the request's lock; never rejects (the lock then expires by itself). */
  unlock(requestId: number, token: string): Promise<void>;
}

/** Checks and copies what a third-party state store returned. */
function toRequestState(value: unknown): RequestState | undefined {
  if (value === undefined || value === null) return undefined;
  const { status, occurredAt } = value as Partial<Record<string, unknown>>;
  if (
    typeof status !== 'string' ||
    !(occurredAt instanceof Date) ||
    Number.isNaN(occurredAt.getTime())
  ) {
    throw new TypeError('StateStore.get resolved with an invalid state');
  }
  return Object.freeze({ status, occurredAt: new Date(occurredAt.getTime()) });
}

function toBoolean(value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError('StateStore.compareAndSet resolved with a non-boolean');
  }
  return value;
}

/** @internal */
export function createTracking(settings: StateSettings, timeoutMs: number): Tracking {
  const { store, skip } = settings;
  const read = (requestId: number): Promise<RequestState | undefined> =>
    storeCall('StateStore.get', timeoutMs, () => store.get(requestId), toRequestState);
  const { lock, unlock } = store;
  return {
    skip,
    read,
    locks: typeof lock === 'function' && typeof unlock === 'function',
    lock: (requestId, ttlMs) =>
      storeCall(
        'StateStore.lock',
        timeoutMs,
        () => lock?.call(store, requestId, ttlMs),
        (value) => {
          if (value === undefined || value === null || typeof value === 'string') {
            return value ?? undefined;
          }
          throw new TypeError('StateStore.lock resolved with neither a token nor undefined');
        },
      ),
    unlock: (requestId, token) =>
      storeCall(
        'StateStore.unlock',
        timeoutMs,
        () => unlock?.call(store, requestId, token),
        anything,
      ).then(
        () => undefined,
        () => undefined,
      ),
    async apply(requestId, expected, next) {
      let current = expected;
      for (let attempt = 0; attempt < MAX_STATE_ATTEMPTS; attempt += 1) {
        const stored = await storeCall(
          'StateStore.compareAndSet',
          timeoutMs,
          () => store.compareAndSet(requestId, current, next),
          toBoolean,
        );
        if (stored) return;
        current = await read(requestId);
        if (classifyTransition(current, next) !== 'apply') return;
      }
      throw new StoreUnavailableError(
        new Error(`StateStore.compareAndSet conflicted ${MAX_STATE_ATTEMPTS} times in a row`),
      );
    },
  };
}
