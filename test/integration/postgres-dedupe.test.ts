import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createWebhooks, parseWebhook } from '../../src/index.js';
import { createPostgresDedupeStore } from '../../src/postgres/index.js';
import { describeDedupeStoreContract } from '../unit/dedupe-contract.js';
import { freshPrefix, usePostgresServer } from './support/postgres-server.js';
import { post, serve, sleep } from './support/redis-server.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

const shared = usePostgresServer();

// Every store has a table of its own; a pair shares one, through two pools, as two
// instances would.
describeDedupeStoreContract('createPostgresDedupeStore', {
  create: () => createPostgresDedupeStore(shared.pools[0], { tablePrefix: freshPrefix() }),
  wait: sleep,
  pair: () => {
    const tablePrefix = freshPrefix();
    return [
      createPostgresDedupeStore(shared.pools[0], { tablePrefix }),
      createPostgresDedupeStore(shared.pools[1], { tablePrefix }),
    ];
  },
});

describe('createPostgresDedupeStore: the table', () => {
  it('keeps one row per notification, expiring on the database clock', async () => {
    const tablePrefix = freshPrefix();
    const store = createPostgresDedupeStore(shared.pools[0], { tablePrefix });
    expect((await store.claim('a', 30_000)).state).toBe('claimed');
    const b = await store.claim('b', 30_000);
    if (b.state !== 'claimed') throw new Error('b was not claimed');
    await store.markDone('b', b.token, 3_600_000);
    const { rows } = await shared.pools[1].query<{ key: string; done: boolean; left: number }>(
      `SELECT idempotency_key AS key, done,
         (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS left
       FROM "${tablePrefix}dedupe" ORDER BY 1`,
    );
    expect(rows.map(({ key, done }) => [key, done])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(rows[0]!.left).toBeGreaterThan(25_000);
    expect(rows[0]!.left).toBeLessThanOrEqual(30_000);
    expect(rows[1]!.left).toBeGreaterThan(3_500_000);
  });

  it('deletes expired rows now and then', async () => {
    const tablePrefix = freshPrefix();
    const store = createPostgresDedupeStore(shared.pools[0], { tablePrefix });
    for (let i = 0; i < 20; i++) await store.claim(`short-${i}`, 1);
    await sleep(20);
    // A new store (as after a restart) sweeps with its first claim.
    await createPostgresDedupeStore(shared.pools[1], { tablePrefix }).claim('long', 60_000);
    await vi.waitFor(async () => {
      const { rows } = await shared.pools[0].query(
        `SELECT idempotency_key FROM "${tablePrefix}dedupe"`,
      );
      expect(rows).toEqual([{ idempotency_key: 'long' }]);
    }, 10_000);
  });
});

describe('createPostgresDedupeStore behind createWebhooks and createNodeMiddleware', () => {
  it('runs the handler once for one notification posted many times to two instances', async () => {
    const tablePrefix = freshPrefix();
    const handler = vi.fn(() => sleep(20));
    const servers = await Promise.all(
      shared.pools.map((pool) => {
        const webhooks = createWebhooks({
          dedupe: { store: createPostgresDedupeStore(pool, { tablePrefix }) },
        });
        webhooks.on('*', handler);
        return serve(webhooks);
      }),
    );
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => post(servers[i % 2]!.url, REVIEW)),
      );
      expect(handler).toHaveBeenCalledTimes(1);
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
      for (const status of statuses) expect([200, 409]).toContain(status);
      expect(
        answers.filter((answer) => answer.status === 200 && !answer.body.duplicate),
      ).toHaveLength(1);
      // Once done, every delivery to either instance is a duplicate.
      for (const one of servers) {
        expect((await post(one.url, REVIEW)).body).toEqual({ ok: true, duplicate: true });
      }
      const key = parseWebhook(REVIEW).idempotencyKey;
      const { rows } = await shared.pools[0].query(
        `SELECT done FROM "${tablePrefix}dedupe" WHERE idempotency_key = $1`,
        [key],
      );
      expect(rows).toEqual([{ done: true }]);
    } finally {
      await Promise.all(servers.map((one) => one.close()));
    }
  });
});
