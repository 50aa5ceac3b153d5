// Real processes of the built package sharing one SQLite inbox file: two workers leasing at
// once, a receiver killed with SIGKILL right after it answered, and `inbox: true` writing the
// default file in the working directory.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InboxStore, parseWebhook } from '../../src/index.js';
import { createSqliteInbox } from '../../src/sqlite/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import { assertBuilt, type Child, startChild } from './support/sqlite-process.js';

const dir = mkdtempSync(join(tmpdir(), 'uanataca-sqlite-processes-'));
let folders = 0;
const nextFolder = (): string => mkdtempSync(join(dir, `case-${++folders}-`));

const children: Child[] = [];
const stores: InboxStore[] = [];
const start = (...args: Parameters<typeof startChild>): Child => {
  const child = startChild(...args);
  children.push(child);
  return child;
};
const open = (path: string): InboxStore => {
  const store = createSqliteInbox({ path });
  stores.push(store);
  return store;
};

beforeAll(() => assertBuilt());
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(stores.splice(0).map((store) => store.close?.()));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const STATUSES = ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOREVIEW', 'APPROVED', 'ENROLLED'];
/** Distinct notifications: `perRequest` for each of `requests` request ids. */
function notifications(requests: number, perRequest: number, firstRequest: number): string[] {
  const bodies: string[] = [];
  for (let n = 0; n < perRequest; n++) {
    for (let r = 0; r < requests; r++) {
      const payload = createTestPayload({
        status: STATUSES[n % STATUSES.length]!,
        requestId: firstRequest + r,
        sentAt: new Date(Date.UTC(2025, 6, 15, 8, 0, n)),
      });
      bodies.push(JSON.stringify(payload));
    }
  }
  return bodies;
}

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', body });
  return { status: response.status, text: await response.text() };
}

describe('processes sharing one SQLite inbox file', () => {
  it('two workers leasing at once handle every entry once, never two of one request at a time', async () => {
    const folder = nextFolder();
    const path = join(folder, 'inbox.sqlite');
    const store = open(path);
    const bodies = notifications(12, 20, 7_100);
    for (const body of bodies) {
      const event = parseWebhook(body);
      await store.add({
        idempotencyKey: event.idempotencyKey,
        requestId: event.requestId,
        eventType: event.eventType,
        status: 'pending',
        receivedAt: new Date(),
        body,
      });
    }
    expect((await store.stats()).pending).toBe(bodies.length);
    const env = { INBOX_PATH: path, LOCK_DIR: folder };
    const workers = [start('work', env), start('work', env)];
    await Promise.all(workers.map((worker) => worker.waitFor('READY')));
    for (const worker of workers) worker.send('go');
    await Promise.all(workers.map((worker) => worker.waitFor('DONE', 60_000)));

    const handled = workers.map((worker) =>
      worker.lines.filter((line) => line.startsWith('HANDLED ')).map((line) => line.slice(8)),
    );
    const all = handled.flat();
    expect(
      workers.flatMap((worker) => worker.lines.filter((l) => l.startsWith('OVERLAP'))),
    ).toEqual([]);
    expect(all).toHaveLength(bodies.length);
    expect(new Set(all).size).toBe(bodies.length);
    // Both took part: the leases really raced.
    for (const mine of handled) expect(mine.length).toBeGreaterThan(0);
    const stats = await store.stats();
    expect(stats).toMatchObject({ pending: 0, running: 0, done: bodies.length, dead: 0 });
  }, 90_000);

  it('keeps what a receiver answered before it was killed with SIGKILL; the next process handles it', async () => {
    const folder = nextFolder();
    const path = join(folder, 'inbox.sqlite');
    const handledFile = join(folder, 'handled.log');
    // Its handlers never finish: what it leased is taken over once its short lease runs out.
    const first = start('serve', { INBOX_PATH: path, BLOCK: '1', LEASE_MS: '1000' });
    const port = (await first.waitFor('LISTENING ')).slice('LISTENING '.length);
    const bodies = notifications(5, 4, 8_200);
    const answers = await Promise.all(
      bodies.map((body) => post(`http://127.0.0.1:${port}/webhooks`, body)),
    );
    first.process.kill('SIGKILL');
    expect(answers).toEqual(bodies.map(() => ({ status: 200, text: '{"ok":true,"queued":true}' })));
    await first.kill();

    const second = start('serve', { INBOX_PATH: path, HANDLED_FILE: handledFile });
    await second.waitFor('LISTENING ');
    const store = open(path);
    const deadline = Date.now() + 30_000;
    let stats = await store.stats();
    while (stats.done < bodies.length && Date.now() < deadline) {
      await sleep(50);
      stats = await store.stats();
    }
    expect(stats).toMatchObject({ done: bodies.length, pending: 0, running: 0 });
    const handled = readFileSync(handledFile, 'utf8').trim().split('\n');
    expect(new Set(handled).size).toBe(bodies.length);
    const keys = (await store.list({ limit: 100 })).map((entry) => entry.idempotencyKey).sort();
    expect(keys).toEqual(bodies.map((body) => parseWebhook(body).idempotencyKey).sort());
  }, 60_000);

  it('records into ./uanataca-webhooks-inbox.sqlite with inbox: true and handles from there', async () => {
    const cwd = nextFolder();
    const bodies = notifications(3, 1, 9_300);
    const child = start('default', { BODIES: JSON.stringify(bodies) }, { cwd });
    const report = JSON.parse((await child.waitFor('DONE ', 30_000)).slice(5)) as {
      queued: boolean[];
      seen: string[];
      statuses: string[];
      file: boolean;
    };
    const keys = bodies.map((body) => parseWebhook(body).idempotencyKey);
    expect(report).toMatchObject({
      queued: [true, true, true],
      statuses: ['done', 'done', 'done'],
      file: true,
    });
    expect([...report.seen].sort()).toEqual([...keys].sort());
    expect(readdirSync(cwd)).toContain('uanataca-webhooks-inbox.sqlite');
    const store = open(join(cwd, 'uanataca-webhooks-inbox.sqlite'));
    expect((await store.list({})).map((entry) => entry.idempotencyKey)).toEqual(
      [...keys].reverse(),
    );
  }, 40_000);
});
