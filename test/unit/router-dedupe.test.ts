import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  type ClaimResult,
  createMemoryDedupeStore,
  createWebhooks,
  type DedupeStore,
  HandlerError,
  InFlightError,
  isWebhookError,
  StoreUnavailableError,
  type WebhookHandler,
} from '../../src/index.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixturesDir, name), 'utf8');

const REVIEW = fixture('videoid-3-videoid-updated-review.json');
const ENROLLED = fixture('classic-3-request-enrolled.json');

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A memory store whose calls are recorded and can be made to fail. */
function spyStore(inner: DedupeStore = createMemoryDedupeStore()) {
  const fail = { claim: false, markDone: false, release: false };
  const calls: [string, ...unknown[]][] = [];
  const store: DedupeStore = {
    async claim(key, ttlMs) {
      calls.push(['claim', key, ttlMs]);
      if (fail.claim) throw new Error('claim: connection refused');
      return inner.claim(key, ttlMs);
    },
    async markDone(key, token, ttlMs) {
      calls.push(['markDone', key, token, ttlMs]);
      if (fail.markDone) throw new Error('markDone: connection refused');
      return inner.markDone(key, token, ttlMs);
    },
    async release(key, token) {
      calls.push(['release', key, token]);
      if (fail.release) throw new Error('release: connection refused');
      return inner.release(key, token);
    },
  };
  return { store, fail, calls, inner };
}

/**
 * Starts a delivery of REVIEW on a router whose claims last 1 s, lets the claim expire while
 * `handler` runs, and starts a second delivery that takes the claim over.
 */
async function takeOver(handler: WebhookHandler) {
  let time = 0;
  const store = createMemoryDedupeStore({ now: () => time });
  const webhooks = createWebhooks({ dedupe: { store, claimTtlMs: 1_000 } });
  webhooks.on('*', handler);
  const late = webhooks.receive(REVIEW);
  await tick();
  time = 1_000;
  const takeover = webhooks.receive(REVIEW);
  await tick();
  return { webhooks, late, takeover };
}

