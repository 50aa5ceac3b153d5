// The SQLite inbox on real database files in a temporary folder: the InboxStore contract, then
// what is particular to SQLite. The driver is the one the runtime offers (better-sqlite3 on
// Node 20), or the one TEST_SQLITE_DRIVER names: test/runtimes/sqlite.test.ts runs this file
// on Node 24 with node:sqlite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createWebhooks,
  type InboxStore,
  InvalidOptionsError,
  StoreUnavailableError,
} from '../../src/index.js';
import { DRIVER_MODULES, openDatabase, type SqliteDriver } from '../../src/sqlite/driver.js';
import { createSqliteInbox, type SqliteInboxOptions } from '../../src/sqlite/index.js';
import { prepareDatabase, TABLE } from '../../src/sqlite/schema.js';
import { createSqliteInboxFrom, PURGE_CHUNK } from '../../src/sqlite/store.js';
import { createTestPayload } from '../../src/testing/index.js';
import { describeInboxStoreContract } from '../unit/inbox-contract.js';

const driver = (process.env.TEST_SQLITE_DRIVER || undefined) as SqliteDriver | undefined;
const dir = mkdtempSync(join(tmpdir(), 'uanataca-sqlite-'));
let files = 0;
const nextFile = (): string => join(dir, `inbox-${++files}.sqlite`);

const opened: InboxStore[] = [];
function open(path: string, options: SqliteInboxOptions = {}): InboxStore {
  const store = createSqliteInbox({ path, ...(driver && { driver }), ...options });
  opened.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close?.()));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describeInboxStoreContract(`createSqliteInbox (${driver ?? 'default driver'})`, {
  create: () => open(nextFile()),
  // Two connections to one file, as two processes would have.
  pair: () => {
    const path = nextFile();
    return [open(path), open(path)];
  },
  now: () => Date.now(),
  wait: sleep,
});

let keys = 0;
const entry = (overrides: { requestId?: number; body?: string; key?: string } = {}) => ({
  idempotencyKey: overrides.key ?? `sqlite:${process.pid}:${++keys}`,
  requestId: overrides.requestId,
  eventType: 'VIDEOID_UPDATED',
  status: 'pending' as const,
  receivedAt: new Date(),
  body: overrides.body ?? '{}',
});

