import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryDedupeStore,
  createWebhooks,
  InvalidOptionsError,
  parseWebhook,
  StoreUnavailableError,
} from '../../src/index.js';
import {
  createRedisDedupeStore,
  createRedisStateStore,
  type RedisClientLike,
} from '../../src/redis/index.js';
import {
  at,
  describeStateStoreContract,
  nextRequestId,
  notification,
} from '../unit/state-contract.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  createTestClient,
  freePort,
  type TestClient,
  useRedisServer,
} from './support/redis-server.js';

const shared = useRedisServer();
const client = (kind: ClientKind): TestClient => shared.client(kind);

for (const kind of CLIENT_KINDS) {
  describeStateStoreContract(
    `createRedisStateStore with ${kind}`,
    () => createRedisStateStore(client(kind).client, { prefix: `state-test-${process.pid}:` }),
    { numRuns: 40, locks: true },
  );
}

describe('createRedisStateStore: options', () => {
  const fake: RedisClientLike = { eval: async () => [null, null], sendCommand: () => {} };

  it.each([0, -1, 1.5, Number.NaN, '1d'])('rejects ttlMs = %s', (ttlMs) => {
    expect(() => createRedisStateStore(fake, { ttlMs: ttlMs as number })).toThrow(
      InvalidOptionsError,
    );
  });

  it('rejects an unknown client', () => {
    expect(() => createRedisStateStore({} as RedisClientLike)).toThrow(InvalidOptionsError);
  });

  it.each<[string, unknown]>([
    ['not an array', 'OK'],
    ['a status without a time', ['CREATED', null]],
    ['a time that is not a number', ['CREATED', 'soon']],
  ])('rejects a malformed stored state (%s), so that the router answers 503', async (_, reply) => {
    // Locks are taken (1); the read gets the malformed reply.
    const store = createRedisStateStore({
      eval: async (script: string) => (script.includes('HMGET') ? reply : 1),
      sendCommand: () => {},
    });
    const webhooks = createWebhooks({ state: { store } });
    await expect(webhooks.receive(notification(1, 'CREATED', 1))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});

describe.each(CLIENT_KINDS)('createRedisStateStore with %s: keys', (kind) => {
  it('keeps each request in a hash under the prefix, with an expiry renewed on every write', async () => {
    const prefix = `state-keys-${kind}-${process.pid}:`;
    const store = createRedisStateStore(client(kind).client, { prefix, ttlMs: 60_000 });
    const id = nextRequestId();
    await store.compareAndSet(id, undefined, { status: 'CREATED', occurredAt: at(1) });
    const key = `${prefix}state:${id}`;
    expect(await client(kind).keys(`${prefix}*`)).toEqual([key]);
    const ttl = await client(kind).pttl(key);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const longer = createRedisStateStore(client(kind).client, { prefix, ttlMs: 3_600_000 });
    await longer.compareAndSet(
      id,
      { status: 'CREATED', occurredAt: at(1) },
      { status: 'ENROLLREADY', occurredAt: at(2) },
    );
    expect(await client(kind).pttl(key)).toBeGreaterThan(3_500_000);
  });

  it('keeps a lock under <prefix>lock:<requestId> for its ttl, and deletes it on unlock', async () => {
    const prefix = `state-lock-${kind}-${process.pid}:`;
    const store = createRedisStateStore(client(kind).client, { prefix });
    const id = nextRequestId();
    const token = await store.lock!(id, 60_000);
    expect(await client(kind).get(`${prefix}lock:${id}`)).toBe(token);
    expect(await client(kind).pttl(`${prefix}lock:${id}`)).toBeGreaterThan(50_000);
    await store.unlock!(id, token!);
    expect(await client(kind).keys(`${prefix}*`)).toEqual([]);
  });

  it('forgets a request after ttlMs', async () => {
    const store = createRedisStateStore(client(kind).client, { ttlMs: 100 });
    const id = nextRequestId();
    await store.compareAndSet(id, undefined, { status: 'CREATED', occurredAt: at(1) });
    expect(await store.get(id)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store.get(id)).toBeUndefined();
  });

  it('is shared by routers on different clients, ioredis and node-redis alike', async () => {
    const [io, node] = CLIENT_KINDS.map((one) =>
      createWebhooks({
        state: { store: createRedisStateStore(client(one).client), skip: ['stale'] },
      }),
    );
    const handler = vi.fn();
    node!.on('*', handler);
    const id = nextRequestId();
    await io!.receive(notification(id, 'ENROLLREADY', 2));
    expect(await node!.receive(notification(id, 'VIDEOREVIEW', 1))).toMatchObject({
      transition: 'stale',
      skipped: true,
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 503 with nothing stored and no handler run when Redis is unreachable', async () => {
    const dead = createTestClient(kind, await freePort());
    try {
      const handler = vi.fn();
      const dedupe = createMemoryDedupeStore();
      const webhooks = createWebhooks({
        dedupe: { store: dedupe },
        state: { store: createRedisStateStore(dead.client) },
      });
      webhooks.on('*', handler);
      const started = Date.now();
      await expect(webhooks.receive(notification(1, 'CREATED', 1))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(handler).not.toHaveBeenCalled();
      // The claim was released: the notification is not done.
      const { idempotencyKey } = parseWebhook(notification(1, 'CREATED', 1));
      expect((await dedupe.claim(idempotencyKey, 1_000)).state).toBe('claimed');
    } finally {
      await dead.close();
    }
  });

  it('works with a Redis dedupe store on the same client', async () => {
    const prefix = `state-dedupe-${kind}-${process.pid}:`;
    const webhooks = createWebhooks({
      dedupe: { store: createRedisDedupeStore(client(kind).client, { prefix }) },
      state: { store: createRedisStateStore(client(kind).client, { prefix }) },
    });
    const id = nextRequestId();
    const body = notification(id, 'CREATED', 1);
    expect(await webhooks.receive(body)).toMatchObject({ duplicate: false, transition: 'apply' });
    expect(await webhooks.receive(body)).toEqual({
      event: expect.anything(),
      duplicate: true,
    });
    expect((await client(kind).keys(`${prefix}*`)).length).toBe(2);
  });
});
