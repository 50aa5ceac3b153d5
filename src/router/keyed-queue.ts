/**
 * Runs tasks one at a time per key, in arrival order, with a bound on how long a task waits
 * for its predecessor.
 *
 * @internal
 */
export interface KeyedQueue {
  /**
   * Runs `task` once every earlier task of `key` has settled, or once `maxWaitMs` has passed
   * (a task that hangs does not hold the key for ever).
   */
  run<T>(key: string | number, maxWaitMs: number, task: () => Promise<T>): Promise<T>;
}

const ignore = (): void => {};

/** @internal */
export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string | number, Promise<void>>();
  return {
    async run(key, maxWaitMs, task) {
      const before = tails.get(key);
      let release = ignore;
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = before ? before.then(() => done) : done;
      tails.set(key, tail);
      try {
        if (before) await waitAtMost(before, maxWaitMs);
        return await task();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
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
