import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ClaimResult,
  createWebhooks,
  type DedupeStore,
  InvalidOptionsError,
  parseWebhook,
  StoreUnavailableError,
} from '../../src/index.js';
import { createRedisDedupeStore, type RedisClientLike } from '../../src/redis/index.js';
import { describeDedupeStoreContract } from '../unit/dedupe-contract.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  createTestClient,
  freePort,
  post,
  type RedisServer,
  serve,
  sleep,
  startRedisServer,
  startTcpProxy,
  type TestClient,
} from './support/redis-server.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

let prefixes = 0;
/** A key prefix no other test uses. */
const freshPrefix = (): string => `test-${process.pid}-${++prefixes}:`;

async function claimed(store: DedupeStore, key: string, ttlMs = 10_000): Promise<string> {
  const result = await store.claim(key, ttlMs);
  if (result.state !== 'claimed')
    throw new Error(`expected a claim of ${key}, got ${result.state}`);
  return result.token;
}

const stateOf = async (store: DedupeStore, key: string): Promise<ClaimResult['state']> =>
  (await store.claim(key, 10_000)).state;

describe('createRedisDedupeStore: the client', () => {
  it('recognizes ioredis by defineCommand and node-redis by sendCommand', async () => {
    const io = {
      eval: vi.fn(async () => 'claimed'),
      defineCommand: () => {},
      sendCommand: () => {},
    };
    await createRedisDedupeStore(io).claim('k', 1_500.5);
    expect(io.eval).toHaveBeenCalledWith(
      expect.stringContaining('SET'),
      1,
      'uanataca-webhooks:dedupe:k',
      expect.stringMatching(/^claimed:/),
      '1501',
    );
    const node = { eval: vi.fn(async () => 'done'), sendCommand: () => {} };
    expect(await createRedisDedupeStore(node, { prefix: 'p:' }).claim('k', 10)).toEqual({
      state: 'done',
    });
    expect(node.eval).toHaveBeenCalledWith(expect.stringContaining('SET'), {
      keys: ['p:dedupe:k'],
      arguments: [expect.stringMatching(/^claimed:/), '10'],
    });
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['an object without eval', { get: () => {} }],
    ['an unknown client', { eval: () => {} }],
  ])('rejects %s', (_name, client) => {
    expect(() => createRedisDedupeStore(client as RedisClientLike)).toThrow(InvalidOptionsError);
  });

  it('rejects a prefix that is not a string', () => {
    const client = { eval: async () => 0, sendCommand: () => {} };
    expect(() => createRedisDedupeStore(client, { prefix: 1 as unknown as string })).toThrow(
      InvalidOptionsError,
    );
  });

  it('rejects an unexpected reply, so that the router answers 503', async () => {
    const client = { eval: async () => 'maybe', sendCommand: () => {} };
    const webhooks = createWebhooks({ dedupe: { store: createRedisDedupeStore(client) } });
    await expect(webhooks.receive(REVIEW)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('decodes replies given as bytes', async () => {
    const reply = new TextEncoder().encode('in_flight');
    const client = { eval: async () => reply, sendCommand: () => {} };
    expect(await createRedisDedupeStore(client).claim('k', 10)).toEqual({ state: 'in_flight' });
  });
});

for (const kind of CLIENT_KINDS) {
  // A client of this kind, and one of the other kind, as two instances might have.
  let client: TestClient | undefined;
  let other: TestClient | undefined;
  beforeAll(async () => {
    client = createTestClient(kind, redis.port);
    other = createTestClient(kind === 'ioredis' ? 'node-redis' : 'ioredis', redis.port);
    await Promise.all([client.ready(), other.ready()]);
  });
  afterAll(async () => {
    await client?.close();
    await other?.close();
  });
  describeDedupeStoreContract(`createRedisDedupeStore with ${kind}`, {
    create: () => createRedisDedupeStore(client!.client, { prefix: freshPrefix() }),
    wait: sleep,
    pair: () => {
      const prefix = freshPrefix();
      return [
        createRedisDedupeStore(client!.client, { prefix }),
        createRedisDedupeStore(other!.client, { prefix }),
      ];
    },
  });
}

describe.each(CLIENT_KINDS)('createRedisDedupeStore with %s', (kind: ClientKind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = createTestClient(kind, redis.port);
    await client.ready();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('namespaces its keys under the prefix, each with an expiry', async () => {
    const prefix = freshPrefix();
    const store = createRedisDedupeStore(client.client, { prefix });
    const token = await claimed(store, 'a', 30_000);
    await store.markDone('b', await claimed(store, 'b'), 3_600_000);
    expect((await client.keys(`${prefix}*`)).sort()).toEqual([
      `${prefix}dedupe:a`,
      `${prefix}dedupe:b`,
    ]);
    expect(await client.get(`${prefix}dedupe:a`)).toBe(`claimed:${token}`);
    expect(await client.get(`${prefix}dedupe:b`)).toBe('done');
    const [a, b] = [await client.pttl(`${prefix}dedupe:a`), await client.pttl(`${prefix}dedupe:b`)];
    expect(a).toBeGreaterThan(25_000);
    expect(a).toBeLessThanOrEqual(30_000);
    expect(b).toBeGreaterThan(3_500_000);
    // Another prefix is another namespace.
    expect(
      await stateOf(createRedisDedupeStore(client.client, { prefix: freshPrefix() }), 'b'),
    ).toBe('claimed');
  });

  it('uses the default prefix', async () => {
    const store = createRedisDedupeStore(client.client);
    const key = `default-prefix-${kind}-${process.pid}`;
    await claimed(store, key);
    expect(await client.get(`uanataca-webhooks:dedupe:${key}`)).toMatch(/^claimed:/);
  });
});

/** Posts `body` until the answer is 200, for at most `timeoutMs`. */
async function postUntilOk(url: string, body: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await post(url, body);
    if (response.status === 200 || Date.now() > deadline) return response;
    await sleep(50);
  }
}

describe.each(CLIENT_KINDS)(
  'an unavailable Redis, with %s, through createNodeMiddleware',
  (kind) => {
    it('answers 503 promptly when nothing listens on the Redis port, running no handler', async () => {
      const client = createTestClient(kind, await freePort());
      const handler = vi.fn();
      const webhooks = createWebhooks({ dedupe: { store: createRedisDedupeStore(client.client) } });
      webhooks.on('*', handler);
      const server = await serve(webhooks);
      try {
        const started = Date.now();
        const response = await post(server.url, REVIEW);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(response.status).toBe(503);
        expect(response.retryAfter).toMatch(/^\d+$/);
        expect(response.body).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
        expect(handler).not.toHaveBeenCalled();
      } finally {
        await server.close();
        await client.close();
      }
    });

    it('answers 503 promptly while Redis is stopped, and processes the redelivery once it is back', async () => {
      const own = await startRedisServer();
      const client = createTestClient(kind, own.port);
      await client.ready();
      const handler = vi.fn();
      const webhooks = createWebhooks({ dedupe: { store: createRedisDedupeStore(client.client) } });
      webhooks.on('*', handler);
      const server = await serve(webhooks);
      try {
        await own.stop();
        for (let i = 0; i < 3; i++) {
          const started = Date.now();
          const response = await post(server.url, REVIEW);
          expect(Date.now() - started).toBeLessThan(1_000);
          expect(response.status).toBe(503);
          expect(response.retryAfter).toMatch(/^\d+$/);
        }
        expect(handler).not.toHaveBeenCalled();

        await own.start();
        await client.ready();
        const response = await postUntilOk(server.url, REVIEW);
        expect(response).toMatchObject({ status: 200, body: { ok: true } });
        expect(response.body.duplicate).toBeUndefined();
        expect(handler).toHaveBeenCalledTimes(1);
        expect((await post(server.url, REVIEW)).body).toEqual({ ok: true, duplicate: true });
        expect(handler).toHaveBeenCalledTimes(1);
      } finally {
        await server.close();
        await client.close();
        await own.stop();
      }
    });

    it('answers 503 when Redis is lost during the handler, and marks nothing done', async () => {
      const proxy = await startTcpProxy(redis.port);
      const client = createTestClient(kind, proxy.port);
      const admin = createTestClient(kind, redis.port);
      await Promise.all([client.ready(), admin.ready()]);
      const prefix = freshPrefix();
      const key = `${prefix}dedupe:${parseWebhook(REVIEW).idempotencyKey}`;
      const handler = vi.fn().mockImplementationOnce(() => proxy.cut());
      const webhooks = createWebhooks({
        dedupe: { store: createRedisDedupeStore(client.client, { prefix }), claimTtlMs: 500 },
      });
      webhooks.on('*', handler);
      const server = await serve(webhooks);
      try {
        const started = Date.now();
        const response = await post(server.url, REVIEW);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(response.status).toBe(503);
        expect(handler).toHaveBeenCalledTimes(1);
        // The claim could not be completed (nor released): it expires by itself.
        expect(await admin.get(key)).toMatch(/^claimed:/);

        await proxy.restore();
        await client.ready();
        await sleep(500);
        const again = await postUntilOk(server.url, REVIEW);
        expect(again).toMatchObject({ status: 200, body: { ok: true } });
        expect(again.body.duplicate).toBeUndefined();
        expect(handler).toHaveBeenCalledTimes(2);
        expect(await admin.get(key)).toBe('done');
      } finally {
        await server.close();
        await client.close();
        await admin.close();
        await proxy.close();
      }
    });

    it('answers 503 when Redis stops answering, within the client timeout', async () => {
      const proxy = await startTcpProxy(redis.port);
      const client = createTestClient(kind, proxy.port);
      await client.ready();
      const handler = vi.fn();
      const webhooks = createWebhooks({
        dedupe: {
          store: createRedisDedupeStore(client.client, { prefix: freshPrefix() }),
          claimTtlMs: 500,
        },
      });
      webhooks.on('*', handler);
      const server = await serve(webhooks);
      try {
        proxy.stall();
        const started = Date.now();
        const response = await post(server.url, REVIEW);
        // The test clients time out after 1 s (ioredis commandTimeout, node-redis socketTimeout).
        expect(Date.now() - started).toBeLessThan(2_500);
        expect(response.status).toBe(503);
        expect(handler).not.toHaveBeenCalled();
        // The claim that timed out reaches Redis once the network is back: redeliveries are
        // answered 409 until it expires, then processed.
        await proxy.restore();
        await client.ready();
        const again = await postUntilOk(server.url, REVIEW);
        expect(again.status).toBe(200);
        expect(again.body.duplicate).toBeUndefined();
        expect(handler).toHaveBeenCalledTimes(1);
      } finally {
        await server.close();
        await client.close();
        await proxy.close();
      }
    });
  },
);
