// Two receiver processes, built from dist/ and sharing one Redis, as several instances behind
// a load balancer would.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/index.js';
import { createRedisStateStore } from '../../src/redis/index.js';
import { FLOWS, nextRequestId, notification } from '../unit/state-contract.js';
import {
  assertBuilt,
  type ClientKind,
  createTestClient,
  post,
  type Receiver,
  type RedisServer,
  sleep,
  startReceiver,
  startRedisServer,
  type TestClient,
} from './support/redis-server.js';

let redis: RedisServer;
let admin: TestClient;
const receivers: Receiver[] = [];

beforeAll(async () => {
  assertBuilt();
  redis = await startRedisServer();
  admin = createTestClient('ioredis', redis.port);
  await admin.ready();
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.kill()));
});
afterAll(async () => {
  await admin?.close();
  await redis?.stop();
});

let prefixes = 0;
const freshPrefix = (): string => `processes-${process.pid}-${++prefixes}:`;

async function start(
  client: ClientKind,
  prefix: string,
  extra: {
    claimTtlMs?: number;
    hangRequestId?: number;
    handlerDelayMs?: number;
    handlerTimeoutMs?: number;
    storeTimeoutMs?: number;
  } = {},
): Promise<Receiver> {
  const receiver = await startReceiver({
    client,
    redisPort: redis.port,
    prefix,
    claimTtlMs: extra.claimTtlMs ?? 30_000,
    ...(extra.hangRequestId !== undefined && { hangRequestId: extra.hangRequestId }),
    ...(extra.handlerDelayMs !== undefined && { handlerDelayMs: extra.handlerDelayMs }),
    ...(extra.handlerTimeoutMs !== undefined && { handlerTimeoutMs: extra.handlerTimeoutMs }),
    ...(extra.storeTimeoutMs !== undefined && { storeTimeoutMs: extra.storeTimeoutMs }),
  });
  receivers.push(receiver);
  return receiver;
}

/** How many times the receivers ran their handler for `body`. */
async function runs(prefix: string, body: string): Promise<number> {
  return Number((await admin.get(`${prefix}test:runs:${parseWebhook(body).idempotencyKey}`)) ?? 0);
}

describe('two receiver processes sharing one Redis', () => {
  it('handle each notification exactly once, however often and wherever it is delivered', async () => {
    const prefix = freshPrefix();
    const instances = await Promise.all([
      start('ioredis', prefix, { handlerDelayMs: 20 }),
      start('node-redis', prefix, { handlerDelayMs: 20 }),
    ]);
    const cases = FLOWS.slice(0, 6).map((flow) => ({ id: nextRequestId(), flow }));
    const bodies = cases.flatMap(({ id, flow }) =>
      flow.map((status, minute) => notification(id, status, minute)),
    );
    const handled = new Map<string, number>();
    const deliver = async (body: string): Promise<void> => {
      // A provider that retries until it gets a 2xx, spreading deliveries over both instances.
      for (let attempt = 0; attempt < 200; attempt++) {
        const instance = instances[Math.floor(Math.random() * instances.length)]!;
        const response = await post(instance.url, body);
        if (response.status === 200) {
          if (response.body.duplicate !== true) handled.set(body, (handled.get(body) ?? 0) + 1);
          return;
        }
        expect(response.status).toBe(409);
        await sleep(10 + Math.random() * 20);
      }
      throw new Error('never answered 200');
    };
    const deliveries = bodies.flatMap((body) => Array.from({ length: 5 }, () => body));
    deliveries.sort(() => Math.random() - 0.5);
    await Promise.all(deliveries.map(deliver));

    for (const body of bodies) {
      expect({ body, runs: await runs(prefix, body), handled: handled.get(body) }).toEqual({
        body,
        runs: 1,
        handled: 1,
      });
    }
    const state = createRedisStateStore(admin.client, { prefix });
    for (const { id, flow } of cases) {
      expect({ id, status: (await state.get(id))?.status }).toEqual({ id, status: flow.at(-1) });
    }
  });

  it.each<[ClientKind, ClientKind]>([
    ['ioredis', 'node-redis'],
    ['node-redis', 'ioredis'],
  ])(
    'take over the claim and request lock of a %s instance killed mid-handler once both expired (%s)',
    async (first, second) => {
      const prefix = freshPrefix();
      const hangRequestId = nextRequestId();
      const claimTtlMs = 1_500;
      // The request's lock outlives the claim: it lasts handlerTimeoutMs + 4 × storeTimeoutMs,
      // 3 s here, and a delivery waits for it handlerTimeoutMs before its 409.
      const timeouts = { handlerTimeoutMs: 1_000, storeTimeoutMs: 500 };
      const lockTtlMs = 3_000;
      const [killed, survivor] = await Promise.all([
        start(first, prefix, { claimTtlMs, hangRequestId, ...timeouts }),
        start(second, prefix, { claimTtlMs, ...timeouts }),
      ]);
      const body = notification(hangRequestId, 'VIDEOREVIEW', 1);

      const lost = post(killed.url, body).catch((error: unknown) => error);
      await killed.waitFor('HANG ');
      const claimedAt = Date.now();
      await killed.kill();
      expect(await lost).toBeInstanceOf(Error);

      const meanwhile = await post(survivor.url, body);
      expect(meanwhile.status).toBe(409);
      expect(meanwhile.retryAfter).toMatch(/^\d+$/);

      let response = meanwhile;
      while (response.status === 409 && Date.now() - claimedAt < lockTtlMs + 5_000) {
        await sleep(100);
        response = await post(survivor.url, body);
      }
      const tookOverAfter = Date.now() - claimedAt;
      expect(response).toMatchObject({ status: 200, body: { ok: true } });
      expect(response.body.duplicate).toBeUndefined();
      expect(tookOverAfter).toBeGreaterThanOrEqual(lockTtlMs - 200);
      expect(await runs(prefix, body)).toBe(1);
      expect((await post(survivor.url, body)).body).toEqual({ ok: true, duplicate: true });
    },
  );
});
