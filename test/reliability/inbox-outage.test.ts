import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createNodeMiddleware } from '../../src/adapters/node.js';
import {
  createMemoryInbox,
  createWebhooks,
  type InboxStore,
  type Webhooks,
} from '../../src/index.js';
import { createPostgresInbox } from '../../src/postgres/index.js';
import { createRedisInbox } from '../../src/redis/index.js';
import { createSqliteInbox } from '../../src/sqlite/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  createPool,
  freshPrefix,
  type PostgresServer,
  startPostgresServer,
} from '../integration/support/postgres-server.js';
import {
  createTestClient,
  type RedisServer,
  startRedisServer,
  type TestClient,
} from '../integration/support/redis-server.js';
import {
  keepAliveAgent,
  post,
  report,
  seededRandom,
  startServer,
  type TestServer,
} from './support.js';

/**
 * The durable inbox against a sender that never retries: each of 2,000 notifications is
 * posted exactly once; handlers fail on 30 % of first attempts, and the database they write to
 * is unreachable for 20 s in the middle of the run. Every notification must end done, none
 * dead, none missing.
 */

const NOTIFICATIONS = 2_000;
const OUTAGE_MS = 20_000;

/** What an engine leaves to clean up after its test. */
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The engines the test runs on: every store the package has, each on a real server. */
const ENGINES: readonly { name: string; create(): InboxStore | Promise<InboxStore> }[] = [
  { name: 'the memory store', create: () => createMemoryInbox() },
  {
    name: 'SQLite',
    create: () => {
      const dir = mkdtempSync(join(tmpdir(), 'inbox-outage-'));
      const store = createSqliteInbox({ path: join(dir, 'inbox.sqlite') });
      cleanups.push(async () => {
        await store.close?.();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  },
  {
    name: 'PostgreSQL',
    create: async () => {
      const postgres: PostgresServer = await startPostgresServer();
      const pool = createPool(postgres);
      cleanups.push(
        () => postgres.destroy(),
        () => pool.end(),
      );
      return createPostgresInbox(pool, { tablePrefix: freshPrefix() });
    },
  },
  {
    name: 'Redis',
    create: async () => {
      const redis: RedisServer = await startRedisServer();
      const client: TestClient = createTestClient('ioredis', redis.port);
      await client.ready();
      cleanups.push(
        () => redis.stop(),
        () => client.close(),
      );
      return createRedisInbox(client.client);
    },
  },
];

let server: TestServer | undefined;
let webhooks: Webhooks | undefined;
afterEach(async () => {
  await webhooks?.inbox?.stop({ drain: false });
  await server?.close();
});

describe.each(ENGINES)(
  'the inbox on $name, a sender that never retries, a database outage',
  ({ create }) => {
    it(
      'ends every notification done, none dead, none missing',
      async () => {
        const random = seededRandom(20_251_201);
        const store = await create();
        // The handlers' own database: a table of applied notifications, down for 20 s.
        const database = new Map<string, number>();
        let down = false;
        let firstAttempts = 0;
        let failedFirstAttempts = 0;
        webhooks = createWebhooks({
          inbox: {
            store,
            attempts: 12,
            retryDelayMs: { min: 200, max: 8_000 },
            concurrency: 8,
            pollMs: 50,
          },
        });
        webhooks.on('*', async (event, { attempt }) => {
          if (attempt === 1) {
            firstAttempts += 1;
            if (random() < 0.3) {
              failedFirstAttempts += 1;
              throw new Error('a first attempt that fails');
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (down) throw new Error('the database is unreachable');
          database.set(event.idempotencyKey, (database.get(event.idempotencyKey) ?? 0) + 1);
        });
        const middleware = createNodeMiddleware(webhooks, { auth: false });
        server = await startServer((req, res) => middleware(req, res));

        const start = Date.UTC(2025, 6, 15, 8);
        const bodies = Array.from({ length: NOTIFICATIONS }, (_, index) =>
          new TextEncoder().encode(
            JSON.stringify(
              createTestPayload({
                status: 'VIDEOREVIEW',
                requestId: 100_000 + index,
                sentAt: new Date(start + index * 1_000),
              }),
            ),
          ),
        );
        const agent = keepAliveAgent(16);
        const answers: number[] = [];
        let next = 0;
        const sender = async (): Promise<void> => {
          for (let index = next++; index < bodies.length; index = next++) {
            // Exactly once: whatever the answer, never again.
            answers.push((await post(server!, bodies[index]!, { agent })).status);
            if (index === NOTIFICATIONS / 4) {
              down = true;
              setTimeout(() => {
                down = false;
              }, OUTAGE_MS);
            }
          }
        };
        await Promise.all(Array.from({ length: 16 }, sender));
        agent.destroy();
        expect(answers.filter((status) => status !== 200)).toEqual([]);

        const deadline = Date.now() + OUTAGE_MS + 60_000;
        let stats = await webhooks.inbox!.stats();
        while (stats.done < NOTIFICATIONS && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          stats = await webhooks.inbox!.stats();
        }
        report(
          `inbox outage: ${failedFirstAttempts} of ${firstAttempts} first attempts failed on purpose; ${JSON.stringify(stats)}`,
        );
        expect(stats).toMatchObject({
          done: NOTIFICATIONS,
          dead: 0,
          pending: 0,
          running: 0,
          invalid: 0,
        });
        expect(failedFirstAttempts).toBeGreaterThan(NOTIFICATIONS * 0.2);
        expect(database.size).toBe(NOTIFICATIONS);
        expect([...database.values()].every((count) => count === 1)).toBe(true);
      },
      OUTAGE_MS + 120_000,
    );
  },
);
