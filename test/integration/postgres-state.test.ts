import { beforeAll, describe, expect, it } from 'vitest';
import { createWebhooks } from '../../src/index.js';
import { createPostgresDedupeStore, createPostgresStateStore } from '../../src/postgres/index.js';
import {
  at,
  describeStateStoreContract,
  nextRequestId,
  notification,
} from '../unit/state-contract.js';
import { freshPrefix, usePostgresServer } from './support/postgres-server.js';
import { post, serve, sleep } from './support/redis-server.js';

const shared = usePostgresServer();
const contractPrefix = freshPrefix();
beforeAll(async () => {
  // The contract's tables exist before its timed tests, as in production.
  await createPostgresStateStore(shared.pools[0], { tablePrefix: contractPrefix }).get(0);
});

// Request ids never repeat between tests, so the stores share their tables; every other
// store is on the other pool, as another instance would be.
let created = 0;
describeStateStoreContract(
  'createPostgresStateStore',
  () => createPostgresStateStore(shared.pools[created++ % 2]!, { tablePrefix: contractPrefix }),
  { numRuns: 40, locks: true },
);

describe('createPostgresStateStore: the tables', () => {
  it('keeps each request in a row, with an expiry renewed on every write', async () => {
    const tablePrefix = freshPrefix();
    const store = createPostgresStateStore(shared.pools[0], { tablePrefix, ttlMs: 60_000 });
    const id = nextRequestId();
    await store.compareAndSet(id, undefined, { status: 'CREATED', occurredAt: at(1) });
    const read = () =>
      shared.pools[1].query<{ status: string; occurred_at: Date; left: number }>(
        `SELECT status, occurred_at,
           (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS left
         FROM "${tablePrefix}state" WHERE request_id = $1`,
        [id],
      );
    const [first] = (await read()).rows;
    expect(first).toMatchObject({ status: 'CREATED', occurred_at: at(1) });
    expect(first!.left).toBeGreaterThan(55_000);
    expect(first!.left).toBeLessThanOrEqual(60_000);
    const longer = createPostgresStateStore(shared.pools[1], { tablePrefix, ttlMs: 3_600_000 });
    await longer.compareAndSet(
      id,
      { status: 'CREATED', occurredAt: at(1) },
      { status: 'ENROLLREADY', occurredAt: at(2) },
    );
    expect((await read()).rows[0]!.left).toBeGreaterThan(3_500_000);
  });

  it('forgets a request after ttlMs', async () => {
    const store = createPostgresStateStore(shared.pools[0], {
      tablePrefix: freshPrefix(),
      ttlMs: 100,
    });
    const id = nextRequestId();
    await store.compareAndSet(id, undefined, { status: 'CREATED', occurredAt: at(1) });
    expect(await store.get(id)).toBeDefined();
    await sleep(200);
    expect(await store.get(id)).toBeUndefined();
    // Expired, it is as absent: a write expecting nothing succeeds.
    expect(
      await store.compareAndSet(id, undefined, { status: 'VIDEOPENDING', occurredAt: at(2) }),
    ).toBe(true);
  });

  it('keeps the instant of occurredAt to the millisecond', async () => {
    const store = createPostgresStateStore(shared.pools[0], { tablePrefix: freshPrefix() });
    const id = nextRequestId();
    const occurredAt = new Date(Date.UTC(2025, 6, 15, 8, 0, 0, 999));
    await store.compareAndSet(id, undefined, { status: 'CREATED', occurredAt });
    expect(await store.get(id)).toEqual({ status: 'CREATED', occurredAt });
    expect(
      await store.compareAndSet(
        id,
        { status: 'CREATED', occurredAt: new Date(occurredAt.getTime()) },
        { status: 'VIDEOPENDING', occurredAt: at(3) },
      ),
    ).toBe(true);
  });
});

describe('createPostgresStateStore behind createWebhooks and createNodeMiddleware', () => {
  it('handles the notifications of a request one at a time across two instances, and ends at the last status', async () => {
    const tablePrefix = freshPrefix();
    let running = 0;
    let overlap = false;
    const applied: string[] = [];
    const servers = await Promise.all(
      shared.pools.map((pool) => {
        const webhooks = createWebhooks({
          dedupe: { store: createPostgresDedupeStore(pool, { tablePrefix }) },
          state: { store: createPostgresStateStore(pool, { tablePrefix }) },
        });
        webhooks.on('*', async (event, { transition }) => {
          running += 1;
          if (running > 1) overlap = true;
          await sleep(15);
          if (transition === 'apply') applied.push(event.status);
          running -= 1;
        });
        return serve(webhooks);
      }),
    );
    try {
      const id = nextRequestId();
      const flow = ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY'];
      // Every notification to both instances at once, newest first, as a provider retrying
      // out of order might.
      const bodies = flow.map((status, minute) => notification(id, status, minute)).reverse();
      const deliver = async (url: string, body: string): Promise<number> => {
        for (let tries = 0; ; tries += 1) {
          const { status } = await post(url, body);
          if (status !== 409 || tries > 200) return status;
          await sleep(10);
        }
      };
      const statuses = await Promise.all(
        bodies.flatMap((body) => servers.map((one) => deliver(one.url, body))),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(overlap).toBe(false);
      expect(applied.at(-1)).toBe('ENROLLREADY');
      const store = createPostgresStateStore(shared.pools[0], { tablePrefix });
      expect((await store.get(id))?.status).toBe('ENROLLREADY');
    } finally {
      await Promise.all(servers.map((one) => one.close()));
    }
  });
});
