// What the receiver answers while PostgreSQL is stopped, unreachable or stalled, and that it
// recovers by itself once the database is back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createMemoryDedupeStore,
  createWebhooks,
  StoreUnavailableError,
  TimeoutError,
} from '../../src/index.js';
import {
  createPostgresDedupeStore,
  createPostgresInbox,
  createPostgresStateStore,
} from '../../src/postgres/index.js';
import { nextRequestId, notification } from '../unit/state-contract.js';
import {
  createPool,
  freshPrefix,
  type PostgresServer,
  startPostgresServer,
} from './support/postgres-server.js';
import { freePort, post, serve, sleep, startTcpProxy } from './support/redis-server.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

let server: PostgresServer;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await server?.destroy();
});

/** A pool the test suite ends, connecting to `port` (the server's, or a proxy's). */
function pool(port = server.port): pg.Pool {
  const one = createPool({ ...server, port }, { connectionTimeoutMillis: 1_000 });
  pools.push(one);
  return one;
}

/** Posts `body` until the answer is 200, for at most `timeoutMs`. */
async function postUntilOk(url: string, body: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await post(url, body);
    if (response.status === 200 || Date.now() > deadline) return response;
    await sleep(50);
  }
}

/** Posts `body` and expects 503 with Retry-After, within `withinMs`. */
async function expectUnavailable(url: string, body: string, withinMs: number): Promise<void> {
  const started = Date.now();
  const response = await post(url, body);
  expect(Date.now() - started).toBeLessThan(withinMs);
  expect(response.status).toBe(503);
  expect(response.retryAfter).toMatch(/^\d+$/);
  expect(response.body).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
}

