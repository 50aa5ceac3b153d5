import { settleWithin, TimeoutError } from '../deadline.js';
import type { ClaimResult } from '../dedupe/dedupe-store.js';
import { StoreUnavailableError } from '../errors.js';
import { classifyTransition } from '../lifecycle/classify.js';
import type { DeliveryTrace, StepName } from '../observe/observer.js';
import type { RequestState } from '../state/state-store.js';
import type { DedupeSettings, StateSettings } from './options.js';

/** One store operation: what it is called in errors, and its step in a trace. */
interface Operation {
  readonly what: string;
  readonly step: StepName;
}

const OPERATIONS = {
  claim: { what: 'DedupeStore.claim', step: 'dedupe.claim' },
  markDone: { what: 'DedupeStore.markDone', step: 'dedupe.markDone' },
  release: { what: 'DedupeStore.release', step: 'dedupe.release' },
  get: { what: 'StateStore.get', step: 'state.read' },
  compareAndSet: { what: 'StateStore.compareAndSet', step: 'state.write' },
  lock: { what: 'StateStore.lock', step: 'state.lock' },
  unlock: { what: 'StateStore.unlock', step: 'state.lock' },
} as const satisfies Record<string, Operation>;

/**
 * Runs one store operation within `timeoutMs`, turning whatever goes wrong (a rejection, a
 * throw, no answer in time, an answer `check` refuses) into `StoreUnavailableError`, and
 * shows it as a step of `trace`.
 */
function storeCall<T>(
  operation: Operation,
  timeoutMs: number,
  run: () => unknown,
  check: (value: unknown) => T,
  trace: DeliveryTrace | undefined,
): Promise<T> {
  const end = trace?.step(operation.step);
  return new Promise<T>((resolve, reject) => {
    const fail = (cause: unknown): void => {
      const error =
        cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError(cause);
      end?.(error);
      reject(error);
    };
    let pending: unknown;
    try {
      pending = run();
    } catch (cause) {
      fail(cause);
      return;
    }
    settleWithin(
      pending,
      timeoutMs,
      () => new TimeoutError(operation.what, timeoutMs),
      (value) => {
        let checked: T;
        try {
          checked = check(value);
        } catch (cause) {
          fail(cause);
          return;
        }
        end?.();
        resolve(checked);
      },
      fail,
    );
  });
}

const nothing = (): undefined => undefined;

/**
 * The deduplication store as deliveries use it.
 *
 * @internal
 */
export interface Deduplication {
  /** The key's claim token, or the state that refused it; rejects with StoreUnavailableError. */
  claim(key: string, trace?: DeliveryTrace): Promise<string | 'in_flight' | 'done'>;
  /** Marks the key done; rejects with StoreUnavailableError. */
  markDone(key: string, token: string, trace?: DeliveryTrace): Promise<void>;
  /** Releases the claim; never rejects (the claim then expires by itself). */
  release(key: string, token: string, trace?: DeliveryTrace): Promise<void>;
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
    claim: (key, trace) =>
      storeCall(OPERATIONS.claim, timeoutMs, () => store.claim(key, claimTtlMs), claimState, trace),
    markDone: (key, token, trace) =>
      storeCall(
        OPERATIONS.markDone,
        timeoutMs,
        () => store.markDone(key, token, ttlMs),
        nothing,
        trace,
      ),
    release: (key, token, trace) =>
      storeCall(
        OPERATIONS.release,
        timeoutMs,
        () => store.release(key, token),
        nothing,
        trace,
      ).catch(nothing),
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
  read(requestId: number, trace?: DeliveryTrace): Promise<RequestState | undefined>;
  /**
   * Stores `next` unless the stored state moved on meanwhile to something `next` does not
   * apply to; on a conflict, reads and classifies again. Rejects with StoreUnavailableError.
   */
  apply(
    requestId: number,
    expected: RequestState | undefined,
    next: RequestState,
    trace?: DeliveryTrace,
  ): Promise<void>;
  /** Whether the store can lock a request across instances. */
  readonly locks: boolean;
  /**
   * Takes the request's lock for `ttlMs`: its token, or `undefined` while another holds it;
   * rejects with StoreUnavailableError.
   */
  lock(requestId: number, ttlMs: number, trace?: DeliveryTrace): Promise<string | undefined>;
  /** Releases the request's lock; never rejects (the lock then expires by itself). */
  unlock(requestId: number, token: string, trace?: DeliveryTrace): Promise<void>;
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

function toToken(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw new TypeError('StateStore.lock resolved with neither a token nor undefined');
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
  const read = (requestId: number, trace?: DeliveryTrace): Promise<RequestState | undefined> =>
    storeCall(OPERATIONS.get, timeoutMs, () => store.get(requestId), toRequestState, trace);
  const { lock, unlock } = store;
  return {
    skip,
    read,
    locks: typeof lock === 'function' && typeof unlock === 'function',
    lock: (requestId, ttlMs, trace) =>
      storeCall(
        OPERATIONS.lock,
        timeoutMs,
        () => lock?.call(store, requestId, ttlMs),
        toToken,
        trace,
      ),
    unlock: (requestId, token, trace) =>
      storeCall(
        OPERATIONS.unlock,
        timeoutMs,
        () => unlock?.call(store, requestId, token),
        nothing,
        trace,
      ).catch(nothing),
    async apply(requestId, expected, next, trace) {
      let current = expected;
      for (let attempt = 0; attempt < MAX_STATE_ATTEMPTS; attempt += 1) {
        const stored = await storeCall(
          OPERATIONS.compareAndSet,
          timeoutMs,
          () => store.compareAndSet(requestId, current, next),
          toBoolean,
          trace,
        );
        if (stored) return;
        current = await read(requestId, trace);
        if (classifyTransition(current, next) !== 'apply') return;
      }
      throw new StoreUnavailableError(
        new Error(`StateStore.compareAndSet conflicted ${MAX_STATE_ATTEMPTS} times in a row`),
      );
    },
  };
}
