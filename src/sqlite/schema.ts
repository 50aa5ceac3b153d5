import type { SqliteDatabase } from './driver.js';

/**
 * The table of the inbox. Times are milliseconds since the epoch; the body is kept as UTF-8
 * bytes, so that every driver gives it back to the byte (a text column loses what follows a
 * NUL character with some).
 *
 * @internal
 */
export const TABLE = 'uanataca_webhooks_inbox';

// AUTOINCREMENT: an id is never given again after a purge, so ids keep the order of
// reception that `list` and its `before` cursor rely on.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  request_id INTEGER,
  event_type TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'dead', 'invalid')),
  attempts INTEGER NOT NULL DEFAULT 0,
  received_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  last_error TEXT,
  owner TEXT,
  body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ${TABLE}_due ON ${TABLE} (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ${TABLE}_status ON ${TABLE} (status, id);
CREATE INDEX IF NOT EXISTS ${TABLE}_request ON ${TABLE} (request_id, id);
CREATE INDEX IF NOT EXISTS ${TABLE}_queue ON ${TABLE} (received_at, id)
  WHERE status IN ('pending', 'running');
`;

/**
 * Ends the open transaction, if SQLite has not ended it already (it does after some errors).
 *
 * @internal
 */
export function rollback(database: SqliteDatabase): void {
  try {
    database.exec('ROLLBACK');
  } catch {
    // No transaction was open any more.
  }
}

/**
 * Sets up a new connection: waits up to `busyTimeoutMs` for another connection's write
 * rather than failing at once, writes ahead to a log (readers never wait for a writer) and
 * syncs that log on every commit (a committed entry survives a power cut, not only a
 * crash), then creates the table unless it is there.
 *
 * @internal
 */
export function prepareDatabase(database: SqliteDatabase, busyTimeoutMs: number): void {
  database.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA synchronous = FULL');
  database.exec('BEGIN IMMEDIATE');
  try {
    database.exec(SCHEMA);
    database.exec('COMMIT');
  } catch (error) {
    rollback(database);
    throw error;
  }
}
