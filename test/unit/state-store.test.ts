import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryDedupeStore,
  createMemoryStateStore,
  createWebhooks,
  InvalidOptionsError,
  type RequestState,
  type StateOptions,
  type StateStore,
  StoreUnavailableError,
} from '../../src/index.js';
import { at, describeStateStoreContract, nextRequestId, notification } from './state-contract.js';

describeStateStoreContract('createMemoryStateStore', () => createMemoryStateStore(), {
  numRuns: 300,
});

/** A memory store whose calls are recorded and can be made to fail. */
function spyStore(inner: StateStore = createMemoryStateStore()) {
  const fail = { get: false, compareAndSet: false };
  const calls: string[] = [];
  const store: StateStore = {
    async get(requestId) {
      calls.push('get');
      if (fail.get) throw new Error('get: connection refused');
      return inner.get(requestId);
    },
    async compareAndSet(requestId, expected, next) {
      calls.push('compareAndSet');
      if (fail.compareAndSet) throw new Error('compareAndSet: connection refused');
      return inner.compareAndSet(requestId, expected, next);
    },
  };
  return { store, fail, calls, inner };
}

describe('createMemoryStateStore', () => {
  it('forgets the request written least recently when full', async () => {
    const store = createMemoryStateStore({ maxEntries: 2 });
    await store.compareAndSet(1, undefined, { status: 'CREATED', occurredAt: at(1) });
    await store.compareAndSet(2, undefined, { status: 'CREATED', occurredAt: at(1) });
    await store.compareAndSet(
      1,
      { status: 'CREATED', occurredAt: at(1) },
      { status: 'ENROLLREADY', occurredAt: at(2) },
    );
    await store.compareAndSet(3, undefined, { status: 'CREATED', occurredAt: at(1) });
    expect(await store.get(2)).toBeUndefined();
    expect((await store.get(1))?.status).toBe('ENROLLREADY');
    expect((await store.get(3))?.status).toBe('CREATED');
  });

  it('hands out copies: changing one does not change the store', async () => {
    const store = createMemoryStateStore();
    const next = { status: 'CREATED', occurredAt: at(1) };
    await store.compareAndSet(1, undefined, next);
    next.occurredAt.setTime(0);
    const read = (await store.get(1))!;
    expect(read.occurredAt).toEqual(at(1));
    read.occurredAt.setTime(0);
    expect((await store.get(1))?.occurredAt).toEqual(at(1));
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects maxEntries = %s', (maxEntries) => {
    expect(() => createMemoryStateStore({ maxEntries })).toThrow(InvalidOptionsError);
  });
});

