// The durable inbox on PostgreSQL under load, on demand (not part of `npm run bench`): three
// receiver processes share one throwaway PostgreSQL cluster (fsync on, started with the test
// suite's helper), and autocannon posts distinct notifications to them. Reports notifications
// accepted per second (each a durable 200), request-to-200 latency at 1, 50 and 200 concurrent
// deliveries, and the CPU time each notification cost the receivers, PostgreSQL and the load
// generator (which, on a shared machine, says more than the rate). `npm run build` first.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import pg from 'pg';
import { isMain, machine, median, printTable, requireDist, root, setting } from './util.mjs';

const RECEIVERS = 3;
const ROUNDS = setting('BENCH_PG_ROUNDS', 3);
const SECONDS = setting('BENCH_PG_SECONDS', 5);
const CONCURRENCY = (process.env.BENCH_PG_CONCURRENCY ?? '1,50,200').split(',').map(Number);
const WORKER = process.env.BENCH_PG_WORKER === '1';
const POOL_SIZE = setting('BENCH_PG_POOL', 10);
const GOAL = 2_000;
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS = 100;

/** The test suite's cluster helper (TypeScript), compiled for this run. */
async function loadClusterHelper() {
  const dir = mkdtempSync(join(tmpdir(), 'uanataca-bench-'));
  const file = join(dir, 'postgres-server.mjs');
  const result = await build({
    entryPoints: [join(root, 'test/integration/support/postgres-server.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    write: false,
    absWorkingDir: root,
    logLevel: 'silent',
  });
  // Packages resolve from the project, not from the temporary folder.
  const base = pathToFileURL(join(root, 'package.json')).href;
  const source = result.outputFiles[0].text.replace(
    /from "([^."/][^"]*)"/g,
    (_, name) => `from ${JSON.stringify(import.meta.resolve(name, base))}`,
  );
  writeFileSync(file, source);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let nextId = 1;
const runTag = Date.now().toString(36);
/** Every request another notification: another request id, so another idempotency key. */
function setupRequest(request) {
  const pk = nextId++;
  request.body = `{"event_type":"VIDEOID_UPDATED","sent_at":"20250715084502","request":{"status":"VIDEOREVIEW","profile":"PFnubeQAFCiudadano","registration_authority":139,"scratchcard":"${runTag}","pk":${pk}},"certificates":[]}`;
  return request;
}

async function startReceiver(port, tablePrefix) {
  const child = fork(fileURLToPath(new URL('./inbox-postgres-receiver.mjs', import.meta.url)), {
    env: {
      ...process.env,
      PGPORT: String(port),
      TABLE_PREFIX: tablePrefix,
      WORKER: WORKER ? '1' : '0',
      POOL_SIZE: String(POOL_SIZE),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(child, 'message');
  return { child, url: `http://127.0.0.1:${message.port}/webhooks` };
}

/** CPU seconds used so far by a receiver process. */
async function receiverCpu(receiver) {
  receiver.child.send('stats');
  const [message] = await once(receiver.child, 'message');
  return (message.cpu.user + message.cpu.system) / 1e6;
}

/** CPU seconds used so far by the cluster listening on `port`: the postmaster and its children. */
function postgresCpu(port) {
  const stats = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.push({ pid, cmdline, ppid: fields[1], times: fields.slice(11, 15).map(Number) });
    } catch {
      // Gone meanwhile.
    }
  }
  const postmaster = stats.find(
    (s) => s.cmdline.split('\0')[0].endsWith('/postgres') && s.cmdline.includes(`port=${port}`),
  );
  if (postmaster === undefined) return Number.NaN;
  // Its own time, its reaped children's (ended connections), and its live children's.
  let ticks = postmaster.times.reduce((sum, t) => sum + t, 0);
  for (const child of stats.filter((s) => s.ppid === postmaster.pid)) {
    ticks += child.times[0] + child.times[1];
  }
  return ticks / TICKS;
}

/** CPU seconds so far of the receivers, PostgreSQL and this process (the load generator). */
async function cpuNow(receivers, port) {
  const own = process.cpuUsage();
  return {
    receivers: (await Promise.all(receivers.map(receiverCpu))).reduce((sum, s) => sum + s, 0),
    postgres: postgresCpu(port),
    generator: (own.user + own.system) / 1e6,
  };
}

/** `connections` split across the receivers, for `seconds`; every answer must be 200. */
async function load(receivers, connections, seconds) {
  const shares = receivers
    .map(
      (_, index) =>
        Math.floor(connections / receivers.length) +
        (index < connections % receivers.length ? 1 : 0),
    )
    .map((share, index) => [receivers[index], share])
    .filter(([, share]) => share > 0);
  const results = await Promise.all(
    shares.map(([receiver, share]) =>
      autocannon({
        url: receiver.url,
        connections: share,
        duration: seconds,
        requests: [
          { method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest },
        ],
      }),
    ),
  );
  const failed = results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0);
  if (failed > 0) throw new Error(`${failed} requests failed or were not answered 200`);
  const total = results.reduce((sum, r) => sum + r.requests.total, 0);
  return {
    total,
    accepted: total / seconds,
    // Each receiver's share has its own histogram: the median of their medians, and the worst
    // of their 99th percentiles.
    p50: median(results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
  };
}

/** One measured load, with the CPU time it cost each party per notification. */
async function measure(receivers, port, connections) {
  const before = await cpuNow(receivers, port);
  const sample = await load(receivers, connections, SECONDS);
  const after = await cpuNow(receivers, port);
  const perNotification = (key) => ((after[key] - before[key]) / sample.total) * 1e6;
  return {
    ...sample,
    cpu: {
      receivers: perNotification('receivers'),
      postgres: perNotification('postgres'),
      generator: perNotification('generator'),
    },
  };
}

export async function run() {
  requireDist();
  const { startPostgresServer, freshPrefix } = await loadClusterHelper();
  const server = await startPostgresServer();
  const tablePrefix = freshPrefix();
  const receivers = [];
  try {
    for (let i = 0; i < RECEIVERS; i++) {
      receivers.push(await startReceiver(server.port, tablePrefix));
    }
    await load(receivers, 30, 2);
    const samples = new Map(CONCURRENCY.map((c) => [c, []]));
    let answered = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const connections of CONCURRENCY) {
        const sample = await measure(receivers, server.port, connections);
        samples.get(connections).push(sample);
        answered += sample.total;
      }
    }
    const { port, user, database } = server;
    const client = new pg.Client({ host: '127.0.0.1', port, user, database });
    client.on('error', () => {});
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${tablePrefix}inbox"`);
    const { rows: settings } = await client.query(
      "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync, version() AS version",
    );
    await client.end();
    const middle = (list, read) => median(list.map(read));
    return {
      rounds: ROUNDS,
      seconds: SECONDS,
      worker: WORKER,
      poolSize: POOL_SIZE,
      recorded: rows[0].n,
      answered,
      settings: settings[0],
      rows: CONCURRENCY.map((connections) => {
        const list = samples.get(connections);
        return {
          connections,
          accepted: middle(list, (s) => s.accepted),
          range: [
            Math.min(...list.map((s) => s.accepted)),
            Math.max(...list.map((s) => s.accepted)),
          ],
          p50: middle(list, (s) => s.p50),
          p99: middle(list, (s) => s.p99),
          cpu: {
            receivers: middle(list, (s) => s.cpu.receivers),
            postgres: middle(list, (s) => s.cpu.postgres),
            generator: middle(list, (s) => s.cpu.generator),
          },
        };
      }),
    };
  } finally {
    for (const { child } of receivers) child.disconnect();
    await Promise.all(receivers.map(({ child }) => once(child, 'exit')));
    await server.destroy();
  }
}

export function print(report) {
  const m = machine();
  console.log(
    `\n## Durable inbox on PostgreSQL (${RECEIVERS} receiver processes, ${report.rounds} rounds of ${report.seconds} s, medians)\n`,
  );
  console.log(
    `${m.date} · ${m.cpu} · ${m.cores} cores · Node ${m.node} · ${report.settings.version.split(' on ')[0]} · fsync=${report.settings.fsync} · synchronous_commit=${report.settings.sync} · workers ${report.worker ? 'on' : 'off'} · pool ${report.poolSize} per process\n`,
  );
  const us = (value) => Math.round(value).toLocaleString('en-US');
  printTable(
    [
      'concurrent deliveries',
      'accepted/s (durable 200)',
      'range over rounds',
      'p50 ms',
      'p99 ms',
      'CPU µs per notification: receivers / PostgreSQL / load generator',
      `≥ ${GOAL}/s`,
    ],
    report.rows.map((r) => [
      r.connections,
      Math.round(r.accepted).toLocaleString('en-US'),
      `${Math.round(r.range[0])}–${Math.round(r.range[1])}`,
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      `${us(r.cpu.receivers)} / ${us(r.cpu.postgres)} / ${us(r.cpu.generator)}`,
      r.connections >= 50 ? (r.accepted >= GOAL ? 'met' : 'MISSED') : '–',
    ]),
  );
  const busiest = report.rows.at(-1);
  const perNotification = busiest.cpu.receivers + busiest.cpu.postgres + busiest.cpu.generator;
  console.log(
    `\nAt ${busiest.connections} concurrent deliveries, one notification costs ${us(perNotification)} µs of CPU in all: two idle cores could accept about ${us((2 * 1e6) / perNotification)}/s (${us((2 * 1e6) / (busiest.cpu.receivers + busiest.cpu.postgres))}/s with the load generator elsewhere).`,
  );
  console.log(
    `${report.recorded.toLocaleString('en-US')} entries recorded for ${report.answered.toLocaleString('en-US')} answers 200 measured (the rest: warm-up).`,
  );
}

if (isMain(import.meta.url)) print(await run());
