import type { SqliteDatabase } from './driver.js';
import { rollback } from './schema.js';

/**
 * Writes gathered into shared transactions: the writes asked for while the event loop is busy
 * are committed together, with one sync to disk for all of them instead of one each.
 *
 * @internal
 */
export interface GroupCommit {
  /**
   * Runs `write` in the next transaction. Resolves with what it returned once that
   * transaction is committed; rejects with what it threw, its changes undone and the other
   * writes of the transaction kept.
   */
  run<T>(write: () => T): Promise<T>;
  /** Commits the writes waiting, now. */
  flush(): void;
}

/** The most writes in one transaction, so that none holds the database (and this thread) long. */
const MAX_BATCH = 256;

interface Queued {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * Creates the {@link GroupCommit} of `database`. The transactions begin `IMMEDIATE`: they take
 * the write lock first, so that what a write reads stays true until it commits, whichever
 * other process writes to the file.
 *
 * @internal
 */
export function createGroupCommit(database: SqliteDatabase): GroupCommit {
  let queue: Queued[] = [];
  let scheduled = false;

  /** Runs each write in its own savepoint, so that a failing one undoes only itself. */
  const attempt = (write: () => unknown): Outcome => {
    database.exec('SAVEPOINT write');
    try {
      const value = write();
      database.exec('RELEASE write');
      return { ok: true, value };
    } catch (error) {
      database.exec('ROLLBACK TO write');
      database.exec('RELEASE write');
      return { ok: false, error };
    }
  };

  const commit = (batch: readonly Queued[]): void => {
    const outcomes: Outcome[] = [];
    try {
      database.exec('BEGIN IMMEDIATE');
      for (const queued of batch) outcomes.push(attempt(queued.write));
      database.exec('COMMIT');
    } catch (error) {
      rollback(database);
      for (const queued of batch) queued.reject(error);
      return;
    }
    batch.forEach((queued, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  };

  const commitNext = (): void => {
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(MAX_BATCH);
    commit(batch);
  };

  const schedule = (): void => {
    scheduled = true;
    // After the I/O callbacks of this turn of the loop, so that the writes they ask for join.
    setImmediate(() => {
      scheduled = false;
      if (queue.length > 0) commitNext();
      // What is left waits for the next turn: the loop serves requests in between.
      if (queue.length > 0) schedule();
    });
  };

  return {
    run<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) schedule();
      });
    },
    flush() {
      while (queue.length > 0) commitNext();
    },
  };
}
