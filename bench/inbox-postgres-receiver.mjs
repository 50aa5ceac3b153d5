// One receiver process of the PostgreSQL inbox benchmark: createWebhooks with the durable inbox
// on PostgreSQL, behind createNodeMiddleware. Started by inbox-postgres.mjs with the database's
// port in PGPORT; sends its HTTP port to the parent, then its counters on request.
import { createServer } from 'node:http';
import pg from 'pg';
import { importDist } from './util.mjs';

const { createWebhooks } = await importDist('index');
const { createNodeMiddleware } = await importDist('node');
const { createPostgresInbox } = await importDist('postgres');

const pool = new pg.Pool({
  host: '127.0.0.1',
  port: Number(process.env.PGPORT),
  user: 'postgres',
  database: 'postgres',
  max: Number(process.env.POOL_SIZE ?? 10),
});
pool.on('error', () => {});
let handled = 0;
const webhooks = createWebhooks({
  inbox: {
    store: createPostgresInbox(pool, { tablePrefix: process.env.TABLE_PREFIX }),
    worker: process.env.WORKER === '1',
    concurrency: 16,
  },
});
webhooks.on('*', () => {
  handled += 1;
});
const middleware = createNodeMiddleware(webhooks, { path: '/webhooks' });
const server = createServer(async (req, res) => {
  if (!(await middleware(req, res))) res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'stats') process.send({ handled, cpu: process.cpuUsage() });
});
process.on('disconnect', async () => {
  await webhooks.inbox.stop({ drain: false });
  server.close();
  await pool.end();
});
