// The embedded SQLite inbox behind the Node adapter: how long the sender waits for the durable
// 200 ({"ok":true,"queued":true}, answered once the notification is committed and synced),
// and how many notifications per second are accepted, at 1, 50 and 200 deliveries in flight.
// The server runs in its own process (`node inbox-sqlite.mjs serve <store> <file> <worker>`) on
// a new database file per measurement, its worker handling what it records unless `worker` is
// off; the same server with the memory inbox, which syncs nothing, is the baseline. autocannon
// sends every request another notification, so that none is a duplicate.
//
// `npm run bench` runs it; alone: `npm run build && node bench/inbox-sqlite.mjs`. Settings:
// BENCH_INBOX_SECONDS (default 3 per measurement), BENCH_INBOX_LEVELS (default 1,50,200).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { importDist, isMain, printTable, requireDist, setting, verdict } from './util.mjs';

const SECONDS = setting('BENCH_INBOX_SECONDS', 3);
const LEVELS = (process.env.BENCH_INBOX_LEVELS ?? '1,50,200').split(',').map(Number);
const GOALS = { p99Ms: 20, p99Level: 200, perSecond: 1_000 };
const PATH = '/webhooks';

/** The server: the Node middleware over createWebhooks({ inbox: { store } }). */
async function serve(kind, file, worker) {
  const { createWebhooks, createMemoryInbox } = await importDist('index');
  const { createNodeMiddleware } = await importDist('node');
  const { createSqliteInbox } = await importDist('sqlite');
  const store = kind === 'sqlite' ? createSqliteInbox({ path: file }) : createMemoryInbox();
  const webhooks = createWebhooks({ inbox: { store, worker: worker === 'on' } });
  let handled = 0;
  webhooks.on('*', () => {
    handled += 1;
  });
  const middleware = createNodeMiddleware(webhooks, { path: PATH });
  const server = createServer(async (req, res) => {
    if (!(await middleware(req, res))) res.writeHead(404).end();
  });
  let cpu;
  server.listen(0, '127.0.0.1', () => {
    cpu = process.cpuUsage();
    process.send({ port: server.address().port });
  });
  process.on('message', async (message) => {
    if (message !== 'stats') return;
    const used = process.cpuUsage(cpu);
    await webhooks.inbox.stop({ drain: false });
    process.send({
      handled,
      cpuMs: (used.user + used.system) / 1000,
      stats: await webhooks.inbox.stats(),
    });
  });
}

let nextId = 1;
function setupRequest(request) {
  const pk = nextId++;
  request.body = `{"event_type":"VIDEOID_UPDATED","sent_at":"20250715084502","request":{"status":"VIDEOREVIEW","profile":"PFnubeQAFCiudadano","registration_authority":139,"scratchcard":"5051762","pk":${pk}},"certificates":[]}`;
  return request;
}

/** One measurement on a new database file: latency percentiles and accepted per second. */
async function measure(store, connections, worker) {
  const dir = mkdtempSync(join(tmpdir(), 'uanataca-bench-inbox-'));
  const file = join(dir, 'inbox.sqlite');
  const child = fork(fileURLToPath(import.meta.url), ['serve', store, file, worker], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const [{ port }] = await once(child, 'message');
    const result = await autocannon({
      url: `http://127.0.0.1:${port}${PATH}`,
      connections,
      duration: SECONDS,
      requests: [{ method: 'POST', setupRequest }],
    });
    child.send('stats');
    const [{ handled, cpuMs, stats }] = await once(child, 'message');
    const recorded = stats.pending + stats.running + stats.done + stats.dead;
    if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
      throw new Error(
        `${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
      );
    }
    // Every 200 is a recorded notification; the last requests in flight may be recorded too.
    if (recorded < result['2xx'])
      throw new Error(`${result['2xx']} answered, ${recorded} recorded`);
    return {
      store,
      connections,
      worker,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      perSecond: result['2xx'] / SECONDS,
      cpuUs: (cpuMs * 1000) / result['2xx'],
      accepted: result['2xx'],
      handled,
    };
  } finally {
    child.kill();
    await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How long one add takes alone: one transaction, one sync of the log to disk. */
async function commitLatency(count = 200) {
  const { createSqliteInbox } = await importDist('sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'uanataca-bench-commit-'));
  const store = createSqliteInbox({ path: join(dir, 'inbox.sqlite') });
  try {
    await store.stats();
    const times = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await store.add({
        idempotencyKey: `commit:${i}`,
        status: 'pending',
        receivedAt: new Date(),
        body: '{}',
      });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { p50: times[count >> 1], p99: times[Math.floor(count * 0.99)] };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run() {
  requireDist();
  const commit = await commitLatency();
  // Warm-up, not counted: the first file, the first connections, the JIT.
  await measure('sqlite', 50, 'on');
  const rows = [];
  for (const [store, worker] of [
    ['sqlite', 'on'],
    ['sqlite', 'off'],
    ['memory', 'on'],
  ]) {
    for (const connections of LEVELS) rows.push(await measure(store, connections, worker));
  }
  return { seconds: SECONDS, commit, rows };
}

export function print(report) {
  console.log(
    `\n## Durable inbox on SQLite (Node adapter, autocannon, ${report.seconds} s per row, a new file each)\n`,
  );
  printTable(
    [
      'store',
      'in flight',
      'worker',
      'p50 to durable 200 (ms)',
      'p99 (ms)',
      'max (ms)',
      'accepted / s',
      'server CPU / accepted (µs)',
      'handled during the run',
    ],
    report.rows.map((r) => [
      r.store === 'sqlite' ? 'createSqliteInbox' : 'createMemoryInbox (baseline)',
      r.connections,
      r.worker,
      r.p50,
      r.p99,
      r.max,
      Math.round(r.perSecond).toLocaleString('en-US'),
      Math.round(r.cpuUs),
      `${r.handled} / ${r.accepted}`,
    ]),
  );
  console.log(
    `\nOne add alone (one commit, one sync of the log to disk): p50 ${report.commit.p50.toFixed(2)} ms, p99 ${report.commit.p99.toFixed(2)} ms.`,
  );
  const sqlite = report.rows.filter((r) => r.store === 'sqlite' && r.worker === 'on');
  const goalRow = sqlite.find((r) => r.connections === GOALS.p99Level);
  const best = Math.max(...sqlite.map((r) => r.perSecond));
  if (goalRow !== undefined) {
    console.log(
      `\nGoals (worker on): p99 ≤ ${GOALS.p99Ms} ms at ${GOALS.p99Level} in flight: ${verdict(goalRow.p99 <= GOALS.p99Ms)} (${goalRow.p99} ms); ≥ ${GOALS.perSecond.toLocaleString('en-US')} accepted/s: ${verdict(best >= GOALS.perSecond)} (${Math.round(best).toLocaleString('en-US')}/s)`,
    );
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3], process.argv[4], process.argv[5]);
else if (isMain(import.meta.url)) print(await run());