describe('receive: duplicates', () => {
  it('runs the handlers once and resolves duplicate: true for a redelivery', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn();
    webhooks.on('*', handler);
    const first = await webhooks.receive(REVIEW);
    const second = await webhooks.receive(REVIEW);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.event.idempotencyKey).toBe(first.event.idempotencyKey);
    expect(second.event.status).toBe('VIDEOREVIEW');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('recognizes a redelivery whatever form its body takes', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn();
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    expect((await webhooks.receive(JSON.parse(REVIEW))).duplicate).toBe(true);
    expect((await webhooks.receive(new TextEncoder().encode(REVIEW))).duplicate).toBe(true);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('handles different notifications separately', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn();
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    const other = await webhooks.receive(ENROLLED);
    expect(other.duplicate).toBe(false);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('keeps deduplication per router with the default store', async () => {
    const handler = vi.fn();
    const a = createWebhooks();
    const b = createWebhooks();
    a.on('*', handler);
    b.on('*', handler);
    await a.receive(REVIEW);
    await b.receive(REVIEW);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('shares deduplication between routers given one store', async () => {
    const store = createMemoryDedupeStore();
    const handler = vi.fn();
    const a = createWebhooks({ dedupe: { store } });
    const b = createWebhooks({ dedupe: { store } });
    a.on('*', handler);
    b.on('*', handler);
    await a.receive(REVIEW);
    expect((await b.receive(REVIEW)).duplicate).toBe(true);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('forgets a handled notification after ttlMs', async () => {
    let time = 1_000_000;
    const store = createMemoryDedupeStore({ now: () => time });
    const webhooks = createWebhooks({ dedupe: { store, ttlMs: 60_000 } });
    const handler = vi.fn();
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    time += 59_999;
    expect((await webhooks.receive(REVIEW)).duplicate).toBe(true);
    time += 1;
    expect((await webhooks.receive(REVIEW)).duplicate).toBe(false);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('runs the handlers on every delivery with dedupe: false', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const handler = vi.fn();
    webhooks.on('*', handler);
    const results = [await webhooks.receive(REVIEW), await webhooks.receive(REVIEW)];
    expect(results.map((r) => r.duplicate)).toEqual([false, false]);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('runs concurrent deliveries side by side with dedupe: false', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const gate = deferred();
    let running = 0;
    let most = 0;
    webhooks.on('*', async () => {
      running += 1;
      most = Math.max(most, running);
      await gate.promise;
      running -= 1;
    });
    const all = Promise.all([webhooks.receive(REVIEW), webhooks.receive(REVIEW)]);
    await tick();
    gate.resolve();
    expect((await all).map((r) => r.duplicate)).toEqual([false, false]);
    expect(most).toBe(2);
  });
});

describe('receive: a delivery in progress', () => {
  it('rejects a second delivery with InFlightError while the first is running', async () => {
    const onError = vi.fn();
    const webhooks = createWebhooks({ onError });
    const gate = deferred();
    const handler = vi.fn(() => gate.promise);
    webhooks.on('VIDEOREVIEW', handler);

    const first = webhooks.receive(REVIEW);
    await tick();
    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InFlightError);
    expect(error).toMatchObject({ code: 'in_flight', status: 409 });
    expect((error as InFlightError).retryAfter).toBeGreaterThan(0);
    expect(isWebhookError(error)).toBe(true);
    expect(onError).toHaveBeenCalledWith(error, expect.objectContaining({ status: 'VIDEOREVIEW' }));

    gate.resolve();
    expect((await first).duplicate).toBe(false);
    expect((await webhooks.receive(REVIEW)).duplicate).toBe(true);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('takes over a claim that outlived claimTtlMs (a crashed delivery)', async () => {
    let time = 0;
    const store = createMemoryDedupeStore({ now: () => time });
    const webhooks = createWebhooks({ dedupe: { store, claimTtlMs: 1_000 } });
    const hung = deferred();
    const handler = vi.fn().mockImplementationOnce(() => hung.promise);
    webhooks.on('*', handler);

    void webhooks.receive(REVIEW);
    await tick();
    time = 999;
    await expect(webhooks.receive(REVIEW)).rejects.toBeInstanceOf(InFlightError);
    time = 1_000;
    await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: false });
    expect(handler).toHaveBeenCalledTimes(2);
    hung.resolve();
  });

  it('does not let a delivery whose claim was taken over mark the key done', async () => {
    const first = deferred();
    const second = deferred();
    const handler = vi
      .fn()
      .mockImplementationOnce(() => first.promise)
      .mockImplementationOnce(() => second.promise);
    const { webhooks, late, takeover } = await takeOver(handler);
    first.resolve();
    await expect(late).resolves.toMatchObject({ duplicate: false });
    // The second delivery still holds the key: it is in flight, not done.
    await expect(webhooks.receive(REVIEW)).rejects.toBeInstanceOf(InFlightError);
    second.resolve();
    await expect(takeover).resolves.toMatchObject({ duplicate: false });
    await expect(webhooks.receive(REVIEW)).resolves.toEqual(
      expect.objectContaining({ duplicate: true }),
    );
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('does not let a failing delivery whose claim was taken over release the new claim', async () => {
    const first = deferred();
    const second = deferred();
    const handler = vi
      .fn()
      .mockImplementationOnce(async () => {
        await first.promise;
        throw new Error('late failure');
      })
      .mockImplementationOnce(() => second.promise);
    const { webhooks, late, takeover } = await takeOver(handler);
    first.resolve();
    await expect(late).rejects.toBeInstanceOf(HandlerError);
    await expect(webhooks.receive(REVIEW)).rejects.toBeInstanceOf(InFlightError);
    second.resolve();
    await expect(takeover).resolves.toMatchObject({ duplicate: false });
  });

  it("does not let a call without the router's claim token release or complete it", async () => {
    const store = createMemoryDedupeStore();
    const webhooks = createWebhooks({ dedupe: { store } });
    const hung = deferred();
    webhooks.on('*', () => hung.promise);
    const delivery = webhooks.receive(REVIEW);
    await tick();
    const { event } = await createWebhooks({ dedupe: false }).receive(REVIEW);
    const key = event.idempotencyKey;
    await store.release(key, undefined as never);
    await store.markDone(key, undefined as never, 60_000);
    await expect(store.claim(key, 60_000)).resolves.toEqual({ state: 'in_flight' });
    hung.resolve();
    await expect(delivery).resolves.toMatchObject({ duplicate: false });
    await expect(store.claim(key, 60_000)).resolves.toEqual({ state: 'done' });
  });

  it('shares one state between the router and direct calls of the store', async () => {
    const store = createMemoryDedupeStore();
    const webhooks = createWebhooks({ dedupe: { store } });
    webhooks.on('*', () => {});
    const { event } = await webhooks.receive(REVIEW);
    await expect(store.claim(event.idempotencyKey, 1_000)).resolves.toEqual({ state: 'done' });

    const other = await webhooks.receive(ENROLLED).then((result) => result.event);
    const key = `${other.idempotencyKey}:direct`;
    const claim = await store.claim(key, 60_000);
    expect(claim.state).toBe('claimed');
    await expect(store.claim(key, 60_000)).resolves.toEqual({ state: 'in_flight' });
    await store.markDone(key, (claim as { token: string }).token, 60_000);
    await expect(store.claim(key, 60_000)).resolves.toEqual({ state: 'done' });
  });

  it('runs handlers exactly once for hundreds of simultaneous identical deliveries', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn(() => tick(5));
    webhooks.on('VIDEOREVIEW', handler);
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, () => webhooks.receive(REVIEW)),
    );
    expect(handler).toHaveBeenCalledTimes(1);
    const handled = results.filter((r) => r.status === 'fulfilled' && !r.value.duplicate);
    expect(handled).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(InFlightError);
      else if (result !== handled[0]) expect(result.value.duplicate).toBe(true);
    }
  });

  it('runs handlers exactly once through a slow asynchronous store, whatever the body form', async () => {
    const inner = createMemoryDedupeStore();
    const jitter = () => tick(Math.floor(Math.random() * 4));
    const store: DedupeStore = {
      async claim(key, ttlMs) {
        await jitter();
        const result = await inner.claim(key, ttlMs);
        await jitter();
        return result;
      },
      async markDone(key, token, ttlMs) {
        await jitter();
        await inner.markDone(key, token, ttlMs);
      },
      async release(key, token) {
        await jitter();
        await inner.release(key, token);
      },
    };
    const webhooks = createWebhooks({ dedupe: { store } });
    const handler = vi.fn(() => jitter());
    webhooks.on('*', handler);
    const bodies = [REVIEW, JSON.parse(REVIEW), new TextEncoder().encode(REVIEW)];
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => webhooks.receive(bodies[i % 3])),
    );
    expect(handler).toHaveBeenCalledTimes(1);
    const outcomes = results.map((r) =>
      r.status === 'rejected'
        ? (r.reason as { code: string }).code
        : r.value.duplicate
          ? 'duplicate'
          : 'handled',
    );
    expect(outcomes.filter((o) => o === 'handled')).toHaveLength(1);
    expect(outcomes.every((o) => ['handled', 'duplicate', 'in_flight'].includes(o))).toBe(true);
  });
});

describe('receive: a handler failure', () => {
  it('releases the claim so that a redelivery runs the handlers again', async () => {
    const onError = vi.fn();
    const webhooks = createWebhooks({ onError });
    const boom = new Error('database down');
    const first = vi.fn().mockRejectedValueOnce(boom);
    const second = vi.fn();
    webhooks.on('*', first);
    webhooks.on('*', second);

    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as HandlerError).cause).toBe(boom);
    expect(onError).toHaveBeenCalledWith(error, expect.objectContaining({ status: 'VIDEOREVIEW' }));
    expect(second).not.toHaveBeenCalled();

    await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: false });
    expect(first).toHaveBeenCalledTimes(2);
    expect(second).toHaveBeenCalledTimes(1);
    await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: true });
    expect(first).toHaveBeenCalledTimes(2);
  });

  it('releases with the token of its own claim and never marks the key done', async () => {
    const { store, calls, inner } = spyStore();
    const claimSpy = vi.spyOn(inner, 'claim');
    const webhooks = createWebhooks({ dedupe: { store } });
    webhooks.on('*', () => {
      throw new Error('boom');
    });
    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    const { token } = (await claimSpy.mock.results[0]!.value) as { token: string };
    const key = calls[0]?.[1];
    expect(calls).toEqual([
      ['claim', key, 300_000],
      ['release', key, token],
    ]);
  });

  it('still rejects with the HandlerError when the release fails', async () => {
    const { store, fail } = spyStore();
    fail.release = true;
    const onError = vi.fn();
    const webhooks = createWebhooks({ dedupe: { store }, onError });
    webhooks.on('*', () => {
      throw new Error('boom');
    });
    await expect(webhooks.receive(REVIEW)).rejects.toBeInstanceOf(HandlerError);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0]).toBeInstanceOf(HandlerError);
  });
});