describe('createWebhooks: the state option', () => {
  it('is off by default: handlers get no verdict and results carry none', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn();
    webhooks.on('*', handler);
    const result = await webhooks.receive(notification(nextRequestId(), 'CREATED', 1));
    expect(result).toEqual({ event: result.event, duplicate: false });
    expect(handler.mock.calls[0]?.[1]).toMatchObject({
      transition: undefined,
      previous: undefined,
    });
  });

  it('uses a memory store when none is given', async () => {
    const webhooks = createWebhooks({ state: {} });
    const id = nextRequestId();
    await webhooks.receive(notification(id, 'ENROLLREADY', 2));
    const result = await webhooks.receive(notification(id, 'CREATED', 1));
    expect(result.transition).toBe('stale');
  });

  it('keeps the state of each router apart with the default store, shared when given one', async () => {
    const id = nextRequestId();
    const a = createWebhooks({ state: {} });
    const b = createWebhooks({ state: {} });
    await a.receive(notification(id, 'ENROLLREADY', 2));
    expect((await b.receive(notification(id, 'CREATED', 1))).transition).toBe('apply');
    const store = createMemoryStateStore();
    const c = createWebhooks({ state: { store } });
    const d = createWebhooks({ state: { store } });
    await c.receive(notification(id, 'ENROLLREADY', 2));
    expect((await d.receive(notification(id, 'CREATED', 1))).transition).toBe('stale');
  });

  it('freezes the stored state handlers receive', async () => {
    const webhooks = createWebhooks({ state: {} });
    const id = nextRequestId();
    let previous: RequestState | undefined;
    webhooks.on('*', (_event, context) => {
      previous = context.previous;
    });
    await webhooks.receive(notification(id, 'CREATED', 1));
    await webhooks.receive(notification(id, 'ENROLLREADY', 2));
    expect(previous).toEqual({ status: 'CREATED', occurredAt: at(1) });
    expect(Object.isFrozen(previous)).toBe(true);
  });

  it('marks a skipped notification done: its redelivery is a duplicate', async () => {
    const webhooks = createWebhooks({ state: { skip: ['stale'] } });
    const handler = vi.fn();
    webhooks.on('*', handler);
    const id = nextRequestId();
    await webhooks.receive(notification(id, 'ENROLLREADY', 2));
    expect(await webhooks.receive(notification(id, 'CREATED', 1))).toMatchObject({ skipped: true });
    const again = await webhooks.receive(notification(id, 'CREATED', 1));
    expect(again).toEqual({ event: again.event, duplicate: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it.each<[string, unknown]>([
    ['true', true],
    ['a string', 'memory'],
    ['a store without compareAndSet', { store: { get: async () => undefined } }],
    ['a skip that is not an array', { skip: 'stale' }],
    ["a skip listing 'apply'", { skip: ['apply'] }],
    ['a skip listing an unknown verdict', { skip: ['old'] }],
  ])('rejects %s', (_name, state) => {
    expect(() => createWebhooks({ state: state as StateOptions })).toThrow(InvalidOptionsError);
  });

  it('accepts false and undefined as off', () => {
    expect(() => createWebhooks({ state: false })).not.toThrow();
    expect(() => createWebhooks({ state: undefined })).not.toThrow();
  });
});

describe('createWebhooks: a failing state store', () => {
  it('answers 503 without running handlers when the read fails, and releases the claim', async () => {
    const { store, fail } = spyStore();
    const onError = vi.fn();
    const webhooks = createWebhooks({ state: { store }, onError });
    const handler = vi.fn();
    webhooks.on('*', handler);
    fail.get = true;
    const body = notification(nextRequestId(), 'CREATED', 1);
    const error = await webhooks.receive(body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toEqual(new Error('get: connection refused'));
    expect(onError).toHaveBeenCalledWith(error, expect.objectContaining({ status: 'CREATED' }));
    expect(handler).not.toHaveBeenCalled();
    fail.get = false;
    expect(await webhooks.receive(body)).toMatchObject({ duplicate: false, transition: 'apply' });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 503 when the write fails after the handlers, and does not mark the notification done', async () => {
    const { store, fail } = spyStore();
    const dedupe = createMemoryDedupeStore();
    const webhooks = createWebhooks({ dedupe: { store: dedupe }, state: { store } });
    const handler = vi.fn();
    webhooks.on('*', handler);
    fail.compareAndSet = true;
    const id = nextRequestId();
    const body = notification(id, 'CREATED', 1);
    await expect(webhooks.receive(body)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(handler).toHaveBeenCalledTimes(1);
    fail.compareAndSet = false;
    expect(await webhooks.receive(body)).toMatchObject({ duplicate: false, transition: 'apply' });
    expect(handler).toHaveBeenCalledTimes(2);
    expect((await store.get(id))?.status).toBe('CREATED');
  });

  it('does not touch the store for skipped or non-apply verdicts beyond the read', async () => {
    const { store, calls } = spyStore();
    const webhooks = createWebhooks({ dedupe: false, state: { store, skip: ['duplicate'] } });
    const id = nextRequestId();
    await webhooks.receive(notification(id, 'CREATED', 1));
    calls.length = 0;
    await webhooks.receive(notification(id, 'CREATED', 1));
    await webhooks.receive(notification(id, 'CREATED', 0));
    expect(calls).toEqual(['get', 'get']);
  });

  it.each<[string, unknown]>([
    ['a status that is not a string', { status: 1, occurredAt: new Date() }],
    ['no date', { status: 'CREATED', occurredAt: '2025-01-01' }],
    ['an invalid date', { status: 'CREATED', occurredAt: new Date(Number.NaN) }],
  ])('treats a read resolving %s as unavailable', async (_name, value) => {
    const store: StateStore = {
      get: async () => value as RequestState,
      compareAndSet: async () => true,
    };
    const webhooks = createWebhooks({ state: { store } });
    await expect(webhooks.receive(notification(1, 'CREATED', 1))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('accepts null from get as nothing stored', async () => {
    const store: StateStore = { get: async () => null, compareAndSet: async () => true };
    const webhooks = createWebhooks({ state: { store } });
    expect((await webhooks.receive(notification(1, 'CREATED', 1))).transition).toBe('apply');
  });

  it('treats a compareAndSet resolving a non-boolean as unavailable', async () => {
    const store: StateStore = {
      get: async () => undefined,
      compareAndSet: async () => 'yes' as unknown as boolean,
    };
    const webhooks = createWebhooks({ state: { store } });
    await expect(webhooks.receive(notification(1, 'CREATED', 1))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('gives up after a bounded number of conflicts in a row', async () => {
    const compareAndSet = vi.fn(async () => false);
    const store: StateStore = { get: async () => undefined, compareAndSet };
    const webhooks = createWebhooks({ state: { store } });
    const error = await webhooks.receive(notification(1, 'CREATED', 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).cause)).toMatch(/conflicted/);
    expect(compareAndSet).toHaveBeenCalledTimes(32);
  });
});

/** Stores sharing one memory store and one lock table, as instances share a database. */
function createLockingStores(): () => StateStore {
  const shared = createMemoryStateStore();
  const locks = new Map<number, { token: string; until: number }>();
  let tokens = 0;
  return () => ({
    get: (requestId) => shared.get(requestId),
    compareAndSet: (requestId, expected, next) => shared.compareAndSet(requestId, expected, next),
    async lock(requestId, ttlMs) {
      const held = locks.get(requestId);
      if (held !== undefined && held.until > Date.now()) return undefined;
      tokens += 1;
      const token = `t${tokens}`;
      locks.set(requestId, { token, until: Date.now() + ttlMs });
      return token;
    },
    async unlock(requestId, token) {
      if (locks.get(requestId)?.token === token) locks.delete(requestId);
    },
  });
}

describeStateStoreContract('a state store that locks requests', createLockingStores(), {
  numRuns: 100,
  locks: true,
});

describe('createWebhooks: a state store that locks requests', () => {
  it('refuses with InFlightError a notification whose request another instance holds too long', async () => {
    const create = createLockingStores();
    const store = create();
    const id = nextRequestId();
    const token = await store.lock!(id, 10_000);
    const webhooks = createWebhooks({ state: { store: create() }, handlerTimeoutMs: 100 });
    const handler = vi.fn();
    webhooks.on('*', handler);
    await expect(webhooks.receive(notification(id, 'VIDEOREVIEW', 2))).rejects.toMatchObject({
      code: 'in_flight',
    });
    expect(handler).not.toHaveBeenCalled();
    await store.unlock!(id, token!);
    expect(await webhooks.receive(notification(id, 'VIDEOREVIEW', 2))).toMatchObject({
      transition: 'apply',
    });
  });

  it('releases the lock after a handler failure', async () => {
    const create = createLockingStores();
    const webhooks = createWebhooks({ state: { store: create() } });
    webhooks.on('*', () => {
      throw new Error('handler failure');
    });
    const id = nextRequestId();
    await expect(webhooks.receive(notification(id, 'VIDEOREVIEW', 2))).rejects.toMatchObject({
      code: 'handler_failed',
    });
    expect(typeof (await create().lock!(id, 1_000))).toBe('string');
  });

  it('answers 503 when taking the lock fails', async () => {
    const store = {
      ...createLockingStores()(),
      lock: async () => Promise.reject(new Error('down')),
    };
    const webhooks = createWebhooks({ state: { store } });
    await expect(
      webhooks.receive(notification(nextRequestId(), 'VIDEOREVIEW', 2)),
    ).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });
});
