import { withDeadline } from '../deadline.js';

/**
 * Runs tasks one at a time per key, in arrival order, each once every earlier task of its key
 * has settled, with a bound on how long a task may wait for its turn.
 *
 * @internal
 */
export interface KeyedQueue {
  /**
   * Runs `task` once every earlier task of `key` has settled. When that has not happened
   * within `maxWaitMs`, `task` does not run and the promise rejects with `onTimeout()`; the
   * tasks behind it still wait for the ones before it.
   */
  run<T>(
    key: string | number,
    maxWaitMs: number,
    task: () => Promise<T>,
    onTimeout: () => unknown,
  ): Promise<T>;
}

/** @internal */
export function createKeyedQueue(): KeyedQueue {
  // The promise that settles once the last task of each key (and every one before it) has.
  const last = new Map<string | number, Promise<void>>();
  return {
    async run(key, maxWaitMs, task, onTimeout) {
      const before = last.get(key);
      let finish = (): void => {};
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      last.set(key, done);
      const leave = (): void => {
        finish();
        if (last.get(key) === done) last.delete(key);
      };
      if (before !== undefined && !(await turnWithin(before, maxWaitMs))) {
        // Gone from the line, but those behind still wait for the ones before it.
        before.then(leave);
        throw onTimeout();
      }
      try {
        return await task();
      } finally {
        leave();
      }
    },
  };
}

/** Resolves `true` once `turn` settles, or `false` after `ms` milliseconds. */
function turnWithin(turn: Promise<void>, ms: number): Promise<boolean> {
  // `turn` never rejects: only the deadline does.
  return withDeadline(turn, ms, () => undefined).then(
    () => true,
    () => false,
  );
}
