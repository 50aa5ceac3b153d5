import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  createWebhooks,
  InvalidOptionsError,
  StoreUnavailableError,
  TimeoutError,
} from '../../src/index.js';
import {
  createPostgresDedupeStore,
  createPostgresInbox,
  createPostgresStateStore,
  type PostgresClientLike,
  postgresDedupeSchema,
  postgresInboxSchema,
  postgresStateSchema,
} from '../../src/postgres/index.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

const FACTORIES = [
  ['createPostgresInbox', createPostgresInbox],
  ['createPostgresDedupeStore', createPostgresDedupeStore],
  ['createPostgresStateStore', createPostgresStateStore],
] as const;

/** A client that records its statements and answers `rows` to each. */
function fakeClient(answer: (text: string) => Promise<{ rows: unknown[] }>) {
  const query = vi.fn((text: string, _values?: unknown[]) => answer(text));
  return { query, client: { query } satisfies PostgresClientLike };
}

describe.each(FACTORIES)('%s: options', (_name, create) => {
  const { client, query } = fakeClient(async () => ({ rows: [] }));

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['an object without query', { connect: () => {} }],
    ['a function (a postgres.js sql tag)', Object.assign(() => {}, { unsafe: () => {} })],
  ])('refuses %s as the client', (_what, pool) => {
    expect(() => create(pool as PostgresClientLike)).toThrow(InvalidOptionsError);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1s'])(
    'refuses timeoutMs = %s',
    (timeoutMs) => {
      expect(() => create(client, { timeoutMs: timeoutMs as number })).toThrow(InvalidOptionsError);
    },
  );

  it.each([
    'x"; DROP TABLE users; --',
    'webhooks.inbox',
    'Webhooks_',
    '1st_',
    'a-b',
    'a b',
    'é_',
    'x'.repeat(41),
    42,
    null,
  ])('refuses tablePrefix = %j: identifiers only', (tablePrefix) => {
    expect(() => create(client, { tablePrefix: tablePrefix as string })).toThrow(
      InvalidOptionsError,
    );
  });

  it.each(['public; DROP SCHEMA public', '"webhooks"', '', 'Webhooks', 'x'.repeat(64), 7])(
    'refuses schema = %j: identifiers only',
    (schema) => {
      expect(() => create(client, { schema: schema as string })).toThrow(InvalidOptionsError);
    },
  );

  it('refuses createTables that is not a boolean, and options that are not an object', () => {
    expect(() => create(client, { createTables: 'no' as unknown as boolean })).toThrow(
      InvalidOptionsError,
    );
    expect(() => create(client, 'fast' as never)).toThrow(InvalidOptionsError);
  });

  it('accepts identifiers, an empty prefix, and sends nothing when created', () => {
    for (const options of [
      { tablePrefix: '' },
      { tablePrefix: '_x1_' },
      { schema: 'webhooks', tablePrefix: 'billing_' },
      { schema: '_s9', timeoutMs: 1 },
    ]) {
      expect(() => create(client, options)).not.toThrow();
    }
    expect(query).not.toHaveBeenCalled();
  });
});

describe('createPostgresStateStore: ttlMs', () => {
  const { client } = fakeClient(async () => ({ rows: [] }));
  it.each([0, -1, 1.5, Number.NaN, '1d'])('refuses ttlMs = %s', (ttlMs) => {
    expect(() => createPostgresStateStore(client, { ttlMs: ttlMs as number })).toThrow(
      InvalidOptionsError,
    );
  });
});

describe('the schema as SQL, for migrations', () => {
  it('names the tables with the default prefix, unqualified', () => {
    expect(postgresInboxSchema()).toContain(
      'CREATE TABLE IF NOT EXISTS "uanataca_webhooks_inbox" (',
    );
    expect(postgresDedupeSchema()).toContain(
      'CREATE TABLE IF NOT EXISTS "uanataca_webhooks_dedupe" (',
    );
    const state = postgresStateSchema();
    expect(state).toContain('CREATE TABLE IF NOT EXISTS "uanataca_webhooks_state" (');
    expect(state).toContain('CREATE UNLOGGED TABLE IF NOT EXISTS "uanataca_webhooks_locks" (');
  });

  it('qualifies tables with the schema and prefixes tables and indexes', () => {
    const sql = postgresInboxSchema({ schema: 'webhooks', tablePrefix: 'billing_' });
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "webhooks"."billing_inbox" (');
    expect(sql).toContain(
      `CREATE UNIQUE INDEX IF NOT EXISTS "billing_inbox_running" ON "webhooks"."billing_inbox" (request_id) WHERE status = 'running'`,
    );
    expect(sql).not.toContain('uanataca');
  });

  it('refuses a prefix or schema that is not an identifier', () => {
    expect(() => postgresInboxSchema({ tablePrefix: 'a;b' })).toThrow(InvalidOptionsError);
    expect(() => postgresStateSchema({ schema: 'a"b' })).toThrow(InvalidOptionsError);
  });
});

describe('the PostgreSQL stores with a failing client', () => {
  it('create their tables before the first operation, once, and not with createTables: false', async () => {
    const { client, query } = fakeClient(async (text) =>
      text.startsWith('SELECT to_regclass') ? { rows: [{ present: false }] } : { rows: [] },
    );
    const store = createPostgresStateStore(client);
    await store.get(1);
    await store.get(2);
    const statements = query.mock.calls.map(([text]) => text);
    expect(statements.filter((text) => text.includes('CREATE TABLE'))).toHaveLength(1);
    expect(statements.find((text) => text.includes('CREATE TABLE'))).toMatch(
      /^SELECT pg_advisory_xact_lock\(/,
    );
    query.mockClear();
    await createPostgresStateStore(client, { createTables: false }).get(3);
    expect(query.mock.calls.map(([text]) => text)).toEqual([
      expect.stringMatching(/^SELECT status/),
    ]);
  });

  it('try creating the tables again after a failure', async () => {
    let fail = true;
    const { client } = fakeClient(async (text) => {
      if (fail && text.startsWith('SELECT to_regclass')) throw new Error('connection refused');
      return text.startsWith('SELECT to_regclass') ? { rows: [{ present: true }] } : { rows: [] };
    });
    const store = createPostgresDedupeStore(client);
    await expect(store.release('k', 't')).rejects.toBeInstanceOf(StoreUnavailableError);
    fail = false;
    await expect(store.release('k', 't')).resolves.toBeUndefined();
  });

  it('reject with StoreUnavailableError carrying the database error', async () => {
    const failure = Object.assign(new Error('relation does not exist'), { code: '42P01' });
    const { client } = fakeClient(async () => {
      throw failure;
    });
    const store = createPostgresInbox(client, { createTables: false });
    const error = await store.stats().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).cause).toBe(failure);
  });

  it('reject with StoreUnavailableError caused by a TimeoutError after timeoutMs, answered 503', async () => {
    const { client } = fakeClient(() => new Promise(() => {}));
    const store = createPostgresDedupeStore(client, { timeoutMs: 50 });
    const started = Date.now();
    const error = await store.claim('k', 1_000).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).cause).toBeInstanceOf(TimeoutError);
    const webhooks = createWebhooks({ dedupe: { store } });
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});
