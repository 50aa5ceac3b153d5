// Installs the packed tarball into scratch ESM and CJS projects and uses it there by name,
// the way a user would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const tarball = resolve(process.argv[2] ?? '');
const fixture = readFileSync('test/fixtures/videoid-1-request-created.json', 'utf8');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const programs = {
  'esm.mjs': `
import { parseWebhook, isWebhookError, safeParseWebhook } from 'uanataca-webhooks';
import * as node from 'uanataca-webhooks/node';
import * as express from 'uanataca-webhooks/express';
import * as fetch from 'uanataca-webhooks/fetch';
import * as testing from 'uanataca-webhooks/testing';
import { createRedisDedupeStore } from 'uanataca-webhooks/redis';
import { createPostgresInbox, postgresInboxSchema } from 'uanataca-webhooks/postgres';
if (typeof createRedisDedupeStore !== 'function') throw new Error('esm: no redis store');
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
import { safeParseWebhook, isWebhookError } from 'uanataca-webhooks';
const cjs = createRequire(import.meta.url)('uanataca-webhooks');
const fromCjs = cjs.safeParseWebhook('{').error;
if (!isWebhookError(fromCjs) || !cjs.isWebhookError(safeParseWebhook('{').error)) throw new Error('mixed: guard fails across copies');
console.log('mixed ok');
`,
  'types.mts': `
import { parseWebhook, createWebhooks, type WebhookEvent, type KnownRequestStatus } from 'uanataca-webhooks';
import { createNodeMiddleware } from 'uanataca-webhooks/node';
import { createExpressMiddleware } from 'uanataca-webhooks/express';
import { createFetchHandler } from 'uanataca-webhooks/fetch';
import { createTestFlow } from 'uanataca-webhooks/testing';
import { createRedisDedupeStore } from 'uanataca-webhooks/redis';
import { createPostgresDedupeStore, type PostgresClientLike } from 'uanataca-webhooks/postgres';
const event: WebhookEvent = parseWebhook('{}');
const status: KnownRequestStatus = 'VIDEOREVIEW';
const webhooks = createWebhooks();
webhooks.on('VIDEOREVIEW', (e) => { const s: 'VIDEOREVIEW' = e.status; return s; });
const handlers = [createNodeMiddleware(webhooks), createExpressMiddleware(webhooks), createFetchHandler(webhooks)];
const pool: PostgresClientLike = { query: async () => ({ rows: [], rowCount: 0 }) };
const dedupe = createWebhooks({ dedupe: { store: createPostgresDedupeStore(pool, { timeoutMs: 1_000 }) } });
export { event, status, handlers, createTestFlow, createRedisDedupeStore, dedupe };
`,
  'types.cts': `
import { parseWebhook, type WebhookEvent } from 'uanataca-webhooks';
import { createPostgresInbox } from 'uanataca-webhooks/postgres';
const event: WebhookEvent = parseWebhook('{}');
const inbox = createPostgresInbox({ query: async () => ({ rows: [] }) });
export { event, inbox };
`,
};

const dir = mkdtempSync(join(tmpdir(), 'uanataca-webhooks-scratch-'));
try {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  for (const [name, source] of Object.entries(programs)) writeFileSync(join(dir, name), source);
  const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, types: ['node'] };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'nodenext' },
      files: ['types.mts', 'types.cts'],
    }),
  );
  writeFileSync(
    join(dir, 'tsconfig.bundler.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'esnext', moduleResolution: 'bundler' },
      files: ['types.mts'],
    }),
  );
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--silent', tarball, '@types/node@20'], {
    cwd: dir,
    stdio: 'inherit',
  });
  for (const name of ['esm.mjs', 'cjs.cjs', 'mixed.mjs']) {
    execFileSync(process.execPath, [name], { cwd: dir, stdio: 'inherit' });
  }
  for (const project of ['tsconfig.json', 'tsconfig.bundler.json']) {
    execFileSync(
      process.execPath,
      [resolve('node_modules/typescript/bin/tsc'), '-p', join(dir, project)],
      {
        stdio: 'inherit',
      },
    );
  }
  console.log('types ok (nodenext and bundler, skipLibCheck off)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
