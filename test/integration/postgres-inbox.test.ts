import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createWebhooks,
  type InboxStore,
  StoreUnavailableError,
  type Webhooks,
} from '../../src/index.js';
import { createPostgresInbox, postgresInboxSchema } from '../../src/postgres/index.js';
import { describeInboxStoreContract } from '../unit/inbox-contract.js';
import { nextRequestId, notification } from '../unit/state-contract.js';
import { databaseClockOffset, freshPrefix, usePostgresServer } from './support/postgres-server.js';
import { post, serve, sleep } from './support/redis-server.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const REVIEW = readFileSync(join(fixturesDir, 'videoid-3-videoid-updated-review.json'), 'utf8');

const shared = usePostgresServer();
/** How far the database's clock is ahead of this process's. */
let offset = 0;

beforeAll(async () => {
  offset = await databaseClockOffset(shared.pools[0]);
});

// Every store has tables of its own; a pair shares them, through two pools, as two
// processes would.
describeInboxStoreContract('createPostgresInbox', {
  create: () => createPostgresInbox(shared.pools[0], { tablePrefix: freshPrefix() }),
  pair: () => {
    const tablePrefix = freshPrefix();
    return [
      createPostgresInbox(shared.pools[0], { tablePrefix }),
      createPostgresInbox(shared.pools[1], { tablePrefix }),
    ];
  },
  now: () => Date.now() + offset,
  wait: sleep,
});

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

describe('createPostgresInbox: tables', () => {
  it('creates its tables once when several instances start together', async () => {
    const tablePrefix = freshPrefix();
    const stores = Array.from({ length: 6 }, (_, i) =>
      createPostgresInbox(shared.pools[i % 2]!, { tablePrefix }),
    );
    const added = await Promise.all(
      stores.map((store, i) =>
        store.add({
          idempotencyKey: `start-${i}`,
          status: 'pending',
          receivedAt: new Date(),
          body: '{}',
        }),
      ),
    );
    expect(new Set(added.map((one) => one.id)).size).toBe(6);
    expect((await stores[0]!.stats()).pending).toBe(6);
  });

  it('uses tables a migration created, in a schema, and never creates them itself when told so', async () => {
    const tablePrefix = freshPrefix();
    const schema = `s_${tablePrefix}`.slice(0, -1);
    await shared.pools[0].query(`CREATE SCHEMA ${schema}`);
    const missing = createPostgresInbox(shared.pools[0], {
      schema,
      tablePrefix,
      createTables: false,
    });
    await expect(missing.stats()).rejects.toBeInstanceOf(StoreUnavailableError);

    await shared.pools[0].query(postgresInboxSchema({ schema, tablePrefix }));
    // Applied twice, as a migration run again would.
    await shared.pools[0].query(postgresInboxSchema({ schema, tablePrefix }));
    const store = createPostgresInbox(shared.pools[1], {
      schema,
      tablePrefix,
      createTables: false,
    });
    const { id } = await store.add({
      idempotencyKey: 'migrated',
      status: 'pending',
      receivedAt: new Date(),
      body: '{}',
    });
    const { rows } = await shared.pools[0].query(
      `SELECT idempotency_key FROM ${schema}."${tablePrefix}inbox" WHERE id = $1`,
      [id],
    );
    expect(rows).toEqual([{ idempotency_key: 'migrated' }]);
  });

  it('keeps any body to the byte, U+0000 and lone surrogates replaced as UTF-8 does', async () => {
    const store = createPostgresInbox(shared.pools[0], { tablePrefix: freshPrefix() });
    const body = 'not json \u0000 \u{1F642} \r\n\t é';
    const { id } = await store.add({
      idempotencyKey: 'invalid:nul',
      status: 'invalid',
      receivedAt: new Date(),
      lastError: 'Unexpected token \u0000',
      body,
    });
    expect(await store.get(id)).toMatchObject({
      body,
      status: 'invalid',
      lastError: 'Unexpected token \uFFFD',
    });
  });
});

