export type {
  IoRedisClientLike,
  NodeRedisClientLike,
  RedisClientLike,
  RedisStoreOptions,
} from './client.js';
export type { RedisDedupeStoreOptions } from './dedupe-store.js';
export { createRedisDedupeStore } from './dedupe-store.js';
export type { RedisInboxOptions } from './inbox.js';
export { createRedisInbox } from './inbox.js';
export type { RedisStateStoreOptions } from './state-store.js';
export { createRedisStateStore } from './state-store.js';
