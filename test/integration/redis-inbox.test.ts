// The Redis inbox on a real redis-server, with both clients: the InboxStore contract, the key
// layout, routers behind node:http recording into it, Redis paused or crashed under them, and
// two routers sharing one inbox.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createWebhooks,
  type InboxEntry,
  type InboxOptions,
  type InboxStore,
  InvalidOptionsError,
  parseWebhook,
  StoreUnavailableError,
  type Webhooks,
} from '../../src/index.js';
import {
  createRedisInbox,
  createRedisStateStore,
  type RedisClientLike,
} from '../../src/redis/index.js';
import { describeInboxStoreContract } from '../unit/inbox-contract.js';
import { FLOWS, nextRequestId, notification } from '../unit/state-contract.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  createClusterClient,
  createTestClient,
  type RedisCluster,
  type RedisServer,
  serve,
  sleep,
  startRedisCluster,
  startRedisServer,
  type TestClient,
  useRedisServer,
} from './support/redis-server.js';

const shared = useRedisServer();
const client = (kind: ClientKind): TestClient => shared.client(kind);
const otherKind = (kind: ClientKind): ClientKind => (kind === 'ioredis' ? 'node-redis' : 'ioredis');

let prefixes = 0;
/** A key prefix no other test uses, with a hash tag as a Cluster needs. */
const freshPrefix = (): string => `{inbox-test-${process.pid}-${++prefixes}}:`;

/** Waits until `condition` holds, failing after `timeoutMs`. */
async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** Posts `body`; resolves with the status and the parsed JSON answer. */
async function post(url: string, body: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', body });
  return { status: response.status, body: await response.json() };
}

const routers: Webhooks[] = [];
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  shared.server.resume();
  if (!shared.server.running) await shared.server.start();
  for (const router of routers.splice(0)) await router.inbox?.stop({ drain: false });
  for (const server of servers.splice(0)) await server.close();
});

/** A router recording into `store`, with quick polls and retries, stopped after the test. */
function inboxRouter(store: InboxStore, inbox: Omit<InboxOptions, 'store'> = {}): Webhooks {
  const webhooks = createWebhooks({
    inbox: { pollMs: 50, retryDelayMs: { min: 20, max: 100 }, ...inbox, store },
  });
  routers.push(webhooks);
  return webhooks;
}

async function served(webhooks: Webhooks): Promise<string> {
  const server = await serve(webhooks);
  servers.push(server);
  return server.url;
}

for (const kind of CLIENT_KINDS) {
  describeInboxStoreContract(`createRedisInbox with ${kind}`, {
    create: () => createRedisInbox(client(kind).client, { prefix: freshPrefix() }),
    // Two clients, one of each library, on one server: two processes sharing the inbox.
    pair: () => {
      const prefix = freshPrefix();
      return [
        createRedisInbox(client(kind).client, { prefix }),
        createRedisInbox(client(otherKind(kind)).client, { prefix }),
      ];
    },
    // Leases and due times come from the server's clock, which is this machine's.
    now: () => Date.now(),
    wait: sleep,
  });
}

describe('createRedisInbox on a Redis Cluster of three primaries', () => {
  let cluster: RedisCluster | undefined;
  const handles = new Map<ClientKind, Awaited<ReturnType<typeof createClusterClient>>>();
  beforeAll(async () => {
    cluster = await startRedisCluster();
    for (const kind of CLIENT_KINDS)
      handles.set(kind, await createClusterClient(kind, cluster.ports));
  });
  afterAll(async () => {
    for (const handle of handles.values()) await handle.close();
    await cluster?.stop();
  });
  const on = (kind: ClientKind): RedisClientLike => handles.get(kind)!.client;

  for (const kind of CLIENT_KINDS) {
    // The default prefix carries the hash tag that keeps every key of the inbox in one slot.
    describeInboxStoreContract(`createRedisInbox with an ${kind} cluster client`, {
      create: () => createRedisInbox(on(kind), { prefix: freshPrefix() }),
      pair: () => {
        const prefix = freshPrefix();
        return [
          createRedisInbox(on(kind), { prefix }),
          createRedisInbox(on(otherKind(kind)), { prefix }),
        ];
      },
      now: () => Date.now(),
      wait: sleep,
    });
  }

  it.each(CLIENT_KINDS)(
    'works with the default prefix, and fails with one without a hash tag (%s)',
    async (kind) => {
      const entry = {
        idempotencyKey: `cluster-${Math.random()}`,
        status: 'pending' as const,
        receivedAt: new Date(),
        body: '{}',
      };
      const store = createRedisInbox(on(kind));
      const { id } = await store.add(entry);
      expect(await store.get(id)).toMatchObject({ status: 'pending' });
      expect(await store.purge({ status: 'pending' })).toBeGreaterThanOrEqual(1);
      expect(await store.get(id)).toBeUndefined();
      // Keys of one script spread over several slots, on several nodes.
      await expect(createRedisInbox(on(kind), { prefix: 'no-tag:' }).add(entry)).rejects.toThrow(
        /non local key|same slot|CROSSSLOT/i,
      );
    },
  );
});

