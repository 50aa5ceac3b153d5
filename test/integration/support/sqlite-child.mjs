// A process of the built package using the SQLite inbox, for the multi-process tests. The
// mode is the first argument; the database file is INBOX_PATH (or the default file in the
// working directory). It prints one line per step: READY, LISTENING <port>, HANDLED <id>,
// OVERLAP <request id>, DONE <json>.
//
//   serve    createNodeMiddleware over createWebhooks({ inbox }) on 127.0.0.1, an ephemeral
//            port; handlers block forever when BLOCK=1, otherwise they append each entry id
//            to HANDLED_FILE.
//   work     a worker only: after READY it waits for a line on stdin, then handles every
//            entry, checking through lock files in LOCK_DIR that no other handler (in any
//            process) runs a notification of the same request meanwhile; exits when the
//            inbox has nothing left to do.
//   default  createWebhooks({ inbox: true }) in the working directory: receives the bodies
//            given as JSON in BODIES, waits until they are handled, and reports.
import { appendFileSync, closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createWebhooks } from '../../../dist/index.js';
import { createNodeMiddleware } from '../../../dist/node.js';
import { createSqliteInbox } from '../../../dist/sqlite.js';

const env = process.env;
const mode = process.argv[2];
const print = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const store = () =>
  createSqliteInbox({ path: env.INBOX_PATH, ...(env.DRIVER ? { driver: env.DRIVER } : {}) });

if (mode === 'serve') {
  const webhooks = createWebhooks({
    inbox: { store: store(), leaseMs: Number(env.LEASE_MS ?? 60_000), pollMs: 50 },
  });
  webhooks.on('*', async (_event, context) => {
    if (env.BLOCK === '1') await new Promise(() => {});
    appendFileSync(env.HANDLED_FILE, `${context.entryId}\n`);
  });
  const middleware = createNodeMiddleware(webhooks, { path: '/webhooks' });
  const server = createServer(async (req, res) => {
    if (!(await middleware(req, res))) res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', () => print(`LISTENING ${server.address().port}`));
} else if (mode === 'work') {
  const inbox = store();
  const webhooks = createWebhooks({
    inbox: { store: inbox, concurrency: 4, pollMs: 20, worker: false },
  });
  let handled = 0;
  webhooks.on('*', async (event, context) => {
    const lock = join(env.LOCK_DIR, `request-${event.requestId}`);
    let fd;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      print(`OVERLAP ${event.requestId}`);
    }
    await sleep(1 + Math.random() * 6);
    if (fd !== undefined) {
      closeSync(fd);
      rmSync(lock);
    }
    handled += 1;
    print(`HANDLED ${context.entryId}`);
  });
  print('READY');
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  webhooks.inbox.start();
  for (;;) {
    await sleep(50);
    const stats = await webhooks.inbox.stats();
    if (stats.pending === 0 && stats.running === 0) break;
  }
  await webhooks.inbox.stop();
  await inbox.close();
  print(`DONE ${JSON.stringify({ handled })}`);
  process.exit(0);
} else if (mode === 'default') {
  const webhooks = createWebhooks({ inbox: true });
  const seen = [];
  webhooks.on('*', (event) => void seen.push(event.idempotencyKey));
  const results = [];
  for (const body of JSON.parse(env.BODIES)) results.push(await webhooks.receive(body));
  const deadline = Date.now() + 15_000;
  while (seen.length < results.length && Date.now() < deadline) await sleep(20);
  await webhooks.inbox.stop();
  const entries = await webhooks.inbox.list();
  const file = join(process.cwd(), 'uanataca-webhooks-inbox.sqlite');
  await webhooks.inbox.store.close?.();
  print(
    `DONE ${JSON.stringify({
      version: process.version,
      queued: results.map((result) => result.queued === true && !result.duplicate),
      seen,
      statuses: entries.map((entry) => entry.status),
      file: existsSync(file),
    })}`,
  );
} else {
  throw new Error(`unknown mode ${mode}`);
}
