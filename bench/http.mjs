// The server CPU time per delivery of the Node and Express adapters against hand-written routes
// doing equivalent work (read the body, parse JSON, answer 200 JSON): each round sends the same
// fixed number of distinct notifications to each server in turn (autocannon), each server in its
// own process; the server's own CPU time divided by the count, medians over the rounds. On a
// machine whose load generator shares the cores, requests per second mostly measure the
// generator; CPU per delivery does not.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { isMain, median, printTable, requireDist, roundOrder, setting, verdict } from './util.mjs';

const ROUNDS = setting('BENCH_HTTP_ROUNDS', 7);
const REQUESTS = setting('BENCH_HTTP_REQUESTS', 20_000);
const CONNECTIONS = setting('BENCH_HTTP_CONNECTIONS', 32);
const PATH = '/webhooks/uanataca';

const ALL_CONTENDERS = [
  { kind: 'node-raw', label: 'node:http + JSON.parse (hand-written)' },
  { kind: 'node-floor', label: 'node:http + parseWebhook + bounded Map (hand-written floor)' },
  { kind: 'node:dedupe', label: 'createNodeMiddleware, dedupe on' },
  { kind: 'node:off', label: 'createNodeMiddleware, dedupe: false' },
  { kind: 'express5:json', label: 'express 5 + express.json()' },
  { kind: 'express5:dedupe', label: 'express 5 + createExpressMiddleware, dedupe on' },
  { kind: 'express5:off', label: 'express 5 + createExpressMiddleware, dedupe: false' },
  { kind: 'express4:json', label: 'express 4 + express.json()' },
  { kind: 'express4:dedupe', label: 'express 4 + createExpressMiddleware, dedupe on' },
  { kind: 'express4:off', label: 'express 4 + createExpressMiddleware, dedupe: false' },
];

// The adapter, its baseline, and the efficiency it must reach: the baseline's CPU per
// delivery over the adapter's (a target, or undefined for a comparison only shown).
const ALL_COMPARISONS = [
  ['node:dedupe', 'node-raw', 0.9],
  ['node:off', 'node-raw', undefined],
  ['node-floor', 'node-raw', undefined],
  ['node:dedupe', 'node-floor', undefined],
  ['express5:dedupe', 'express5:json', 1.15],
  ['express5:off', 'express5:json', undefined],
  ['express4:dedupe', 'express4:json', 1.15],
  ['express4:off', 'express4:json', undefined],
];

// BENCH_HTTP_SERVERS=node (or express4, express5, or several, comma-separated) runs only the
// servers of those families, each with its baseline.
const FAMILIES = (process.env.BENCH_HTTP_SERVERS ?? '').split(',').filter(Boolean);
const inFamily = (kind) => FAMILIES.length === 0 || FAMILIES.includes(kind.split(/[-:]/)[0]);
const CONTENDERS = ALL_CONTENDERS.filter((c) => inFamily(c.kind));
const COMPARISONS = ALL_COMPARISONS.filter(([a]) => inFamily(a));
if (CONTENDERS.length === 0) {
  throw new Error(
    `BENCH_HTTP_SERVERS=${FAMILIES.join(',')} names no server: use node, express4 or express5`,
  );
}

// Every request carries another request id, so deduplication never answers from its store:
// each one is parsed, claimed, handled and marked done.
let nextId = 1;
function setupRequest(request) {
  const pk = nextId++;
  request.body = `{"event_type":"VIDEOID_UPDATED","sent_at":"20250715084502","request":{"status":"VIDEOREVIEW","profile":"PFnubeQAFCiudadano","registration_authority":139,"scratchcard":"5051762","pk":${pk}},"certificates":[]}`;
  return request;
}

async function start(kind) {
  const child = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), [kind], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(child, 'message');
  return { child, port: message.port };
}

async function stats(child) {
  child.send('stats');
  const [message] = await once(child, 'message');
  return message;
}