describe('createRedisInbox: options', () => {
  /** A client that records the keys of every script and answers `reply`. */
  function recording(reply: unknown): { client: RedisClientLike; keys: string[][] } {
    const keys: string[][] = [];
    return {
      keys,
      client: {
        eval: async (_script: string, options: { keys: string[] }) => {
          keys.push(options.keys);
          return reply;
        },
        sendCommand: () => {},
      },
    };
  }

  it('keeps its keys under {uanataca-webhooks}:inbox: by default, a hash tag for Redis Cluster', async () => {
    const { client: fake, keys } = recording([0, 0, 0, 0, 0, null]);
    await createRedisInbox(fake).stats();
    await createRedisInbox(fake, { prefix: '{billing}:' }).stats();
    expect(keys).toEqual([['{uanataca-webhooks}:inbox:'], ['{billing}:inbox:']]);
  });

  it.each<[string, unknown]>([
    ['a prefix that is not a string', { prefix: 42 }],
    ['timeoutMs = 0', { timeoutMs: 0 }],
    ['timeoutMs = 1.5', { timeoutMs: 1.5 }],
  ])('rejects %s', (_, options) => {
    const { client: fake } = recording(null);
    expect(() => createRedisInbox(fake, options as never)).toThrow(InvalidOptionsError);
  });

  it('rejects an unknown client', () => {
    expect(() => createRedisInbox({} as RedisClientLike)).toThrow(InvalidOptionsError);
  });

  it.each<[string, unknown]>([
    ['not an array', 'OK'],
    ['a row of the wrong length', ['1', 'k']],
    ['an unknown status', ['1', 'k', null, null, 'lost', '0', '0', null, null, '{}']],
  ])('rejects a malformed entry (%s)', async (_, reply) => {
    const { client: fake } = recording(reply);
    await expect(createRedisInbox(fake).get('1')).rejects.toThrow(TypeError);
  });

  it('lists nothing before an id that is not a number, asking Redis nothing', async () => {
    const { client: fake, keys } = recording(null);
    expect(await createRedisInbox(fake).list({ before: 'abc' })).toEqual([]);
    expect(keys).toEqual([]);
  });
});

