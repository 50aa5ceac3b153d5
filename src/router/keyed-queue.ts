/**
 * Runs tasks one at a time per key, in arrival order, with a bound on how long a task waits
 * for its predecessor.
 *
 * @internal
 */
export interface KeyedQueue {
  /**
   * Runs `task` once the previous task of `key` has settled, or once that task has been
   * running for `maxWaitMs` (a task that hangs does not hold the key for ever).
   */
  run<T>(key: string | number, maxWaitMs: number, task: () => Promise<T>): Promise<T>;
}

/** One task's place in its key's line. */
interface Slot {
  /** Settles when the task starts running. */
  readonly started: Promise<void>;
  /** Settles when the task has finished. */
  readonly done: Promise<void>;
}

const ignore = (): void => {};

/** @internal */
export function createKeyedQueue(): KeyedQueue {
  const last = new Map<string | number, Slot>();
  return {
    async run(key, maxWaitMs, task) {
      const before = last.get(key);
      let start = ignore;
      let finish = ignore;
      const slot: Slot = {
        started: new Promise((resolve) => {
          start = resolve;
        }),
        done: new Promise((resolve) => {
          finish = resolve;
        }),
      };
      last.set(key, slot);
      try {
        if (before) {
          // Each task waits for the one just before it, counting from when that one started,
          // so one slow task delays the next by at most maxWaitMs and the line goes on.
          await before.started;
          await waitAtMost(before.done, maxWaitMs);
        }
        start();
        return await task();
      } finally {
        start();
        finish();
        if (last.get(key) === slot) last.delete(key);
      }
    },
  };
}

function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.then(() => {
      clearTimeout(timer);
      resolve();
    }, ignore);
  });
}
