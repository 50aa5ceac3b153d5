import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryDedupeStore,
  createMemoryStateStore,
  createWebhooks,
  type DedupeStore,
  InvalidOptionsError,
  type StateStore,
  type WebhookError,
} from '../../src/index.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const REVIEW = readFileSync(join(fixturesDir, 'videoid-3-videoid-updated-review.json'), 'utf8');

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const never = (): Promise<never> => new Promise<never>(() => {});

function gate(): { promise: Promise<void>; open: () => void; fail: (error: unknown) => void } {
  let open!: () => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** What receive rejected with, or a failure when it resolved. */
async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  return promise.then(
    () => {
      throw new Error('receive resolved');
    },
    (error: WebhookError) => error,
  );
}

describe('handlerTimeoutMs', () => {
  it('rejects with HandlerError caused by a TimeoutError when the handlers do not settle', async () => {
    const webhooks = createWebhooks({ handlerTimeoutMs: 30 });
    webhooks.on('*', never);
    const error = await rejection(webhooks.receive(REVIEW));
    expect(error).toMatchObject({ code: 'handler_failed', status: 500 });
    expect(error.cause).toMatchObject({ name: 'TimeoutError', timeoutMs: 30 });
    expect(error.message).toBe('The handlers did not settle within 30 ms');
  });

  it('keeps the claim while late handlers run, and marks the key done when they succeed', async () => {
    const webhooks = createWebhooks({ handlerTimeoutMs: 20 });
    const slow = gate();
    const handler = vi.fn(() => slow.promise);
    webhooks.on('*', handler);
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'handler_failed' });
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'in_flight' });
    slow.open();
    await tick(5);
    expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('releases the claim when late handlers fail, so that a redelivery runs them again', async () => {
    const webhooks = createWebhooks({ handlerTimeoutMs: 20 });
    const slow = gate();
    const handler = vi.fn().mockReturnValueOnce(slow.promise).mockReturnValue(undefined);
    webhooks.on('*', handler);
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'handler_failed' });
    slow.fail(new Error('late failure'));
    await tick(5);
    expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: false });
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('stores the state late handlers applied once they succeed', async () => {
    const store = createMemoryStateStore();
    const webhooks = createWebhooks({ handlerTimeoutMs: 20, state: { store } });
    const slow = gate();
    webhooks.on('*', () => slow.promise);
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'handler_failed' });
    expect(await store.get(28_634)).toBeUndefined();
    slow.open();
    await tick(5);
    expect(await store.get(28_634)).toMatchObject({ status: 'VIDEOREVIEW' });
  });

  it('reports to onError what goes wrong after the answer', async () => {
    const onError = vi.fn();
    const failing: DedupeStore = { ...createMemoryDedupeStore() };
    const inner = createMemoryDedupeStore();
    failing.claim = (key, ttl) => inner.claim(key, ttl);
    failing.markDone = async () => {
      throw new Error('markDone: connection refused');
    };
    failing.release = (key, token) => inner.release(key, token);
    const webhooks = createWebhooks({ handlerTimeoutMs: 20, dedupe: { store: failing }, onError });
    const slow = gate();
    webhooks.on('*', () => slow.promise);
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'handler_failed' });
    slow.open();
    await tick(5);
    expect(onError.mock.calls.map(([error]) => error.code)).toEqual([
      'handler_failed',
      'store_unavailable',
    ]);
  });

  it('costs synchronous handlers nothing and lets quick async ones finish', async () => {
    const webhooks = createWebhooks({ handlerTimeoutMs: 1_000 });
    webhooks.on('VIDEOREVIEW', () => {});
    webhooks.on('*', () => tick(5));
    expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: false });
  });
});

describe('storeTimeoutMs', () => {
  const slowDedupe = (method: keyof DedupeStore): DedupeStore => {
    const inner = createMemoryDedupeStore();
    return {
      claim: method === 'claim' ? never : (key, ttl) => inner.claim(key, ttl),
      markDone:
        method === 'markDone' ? never : (key, token, ttl) => inner.markDone(key, token, ttl),
      release: method === 'release' ? never : (key, token) => inner.release(key, token),
    };
  };

  it.each<keyof DedupeStore>(['claim', 'markDone'])(
    'answers StoreUnavailableError when DedupeStore.%s does not settle',
    async (method) => {
      const webhooks = createWebhooks({
        storeTimeoutMs: 30,
        dedupe: { store: slowDedupe(method) },
      });
      const handler = vi.fn();
      webhooks.on('*', handler);
      const error = await rejection(webhooks.receive(REVIEW));
      expect(error).toMatchObject({ code: 'store_unavailable', status: 503, retryAfter: 5 });
      expect(error.cause).toMatchObject({
        name: 'TimeoutError',
        message: `DedupeStore.${method} did not settle within 30 ms`,
      });
      expect(handler).toHaveBeenCalledTimes(method === 'claim' ? 0 : 1);
    },
  );

  it('still answers the handler failure when DedupeStore.release does not settle', async () => {
    const webhooks = createWebhooks({
      storeTimeoutMs: 30,
      dedupe: { store: slowDedupe('release') },
    });
    webhooks.on('*', () => {
      throw new Error('handler failure');
    });
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'handler_failed' });
  });

  it.each<keyof StateStore>(['get', 'compareAndSet'])(
    'answers StoreUnavailableError when StateStore.%s does not settle',
    async (method) => {
      const inner = createMemoryStateStore();
      const store: StateStore = {
        get: method === 'get' ? never : (id) => inner.get(id),
        compareAndSet:
          method === 'compareAndSet' ? never : (...args) => inner.compareAndSet(...args),
      };
      const webhooks = createWebhooks({ storeTimeoutMs: 30, state: { store } });
      const error = await rejection(webhooks.receive(REVIEW));
      expect(error).toMatchObject({ code: 'store_unavailable' });
      expect(error.cause).toMatchObject({ name: 'TimeoutError' });
      // Nothing was marked done: the redelivery is handled again.
      store.get = (id) => inner.get(id);
      store.compareAndSet = (...args) => inner.compareAndSet(...args);
      expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: false });
    },
  );
});

describe('timeout options', () => {
  it.each([
    ['handlerTimeoutMs', 0],
    ['handlerTimeoutMs', -1],
    ['handlerTimeoutMs', 1.5],
    ['handlerTimeoutMs', '1000'],
    ['storeTimeoutMs', 0],
    ['storeTimeoutMs', Number.NaN],
    ['storeTimeoutMs', Number.POSITIVE_INFINITY],
  ])('refuses %s = %j', (name, value) => {
    expect(() => createWebhooks({ [name]: value as number })).toThrow(InvalidOptionsError);
  });

  it('accepts positive integers', () => {
    expect(() => createWebhooks({ handlerTimeoutMs: 1, storeTimeoutMs: 60_000 })).not.toThrow();
  });
});

describe('onError', () => {
  it.each<[string, () => unknown]>([
    [
      'throws a non-Error',
      () => {
        throw 'a string';
      },
    ],
    ['never settles', never],
    ['rejects with undefined', () => Promise.reject(undefined)],
  ])('changes nothing when it %s', async (_, onError) => {
    const webhooks = createWebhooks({ onError });
    webhooks.on('*', () => {
      throw new Error('handler failure');
    });
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'handler_failed' });
    await expect(webhooks.receive('not json')).rejects.toMatchObject({ code: 'invalid_json' });
  });
});