describe.each(CLIENT_KINDS)('createRedisInbox with %s: keys and bounds', (kind) => {
  const pendingEntry = (requestId: number | undefined, receivedAt = new Date()) => {
    const key = `k-${Math.random()}`;
    return {
      idempotencyKey: key,
      requestId,
      eventType: 'REQUEST_UPDATED',
      status: 'pending' as const,
      receivedAt,
      body: `{"key":"${key}"}`,
    };
  };

  it('keeps its keys under <prefix>inbox:, and a purge of everything leaves only the id counter', async () => {
    const prefix = freshPrefix();
    const store = createRedisInbox(client(kind).client, { prefix });
    const request = nextRequestId();
    const a = await store.add(pendingEntry(request));
    const b = await store.add(pendingEntry(undefined));
    await store.add({ ...pendingEntry(undefined), status: 'invalid', lastError: 'bad' });
    await store.lease('w1', 10, 60_000);
    await store.settle(a.id, 'w1', { status: 'done' });
    await store.settle(b.id, 'w1', {
      status: 'pending',
      nextAttemptAt: new Date(Date.now() + 60_000),
      error: 'E',
    });
    const base = `${prefix}inbox:`;
    expect((await client(kind).keys(`${prefix}*`)).sort()).toEqual(
      [
        'id',
        'keys',
        'all',
        'e:1',
        'e:2',
        'e:3',
        's:done',
        's:pending',
        's:invalid',
        `r:${request}`,
        'pending',
        'delayed',
      ]
        .map((key) => base + key)
        .sort(),
    );
    expect(await client(kind).get(`${base}id`)).toBe('3');
    expect(await store.purge({ status: ['done', 'pending', 'dead', 'invalid'] })).toBe(3);
    expect(await client(kind).keys(`${prefix}*`)).toEqual([`${base}id`]);
  });

  it('pages through more entries than one script looks at, for list and purge alike', async () => {
    const store = createRedisInbox(client(kind).client, { prefix: freshPrefix() });
    const request = nextRequestId();
    const ids: string[] = [];
    const start = Date.now() - 60_000;
    for (let i = 0; i < 1_250; i++) {
      const entry = pendingEntry(i % 250 === 0 ? request : undefined, new Date(start + i));
      ids.push((await store.add(entry)).id);
    }
    // Five entries of the request among 1 250: the request's own index finds them at once.
    const mine = await store.list({ requestId: request });
    expect(mine.map((entry) => entry.id)).toEqual(ids.filter((_, i) => i % 250 === 0).reverse());
    // Each script looks at 1 000 entries at most: a filter matching the oldest needs two.
    const oldest = await store.list({ receivedBefore: new Date(start + 1) });
    expect(oldest.map((entry) => entry.id)).toEqual([ids[0]]);
    const all = await store.list({ limit: 2_000 });
    expect(all.map((entry) => entry.id)).toEqual([...ids].reverse());
    expect(await store.purge({ status: 'pending' })).toBe(1_250);
    expect((await store.stats()).pending).toBe(0);
  });

  it('looks at 1 000 waiting entries of busy requests at most per lease', async () => {
    const store = createRedisInbox(client(kind).client, { prefix: freshPrefix() });
    const request = nextRequestId();
    // One millisecond apart, so that the order of reception is the order of adding: entries of
    // the same millisecond would be ordered by id as text, where '1000' comes before '999'.
    const start = Date.now() - 10_000;
    for (let i = 0; i < 1_002; i++) await store.add(pendingEntry(request, new Date(start + i)));
    const free = await store.add(pendingEntry(undefined, new Date(start + 1_002)));
    const [first] = await store.lease('w1', 10, 60_000);
    expect(first?.requestId).toBe(request);
    // 1 001 entries of a busy request come before the free one: one lease skips 1 000 at most.
    expect(await store.lease('w1', 10, 60_000)).toEqual([]);
    expect(await store.settle(first!.id, 'w1', { status: 'done' })).toBe(true);
    const next = await store.lease('w1', 10, 60_000);
    expect(next.map((entry) => entry.requestId)).toEqual([request]);
    // With the request busy again, the free entry still waits behind 1 000 others.
    expect((await store.get(free.id))?.status).toBe('pending');
  });
});

