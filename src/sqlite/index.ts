export type { SqliteDriver } from './driver.js';
export type { SqliteInboxOptions } from './store.js';
export { createSqliteInbox, DEFAULT_SQLITE_INBOX_PATH } from './store.js';