async function load(port, amount) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${PATH}`,
    connections: CONNECTIONS,
    amount,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest,
      },
    ],
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `${result.errors} errors, ${result.timeouts} timeouts and ${result.non2xx} non-2xx answers against port ${port}`,
    );
  }
  return result;
}

/** One measured load: throughput, and the server's CPU time per request. */
async function measure(server, amount) {
  const before = await stats(server.child);
  const result = await load(server.port, amount);
  // Let the requests still in flight when autocannon stopped finish before counting.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await stats(server.child);
  const requests = after.requests - before.requests;
  const cpu = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  return {
    rps: result.requests.average,
    latencyMs: result.latency.average,
    cpuPerRequest: cpu / requests,
    requests,
    handled: after.handled - before.handled,
  };
}

export async function run() {
  requireDist();
  const servers = new Map();
  try {
    for (const c of CONTENDERS) servers.set(c.kind, await start(c.kind));
    // Warm-up: every server optimized, every connection pool filled.
    for (const c of CONTENDERS) await load(servers.get(c.kind).port, Math.min(REQUESTS, 5_000));
    const samples = new Map(CONTENDERS.map((c) => [c.kind, []]));
    const ratios = new Map(COMPARISONS.map(([a, b]) => [`${a}/${b}`, { rps: [], cpu: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      const thisRound = {};
      for (const c of roundOrder(CONTENDERS, round)) {
        thisRound[c.kind] = await measure(servers.get(c.kind), REQUESTS);
        samples.get(c.kind).push(thisRound[c.kind]);
      }
      for (const [a, b] of COMPARISONS) {
        const ratio = ratios.get(`${a}/${b}`);
        ratio.rps.push(thisRound[a].rps / thisRound[b].rps);
        ratio.cpu.push(thisRound[b].cpuPerRequest / thisRound[a].cpuPerRequest);
      }
    }
    const sum = (list, key) => list.reduce((total, sample) => total + sample[key], 0);
    return {
      rounds: ROUNDS,
      requests: REQUESTS,
      connections: CONNECTIONS,
      contenders: CONTENDERS.map((c) => {
        const list = samples.get(c.kind);
        return {
          ...c,
          rps: median(list.map((sample) => sample.rps)),
          latencyMs: median(list.map((sample) => sample.latencyMs)),
          cpuPerRequest: median(list.map((sample) => sample.cpuPerRequest)),
          requests: sum(list, 'requests'),
          handled: sum(list, 'handled'),
        };
      }),
      comparisons: COMPARISONS.map(([a, b, target]) => {
        const ratio = ratios.get(`${a}/${b}`);
        return {
          contender: CONTENDERS.find((c) => c.kind === a).label,
          baseline: CONTENDERS.find((c) => c.kind === b).label,
          rps: median(ratio.rps),
          cpu: median(ratio.cpu),
          spread: [Math.min(...ratio.cpu), Math.max(...ratio.cpu)],
          target,
        };
      }),
    };
  } finally {
    for (const { child } of servers.values()) child.disconnect();
  }
}

export function print(report) {
  console.log(
    `\n## HTTP: server CPU per delivery (autocannon, ${report.connections} connections, ${report.rounds} alternating rounds of ${report.requests.toLocaleString('en-US')} distinct notifications, medians)\n`,
  );
  printTable(
    [
      'server',
      'requests/s',
      'mean latency (ms)',
      'server CPU per request (µs)',
      'handler runs / requests',
    ],
    report.contenders.map((c) => [
      c.label,
      Math.round(c.rps).toLocaleString('en-US'),
      c.latencyMs.toFixed(2),
      c.cpuPerRequest.toFixed(1),
      `${c.handled} / ${c.requests}`,
    ]),
  );
  console.log('');
  printTable(
    ['adapter', 'baseline', 'efficiency (median)', 'spread over rounds', 'target', 'verdict'],
    report.comparisons.map((c) => [
      c.contender,
      c.baseline,
      `${c.cpu.toFixed(3)}×`,
      `${c.spread[0].toFixed(2)}–${c.spread[1].toFixed(2)}×`,
      c.target === undefined ? '—' : `≥ ${c.target}×`,
      c.target === undefined ? '—' : verdict(c.cpu >= c.target),
    ]),
  );
  console.log(
    "\nEfficiency: the baseline server's CPU time (user + system) per delivery over the adapter's," +
      '\nmeasured in the same round; above 1 the adapter spends less CPU per delivery. Requests per' +
      '\nsecond are shown for reference only: with the load generator on the same two cores they' +
      '\nmeasure the generator as much as the server.',
  );
}

if (isMain(import.meta.url)) print(await run());
