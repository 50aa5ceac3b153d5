// parseWebhook against JSON.parse alone, on the provider's fixtures as text.
import {
  fixtureBodies,
  importDist,
  isMain,
  median,
  printTable,
  requireDist,
  roundOrder,
  setting,
  verdict,
} from './util.mjs';

const ROUNDS = setting('BENCH_PARSE_ROUNDS', 15);
const BATCH = setting('BENCH_PARSE_BATCH', 30_000);
const TARGETS = { UTC: 1.5, 'Europe/Madrid': 1.5 };

let sink = 0;

/**
 * CPU nanoseconds per call of `fn` over `BATCH` bodies, cycling through them. CPU time rather
 * than wall time: on a shared machine, wall time also counts the time spent waiting for a core,
 * which moved single ratios by 10 %.
 */
function time(fn, bodies) {
  const count = bodies.length;
  const start = process.cpuUsage();
  for (let i = 0; i < BATCH; i++) {
    const value = fn(bodies[i % count]);
    if (value !== undefined && value !== null) sink++;
  }
  const { user, system } = process.cpuUsage(start);
  return ((user + system) * 1000) / BATCH;
}

export async function run() {
  requireDist();
  const { parseWebhook } = await importDist('index');
  const bodies = fixtureBodies();
  const bytes = bodies.map((body) => new TextEncoder().encode(body));
  const decoder = new TextDecoder();
  const madrid = { timeZone: 'Europe/Madrid' };
  const contenders = [
    { name: 'JSON.parse', bodies, fn: (body) => JSON.parse(body) },
    { name: 'parseWebhook UTC', bodies, fn: (body) => parseWebhook(body) },
    { name: 'parseWebhook Europe/Madrid', bodies, fn: (body) => parseWebhook(body, madrid) },
    {
      name: 'TextDecoder + JSON.parse (bytes)',
      bodies: bytes,
      fn: (body) => JSON.parse(decoder.decode(body)),
    },
    { name: 'parseWebhook UTC (bytes)', bodies: bytes, fn: (body) => parseWebhook(body) },
  ];
  // Warm-up: every contender optimized before anything is measured.
  for (let i = 0; i < 3; i++) for (const c of contenders) time(c.fn, c.bodies);

  const samples = new Map(contenders.map((c) => [c.name, []]));
  const ratios = { UTC: [], 'Europe/Madrid': [], bytes: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const ns = {};
    for (const c of roundOrder(contenders, round)) {
      ns[c.name] = time(c.fn, c.bodies);
      samples.get(c.name).push(ns[c.name]);
    }
    ratios.UTC.push(ns['parseWebhook UTC'] / ns['JSON.parse']);
    ratios['Europe/Madrid'].push(ns['parseWebhook Europe/Madrid'] / ns['JSON.parse']);
    ratios.bytes.push(ns['parseWebhook UTC (bytes)'] / ns['TextDecoder + JSON.parse (bytes)']);
  }
  if (sink === 0) throw new Error('nothing was parsed');

  const absolute = contenders.map((c) => ({ name: c.name, ns: median(samples.get(c.name)) }));
  const results = [
    {
      comparison: 'parseWebhook vs JSON.parse, timeZone UTC',
      ratio: median(ratios.UTC),
      target: TARGETS.UTC,
    },
    {
      comparison: "parseWebhook vs JSON.parse, timeZone 'Europe/Madrid'",
      ratio: median(ratios['Europe/Madrid']),
      target: TARGETS['Europe/Madrid'],
    },
    {
      comparison: 'parseWebhook vs TextDecoder + JSON.parse, bytes, UTC',
      ratio: median(ratios.bytes),
      target: undefined,
    },
  ];
  return { bodies: bodies.length, rounds: ROUNDS, batch: BATCH, absolute, results };
}

export function print(report) {
  console.log(
    `\n## Parser (${report.bodies} fixtures, ${report.rounds} alternating rounds of ${report.batch} parses, CPU time, medians)\n`,
  );
  printTable(
    ['contender', 'ns per body', 'bodies per second'],
    report.absolute.map((a) => [
      a.name,
      a.ns.toFixed(0),
      Math.round(1e9 / a.ns).toLocaleString('en-US'),
    ]),
  );
  console.log('');
  printTable(
    ['comparison', 'ratio (time)', 'target', 'verdict'],
    report.results.map((r) => [
      r.comparison,
      `${r.ratio.toFixed(2)}×`,
      r.target === undefined ? '-' : `≤ ${r.target}×`,
      r.target === undefined ? '-' : verdict(r.ratio <= r.target),
    ]),
  );
}

if (isMain(import.meta.url)) print(await run());
