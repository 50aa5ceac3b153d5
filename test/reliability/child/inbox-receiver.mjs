// A receiver process of the built package for the multi-process inbox test: createWebhooks with
// the durable inbox and the state store on PostgreSQL or Redis, behind createNodeMiddleware on
// 127.0.0.1 and an ephemeral port, its worker running. Prints `LISTENING <port>` once ready.
//
// Its handler takes a few milliseconds and records each run in RUN_LOG, one JSON line when it
// starts and one when it ends, each stamped with a shared counter (a PostgreSQL sequence, or a
// Redis key incremented), so that runs in different processes can be put in one order:
//   {"start":<tick>,"pid","entry","attempt","key","request","status","at","verdict","previous"}
//   {"end":<tick>,"start":<tick of its start>}
// `at` and `previous.at` are milliseconds since the epoch. A SIGKILL may leave the last line cut.
//
// Environment: ENGINE (postgres | redis), DB_PORT, PREFIX (table or key prefix), RUN_LOG,
// LEASE_MS, POLL_MS, CONCURRENCY, HANDLER_MS (the longest a handler takes), SEED.
import { openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { createWebhooks } from '../../../dist/index.js';
import { createNodeMiddleware } from '../../../dist/node.js';

const env = process.env;
const port = Number(env.DB_PORT);
const prefix = env.PREFIX;

/** A small seeded generator (mulberry32): how long each handler takes. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(Number(env.SEED ?? 1));

let stores;
let tick;
if (env.ENGINE === 'postgres') {
  const { default: pg } = await import('pg');
  const { createPostgresInbox, createPostgresStateStore } = await import(
    '../../../dist/postgres.js'
  );
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    max: 16,
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', () => {});
  const tablePrefix = prefix;
  stores = {
    inbox: createPostgresInbox(pool, { tablePrefix }),
    state: createPostgresStateStore(pool, { tablePrefix }),
  };
  const sequence = `"${prefix}ticks"`;
  tick = async () => {
    const { rows } = await pool.query('SELECT nextval($1::regclass)::float8 AS n', [sequence]);
    return rows[0].n;
  };
} else if (env.ENGINE === 'redis') {
  const { Redis } = await import('ioredis');
  const { createRedisInbox, createRedisStateStore } = await import('../../../dist/redis.js');
  const client = new Redis({
    port,
    host: '127.0.0.1',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
  });
  client.on('error', () => {});
  await new Promise((resolve) => client.once('ready', resolve));
  stores = {
    inbox: createRedisInbox(client, { prefix }),
    state: createRedisStateStore(client, { prefix }),
  };
  tick = () => client.incr(`${prefix}ticks`);
} else {
  throw new Error(`unknown ENGINE ${env.ENGINE}`);
}

const log = openSync(env.RUN_LOG, 'a');
const record = (fields) => writeSync(log, `${JSON.stringify(fields)}\n`);
const handlerMs = Number(env.HANDLER_MS ?? 5);

const webhooks = createWebhooks({
  inbox: {
    store: stores.inbox,
    leaseMs: Number(env.LEASE_MS),
    pollMs: Number(env.POLL_MS),
    concurrency: Number(env.CONCURRENCY),
    retryDelayMs: { min: 50, max: 500 },
  },
  state: { store: stores.state },
});
webhooks.on('*', async (event, context) => {
  const start = await tick();
  const { previous } = context;
  record({
    start,
    pid: process.pid,
    entry: context.entryId,
    attempt: context.attempt,
    key: context.idempotencyKey,
    request: event.requestId,
    status: event.status,
    at: event.occurredAt.getTime(),
    verdict: context.transition,
    previous:
      previous === undefined
        ? null
        : { status: previous.status, at: previous.occurredAt.getTime() },
  });
  await new Promise((resolve) => setTimeout(resolve, 1 + random() * handlerMs));
  record({ end: await tick(), start });
});

const middleware = createNodeMiddleware(webhooks, { path: '/webhooks' });
const server = createServer(async (req, res) => {
  if (!(await middleware(req, res))) res.writeHead(404).end();
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
