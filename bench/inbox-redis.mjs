// The durable inbox on Redis under load: three receiver processes (createWebhooks with
// createRedisInbox behind createNodeMiddleware, each running its worker) share one
// redis-server. Measures how many notifications per second they accept (200 queued) and how
// many they handle, and the latency from request to 200 at 1, 50 and 200 deliveries in
// flight, with Redis keeping nothing on disk and with Redis syncing every write to its
// append-only file. Two references run on the same machine in the same run: the same three
// processes without the inbox (handlers run before the answer), and with an inbox in memory.
// Every accepted notification must be handled once.
//
// On demand, not part of `npm run bench`: `npm run build && node bench/inbox-redis.mjs`.
// Needs a redis-server binary (REDIS_SERVER=/path/to/redis-server to pick one).
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importDist, isMain, machine, median, printTable, requireDist, setting } from './util.mjs';

const SECONDS = setting('BENCH_INBOX_SECONDS', 5);
const ROUNDS = setting('BENCH_INBOX_ROUNDS', 3);
const RECEIVERS = setting('BENCH_INBOX_RECEIVERS', 3);
const THROUGHPUT_IN_FLIGHT = setting('BENCH_INBOX_IN_FLIGHT', 96);
const LATENCY_IN_FLIGHT = [1, 50, 200];
const CLIENT = process.env.BENCH_INBOX_CLIENT ?? 'ioredis';
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** What the receivers record into, and how Redis keeps it. */
const MODES = {
  direct: { label: 'no inbox: handlers run before the 200 (reference)' },
  memory: { label: 'inbox in memory, one per process (reference)' },
  none: { label: 'Redis inbox, no persistence', redis: ['--appendonly', 'no'] },
  everysec: {
    label: 'Redis inbox, AOF `appendfsync everysec`',
    redis: ['--appendonly', 'yes', '--appendfsync', 'everysec'],
  },
  always: {
    label: 'Redis inbox, AOF `appendfsync always`',
    redis: ['--appendonly', 'yes', '--appendfsync', 'always'],
  },
};
// The memory inbox is a store for tests: its lease looks at every entry it ever recorded, so
// it slows down as a run goes on. BENCH_INBOX_MODES=memory,... adds it.
const SELECTED = (process.env.BENCH_INBOX_MODES ?? 'direct,none,always').split(',');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// A receiver process: reports its port, then counts handler runs and answers `stats` messages.

