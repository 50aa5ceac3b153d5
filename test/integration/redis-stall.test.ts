// A Redis that stops answering while deliveries keep arriving: the stores' own deadline
// must answer 503 promptly, whatever the client's timeouts. node-redis's socketTimeout is an
// inactivity timer that every command written restarts, so under steady traffic it never
// fires; before the stores had a deadline, a 20 s pause held every delivery for up to 20 s.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/deadline.js';
import {
  createWebhooks,
  InvalidOptionsError,
  StoreUnavailableError,
  type WebhookError,
} from '../../src/index.js';
import {
  createRedisDedupeStore,
  createRedisInbox,
  createRedisStateStore,
  type RedisClientLike,
} from '../../src/redis/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  createTestClient,
  post,
  type RedisServer,
  serve,
  sleep,
  startRedisServer,
} from './support/redis-server.js';

/** Every error in the `cause` chain of `error`, itself first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 10; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

const timedOut = (error: unknown): boolean =>
  causes(error).some((cause) => cause instanceof TimeoutError);

/** A client of each kind whose `eval` never settles. */
const hanging: Record<ClientKind, RedisClientLike> = {
  ioredis: { eval: () => new Promise(() => {}), defineCommand: () => {} },
  'node-redis': { eval: () => new Promise(() => {}), sendCommand: () => {} },
};

const stores = {
  dedupe: (client: RedisClientLike, timeoutMs?: number) =>
    createRedisDedupeStore(client, timeoutMs === undefined ? {} : { timeoutMs }),
  state: (client: RedisClientLike, timeoutMs?: number) =>
    createRedisStateStore(client, timeoutMs === undefined ? {} : { timeoutMs }),
  inbox: (client: RedisClientLike, timeoutMs?: number) =>
    createRedisInbox(client, timeoutMs === undefined ? {} : { timeoutMs }),
};

/** One operation of each store, on a client that never answers. */
const operations = {
  'dedupe claim': (client: RedisClientLike, timeoutMs?: number) =>
    stores.dedupe(client, timeoutMs).claim('k', 10_000),
  'dedupe markDone': (client: RedisClientLike, timeoutMs?: number) =>
    stores.dedupe(client, timeoutMs).markDone('k', 't', 10_000),
  'dedupe release': (client: RedisClientLike, timeoutMs?: number) =>
    stores.dedupe(client, timeoutMs).release('k', 't'),
  'state get': (client: RedisClientLike, timeoutMs?: number) =>
    stores.state(client, timeoutMs).get(1),
  'state compareAndSet': (client: RedisClientLike, timeoutMs?: number) =>
    stores.state(client, timeoutMs).compareAndSet(1, undefined, {
      status: 'CREATED',
      occurredAt: new Date(0),
    }),
  'state lock': (client: RedisClientLike, timeoutMs?: number) =>
    stores.state(client, timeoutMs).lock!(1, 10_000),
  'state unlock': (client: RedisClientLike, timeoutMs?: number) =>
    stores.state(client, timeoutMs).unlock!(1, 't'),
  'inbox add': (client: RedisClientLike, timeoutMs?: number) =>
    stores.inbox(client, timeoutMs).add({
      idempotencyKey: 'k',
      status: 'pending',
      receivedAt: new Date(0),
      body: '{}',
    }),
  'inbox lease': (client: RedisClientLike, timeoutMs?: number) =>
    stores.inbox(client, timeoutMs).lease('owner', 4, 60_000),
  'inbox settle': (client: RedisClientLike, timeoutMs?: number) =>
    stores.inbox(client, timeoutMs).settle('1', 'owner', { status: 'done' }),
  'inbox list': (client: RedisClientLike, timeoutMs?: number) =>
    stores.inbox(client, timeoutMs).list({}),
  'inbox purge': (client: RedisClientLike, timeoutMs?: number) =>
    stores.inbox(client, timeoutMs).purge({ status: 'done' }),
  'inbox stats': (client: RedisClientLike, timeoutMs?: number) =>
    stores.inbox(client, timeoutMs).stats(),
};

