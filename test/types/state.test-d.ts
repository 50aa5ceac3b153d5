import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createMemoryStateStore,
  createWebhooks,
  type DedupeStore,
  type HandlerContext,
  type ReceiveResult,
  type RequestState,
  type SkippableTransition,
  type StateOptions,
  type StateStore,
  type TransitionVerdict,
} from '../../src/index.js';
import {
  createRedisDedupeStore,
  createRedisStateStore,
  type RedisClientLike,
} from '../../src/redis/index.js';

describe('the state option', () => {
  it('gives handlers the verdict and the previous state', () => {
    const webhooks = createWebhooks({ state: {} });
    webhooks.on('VIDEOREVIEW', (_event, context) => {
      expectTypeOf(context.transition).toEqualTypeOf<TransitionVerdict | undefined>();
      expectTypeOf(context.previous).toEqualTypeOf<RequestState | undefined>();
      expectTypeOf(context).toEqualTypeOf<HandlerContext>();
    });
  });

  it('adds the verdict to the result, keeping event and duplicate', () => {
    expectTypeOf<ReceiveResult['transition']>().toEqualTypeOf<TransitionVerdict | undefined>();
    expectTypeOf<ReceiveResult['skipped']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<ReceiveResult['duplicate']>().toEqualTypeOf<boolean>();
    // Receivers written before the state option still satisfy the type.
    const plain: ReceiveResult = { event: {} as ReceiveResult['event'], duplicate: false };
    return plain;
  });

  it('accepts the documented settings', () => {
    createWebhooks({ state: false });
    createWebhooks({ state: undefined });
    createWebhooks({ state: { store: createMemoryStateStore({ maxEntries: 10 }) } });
    createWebhooks({ state: { skip: ['stale', 'duplicate', 'unexpected'] } });
    const skip = ['stale'] as const;
    createWebhooks({ state: { skip } });
    expectTypeOf<SkippableTransition>().toEqualTypeOf<'duplicate' | 'stale' | 'unexpected'>();
  });

  it('refuses wrong settings', () => {
    // @ts-expect-error: 'apply' is never skipped
    createWebhooks({ state: { skip: ['apply'] } });
    // @ts-expect-error: a misspelt verdict
    createWebhooks({ state: { skip: ['old'] } });
    // @ts-expect-error: state is false or an object
    createWebhooks({ state: true });
    // @ts-expect-error: a dedupe store is not a state store
    createWebhooks({ state: { store: {} as DedupeStore } });
    const options: StateOptions = {};
    return options;
  });

  it('types StateStore for implementers', () => {
    const store: StateStore = {
      get: async () => null,
      compareAndSet: async (requestId, expected, next) => {
        expectTypeOf(requestId).toEqualTypeOf<number>();
        expectTypeOf(expected).toEqualTypeOf<RequestState | undefined>();
        expectTypeOf(next).toEqualTypeOf<RequestState>();
        return true;
      },
    };
    const bad: StateStore = {
      get: async () => undefined,
      // @ts-expect-error: compareAndSet resolves a boolean
      compareAndSet: async () => 'ok',
    };
    return [store, bad];
  });
});

describe('the Redis stores', () => {
  it('accept ioredis and node-redis clients and clusters', () => {
    const io = new Redis({ lazyConnect: true });
    const ioCluster = new Cluster([], { lazyConnect: true });
    const node = createClient();
    const nodeCluster = createCluster({ rootNodes: [] });
    expectTypeOf(createRedisDedupeStore(io)).toEqualTypeOf<DedupeStore>();
    expectTypeOf(
      createRedisDedupeStore(ioCluster, { prefix: 'app:' }),
    ).toEqualTypeOf<DedupeStore>();
    expectTypeOf(createRedisDedupeStore(node)).toEqualTypeOf<DedupeStore>();
    expectTypeOf(createRedisDedupeStore(nodeCluster)).toEqualTypeOf<DedupeStore>();
    expectTypeOf(createRedisStateStore(io, { ttlMs: 1_000 })).toEqualTypeOf<StateStore>();
    expectTypeOf(createRedisStateStore(node, { prefix: 'app:' })).toEqualTypeOf<StateStore>();
    expectTypeOf(io).toExtend<RedisClientLike>();
    expectTypeOf(node).toExtend<RedisClientLike>();
  });

  it('refuse anything else', () => {
    // @ts-expect-error: not a Redis client
    createRedisDedupeStore({});
    // @ts-expect-error: not a Redis client
    createRedisStateStore({ eval: async () => 1 });
    // @ts-expect-error: ttlMs is a number
    createRedisStateStore(createClient(), { ttlMs: '30d' });
  });
});