async function connect(port) {
  if (CLIENT === 'ioredis') {
    const { Redis } = await import('ioredis');
    const client = new Redis({
      port,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => {});
    await once(client, 'ready');
    return client;
  }
  const { createClient } = await import('redis');
  const client = createClient({ socket: { port, host: '127.0.0.1' }, disableOfflineQueue: true });
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function receiver() {
  const { createMemoryInbox, createWebhooks } = await importDist('index');
  const { createNodeMiddleware } = await importDist('node');
  const { createRedisInbox } = await importDist('redis');
  const mode = process.env.MODE;
  let store;
  if (mode === 'memory') store = createMemoryInbox();
  else if (mode !== 'direct') {
    const client = await connect(Number(process.env.REDIS_PORT));
    store = createRedisInbox(client, { prefix: process.env.PREFIX });
  }
  let handled = 0;
  const webhooks = createWebhooks(store === undefined ? {} : { inbox: { store } });
  webhooks.on('*', () => {
    handled += 1;
  });
  const middleware = createNodeMiddleware(webhooks);
  const server = createServer((req, res) => void middleware(req, res));
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', async (message) => {
    if (message === 'stats') {
      const inbox = webhooks.inbox === undefined ? undefined : await webhooks.inbox.stats();
      const { user, system } = process.cpuUsage();
      process.send({ handled, inbox, cpuMicros: user + system });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// The orchestrator.

async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(args) {
  const dir = mkdtempSync(join(tmpdir(), 'uanataca-bench-redis-'));
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...args],
    { stdio: 'ignore' },
  );
  child.once('error', (error) => {
    console.error(`Cannot run ${REDIS_SERVER}: ${error.message}`);
    process.exit(1);
  });
  // Whatever happens to this process, the server goes with it.
  const kill = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', kill);
  const { Redis } = await import('ioredis');
  const admin = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50 });
  admin.on('error', () => {});
  // Refused connections until the server listens: ioredis retries by itself.
  await new Promise((resolve) => admin.once('ready', resolve));
  const version = (await admin.info('server')).match(/redis_version:(\S+)/)?.[1];
  return {
    port,
    version,
    /** CPU time the server used so far, in microseconds. */
    async cpuMicros() {
      const info = await admin.info('cpu');
      const seconds = (name) => Number(info.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0);
      return Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6);
    },
    async stop() {
      admin.disconnect();
      process.off('exit', kill);
      child.kill('SIGTERM');
      await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startReceivers(env) {
  const file = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from({ length: RECEIVERS }, async () => {
      const child = fork(file, ['receiver'], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [message] = await once(child, 'message');
      return { child, port: message.port };
    }),
  );
}

async function stats(receiver) {
  receiver.child.send('stats');
  const [message] = await once(receiver.child, 'message');
  return message;
}

let nextRequestId = 1;
/** A notification no one sent before: a new request id every time. */
function body() {
  const pk = nextRequestId++;
  return `{"event_type":"VIDEOID_UPDATED","sent_at":"20250715084502","request":{"status":"VIDEOREVIEW","profile":"PFnubeQAFCiudadano","registration_authority":139,"scratchcard":"5051762","pk":${pk}},"certificates":[]}`;
}

function post(agent, port, text) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/**
 * Keeps `inFlight` deliveries going for `seconds`, round-robin over the receivers (as a load
 * balancer would); resolves every latency in milliseconds and how many were answered 200.
 */
async function load(receivers, inFlight, seconds) {
  const agents = receivers.map(() => new Agent({ keepAlive: true, maxSockets: inFlight }));
  const latencies = [];
  let accepted = 0;
  let turn = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const index = turn++ % receivers.length;
      const started = performance.now();
      const status = await post(agents[index], receivers[index].port, body());
      latencies.push(performance.now() - started);
      if (status === 200) accepted += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  for (const agent of agents) agent.destroy();
  return { latencies, accepted, other: latencies.length - accepted, elapsed };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Waits until no inbox has anything pending or running; resolves how long it took, in s. */
async function drained(receivers) {
  const started = performance.now();
  for (;;) {
    const all = await Promise.all(receivers.map(stats));
    if (all.every(({ inbox }) => !inbox || inbox.pending + inbox.running === 0)) {
      return (performance.now() - started) / 1000;
    }
    await sleep(50);
  }
}

async function measureMode(mode) {
  const redis = MODES[mode].redis && (await startRedis(MODES[mode].redis));
  const receivers = await startReceivers({
    MODE: mode,
    REDIS_PORT: String(redis?.port ?? 0),
    PREFIX: `{bench-${process.pid}-${mode}}:`,
  });
  try {
    let accepted = 0;
    let other = 0;
    const cpu = async () => ({
      receivers: (await Promise.all(receivers.map(stats))).reduce((t, r) => t + r.cpuMicros, 0),
      redis: (await redis?.cpuMicros()) ?? 0,
    });
    const measured = async (inFlight) => {
      const before = await cpu();
      const result = await load(receivers, inFlight, SECONDS);
      const drainSeconds = await drained(receivers);
      const after = await cpu();
      accepted += result.accepted;
      other += result.other;
      return {
        ...result,
        drainSeconds,
        // CPU time per notification, from its request to its handling.
        receiversCpu: (after.receivers - before.receivers) / result.accepted,
        redisCpu: (after.redis - before.redis) / result.accepted,
      };
    };
    // Warm-up: every process optimized, every connection open.
    const warmup = await load(receivers, 32, 1);
    accepted += warmup.accepted;
    other += warmup.other;
    await drained(receivers);
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) rounds.push(await measured(THROUGHPUT_IN_FLIGHT));
    const latency = [];
    for (const inFlight of LATENCY_IN_FLIGHT) {
      const result = await measured(inFlight);
      latency.push({
        inFlight,
        perSecond: result.accepted / result.elapsed,
        p50: percentile(result.latencies, 50),
        p99: percentile(result.latencies, 99),
      });
    }
    const all = await Promise.all(receivers.map(stats));
    return {
      mode,
      redisVersion: redis?.version,
      accepted: rounds.map((r) => r.accepted / r.elapsed),
      // Handled per second over the round and the time its backlog took to drain.
      handled: rounds.map((r) => r.accepted / (r.elapsed + r.drainSeconds)),
      drains: rounds.map((r) => r.drainSeconds),
      receiversCpu: median(rounds.map((r) => r.receiversCpu)),
      redisCpu: median(rounds.map((r) => r.redisCpu)),
      latency,
      total: { accepted, other, runs: all.reduce((sum, one) => sum + one.handled, 0) },
    };
  } finally {
    for (const { child } of receivers) child.disconnect();
    await redis?.stop();
  }
}

/**
 * Milliseconds of CPU time a fixed loop takes: how fast a core of this machine was for this
 * process during the run, to compare runs on a machine shared with other work.
 */
function calibrate() {
  const before = process.cpuUsage();
  let sum = 0;
  for (let i = 0; i < 1e8; i++) sum += i;
  const { user, system } = process.cpuUsage(before);
  return sum > 0 ? (user + system) / 1000 : 0;
}

export async function run() {
  requireDist();
  const calibration = [calibrate()];
  const reports = [];
  for (const mode of SELECTED) {
    if (!(mode in MODES)) throw new Error(`BENCH_INBOX_MODES: unknown mode ${mode}`);
    reports.push(await measureMode(mode));
  }
  calibration.push(calibrate());
  return { reports, calibration };
}

const rate = (n) => Math.round(n).toLocaleString('en-US');
const range = (values) =>
  `**${rate(median(values))}** (${rate(Math.min(...values))}–${rate(Math.max(...values))})`;

export function print({ reports, calibration }) {
  const m = machine();
  const version = reports.find((r) => r.redisVersion)?.redisVersion;
  console.log(
    `\n## Inbox on Redis: ${RECEIVERS} receiver processes, ${CLIENT}, redis-server ${version}\n`,
  );
  console.log(`${m.date} · ${m.cpu} · ${m.cores} cores · Node ${m.node} · ${m.os}\n`);
  console.log(
    `CPU time of a loop of 10^8 additions: ${calibration.map((ms) => `${Math.round(ms)} ms`).join(' before, ')} after the run.\n`,
  );
  console.log(
    `${ROUNDS} rounds of ${SECONDS} s at ${THROUGHPUT_IN_FLIGHT} deliveries in flight; median (min–max).\n`,
  );
  printTable(
    [
      'receivers',
      'accepted/s (200)',
      'handled/s, drain included',
      'backlog drained in',
      'receivers CPU per notification (µs)',
      'Redis CPU per notification (µs)',
    ],
    reports.map((r) => [
      MODES[r.mode].label,
      range(r.accepted),
      range(r.handled),
      `${Math.min(...r.drains).toFixed(1)}–${Math.max(...r.drains).toFixed(1)} s`,
      Math.round(r.receiversCpu),
      r.redisVersion ? Math.round(r.redisCpu) : '—',
    ]),
  );
  console.log(`\nRequest to 200, ${SECONDS} s at each number of deliveries in flight.\n`);
  printTable(
    [
      'receivers',
      ...LATENCY_IN_FLIGHT.map((n) => `p50 / p99 at ${n} (ms)`),
      ...LATENCY_IN_FLIGHT.map((n) => `accepted/s at ${n}`),
    ],
    reports.map((r) => [
      MODES[r.mode].label,
      ...r.latency.map((l) => `${l.p50.toFixed(1)} / ${l.p99.toFixed(1)}`),
      ...r.latency.map((l) => rate(l.perSecond)),
    ]),
  );
  console.log('\nEvery accepted notification handled once (handler runs / accepted):');
  for (const r of reports) {
    const { accepted, other, runs } = r.total;
    console.log(
      `- ${MODES[r.mode].label}: ${runs} / ${accepted}${other ? `, ${other} other answers` : ''}`,
    );
  }
}

if (process.argv[2] === 'receiver') await receiver();
else if (isMain(import.meta.url)) print(await run());
