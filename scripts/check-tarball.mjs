// Installs the packed tarball into scratch ESM and CJS projects and uses it there by name,
// the way a user would: every entry `exports` lists is imported and required, and
// type-checked under nodenext, bundler and classic (node10) resolution.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkClassicConsumer } from './classic-consumer.mjs';
import { entrySpecifiers } from './package-entries.mjs';

const tarball = resolve(process.argv[2] ?? '');
const fixture = readFileSync('test/fixtures/videoid-1-request-created.json', 'utf8');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const programs = {
  'esm.mjs': `
import { parseWebhook, isWebhookError, safeParseWebhook, createWebhooks } from 'uanataca-webhooks';
import * as node from 'uanataca-webhooks/node';
import * as express from 'uanataca-webhooks/express';
import * as fetch from 'uanataca-webhooks/fetch';
import * as testing from 'uanataca-webhooks/testing';
import { createRedisDedupeStore } from 'uanataca-webhooks/redis';
import { instrumentWebhooks } from 'uanataca-webhooks/opentelemetry';
import { createLambdaHandler } from 'uanataca-webhooks/aws-lambda';
import fastifyPlugin, { fastifyUanatacaWebhooks } from 'uanataca-webhooks/fastify';
import { createSqliteInbox } from 'uanataca-webhooks/sqlite';
import { createPostgresInbox, postgresInboxSchema } from 'uanataca-webhooks/postgres';
if (typeof createRedisDedupeStore !== 'function') throw new Error('esm: no redis store');
instrumentWebhooks(createWebhooks())();
if (fastifyPlugin !== fastifyUanatacaWebhooks || fastifyPlugin[Symbol.for('plugin-meta')]?.name !== 'uanataca-webhooks') throw new Error('esm: no fastify plugin');
const lambda = await createLambdaHandler(createWebhooks(), { auth: false })({ httpMethod: 'GET', path: '/' });
if (lambda.statusCode !== 405) throw new Error('esm: lambda handler answered ' + lambda.statusCode);
const inbox = createSqliteInbox({ path: 'esm-inbox.sqlite' });
const added = await inbox.add({ idempotencyKey: 'k', status: 'pending', receivedAt: new Date(), body: '{}' });
if ((await inbox.get(added.id))?.body !== '{}') throw new Error('esm: sqlite inbox lost the entry');
await inbox.close();
const pgLike = { query: async () => ({ rows: [], rowCount: 0 }) };
if (typeof createPostgresInbox(pgLike).lease !== 'function' || !postgresInboxSchema().includes('CREATE TABLE')) throw new Error('esm: no postgres store');
const event = parseWebhook(${JSON.stringify(fixture)}, { timeZone: 'Europe/Madrid' });
if (event.status !== 'VIDEOPENDING' || event.requestId !== 28634) throw new Error('esm: wrong event');
const failed = safeParseWebhook('{');
if (failed.success || !isWebhookError(failed.error)) throw new Error('esm: no error');
console.log('esm ok', event.occurredAt.toISOString(), Object.keys({ ...node, ...express, ...fetch, ...testing }).length);
`,
  'cjs.cjs': `
const { parseWebhook, isWebhookError, safeParseWebhook } = require('uanataca-webhooks');
require('uanataca-webhooks/node'); require('uanataca-webhooks/express');
require('uanataca-webhooks/fetch'); require('uanataca-webhooks/testing');
if (typeof require('uanataca-webhooks/redis').createRedisStateStore !== 'function') throw new Error('cjs: no redis store');
require('uanataca-webhooks/opentelemetry').instrumentWebhooks(require('uanataca-webhooks').createWebhooks())();
if (typeof require('uanataca-webhooks/aws-lambda').createLambdaHandler !== 'function') throw new Error('cjs: no lambda handler');
const fastify = require('uanataca-webhooks/fastify');
if (typeof fastify.default !== 'function' || fastify.default !== fastify.fastifyUanatacaWebhooks) throw new Error('cjs: no fastify plugin');
const { createSqliteInbox } = require('uanataca-webhooks/sqlite');
const inbox = createSqliteInbox({ path: 'cjs-inbox.sqlite' });
inbox.stats().then(async (stats) => {
  if (stats.pending !== 0) throw new Error('cjs: sqlite inbox not empty');
  await inbox.close();
  console.log('cjs sqlite ok');
}).catch((error) => { console.error(error); process.exit(1); });
const postgres = require('uanataca-webhooks/postgres');
if (typeof postgres.createPostgresStateStore({ query: async () => ({ rows: [] }) }).lock !== 'function') throw new Error('cjs: no postgres store');
const event = parseWebhook(${JSON.stringify(fixture)}, { timeZone: 'Europe/Madrid' });
if (event.status !== 'VIDEOPENDING' || event.requestId !== 28634) throw new Error('cjs: wrong event');
const failed = safeParseWebhook('{');
if (failed.success || !isWebhookError(failed.error)) throw new Error('cjs: no error');
console.log('cjs ok', event.occurredAt.toISOString());
`,
  'mixed.mjs': `
import { createRequire } from 'node:module';
import { safeParseWebhook, isWebhookError, createWebhooks } from 'uanataca-webhooks';
const cjs = createRequire(import.meta.url)('uanataca-webhooks');
const fromCjs = cjs.safeParseWebhook('{').error;
if (!isWebhookError(fromCjs) || !cjs.isWebhookError(safeParseWebhook('{').error)) throw new Error('mixed: guard fails across copies');
// The CJS copy instruments a router of the ESM copy: the observers hang on a shared symbol.
createRequire(import.meta.url)('uanataca-webhooks/opentelemetry').instrumentWebhooks(createWebhooks())();
console.log('mixed ok');
`,
  // Run before better-sqlite3 is there: without a driver, the store says what to install.
  'no-driver.mjs': `
import { isWebhookError } from 'uanataca-webhooks';
import { createSqliteInbox } from 'uanataca-webhooks/sqlite';
const builtIn = await import('node:' + 'sqlite').then(() => true, () => false);
const outcome = await createSqliteInbox({ path: 'no-driver.sqlite' }).stats().then(() => 'opened', (error) => error);
if (builtIn ? outcome !== 'opened' : !(isWebhookError(outcome, 'invalid_options') && /npm install better-sqlite3/.test(outcome.message))) {
  throw new Error('no-driver: ' + String(outcome));
}
console.log('no-driver ok', builtIn ? '(node:sqlite)' : outcome.message);
`,
  'types.mts': `
import { parseWebhook, createWebhooks, type WebhookEvent, type KnownRequestStatus } from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';
import { createExpressMiddleware } from 'uanataca-webhooks/express';
import { createFetchHandler } from 'uanataca-webhooks/fetch';
import { createTestFlow } from 'uanataca-webhooks/testing';
import { createRedisDedupeStore } from 'uanataca-webhooks/redis';
import { instrumentWebhooks, type InstrumentWebhooksOptions } from 'uanataca-webhooks/opentelemetry';
import { createLambdaHandler } from 'uanataca-webhooks/aws-lambda';
import fastifyUanatacaWebhooks from 'uanataca-webhooks/fastify';
import type { APIGatewayProxyHandler, APIGatewayProxyHandlerV2, LambdaFunctionURLHandler } from 'aws-lambda';
import Fastify from 'fastify';
import { createSqliteInbox, type SqliteInboxOptions } from 'uanataca-webhooks/sqlite';
import { createPostgresDedupeStore, type PostgresClientLike } from 'uanataca-webhooks/postgres';
const event: WebhookEvent = parseWebhook('{}');
const sqliteOptions: SqliteInboxOptions = { path: 'inbox.sqlite', driver: 'node:sqlite' };
const durable = createWebhooks({ inbox: { store: createSqliteInbox(sqliteOptions) } });
const status: KnownRequestStatus = 'VIDEOREVIEW';
const webhooks = createWebhooks();
webhooks.on('VIDEOREVIEW', (e) => { const s: 'VIDEOREVIEW' = e.status; return s; });
const handlers = [createNodeMiddleware(webhooks), createExpressMiddleware(webhooks), createFetchHandler(webhooks)];
const pool: PostgresClientLike = { query: async () => ({ rows: [], rowCount: 0 }) };
const dedupe = createWebhooks({ dedupe: { store: createPostgresDedupeStore(pool, { timeoutMs: 1_000 }) } });
const telemetry: InstrumentWebhooksOptions = {};
const uninstrument: () => void = instrumentWebhooks(webhooks, telemetry);
const rest: APIGatewayProxyHandler = createLambdaHandler(webhooks);
const http: APIGatewayProxyHandlerV2 = createLambdaHandler(webhooks);
const url: LambdaFunctionURLHandler = createLambdaHandler(webhooks);
const app = Fastify();
app.register(fastifyUanatacaWebhooks, { webhooks, path: '/hook', auth: false });
export { event, status, handlers, createTestFlow, createRedisDedupeStore, uninstrument, rest, http, url, durable, dedupe };
`,
  'types.cts': `
import { parseWebhook, type WebhookEvent } from 'uanataca-webhooks';
import { createLambdaHandler } from 'uanataca-webhooks/aws-lambda';
import fastifyUanatacaWebhooks = require('uanataca-webhooks/fastify');
import { createPostgresInbox } from 'uanataca-webhooks/postgres';
const event: WebhookEvent = parseWebhook('{}');
const plugin = fastifyUanatacaWebhooks.default;
const inbox = createPostgresInbox({ query: async () => ({ rows: [] }) });
export { event, createLambdaHandler, plugin, inbox };
`,
};