describe('createPostgresInbox: calls made together', () => {
  it('records adds made together in one go, each key once, the first of a key as new', async () => {
    const store = createPostgresInbox(shared.pools[0], { tablePrefix: freshPrefix() });
    const keys = Array.from({ length: 60 }, (_, i) => `together-${i % 20}`);
    const results = await Promise.all(
      keys.map((idempotencyKey, i) =>
        store.add({
          idempotencyKey,
          requestId: i,
          status: 'pending',
          receivedAt: new Date(),
          body: `{"n":${i}}`,
        }),
      ),
    );
    for (let key = 0; key < 20; key++) {
      const mine = results.filter((_, i) => i % 20 === key);
      expect(mine.map((one) => one.duplicate)).toEqual([false, true, true]);
      expect(new Set(mine.map((one) => one.id)).size).toBe(1);
    }
    expect((await store.stats()).pending).toBe(20);
  });

  it('settles attempts made together, each for its lease owner only', async () => {
    const store = createPostgresInbox(shared.pools[0], { tablePrefix: freshPrefix() });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        (
          await store.add({
            idempotencyKey: `s${i}`,
            status: 'pending',
            receivedAt: new Date(),
            body: '{}',
          })
        ).id,
      );
    }
    await store.lease('w1', 10, 60_000);
    const later = new Date(Date.now() + 60_000);
    expect(
      await Promise.all([
        store.settle(ids[0]!, 'intruder', { status: 'done' }),
        store.settle(ids[0]!, 'w1', { status: 'done' }),
        store.settle(ids[1]!, 'w1', { status: 'pending', nextAttemptAt: later, error: 'E1' }),
        store.settle(ids[2]!, 'w1', { status: 'dead', error: 'E2' }),
        store.settle('999999999', 'w1', { status: 'done' }),
      ]),
    ).toEqual([false, true, true, true, false]);
    expect(await store.get(ids[0]!)).toMatchObject({ status: 'done', lastError: undefined });
    expect(await store.get(ids[1]!)).toMatchObject({
      status: 'pending',
      lastError: 'E1',
      nextAttemptAt: later,
    });
    expect(await store.get(ids[2]!)).toMatchObject({ status: 'dead', lastError: 'E2' });
  });
});

describe('createPostgresInbox behind createWebhooks and createNodeMiddleware', () => {
  const routers: Webhooks[] = [];
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const router of routers.splice(0)) await router.inbox?.stop();
    for (const one of servers.splice(0)) await one.close();
  });

  /** An instance: a router on its own pool, with a worker, behind a node:http server. */
  async function instance(
    store: InboxStore,
    onEvent: (status: string, id?: number) => Promise<void>,
  ) {
    const webhooks = createWebhooks({
      inbox: { store, pollMs: 50, retryDelayMs: { min: 20, max: 50 }, concurrency: 4 },
    });
    webhooks.on('*', (event) => onEvent(event.status, event.requestId));
    routers.push(webhooks);
    const http = await serve(webhooks);
    servers.push(http);
    return { webhooks, url: http.url };
  }

  it('answers 200 once recorded, and two instances handle each notification once, one at a time per request', async () => {
    const tablePrefix = freshPrefix();
    const stores = shared.pools.map((pool) => createPostgresInbox(pool, { tablePrefix }));
    const running = new Set<number>();
    const runs = new Map<string, number>();
    let overlap = false;
    const onEvent = async (status: string, id?: number): Promise<void> => {
      if (id === undefined) return;
      if (running.has(id)) overlap = true;
      running.add(id);
      runs.set(`${id}:${status}`, (runs.get(`${id}:${status}`) ?? 0) + 1);
      await sleep(Math.random() * 10);
      running.delete(id);
    };
    const [one, two] = [await instance(stores[0]!, onEvent), await instance(stores[1]!, onEvent)];
    const flow = ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY'];
    const requests = Array.from({ length: 8 }, nextRequestId);
    const bodies = requests.flatMap((id) =>
      flow.map((status, minute) => notification(id, status, minute)),
    );
    // Each notification delivered twice, to either instance, all at once.
    const answers = await Promise.all(
      [...bodies, ...bodies].map((body, i) => post(i % 2 ? one.url : two.url, body)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.ok).toBe(true);
    }
    expect(answers.filter((answer) => answer.body.duplicate !== true)).toHaveLength(bodies.length);
    // Recorded, and committed: another connection reads them all.
    const { rows } = await shared.pools[1].query<{ count: string }>(
      `SELECT count(*) FROM "${tablePrefix}inbox"`,
    );
    expect(Number(rows[0]!.count)).toBe(bodies.length);
    await until(async () => (await stores[0]!.stats()).done === bodies.length, 'all are done');
    expect(overlap).toBe(false);
    expect(runs.size).toBe(bodies.length);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
  });

  it('records an invalid body as invalid, answered 422, and replays it', async () => {
    const store = createPostgresInbox(shared.pools[0], { tablePrefix: freshPrefix() });
    const { webhooks, url } = await instance(store, async () => {});
    const answer = await post(url, '{"request":{"status":"CREATED"}}');
    expect(answer.status).toBe(422);
    const [entry] = await webhooks.inbox!.list({ status: 'invalid' });
    expect(entry).toMatchObject({ body: '{"request":{"status":"CREATED"}}' });
    expect(await webhooks.inbox!.replay(entry!.id)).toMatchObject({ invalid: 1 });
  });

  it('handles a notification recorded by a receive-only instance', async () => {
    const tablePrefix = freshPrefix();
    const handled: string[] = [];
    const receiver = createWebhooks({
      inbox: { store: createPostgresInbox(shared.pools[0], { tablePrefix }), worker: false },
    });
    const http = await serve(receiver);
    servers.push(http);
    await instance(createPostgresInbox(shared.pools[1], { tablePrefix }), async (status) => {
      handled.push(status);
    });
    expect((await post(http.url, REVIEW)).status).toBe(200);
    await until(() => handled.length === 1, 'the worker handled it');
    expect(handled).toEqual(['VIDEOREVIEW']);
  });
});
