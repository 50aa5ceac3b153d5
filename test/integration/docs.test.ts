// Every TypeScript block of the README and of docs/ compiles, under the project's strict
// settings, against the built package imported by its name: what a reader copies works.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, documentationFiles } from '../support/code-blocks.js';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, '.cache', 'docs-check');

/**
 * What the snippets take from the reader's own application: their app, database and
 * secrets. Everything of this package, and of the libraries a snippet shows, it imports.
 */
const PRELUDE = `
type Package = typeof import('uanataca-webhooks');
declare const app: import('express').Express;
declare const db: any;
declare const pool: import('pg').Pool;
declare const redis: import('ioredis').Redis;
type WithInbox = import('uanataca-webhooks').Webhooks & {
  readonly inbox: import('uanataca-webhooks').WebhooksInbox;
};
declare const webhooks: WithInbox;
declare const queued: WithInbox;
declare const createWebhooks: Package['createWebhooks'];
declare const parseWebhook: Package['parseWebhook'];
declare const parseTimestamp: Package['parseTimestamp'];
declare const createPostgresInbox: typeof import('uanataca-webhooks/postgres').createPostgresInbox;
declare const createRedisDedupeStore: typeof import('uanataca-webhooks/redis').createRedisDedupeStore;
declare const createFetchHandler: typeof import('uanataca-webhooks/fetch').createFetchHandler;
declare const createExpressMiddleware: typeof import('uanataca-webhooks/express').createExpressMiddleware;
declare const createRedisStateStore: typeof import('uanataca-webhooks/redis').createRedisStateStore;
declare const formatSentAt: Package['formatSentAt'];
declare const issuedAt: Date;
declare const lateEvent: import('uanataca-webhooks').WebhookEvent;
declare const logger: { warn(fields: object, message: string): void };
interface Transaction {
  oneOrNone(sql: string, values: unknown[]): Promise<any>;
  none(sql: string, values: unknown[]): Promise<void>;
}
// Runtimes and frameworks the snippets are written for, as far as they use them.
declare namespace Bun {
  interface Server { requestIP(request: Request): { address: string } | null }
  function serve(options: { fetch(request: Request, server: Server): unknown }): unknown;
}
declare namespace Deno {
  interface ServeHandlerInfo { remoteAddr: { hostname: string } }
  function serve(handler: (request: Request, info: ServeHandlerInfo) => unknown): unknown;
}
interface Env {}
interface ExecutionContext { waitUntil(promise: Promise<unknown>): void }
declare class AppModule {}
declare class WebhooksService {
  readonly webhooks: import('uanataca-webhooks').Webhooks;
  readonly auth: import('uanataca-webhooks/express').AuthOptions;
}
declare const rawBody: string;
declare const token: string;
declare const body: string;
declare const id: string;
declare const upgradeDay: Date;
declare function saveCertificate(...args: unknown[]): Promise<void>;
declare function notifyOperator(...args: unknown[]): void;
declare function queueReview(...args: unknown[]): void;
declare function markApproved(...args: unknown[]): void;
declare function closeCase(...args: unknown[]): void;
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    experimentalDecorators: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['*.ts'],
};

/** A file name that says where the block comes from. */
const fileOf = (block: CodeBlock): string =>
  `${block.file.replace(/[^\w]+/g, '-')}-line-${block.line}.ts`;

describe('the documentation', () => {
  it('compiles every TypeScript block of the README and docs/ under strict settings', async () => {
    if (!existsSync(join(root, 'dist', 'index.d.ts'))) throw new Error('run npm run build first');
    const blocks = documentationFiles(root)
      .flatMap((file) => codeBlocks(root, file))
      .filter((block) => block.language === 'ts');
    expect(blocks.length).toBeGreaterThan(10);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE);
    for (const block of blocks) {
      // A module each: its names stay its own, and top-level await works.
      writeFileSync(join(dir, fileOf(block)), `${block.code}\nexport {};\n`);
    }
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', dir], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    // Each error points back to the Markdown line it comes from.
    const located = result.replace(
      /^(\S+)-line-(\d+)\.ts\((\d+),\d+\)/gm,
      (_, file, start, line) => `${file} (block at line ${start}, its line ${line})`,
    );
    expect(located).toBe('');
  }, 120_000);
});