/** Programs that load every entry in `specifiers`, so that an entry added later is covered. */
function everyEntry(specifiers) {
  const list = JSON.stringify(specifiers);
  const check = (format) =>
    `if (!Object.values(entry).some((value) => typeof value === 'function')) throw new Error('${format}: ' + specifier + ' exports no function');`;
  const imports = (statement) =>
    specifiers.map((specifier, i) => statement(`entry${i}`, specifier)).join('\n');
  const all = specifiers.map((_, i) => `entry${i}`).join(', ');
  return {
    'entries.mjs': `for (const specifier of ${list}) {
  const entry = await import(specifier);
  ${check('esm')}
}
console.log('esm ok: every entry (${specifiers.length})');
`,
    'entries.cjs': `for (const specifier of ${list}) {
  const entry = require(specifier);
  ${check('cjs')}
}
console.log('cjs ok: every entry (${specifiers.length})');
`,
    'entries.mts': `${imports((name, specifier) => `import * as ${name} from '${specifier}';`)}
export const entries: object[] = [${all}];
`,
    'entries.cts': `${imports((name, specifier) => `import ${name} = require('${specifier}');`)}
export const entries: object[] = [${all}];
`,
  };
}

const tsc = resolve('node_modules/typescript/bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'uanataca-webhooks-scratch-'));
try {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  // The optional peers the entries' types and the scratch programs need.
  const peers = ['@types/node@20', '@types/aws-lambda@8', 'fastify@5', '@opentelemetry/api@~1.9.0'];
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--silent', tarball, ...peers], {
    cwd: dir,
    stdio: 'inherit',
  });
  const installed = join(dir, 'node_modules', 'uanataca-webhooks', 'package.json');
  const specifiers = entrySpecifiers(JSON.parse(readFileSync(installed, 'utf8')));
  for (const [name, source] of Object.entries({ ...programs, ...everyEntry(specifiers) })) {
    writeFileSync(join(dir, name), source);
  }
  const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, types: ['node'] };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'nodenext' },
      files: ['types.mts', 'types.cts', 'entries.mts', 'entries.cts'],
    }),
  );
  writeFileSync(
    join(dir, 'tsconfig.bundler.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'esnext', moduleResolution: 'bundler' },
      files: ['types.mts', 'entries.mts'],
    }),
  );
  execFileSync(process.execPath, ['no-driver.mjs'], { cwd: dir, stdio: 'inherit' });
  // better-sqlite3 as the user would install it: the copy this repository built, linked rather
  // than built again.
  symlinkSync(
    resolve('node_modules/better-sqlite3'),
    join(dir, 'node_modules', 'better-sqlite3'),
    'dir',
  );
  for (const name of ['esm.mjs', 'cjs.cjs', 'mixed.mjs', 'entries.mjs', 'entries.cjs']) {
    execFileSync(process.execPath, [name], { cwd: dir, stdio: 'inherit' });
  }
  for (const project of ['tsconfig.json', 'tsconfig.bundler.json']) {
    execFileSync(process.execPath, [tsc, '-p', join(dir, project)], { stdio: 'inherit' });
  }
  console.log('types ok (nodenext and bundler, skipLibCheck off)');
  const classic = checkClassicConsumer(join(dir, 'classic'), {
    tsc,
    specifiers,
    skipLibCheck: false,
  });
  process.stdout.write(classic);
  console.log('types ok (classic node10 resolution, CommonJS, skipLibCheck off)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
