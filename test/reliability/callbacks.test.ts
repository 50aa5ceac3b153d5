import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createExpressMiddleware } from '../../src/adapters/express.js';
import { createFetchHandler } from '../../src/adapters/fetch.js';
import { createNodeMiddleware } from '../../src/adapters/node.js';
import { createWebhooks, InvalidOptionsError } from '../../src/index.js';
import { expectContractAnswer, fromResponse } from './support.js';

/**
 * The sweep over every callback a user gives us (`onError` at both levels, handlers, store
 * methods, `getClientIp`, a `trustProxy` function) and every option a string could reach:
 * whatever they do, the process survives, no rejection goes unhandled, and every answer is
 * a contract status with its JSON body. Each adapter runs in a child process with Node's
 * default handling of unhandled rejections, so that a leak ends it as it would end a user's.
 */

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);
const TOKEN = 'tok-hostile';
const ADAPTERS = ['node', 'express4', 'express5', 'fetch'] as const;

interface Child {
  readonly process: ChildProcess;
  readonly port: number;
  readonly cases: readonly string[];
  readonly stderr: () => string;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function startChild(adapter: string): Promise<Child> {
  const script = join(import.meta.dirname, 'child', 'hostile-server.mjs');
  const child = spawn(process.execPath, [script, adapter], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}):\n${stderr}`)));
  });
  const { port, cases } = JSON.parse(first) as { port: number; cases: string[] };
  return { process: child, port, cases, stderr: () => stderr };
}

/** The requests each case answers: the usual ones and the ones that reach callbacks. */
function requests(): { label: string; init: RequestInit; query: string }[] {
  const json = { 'content-type': 'application/json' };
  return [
    {
      label: 'a notification',
      init: { method: 'POST', headers: json, body: REVIEW },
      query: `?token=${TOKEN}`,
    },
    {
      label: 'the same again',
      init: { method: 'POST', headers: json, body: REVIEW },
      query: `?token=${TOKEN}`,
    },
    {
      label: 'not JSON',
      init: { method: 'POST', headers: json, body: '{"broken": ' },
      query: `?token=${TOKEN}`,
    },
    {
      label: 'not a notification',
      init: { method: 'POST', headers: json, body: '{"foo":1}' },
      query: `?token=${TOKEN}`,
    },
    { label: 'no token', init: { method: 'POST', headers: json, body: REVIEW }, query: '' },
    { label: 'GET', init: { method: 'GET' }, query: `?token=${TOKEN}` },
    {
      label: 'a forwarded notification',
      init: {
        method: 'POST',
        headers: { ...json, 'x-forwarded-for': '198.51.100.1, 203.0.113.7:443' },
        body: REVIEW.replace('28634', '28635'),
      },
      query: `?token=${TOKEN}`,
    },
  ];
}

async function send(port: number, name: string, request: ReturnType<typeof requests>[number]) {
  const url = `http://127.0.0.1:${port}/case/${encodeURIComponent(name)}${request.query}`;
  const response = await fetch(url, { ...request.init, signal: AbortSignal.timeout(10_000) });
  return fromResponse(response);
}

describe.each(ADAPTERS)('every user callback misbehaving, behind %s', (adapter) => {
  it('never ends the process, and answers every request from the contract', async () => {
    const child = await startChild(adapter);
    expect(child.cases.length).toBeGreaterThan(50);
    const failures: string[] = [];
    const check = async (name: string): Promise<void> => {
      await Promise.all(
        requests().map(async (request) => {
          try {
            expectContractAnswer(await send(child.port, name, request));
          } catch (error) {
            failures.push(`${name} / ${request.label}: ${(error as Error).message}`);
          }
        }),
      );
    };
    // A few cases at a time, so that the slow ones (callbacks that never settle) overlap.
    const queue = [...child.cases];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) await check(name);
      }),
    );
    // A rejection left unhandled ends the process a moment after the answer.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failures).toEqual([]);
    expect(child.process.exitCode).toBeNull();
    expect(child.process.signalCode).toBeNull();
    expect(child.stderr()).not.toMatch(/unhandled|uncaught/i);
  }, 60_000);
});

describe('options a string could reach', () => {
  const webhooks = createWebhooks();
  const adapters = [createNodeMiddleware, createExpressMiddleware, createFetchHandler];

  it.each<[string, Record<string, unknown>]>([
    ['maxBodyBytes', { maxBodyBytes: '65536' }],
    ['auth as a string', { auth: 'secret' }],
    ['auth.token as a number', { auth: { token: 1234 } }],
    ['auth.tokenParam empty', { auth: { token: 't', tokenParam: '' } }],
    [
      'auth.realm with a newline',
      { auth: { basic: { username: 'u', password: 'p' }, realm: 'a\nb' } },
    ],
    ['auth.allowIps garbage', { auth: { allowIps: 'localhost' } }],
    ['auth.trustProxy garbage', { auth: { trustProxy: 'proxy.example' } }],
    ['auth.trustProxy empty', { auth: { trustProxy: '' } }],
    ['onError as a string', { onError: 'console.error' }],
  ])('refuses %s at creation with InvalidOptionsError', (_, options) => {
    for (const create of adapters) {
      expect(() => create(webhooks, options as never)).toThrow(InvalidOptionsError);
    }
  });

  it('refuses getClientIp as a string', () => {
    expect(() => createFetchHandler(webhooks, { getClientIp: 'x-real-ip' as never })).toThrow(
      InvalidOptionsError,
    );
  });

  it.each<[string, Record<string, unknown>]>([
    ['timeZone a city', { timeZone: 'Madrid' }],
    ['timeZone a number', { timeZone: 1 }],
    ['dedupe.ttlMs', { dedupe: { ttlMs: '1000' } }],
    ['dedupe.claimTtlMs', { dedupe: { claimTtlMs: '1000' } }],
    ['handlerTimeoutMs', { handlerTimeoutMs: '1000' }],
    ['storeTimeoutMs', { storeTimeoutMs: '1000' }],
    ['state.skip as a string', { state: { skip: 'stale' } }],
    ['dedupe as a string', { dedupe: 'redis' }],
    ['state as a string', { state: 'memory' }],
    ['the options as a string', 'options' as never],
  ])('refuses %s in createWebhooks with InvalidOptionsError', (_, options) => {
    expect(() => createWebhooks(options as never)).toThrow(InvalidOptionsError);
  });
});