describe('createSqliteInbox', () => {
  it('picks the driver of the runtime: node:sqlite where it exists, otherwise better-sqlite3', async () => {
    const { database, driver: picked } = await openDatabase(':memory:', undefined);
    database.close();
    const builtIn = await import('node:sqlite' as string).then(
      () => true,
      () => false,
    );
    expect(picked).toBe(builtIn ? 'node:sqlite' : 'better-sqlite3');
  });

  it('opens the file in write-ahead-log mode, synced on every commit, shared with a busy timeout', async () => {
    const path = nextFile();
    const { database } = await openDatabase(path, driver);
    try {
      prepareDatabase(database, 1_234);
      const pragma = (name: string) =>
        Object.values(database.prepare(`PRAGMA ${name}`).get() ?? {})[0];
      expect(pragma('journal_mode')).toBe('wal');
      expect(pragma('synchronous')).toBe(2); // FULL
      expect(pragma('busy_timeout')).toBe(1_234);
    } finally {
      database.close();
    }
  });

  it('creates its file at once, under the path given', async () => {
    const path = nextFile();
    const store = open(path);
    await store.stats();
    const other = await openDatabase(path, driver);
    try {
      const tables = other.database
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'uanataca%'`)
        .all()
        .map((row) => row.name);
      expect(tables).toEqual(['uanataca_webhooks_inbox']);
    } finally {
      other.database.close();
    }
  });

  it('gives back any body to the character, NUL and lone line separators included', async () => {
    const store = open(nextFile());
    const body = `{"a":"\u0000x\u2028y","b":"${'é'.repeat(1000)}"}\u0000tail`;
    const { id } = await store.add(entry({ body }));
    expect((await store.get(id))?.body).toBe(body);
  });

  it('records adds arriving together in one go, each resolving with its own id', async () => {
    const store = open(nextFile());
    const request = 77;
    const entries = Array.from({ length: 300 }, (_, i) =>
      entry({ requestId: request + (i % 3), key: `batch:${i}` }),
    );
    // The same key twice in one batch: recorded once, the second a duplicate.
    const results = await Promise.all([...entries, entries[0]!].map((one) => store.add(one)));
    expect(new Set(results.slice(0, 300).map((result) => result.id)).size).toBe(300);
    expect(results.slice(0, 300).every((result) => !result.duplicate)).toBe(true);
    expect(results[300]).toEqual({ id: results[0]!.id, duplicate: true });
    expect((await store.stats()).pending).toBe(300);
    const listed = await store.list({ limit: 1_000 });
    expect(listed.map((one) => one.idempotencyKey)).toEqual(
      entries.map((one) => one.idempotencyKey).reverse(),
    );
  });

  it('leases an entry queued behind more due entries of a held-back request than a lease reads first', async () => {
    const store = open(nextFile());
    const { id: running } = await store.add(entry({ requestId: 1 }));
    expect((await store.lease('w1', 1, 60_000)).map((one) => one.id)).toEqual([running]);
    // A lease of 1 first reads 80 due entries: here all of request 1, held back.
    await Promise.all(Array.from({ length: 100 }, () => store.add(entry({ requestId: 1 }))));
    const { id: behind } = await store.add(entry({ requestId: 2 }));
    expect((await store.lease('w2', 1, 60_000)).map((one) => one.id)).toEqual([behind]);
    expect(await store.lease('w2', 1, 60_000)).toEqual([]);
  });

  it('rejects a failing write alone: the writes committed with it are kept', async () => {
    const store = open(nextFile());
    const bad = { ...entry(), status: 'bogus' as 'pending' };
    const [good, failed, other] = await Promise.allSettled([
      store.add(entry()),
      store.add(bad),
      store.add(entry()),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(other.status).toBe('fulfilled');
    expect(failed).toMatchObject({ status: 'rejected', reason: expect.any(StoreUnavailableError) });
    expect((await store.stats()).pending).toBe(2);
  });

  it('pages with before even when the entry named was purged meanwhile', async () => {
    const store = open(nextFile());
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await store.add(entry({ requestId: 9 }))).id);
    expect(
      await store.purge({
        status: 'pending',
        requestId: 9,
        receivedBefore: new Date(Date.now() + 1),
      }),
    ).toBe(4);
    for (let i = 0; i < 2; i++) ids.push((await store.add(entry({ requestId: 9 }))).id);
    expect((await store.list({ before: ids[5] })).map((one) => one.id)).toEqual([ids[4]]);
    expect((await store.list({ before: ids[2] })).map((one) => one.id)).toEqual([]);
    expect(await store.list({ before: 'not-an-id' })).toEqual([]);
    expect(await store.get('not-an-id')).toBeUndefined();
    expect(await store.renew('x', 'w', 1_000)).toBe(false);
    expect(await store.settle('x', 'w', { status: 'done' })).toBe(false);
    expect(await store.replay('x')).toBe('missing');
  });

  it('purges a chunk per transaction, other calls going on in between, and counts them all', async () => {
    const path = nextFile();
    const store = open(path);
    const { id: running } = await store.add(entry({ requestId: 12 }));
    expect((await store.lease('w1', 1, 60_000)).map((one) => one.id)).toEqual([running]);
    // More than three chunks of done entries of request 12, written at once by another connection.
    const total = PURGE_CHUNK * 3 + 1_000;
    const { database } = await openDatabase(path, driver);
    try {
      prepareDatabase(database, 5_000);
      database
        .prepare(
          `INSERT INTO ${TABLE} (idempotency_key, request_id, status, attempts, received_at, body)
          WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
          SELECT 'chunked:' || i, 12, 'done', 1, ?, X'7B7D' FROM n`,
        )
        .run(total, Date.now());
    } finally {
      database.close();
    }
    expect((await store.stats()).done).toBe(total);

    const settled: string[] = [];
    const purging = store.purge({ requestId: 12 }).finally(() => settled.push('purge'));
    // Reads between the chunks see the first ones gone, the rest still there.
    let left = total;
    while (left === total && settled.length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      left = (await store.stats()).done;
    }
    expect(left).toBeGreaterThan(PURGE_CHUNK);
    expect(left).toBeLessThan(total);
    // A write asked for now is committed before the purge ends.
    const added = store.add(entry({ requestId: 13 })).finally(() => settled.push('add'));
    expect(await purging).toBe(total);
    const { id } = await added;
    expect(settled).toEqual(['add', 'purge']);
    expect(await store.stats()).toMatchObject({ done: 0, running: 1, pending: 1 });
    expect((await store.get(running))?.status).toBe('running');
    expect((await store.get(id))?.status).toBe('pending');
  });

  it('reads filters as every store does, refusing what it cannot read', async () => {
    const store = open(nextFile());
    await expect(store.list({ status: 'nope' as 'done' })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
    await expect(store.purge({ requestId: -1 })).rejects.toBeInstanceOf(InvalidOptionsError);
  });

  it('closes its database: later calls fail as the store being unavailable', async () => {
    const store = createSqliteInbox({ path: nextFile(), ...(driver && { driver }) });
    const pending = store.add(entry());
    await store.close?.();
    await expect(pending).resolves.toMatchObject({ duplicate: false });
    await expect(store.stats()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.add(entry())).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close?.();
  });

  it('fails as unavailable while its folder is missing, and opens once it is there', async () => {
    const folder = join(dir, `later-${++files}`);
    const store = open(join(folder, 'inbox.sqlite'));
    await expect(store.stats()).rejects.toBeInstanceOf(StoreUnavailableError);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder);
    expect((await store.stats()).pending).toBe(0);
  });

  it('refuses bad options when created', () => {
    expect(() => createSqliteInbox({ path: '' })).toThrow(InvalidOptionsError);
    expect(() => createSqliteInbox({ path: 3 as unknown as string })).toThrow(InvalidOptionsError);
    expect(() => createSqliteInbox({ driver: 'sqlite3' as SqliteDriver })).toThrow(
      /driver must be 'node:sqlite' or 'better-sqlite3'/,
    );
    expect(() => createSqliteInbox({ busyTimeoutMs: 0 })).toThrow(InvalidOptionsError);
  });
});

describe('createSqliteInbox without a driver', () => {
  const missing = {
    'node:sqlite': 'node:missing-sqlite',
    'better-sqlite3': 'missing-better-sqlite3',
  };

  it('says what to install, as InvalidOptionsError', async () => {
    const store = createSqliteInboxFrom(missing, { path: nextFile() });
    const failure = store.add(entry());
    await expect(failure).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(failure).rejects.toThrow(/npm install better-sqlite3.*Node\.js 22\.13 or later/s);
    await store.close?.();
  });

  it('names the driver asked for when that one is missing', async () => {
    const forced = createSqliteInboxFrom(missing, { path: nextFile(), driver: 'better-sqlite3' });
    await expect(forced.stats()).rejects.toThrow(
      'The SQLite driver better-sqlite3 is not installed: run `npm install better-sqlite3`.',
    );
    const builtIn = createSqliteInboxFrom(missing, { path: nextFile(), driver: 'node:sqlite' });
    await expect(builtIn.stats()).rejects.toThrow(/node:sqlite is not available.*22\.13/);
  });

  it('reaches the router as a 503 whose cause says what to install', async () => {
    const errors: unknown[] = [];
    const webhooks = createWebhooks({
      inbox: { store: createSqliteInboxFrom(missing, { path: nextFile() }), worker: false },
      onError: (error) => errors.push(error),
    });
    const body = JSON.stringify(createTestPayload({ status: 'VIDEOREVIEW', requestId: 1 }));
    await expect(webhooks.receive(body)).rejects.toMatchObject({
      code: 'store_unavailable',
      cause: expect.any(InvalidOptionsError),
    });
    expect(String((errors[0] as Error).cause)).toMatch(/npm install better-sqlite3/);
  });

  it('the real module names are node:sqlite and better-sqlite3', () => {
    expect(DRIVER_MODULES).toEqual({
      'node:sqlite': 'node:sqlite',
      'better-sqlite3': 'better-sqlite3',
    });
  });
});
