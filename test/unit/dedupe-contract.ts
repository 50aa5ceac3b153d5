// The behaviour every DedupeStore must have, alone and behind createWebhooks: run against the
// memory store in test/unit and against the Redis store (both clients) in test/integration,
// and against every other implementation the package has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type ClaimResult, createWebhooks, type DedupeStore } from '../../src/index.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

/** How a contract run makes stores of one implementation, and time pass for them. */
export interface DedupeHarness {
  /** A store whose keys no other test sees; two calls of `create` may share nothing. */
  create(): DedupeStore;
  /** Makes `ms` milliseconds pass for the stores `create` made (a clock, or real time). */
  wait(ms: number): Promise<void>;
  /** Two stores of one namespace, as two instances sharing a database would have. */
  pair(): [DedupeStore, DedupeStore];
}

/** A short life for keys in the expiry tests: long enough for a network round trip. */
const SHORT_MS = 200;
const LONG_MS = 60_000;

async function claimed(store: DedupeStore, key: string, ttlMs = LONG_MS): Promise<string> {
  const result = await store.claim(key, ttlMs);
  if (result.state !== 'claimed')
    throw new Error(`expected a claim of ${key}, got ${result.state}`);
  return result.token;
}

const stateOf = async (store: DedupeStore, key: string): Promise<ClaimResult['state']> =>
  (await store.claim(key, LONG_MS)).state;

/** Registers the DedupeStore contract tests for the stores `harness` makes. */
export function describeDedupeStoreContract(name: string, harness: DedupeHarness): void {
  describe(`${name}: claim, markDone and release`, () => {
    it('claims an absent key with a token, then answers in_flight, then done', async () => {
      const store = harness.create();
      const first = await store.claim('k', LONG_MS);
      expect(first).toEqual({ state: 'claimed', token: expect.any(String) });
      expect(await store.claim('k', LONG_MS)).toEqual({ state: 'in_flight' });
      await store.markDone('k', (first as { token: string }).token, LONG_MS);
      expect(await store.claim('k', LONG_MS)).toEqual({ state: 'done' });
    });

    it('keeps keys apart', async () => {
      const store = harness.create();
      await store.markDone('a', await claimed(store, 'a'), LONG_MS);
      expect(await stateOf(store, 'b')).toBe('claimed');
      expect(await stateOf(store, 'a')).toBe('done');
    });

    it('gives every claim a different token, across stores of one namespace too', async () => {
      const stores = harness.pair();
      const tokens = new Set<string>();
      for (let i = 0; i < 50; i++) tokens.add(await claimed(stores[i % 2]!, `k${i}`));
      expect(tokens.size).toBe(50);
    });

    it('lets no foreign token complete or release a claim', async () => {
      const store = harness.create();
      const token = await claimed(store, 'k');
      await store.markDone('k', 'someone-else', LONG_MS);
      await store.release('k', 'someone-else');
      await store.markDone('k', `${token}x`, LONG_MS);
      expect(await stateOf(store, 'k')).toBe('in_flight');
      await store.markDone('k', token, LONG_MS);
      expect(await stateOf(store, 'k')).toBe('done');
    });

    it("lets the owner release a claim; the key is claimed anew, and the old token can't release that", async () => {
      const store = harness.create();
      const first = await claimed(store, 'k');
      await store.release('k', first);
      const second = await claimed(store, 'k');
      expect(second).not.toBe(first);
      await store.release('k', first);
      expect(await stateOf(store, 'k')).toBe('in_flight');
    });

    it('never releases a key already done', async () => {
      const store = harness.create();
      const token = await claimed(store, 'k');
      await store.markDone('k', token, LONG_MS);
      await store.release('k', token);
      expect(await stateOf(store, 'k')).toBe('done');
    });

    it('ignores markDone and release for an unknown key', async () => {
      const store = harness.create();
      await store.markDone('nothing', 'token', LONG_MS);
      await store.release('nothing', 'token');
      expect(await stateOf(store, 'nothing')).toBe('claimed');
    });
  });

  describe(`${name}: expiry`, () => {
    it('expires a claim after its ttlMs', async () => {
      const store = harness.create();
      await claimed(store, 'k', SHORT_MS);
      expect(await stateOf(store, 'k')).toBe('in_flight');
      await harness.wait(SHORT_MS + 50);
      expect(await stateOf(store, 'k')).toBe('claimed');
    });

    it('forgets a done key after the ttlMs given to markDone', async () => {
      const store = harness.create();
      await store.markDone('k', await claimed(store, 'k'), SHORT_MS);
      expect(await stateOf(store, 'k')).toBe('done');
      await harness.wait(SHORT_MS + 50);
      expect(await stateOf(store, 'k')).toBe('claimed');
    });

    it('counts the life of a done key from markDone, not from the claim', async () => {
      const store = harness.create();
      const token = await claimed(store, 'k', SHORT_MS * 2);
      await harness.wait(SHORT_MS);
      await store.markDone('k', token, SHORT_MS * 4);
      await harness.wait(SHORT_MS * 2);
      expect(await stateOf(store, 'k')).toBe('done');
    });

    it('lets a claim be taken over once expired; the late owner can neither complete nor release it', async () => {
      const store = harness.create();
      const late = await claimed(store, 'k', SHORT_MS);
      await harness.wait(SHORT_MS + 50);
      const current = await claimed(store, 'k');
      await store.markDone('k', late, LONG_MS);
      await store.release('k', late);
      expect(await stateOf(store, 'k')).toBe('in_flight');
      await store.markDone('k', current, LONG_MS);
      expect(await stateOf(store, 'k')).toBe('done');
    });
  });

  describe(`${name}: behind createWebhooks`, () => {
    it('runs the handlers exactly once for deliveries racing through two routers', async () => {
      const handler = vi.fn(() => new Promise((resolve) => setTimeout(resolve, Math.random() * 5)));
      const routers = harness.pair().map((store) => {
        const webhooks = createWebhooks({ dedupe: { store } });
        webhooks.on('*', handler);
        return webhooks;
      });
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) => routers[i % 2]!.receive(REVIEW)),
      );
      expect(handler).toHaveBeenCalledTimes(1);
      const outcomes = results.map((result) =>
        result.status === 'rejected'
          ? (result.reason as { code: string }).code
          : result.value.duplicate
            ? 'duplicate'
            : 'handled',
      );
      expect(outcomes.filter((outcome) => outcome === 'handled')).toHaveLength(1);
      for (const outcome of outcomes)
        expect(['handled', 'duplicate', 'in_flight']).toContain(outcome);
    });

    it('runs the handlers again after a failure released the claim', async () => {
      const store = harness.create();
      const webhooks = createWebhooks({ dedupe: { store } });
      const handler = vi.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValue(undefined);
      webhooks.on('*', handler);
      await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'handler_failed' });
      expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: false });
      expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: true });
      expect(handler).toHaveBeenCalledTimes(2);
    });
  });
}