/** Whether `promise` has settled, after the pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('the Redis stores: their own deadline, with a client that never answers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe.each(CLIENT_KINDS)('with a %s client', (kind) => {
    it.each(Object.keys(operations) as (keyof typeof operations)[])(
      '%s rejects with StoreUnavailableError caused by a TimeoutError after timeoutMs',
      async (name) => {
        vi.useFakeTimers();
        const pending = operations[name](hanging[kind], 500);
        const rejection = pending.catch((error: unknown) => error);
        await vi.advanceTimersByTimeAsync(499);
        expect(await settled(pending)).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        const error = await rejection;
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).code).toBe('store_unavailable');
        expect((error as StoreUnavailableError).retryAfter).toBeGreaterThan(0);
        const cause = (error as StoreUnavailableError).cause;
        expect(cause).toBeInstanceOf(TimeoutError);
        expect((cause as TimeoutError).timeoutMs).toBe(500);
      },
    );

    it.each(['dedupe claim', 'state get'] as const)('%s waits 2 s by default', async (name) => {
      vi.useFakeTimers();
      const pending = operations[name](hanging[kind]);
      const rejection = pending.catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(1_999);
      expect(await settled(pending)).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = await rejection;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(((error as StoreUnavailableError).cause as TimeoutError).timeoutMs).toBe(2_000);
    });
  });

  it('makes receive reject with StoreUnavailableError (503), the TimeoutError among its causes', async () => {
    vi.useFakeTimers();
    const handler = vi.fn();
    const webhooks = createWebhooks({
      dedupe: { store: createRedisDedupeStore(hanging['node-redis'], { timeoutMs: 100 }) },
    });
    webhooks.on('*', handler);
    const rejection = webhooks
      .receive(JSON.stringify(createTestPayload()))
      .catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    const error = await rejection;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).status).toBe(503);
    expect(timedOut(error)).toBe(true);
    expect(handler).not.toHaveBeenCalled();
  });

  it('leaves an operation that settles in time alone', async () => {
    const client = { eval: async () => 'claimed', sendCommand: () => {} };
    const store = createRedisDedupeStore(client, { timeoutMs: 1 });
    await expect(store.claim('k', 10_000)).resolves.toMatchObject({ state: 'claimed' });
  });

  it.each<[string, unknown]>([
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ["'100'", '100'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['2 ** 53', 2 ** 53],
    ['null', null],
  ])('rejects timeoutMs = %s at creation', (_name, timeoutMs) => {
    const options = { timeoutMs: timeoutMs as number };
    const client = hanging.ioredis;
    expect(() => createRedisDedupeStore(client, options)).toThrow(InvalidOptionsError);
    expect(() => createRedisStateStore(client, options)).toThrow(InvalidOptionsError);
    expect(() => createRedisStateStore(client, options)).toThrow(/timeoutMs/);
    expect(() => createRedisInbox(client, options)).toThrow(/timeoutMs/);
  });
});

/** One delivery of the steady traffic, and how it was answered. */
interface Delivery {
  readonly sentAt: number;
  answeredAt?: number;
  status?: number;
  retryAfter?: string | null;
  body?: unknown;
  failure?: unknown;
}

const TIMEOUT_MS = 1_000;
/** How much later than `TIMEOUT_MS` an answer may come on a loaded machine. */
const MARGIN_MS = 1_500;
const INTERVAL_MS = 300;
const STALL_MS = 4_000;
/** How long the traffic goes on after the pause. */
const RECOVERY_MS = 1_500;

