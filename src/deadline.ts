/**
 * Calls `onValue` or `onError` once, with what `work` settles with, or `onError(onTimeout())`
 * once `ms` milliseconds have passed without it settling. `work` may be any value or
 * thenable, including one whose `then` throws; whatever it does after the deadline is
 * ignored, so a promise that never settles costs one timer and nothing else.
 *
 * The timer is armed only for work still pending once the promises already settled have run
 * their reactions: a value, or a promise settled by the time it is given (what an in-memory
 * store's `async` method returns), costs no timer. The timer does not keep a Node process
 * alive on its own.
 *
 * @internal
 */
export function settleWithin<T>(
  work: T | PromiseLike<T>,
  ms: number,
  onTimeout: () => unknown,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  const first = (): boolean => {
    if (settled) return false;
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    return true;
  };
  Promise.resolve(work).then(
    (value) => {
      if (first()) onValue(value);
    },
    (error: unknown) => {
      if (first()) onError(error);
    },
  );
  // Queued after the reactions of an already settled promise, so it runs once they have.
  queueMicrotask(() => {
    if (settled) return;
    timer = setTimeout(() => {
      if (first()) onError(onTimeout());
    }, ms);
    (timer as { unref?: () => void }).unref?.();
  });
}

/**
 * Settles like `work`, or rejects with `onTimeout()` once `ms` milliseconds have passed
 * without it settling, as {@link settleWithin} does.
 *
 * @internal
 */
export function withDeadline<T>(
  work: T | PromiseLike<T>,
  ms: number,
  onTimeout: () => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => settleWithin(work, ms, onTimeout, resolve, reject));
}

/**
 * The error of an operation that did not settle within its deadline; the cause of the
 * `StoreUnavailableError` or `HandlerError` the caller then sees.
 */
export class TimeoutError extends Error {
  override name = 'TimeoutError' as const;
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super(`${what} did not settle within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}