describe('receive: the store', () => {
  it('claims for claimTtlMs and marks done for ttlMs, by default 5 minutes and 24 hours', async () => {
    const { store, calls } = spyStore();
    const webhooks = createWebhooks({ dedupe: { store } });
    const { event } = await webhooks.receive(REVIEW);
    const [claim, markDone] = calls;
    expect(claim).toEqual(['claim', event.idempotencyKey, 5 * 60 * 1000]);
    expect(markDone).toEqual(['markDone', event.idempotencyKey, expect.any(String), 86_400_000]);
    expect(calls).toHaveLength(2);
  });

  it('passes the configured durations and the token of the claim', async () => {
    const { store, calls, inner } = spyStore();
    const claimSpy = vi.spyOn(inner, 'claim');
    const webhooks = createWebhooks({ dedupe: { store, ttlMs: 3_600_000, claimTtlMs: 30_000 } });
    await webhooks.receive(REVIEW);
    const { token } = (await claimSpy.mock.results[0]!.value) as { token: string };
    expect(calls.map((c) => c.slice(2))).toEqual([[30_000], [token, 3_600_000]]);
  });

  it('rejects with StoreUnavailableError (503) when the claim fails, running no handler', async () => {
    const { store, fail } = spyStore();
    fail.claim = true;
    const onError = vi.fn();
    const handler = vi.fn();
    const webhooks = createWebhooks({ dedupe: { store }, onError });
    webhooks.on('*', handler);
    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect((error as Error).cause).toEqual(new Error('claim: connection refused'));
    expect(handler).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith(error, expect.objectContaining({ status: 'VIDEOREVIEW' }));
  });

  it('rejects with StoreUnavailableError when markDone fails, and nothing is marked done', async () => {
    const { store, fail, calls } = spyStore();
    fail.markDone = true;
    const handler = vi.fn();
    const webhooks = createWebhooks({ dedupe: { store } });
    webhooks.on('*', handler);
    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toEqual(new Error('markDone: connection refused'));
    expect(calls.map(([method]) => method)).toEqual(['claim', 'markDone', 'release']);

    fail.markDone = false;
    await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: false });
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['an unknown state', { state: 'maybe' }],
    ['a claim without a token', { state: 'claimed' }],
  ])('treats a store whose claim resolves %s as unavailable', async (_, result) => {
    const store: DedupeStore = {
      claim: async () => result as ClaimResult,
      markDone: async () => {},
      release: async () => {},
    };
    const handler = vi.fn();
    const webhooks = createWebhooks({ dedupe: { store } });
    webhooks.on('*', handler);
    await expect(webhooks.receive(REVIEW)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(handler).not.toHaveBeenCalled();
  });

  it('treats a store whose claim throws synchronously as unavailable', async () => {
    const store: DedupeStore = {
      claim: () => {
        throw new Error('not connected');
      },
      markDone: async () => {},
      release: async () => {},
    };
    await expect(createWebhooks({ dedupe: { store } }).receive(REVIEW)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('resolves duplicate: true without a handler when the store says done', async () => {
    const store: DedupeStore = {
      claim: async () => ({ state: 'done' }),
      markDone: vi.fn(async () => {}),
      release: vi.fn(async () => {}),
    };
    const handler = vi.fn();
    const webhooks = createWebhooks({ dedupe: { store } });
    webhooks.on('*', handler);
    await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: true });
    expect(handler).not.toHaveBeenCalled();
    expect(store.markDone).not.toHaveBeenCalled();
    expect(store.release).not.toHaveBeenCalled();
  });
});