let redis: RedisServer | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(() => {
  redis?.resume();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(CLIENT_KINDS)(
  'a Redis paused under steady traffic, with %s configured as documented',
  (kind) => {
    it('answers every delivery during the pause 503 within timeoutMs, and 200 again once Redis is back', async () => {
      const server = redis!;
      const client = createTestClient(kind, server.port, { settings: 'documented' });
      await client.ready();
      const prefix = `stall-${kind}-${process.pid}:`;
      const reported: WebhookError[] = [];
      const handler = vi.fn();
      const webhooks = createWebhooks({
        dedupe: {
          store: createRedisDedupeStore(client.client, { prefix, timeoutMs: TIMEOUT_MS }),
          claimTtlMs: 60_000,
        },
        state: { store: createRedisStateStore(client.client, { prefix, timeoutMs: TIMEOUT_MS }) },
        onError: (error) => reported.push(error),
      });
      webhooks.on('*', handler);
      const http = await serve(webhooks);
      const deliveries: Delivery[] = [];
      const answers: Promise<void>[] = [];
      let requestId = 1_000;
      const deliver = (): void => {
        const body = JSON.stringify(createTestPayload({ requestId: requestId++ }));
        const delivery: Delivery = { sentAt: Date.now() };
        deliveries.push(delivery);
        answers.push(
          post(http.url, body).then(
            (response) => {
              Object.assign(delivery, response, { answeredAt: Date.now() });
            },
            (failure: unknown) => {
              Object.assign(delivery, { failure, answeredAt: Date.now() });
            },
          ),
        );
      };
      const traffic = setInterval(deliver, INTERVAL_MS);
      try {
        deliver();
        await sleep(1_000);
        const pausedAt = Date.now();
        server.pause();
        await sleep(STALL_MS);
        server.resume();
        const resumedAt = Date.now();
        // Steady traffic goes on for a while after the resumption, and until one of those is
        // answered 200.
        const recoveryDeadline = resumedAt + 6_000;
        while (
          (Date.now() < resumedAt + RECOVERY_MS ||
            !deliveries.some((d) => d.sentAt >= resumedAt && d.status === 200)) &&
          Date.now() < recoveryDeadline
        ) {
          await sleep(100);
        }
        clearInterval(traffic);
        await Promise.all(answers);

        const before = deliveries.filter((d) => d.answeredAt! < pausedAt);
        // Sent once Redis was paused, and due before it came back.
        const during = deliveries.filter(
          (d) => d.sentAt >= pausedAt && d.sentAt + TIMEOUT_MS + 500 <= resumedAt,
        );
        // Sent once Redis had surely answered what it was sent while paused.
        const after = deliveries.filter((d) => d.sentAt >= resumedAt + 500);

        expect(deliveries.filter((d) => d.failure !== undefined)).toEqual([]);
        expect(before.length).toBeGreaterThan(0);
        for (const delivery of before) expect(delivery.status).toBe(200);

        expect(during.length).toBeGreaterThanOrEqual(5);
        for (const delivery of during) {
          expect(delivery.status).toBe(503);
          expect(delivery.retryAfter).toMatch(/^[1-9]\d*$/);
          expect(delivery.body).toMatchObject({
            ok: false,
            error: { code: 'store_unavailable', message: expect.any(String) },
          });
          expect(delivery.answeredAt! - delivery.sentAt).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
        }
        // Deliveries caught by the pause or by the resumption are answered too, either way:
        // one holding a claim may also wait for its release to time out.
        for (const delivery of deliveries) {
          expect([200, 503]).toContain(delivery.status);
          expect(delivery.answeredAt! - delivery.sentAt).toBeLessThan(2 * TIMEOUT_MS + MARGIN_MS);
        }
        expect(reported.length).toBeGreaterThanOrEqual(during.length);
        expect(reported.every((error) => error.code === 'store_unavailable')).toBe(true);
        // The store's deadline answered them, not the client's own timeouts (which are longer).
        expect(reported.every(timedOut)).toBe(true);

        expect(after.length).toBeGreaterThanOrEqual(2);
        for (const delivery of after) expect(delivery.body).toEqual({ ok: true });
        expect(handler).toHaveBeenCalled();
      } finally {
        clearInterval(traffic);
        server.resume();
        await Promise.allSettled(answers);
        await http.close();
        await client.close();
      }
    });
  },
);