describe('PostgreSQL unavailable, through createNodeMiddleware', () => {
  it('answers 503 promptly when nothing listens on the database port', async () => {
    const handler = vi.fn();
    const webhooks = createWebhooks({
      dedupe: { store: createPostgresDedupeStore(pool(await freePort())) },
    });
    webhooks.on('*', handler);
    const http = await serve(webhooks);
    try {
      await expectUnavailable(http.url, REVIEW, 2_500);
      expect(handler).not.toHaveBeenCalled();
    } finally {
      await http.close();
    }
  });

  it('answers 503 while PostgreSQL is stopped, then handles the redelivery once it is back', async () => {
    const own = await startPostgresServer();
    const shared = createPool(own, { connectionTimeoutMillis: 1_000 });
    const tablePrefix = freshPrefix();
    const handler = vi.fn();
    const webhooks = createWebhooks({
      dedupe: { store: createPostgresDedupeStore(shared, { tablePrefix }) },
      state: { store: createPostgresStateStore(shared, { tablePrefix }) },
    });
    webhooks.on('*', handler);
    const http = await serve(webhooks);
    try {
      // The tables exist before the outage, as in production.
      const first = notification(nextRequestId(), 'VIDEOPENDING', 1);
      expect((await post(http.url, first)).status).toBe(200);
      await own.stop();
      for (let i = 0; i < 3; i++) await expectUnavailable(http.url, REVIEW, 2_500);
      expect(handler).toHaveBeenCalledTimes(1);

      await own.start();
      const response = await postUntilOk(http.url, REVIEW);
      expect(response).toMatchObject({ status: 200, body: { ok: true } });
      expect(response.body.duplicate).toBeUndefined();
      expect(handler).toHaveBeenCalledTimes(2);
      expect((await post(http.url, REVIEW)).body).toEqual({ ok: true, duplicate: true });
    } finally {
      await http.close();
      await shared.end();
      await own.destroy();
    }
  });

  it('answers 503 within timeoutMs when PostgreSQL stops answering, and recovers', async () => {
    const proxy = await startTcpProxy(server.port);
    const through = pool(proxy.port);
    const tablePrefix = freshPrefix();
    const handler = vi.fn();
    const webhooks = createWebhooks({
      dedupe: { store: createMemoryDedupeStore(), claimTtlMs: 500 },
      state: { store: createPostgresStateStore(through, { tablePrefix, timeoutMs: 500 }) },
    });
    webhooks.on('*', handler);
    const http = await serve(webhooks);
    try {
      const id = nextRequestId();
      expect((await post(http.url, notification(id, 'VIDEOPENDING', 1))).status).toBe(200);
      proxy.stall();
      await expectUnavailable(http.url, notification(id, 'VIDEOREVIEW', 2), 2_000);
      expect(handler).toHaveBeenCalledTimes(1);
      await proxy.restore();
      const again = await postUntilOk(http.url, notification(id, 'VIDEOREVIEW', 2));
      expect(again.status).toBe(200);
      expect(handler).toHaveBeenCalledTimes(2);
      const store = createPostgresStateStore(pool(), { tablePrefix });
      expect((await store.get(id))?.status).toBe('VIDEOREVIEW');
    } finally {
      await http.close();
      await proxy.close();
    }
  });

  it('answers 503 when the connection is cut during the handler, marks nothing done, and runs it again later', async () => {
    const proxy = await startTcpProxy(server.port);
    const through = pool(proxy.port);
    const tablePrefix = freshPrefix();
    const handler = vi.fn().mockImplementationOnce(() => proxy.cut());
    const webhooks = createWebhooks({
      dedupe: { store: createPostgresDedupeStore(through, { tablePrefix }), claimTtlMs: 500 },
    });
    webhooks.on('*', handler);
    const http = await serve(webhooks);
    try {
      await expectUnavailable(http.url, REVIEW, 2_500);
      expect(handler).toHaveBeenCalledTimes(1);
      await proxy.restore();
      const again = await postUntilOk(http.url, REVIEW);
      expect(again).toMatchObject({ status: 200, body: { ok: true } });
      expect(again.body.duplicate).toBeUndefined();
      expect(handler).toHaveBeenCalledTimes(2);
    } finally {
      await http.close();
      await proxy.close();
    }
  });

  it('rejects a stalled operation with StoreUnavailableError caused by a TimeoutError', async () => {
    const proxy = await startTcpProxy(server.port);
    const store = createPostgresInbox(pool(proxy.port), {
      tablePrefix: freshPrefix(),
      timeoutMs: 300,
    });
    try {
      expect((await store.stats()).pending).toBe(0);
      proxy.stall();
      const started = Date.now();
      const error = await store.stats().catch((caught: unknown) => caught);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).cause).toBeInstanceOf(TimeoutError);
      expect((error as StoreUnavailableError).cause).toMatchObject({ timeoutMs: 300 });
    } finally {
      await proxy.restore();
      await proxy.close();
    }
  });

  it('answers 503 for the inbox while PostgreSQL is stopped; recorded notifications are handled once it is back', async () => {
    const own = await startPostgresServer();
    const shared = createPool(own, { connectionTimeoutMillis: 1_000 });
    const handled: string[] = [];
    const webhooks = createWebhooks({
      inbox: {
        store: createPostgresInbox(shared, { tablePrefix: freshPrefix() }),
        pollMs: 50,
        leaseMs: 1_000,
        retryDelayMs: { min: 20, max: 50 },
      },
    });
    // The first notification is recorded, then its handler waits for the outage to end.
    let release = (): void => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    webhooks.on('*', async (event) => {
      if (event.status === 'VIDEOPENDING') await released;
      handled.push(event.status);
    });
    const http = await serve(webhooks);
    try {
      const id = nextRequestId();
      expect((await post(http.url, notification(id, 'VIDEOPENDING', 1))).status).toBe(200);
      await own.stop();
      await expectUnavailable(http.url, notification(id, 'VIDEOREVIEW', 2), 2_500);
      release();
      await own.start();
      expect((await postUntilOk(http.url, notification(id, 'VIDEOREVIEW', 2))).status).toBe(200);
      await vi.waitFor(() => expect(handled).toContain('VIDEOREVIEW'), 15_000);
      // The first one's settlement was lost with the database: its lease runs out, and it is
      // handled again (at least once).
      expect(handled).toContain('VIDEOPENDING');
    } finally {
      await webhooks.inbox.stop({ drain: false });
      await http.close();
      await shared.end();
      await own.destroy();
    }
  });

  describe('what a stalled operation leaves behind once the network is back', () => {
    /** A proxy to the server, a pool through it, and a pool straight to the server. */
    async function stalling() {
      const proxy = await startTcpProxy(server.port);
      return { proxy, through: pool(proxy.port), direct: pool() };
    }

    it('a claim that committed after its deadline is released', async () => {
      const { proxy, through, direct } = await stalling();
      const tablePrefix = freshPrefix();
      const store = createPostgresDedupeStore(through, { tablePrefix, timeoutMs: 300 });
      const other = createPostgresDedupeStore(direct, { tablePrefix });
      try {
        expect((await store.claim('warm-up', 60_000)).state).toBe('claimed');
        proxy.stall();
        await expect(store.claim('k', 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
        await proxy.restore();
        // Without the release, the late claim would hold the key for a minute.
        await vi.waitFor(
          async () => expect((await other.claim('k', 60_000)).state).toBe('claimed'),
          {
            timeout: 10_000,
            interval: 100,
          },
        );
      } finally {
        await proxy.close();
      }
    });

    it('a lock taken after its deadline is released', async () => {
      const { proxy, through, direct } = await stalling();
      const tablePrefix = freshPrefix();
      const store = createPostgresStateStore(through, { tablePrefix, timeoutMs: 300 });
      const other = createPostgresStateStore(direct, { tablePrefix });
      const id = nextRequestId();
      try {
        await store.get(id);
        proxy.stall();
        await expect(store.lock!(id, 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
        await proxy.restore();
        await vi.waitFor(
          async () => expect(typeof (await other.lock!(id, 60_000))).toBe('string'),
          {
            timeout: 10_000,
            interval: 100,
          },
        );
      } finally {
        await proxy.close();
      }
    });

    it('entries leased after the deadline are pending again, their attempt not counted', async () => {
      const { proxy, through, direct } = await stalling();
      const tablePrefix = freshPrefix();
      const store = createPostgresInbox(through, { tablePrefix, timeoutMs: 300 });
      const other = createPostgresInbox(direct, { tablePrefix });
      try {
        const { id } = await store.add({
          idempotencyKey: 'stalled-lease',
          requestId: nextRequestId(),
          status: 'pending',
          receivedAt: new Date(),
          body: '{}',
        });
        proxy.stall();
        await expect(store.lease('w1', 10, 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
        await proxy.restore();
        await vi.waitFor(
          async () => {
            const leased = await other.lease('w2', 10, 60_000);
            expect(leased).toMatchObject([{ id, attempts: 1 }]);
          },
          { timeout: 10_000, interval: 100 },
        );
      } finally {
        await proxy.close();
      }
    });
  });
});
