export type { PostgresClientLike, PostgresStoreOptions } from './client.js';
export type { PostgresDedupeStoreOptions } from './dedupe-store.js';
export { createPostgresDedupeStore } from './dedupe-store.js';
export type { PostgresInboxOptions } from './inbox.js';
export { createPostgresInbox } from './inbox.js';
export type { PostgresSchemaOptions } from './schema.js';
export { postgresDedupeSchema, postgresInboxSchema, postgresStateSchema } from './schema.js';
export type { PostgresStateStoreOptions } from './state-store.js';
export { createPostgresStateStore } from './state-store.js';
