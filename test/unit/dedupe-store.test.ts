import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ClaimResult,
  createMemoryDedupeStore,
  type DedupeStore,
  InvalidOptionsError,
} from '../../src/index.js';
import { describeDedupeStoreContract } from './dedupe-contract.js';

/** A store on a clock the test moves by hand. */
function storeAt(start = 1_000_000, maxEntries?: number) {
  const clock = { time: start };
  const store = createMemoryDedupeStore({
    now: () => clock.time,
    ...(maxEntries && { maxEntries }),
  });
  return { store, clock };
}

async function claimed(store: DedupeStore, key: string, ttlMs = 1_000): Promise<string> {
  const result = await store.claim(key, ttlMs);
  if (result.state !== 'claimed')
    throw new Error(`expected ${key} to be claimed, got ${result.state}`);
  return result.token;
}

async function done(store: DedupeStore, key: string, ttlMs = 10_000): Promise<void> {
  await store.markDone(key, await claimed(store, key), ttlMs);
}

const stateOf = async (store: DedupeStore, key: string): Promise<ClaimResult['state']> =>
  (await store.claim(key, 1_000)).state;

/** The clock of the stores the contract run makes. */
const contractClock = { time: 1_000_000 };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describeDedupeStoreContract('createMemoryDedupeStore', {
  create: () => createMemoryDedupeStore({ now: () => contractClock.time }),
  wait: async (ms) => {
    contractClock.time += ms;
  },
  pair: () => {
    // Two routers of one process sharing the store.
    const store = createMemoryDedupeStore({ now: () => contractClock.time });
    return [store, store];
  },
});

describe('createMemoryDedupeStore: tokens and timers', () => {
  it('gives every claim a different token, across separate stores too', async () => {
    const one = createMemoryDedupeStore();
    const two = createMemoryDedupeStore();
    const tokens = new Set<string>();
    for (let i = 0; i < 100; i++) {
      tokens.add(await claimed(one, `k${i}`));
      tokens.add(await claimed(two, `k${i}`));
    }
    expect(tokens.size).toBe(200);
  });

  it('makes tokens without crypto.randomUUID', async () => {
    vi.stubGlobal('crypto', undefined);
    const one = createMemoryDedupeStore();
    const two = createMemoryDedupeStore();
    const a = await claimed(one, 'k');
    const b = await claimed(two, 'k');
    expect(a).not.toBe(b);
  });

  it('starts no timer', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const { store } = storeAt(0, 2);
    for (const key of ['a', 'b', 'c']) await done(store, key);
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    expect(setIntervalSpy).not.toHaveBeenCalled();
  });
});

describe('createMemoryDedupeStore: size bound', () => {
  it('keeps at most maxEntries keys, forgetting the oldest', async () => {
    const { store } = storeAt(0, 100);
    for (let i = 0; i < 1_000; i++) await done(store, `k${i}`);
    // Newest first, because claiming a forgotten key stores it again.
    for (let i = 999; i >= 900; i--) expect(await stateOf(store, `k${i}`)).toBe('done');
    expect(await stateOf(store, 'k899')).toBe('claimed');
  });

  it('keeps 10 000 keys by default', async () => {
    const { store } = storeAt();
    for (let i = 0; i <= 10_000; i++) await done(store, `k${i}`);
    expect(await stateOf(store, 'k1')).toBe('done');
    expect(await stateOf(store, 'k0')).toBe('claimed');
  });

  it('evicts an expired entry before a live one', async () => {
    const { store, clock } = storeAt(0, 3);
    await done(store, 'long', 10_000);
    await done(store, 'short', 100);
    await done(store, 'other', 10_000);
    clock.time = 100;
    await claimed(store, 'new');
    expect(await stateOf(store, 'other')).toBe('done');
    expect(await stateOf(store, 'long')).toBe('done');
  });

  it('evicts a done entry before a live claim, even an older claim', async () => {
    const { store } = storeAt(0, 3);
    await claimed(store, 'running', 60_000);
    await done(store, 'a');
    await done(store, 'b');
    await claimed(store, 'new');
    expect(await stateOf(store, 'running')).toBe('in_flight');
    expect(await stateOf(store, 'b')).toBe('done');
    expect(await stateOf(store, 'new')).toBe('in_flight');
  });

  it('evicts the oldest claim when every entry is a live claim', async () => {
    const { store } = storeAt(0, 2);
    await claimed(store, 'a');
    await claimed(store, 'b');
    await claimed(store, 'c');
    expect(await stateOf(store, 'c')).toBe('in_flight');
    expect(await stateOf(store, 'b')).toBe('in_flight');
    expect(await stateOf(store, 'a')).toBe('claimed');
  });

  it('counts markDone as a write: the least recently written key goes first', async () => {
    const { store } = storeAt(0, 2);
    const a = await claimed(store, 'a');
    await done(store, 'b');
    await store.markDone('a', a, 10_000);
    await claimed(store, 'c');
    expect(await stateOf(store, 'a')).toBe('done');
  });

  it('keeps evicting the least recently written done key after many rewrites', async () => {
    const { store, clock } = storeAt(0, 50);
    // Every key is done, expires, and is done again, many times over.
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 50; i++) await done(store, `k${i}`, 10);
      clock.time += 20;
    }
    for (let i = 49; i >= 0; i--) await done(store, `k${i}`, 100_000);
    for (let i = 0; i < 5; i++) await done(store, `new${i}`, 100_000);
    // Written last to first: k49..k45 were the least recently written and went first.
    for (let i = 44; i >= 0; i--) expect(await stateOf(store, `k${i}`), `k${i}`).toBe('done');
    for (let i = 45; i < 50; i++) expect(await stateOf(store, `k${i}`), `k${i}`).not.toBe('done');
  });

  it.each([0, -1, 1.5, Number.NaN, '10'])('rejects maxEntries = %s', (maxEntries) => {
    expect(() => createMemoryDedupeStore({ maxEntries: maxEntries as number })).toThrow(
      InvalidOptionsError,
    );
  });

  it('rejects a now that is not a function', () => {
    expect(() => createMemoryDedupeStore({ now: 5 as never })).toThrow(InvalidOptionsError);
  });
});
