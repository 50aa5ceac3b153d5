// Bundle size of each entry point as an application bundler would ship it: the built ESM
// entry bundled by esbuild, minified, then gzipped. "Own code" leaves zod out (it is a
// dependency, shared with the application); "with zod" includes what the entry pulls from it.
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { dist, isMain, printTable, requireDist, root } from './util.mjs';

export const ENTRIES = [
  'index',
  'node',
  'express',
  'fetch',
  'aws-lambda',
  'fastify',
  'testing',
  'redis',
  'opentelemetry',
  'sqlite',
  'postgres',
];
const BUDGET = 5 * 1024;
// Optional peers (the redis entry's clients, the OpenTelemetry API, Fastify, whose types alone
// the plugin imports): never part of the package's weight.
const PEERS = ['ioredis', 'redis', '@opentelemetry/api', 'fastify', 'better-sqlite3', 'pg'];

/** Minified and gzipped bytes of `dist/<entry>.js` bundled with `external` left out. */
export async function measure(entry, external) {
  const result = await build({
    entryPoints: [join(dist, `${entry}.js`)],
    absWorkingDir: root,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    external,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
}

/** Gzipped bytes of an entry's own code: zod and the optional peers left out. */
export async function ownCodeSize(entry) {
  return (await measure(entry, ['zod', ...PEERS])).gzipped;
}

export async function run() {
  requireDist();
  const rows = [];
  for (const entry of ENTRIES) {
    rows.push({
      entry,
      own: await measure(entry, ['zod', ...PEERS]),
      withZod: await measure(entry, PEERS),
    });
  }
  return { budget: BUDGET, rows };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`;

export function print(report) {
  console.log('\n## Bundle size (esbuild --bundle --minify of dist/<entry>.js, then gzip -9)\n');
  printTable(
    [
      'entry',
      'own code min',
      'own code min+gz',
      'with zod min',
      'with zod min+gz',
      'own code vs 5 KiB',
    ],
    report.rows.map((r) => [
      r.entry === 'index' ? 'uanataca-webhooks' : `uanataca-webhooks/${r.entry}`,
      kib(r.own.minified),
      kib(r.own.gzipped),
      kib(r.withZod.minified),
      kib(r.withZod.gzipped),
      r.own.gzipped <= report.budget ? 'within' : 'OVER',
    ]),
  );
}

if (isMain(import.meta.url)) print(await run());