describe.each(CLIENT_KINDS)('createWebhooks with createRedisInbox on %s', (kind) => {
  it('answers 200 {"ok":true,"queued":true} behind node:http, then handles the notification from Redis', async () => {
    const store = createRedisInbox(client(kind).client, { prefix: freshPrefix() });
    const webhooks = inboxRouter(store);
    const handled: string[] = [];
    webhooks.on('*', (event) => void handled.push(event.idempotencyKey));
    const url = await served(webhooks);
    const body = notification(nextRequestId(), 'VIDEOREVIEW', 1);
    expect(await post(url, body)).toEqual({ status: 200, body: { ok: true, queued: true } });
    const { idempotencyKey } = parseWebhook(body);
    await until(() => handled.length === 1, 'the handler ran');
    expect(handled).toEqual([idempotencyKey]);
    const [entry] = await store.list({});
    await until(async () => (await store.get(entry!.id))?.status === 'done', 'the entry is done');
    expect(await store.get(entry!.id)).toMatchObject({ idempotencyKey, attempts: 1, body });
    // Delivered again: a duplicate, recorded once, handled once.
    expect(await post(url, body)).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    await sleep(200);
    expect(handled).toHaveLength(1);
    // A body that is not a notification: 422, and kept as invalid.
    const invalid = JSON.stringify({ request: 'nope' });
    expect((await post(url, invalid)).status).toBe(422);
    expect(await store.list({ status: 'invalid' })).toMatchObject([
      { status: 'invalid', body: invalid },
    ]);
  });

  it('retries a failing handler from Redis, then gives the entry up as dead', async () => {
    const store = createRedisInbox(client(kind).client, { prefix: freshPrefix() });
    const dead: InboxEntry[] = [];
    const webhooks = createWebhooks({
      inbox: {
        store,
        attempts: 3,
        pollMs: 20,
        retryDelayMs: { min: 20, max: 40 },
        onDeadLetter: (entry) => void dead.push(entry),
      },
    });
    routers.push(webhooks);
    const handler = vi.fn(() => {
      throw new Error('downstream is down');
    });
    webhooks.on('*', handler);
    await webhooks.receive(notification(nextRequestId(), 'CREATED', 1));
    await until(() => dead.length === 1, 'the entry is dead');
    expect(handler).toHaveBeenCalledTimes(3);
    expect(await store.get(dead[0]!.id)).toMatchObject({
      status: 'dead',
      attempts: 3,
      lastError: expect.stringContaining('downstream is down'),
    });
  });

  it('answers 503 within the deadline while Redis is paused, and loses nothing once it is back', async () => {
    const store = createRedisInbox(client(kind).client, { prefix: freshPrefix(), timeoutMs: 500 });
    // A lease sent while Redis is paused times out here but is applied when Redis wakes up:
    // its entries wait for their lease to run out before another one takes them.
    const webhooks = inboxRouter(store, { leaseMs: 1_500 });
    const runs = new Map<string, number>();
    webhooks.on('*', (event) => {
      runs.set(event.idempotencyKey, (runs.get(event.idempotencyKey) ?? 0) + 1);
    });
    const url = await served(webhooks);
    const bodies = Array.from({ length: 12 }, (_, i) =>
      notification(nextRequestId(), 'VIDEOPENDING', i),
    );
    expect((await post(url, bodies[0]!)).status).toBe(200);
    // Handled and settled before the pause: a settle lost to the pause would make it run again.
    await until(async () => (await store.stats()).done === 1, 'the first one is done');
    shared.server.pause();
    const started = Date.now();
    const answers = await Promise.all(
      bodies.slice(1).map(async (body) => ({ ...(await post(url, body)), at: Date.now() })),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
      // The store's deadline is 500 ms; generous for a loaded machine.
      expect(answer.at - started).toBeLessThan(3_000);
    }
    shared.server.resume();
    await client(kind).ready();
    // The provider delivers again until it gets a 200: every notification is then handled,
    // once, including those whose script Redis ran when it woke up after their 503.
    for (const body of bodies) {
      await until(async () => (await post(url, body)).status === 200, 'a 200', 10_000);
    }
    const keys = bodies.map((body) => parseWebhook(body).idempotencyKey);
    await until(() => keys.every((key) => runs.has(key)), 'every notification was handled');
    await sleep(200);
    expect(keys.map((key) => runs.get(key))).toEqual(keys.map(() => 1));
    expect(await store.stats()).toMatchObject({ pending: 0, running: 0, done: bodies.length });
  });

  it('answers 503 at once while Redis is down, and takes deliveries again once it is back', async () => {
    const store = createRedisInbox(client(kind).client, { prefix: freshPrefix(), timeoutMs: 500 });
    const webhooks = inboxRouter(store);
    const handler = vi.fn();
    webhooks.on('*', handler);
    const url = await served(webhooks);
    await shared.server.stop();
    const body = notification(nextRequestId(), 'CREATED', 1);
    const started = Date.now();
    expect((await post(url, body)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3_000);
    await shared.server.start();
    await client(kind).ready();
    await until(async () => (await post(url, body)).status === 200, 'a 200', 10_000);
    await until(() => handler.mock.calls.length === 1, 'the handler ran');
  });
});

describe('createRedisInbox on a Redis that syncs every write to its append-only file', () => {
  let durable: RedisServer;
  beforeAll(async () => {
    durable = await startRedisServer({ durable: true });
  });
  afterAll(async () => {
    await durable?.stop();
  });

  it.each(CLIENT_KINDS)(
    'keeps every notification answered 200 through a crash of Redis (%s)',
    async (kind) => {
      const redisClient = createTestClient(kind, durable.port);
      try {
        await redisClient.ready();
        const store = createRedisInbox(redisClient.client, {
          prefix: freshPrefix(),
          timeoutMs: 500,
        });
        // Receives only: the entries stay pending in Redis.
        const receiver = createWebhooks({ inbox: { store, worker: false } });
        const url = await served(receiver);
        const bodies = Array.from({ length: 20 }, (_, i) =>
          notification(nextRequestId(), 'CREATED', i),
        );
        for (const body of bodies) expect((await post(url, body)).status).toBe(200);
        await durable.crash();
        expect((await post(url, notification(nextRequestId(), 'CREATED', 1))).status).toBe(503);
        await durable.start();
        await redisClient.ready();
        expect(await store.stats()).toMatchObject({ pending: bodies.length });
        const handled = new Set<string>();
        const worker = inboxRouter(store);
        worker.on('*', (event) => void handled.add(event.idempotencyKey));
        await until(() => handled.size === bodies.length, 'every notification was handled');
      } finally {
        await redisClient.close();
      }
    },
  );
});

describe('two routers on two clients sharing one Redis inbox', () => {
  it('handle every notification once, and the notifications of a request never at once', async () => {
    const prefix = freshPrefix();
    const stores = CLIENT_KINDS.map((kind) => createRedisInbox(client(kind).client, { prefix }));
    const state = createRedisStateStore(client('ioredis').client, { prefix });
    const runs = new Map<string, number>();
    const running = new Set<number>();
    let overlaps = 0;
    const urls: string[] = [];
    for (const store of stores) {
      const webhooks = createWebhooks({
        inbox: { store, concurrency: 4, pollMs: 20 },
        state: { store: state },
      });
      routers.push(webhooks);
      webhooks.on('*', async (event) => {
        const request = event.requestId!;
        if (running.has(request)) overlaps += 1;
        running.add(request);
        await sleep(Math.random() * 15);
        running.delete(request);
        runs.set(event.idempotencyKey, (runs.get(event.idempotencyKey) ?? 0) + 1);
      });
      urls.push(await served(webhooks));
    }
    const bodies = FLOWS.slice(0, 8).flatMap((flow) => {
      const id = nextRequestId();
      return flow.map((status, minute) => notification(id, status, minute));
    });
    // Every notification delivered twice, to either router, all at once.
    await Promise.all(
      [...bodies, ...bodies].map(async (body) => {
        const url = urls[Math.floor(Math.random() * urls.length)]!;
        expect((await post(url, body)).status).toBe(200);
      }),
    );
    const keys = new Set(bodies.map((body) => parseWebhook(body).idempotencyKey));
    await until(() => runs.size === keys.size, 'every notification was handled', 30_000);
    await sleep(200);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(overlaps).toBe(0);
    expect(await stores[0]!.stats()).toMatchObject({ pending: 0, running: 0, done: keys.size });
  });
});

it('a store failure reaches the router as StoreUnavailableError', async () => {
  const failing: RedisClientLike = {
    eval: async () => {
      throw new Error('READONLY You cannot write against a read only replica.');
    },
    defineCommand: () => {},
  };
  const webhooks = createWebhooks({ inbox: { store: createRedisInbox(failing), worker: false } });
  await expect(webhooks.receive(notification(1, 'CREATED', 1))).rejects.toBeInstanceOf(
    StoreUnavailableError,
  );
});
