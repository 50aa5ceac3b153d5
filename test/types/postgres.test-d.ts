import pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createWebhooks,
  type DedupeStore,
  type InboxStore,
  type StateStore,
} from '../../src/index.js';
import {
  createPostgresDedupeStore,
  createPostgresInbox,
  createPostgresStateStore,
  type PostgresClientLike,
  type PostgresStoreOptions,
} from '../../src/postgres/index.js';

describe('the PostgreSQL stores', () => {
  it('take any node-postgres client, typed structurally', () => {
    const pool = new pg.Pool();
    const client = new pg.Client();
    expectTypeOf(pool).toExtend<PostgresClientLike>();
    expectTypeOf(client).toExtend<PostgresClientLike>();
    expectTypeOf<pg.PoolClient>().toExtend<PostgresClientLike>();
    createPostgresInbox(pool);
    createPostgresDedupeStore(client, { timeoutMs: 1_000 });
    createPostgresStateStore(pool, { schema: 'webhooks', tablePrefix: 'billing_', ttlMs: 1 });
    // @ts-expect-error an object without query is no client
    createPostgresInbox({ execute: async () => [] });
    // @ts-expect-error a query that does not resolve rows
    createPostgresInbox({ query: async () => 1 });
  });

  it('give the router the interfaces it takes, the state store with its locks', () => {
    const pool = new pg.Pool();
    expectTypeOf(createPostgresInbox(pool)).toEqualTypeOf<InboxStore>();
    expectTypeOf(createPostgresDedupeStore(pool)).toEqualTypeOf<DedupeStore>();
    expectTypeOf(createPostgresStateStore(pool)).toEqualTypeOf<StateStore>();
    createWebhooks({
      dedupe: { store: createPostgresDedupeStore(pool) },
      state: { store: createPostgresStateStore(pool), skip: ['stale'] },
      inbox: { store: createPostgresInbox(pool) },
    });
  });

  it('check their options', () => {
    // @ts-expect-error timeoutMs is a number of milliseconds
    createPostgresInbox(new pg.Pool(), { timeoutMs: '2s' });
    // @ts-expect-error createTables is a boolean
    createPostgresInbox(new pg.Pool(), { createTables: 'yes' });
    expectTypeOf<PostgresStoreOptions['tablePrefix']>().toEqualTypeOf<string | undefined>();
  });
});
