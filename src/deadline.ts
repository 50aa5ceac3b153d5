/**
 * Settles like `work`, or rejects with `onTimeout()` once `ms` milliseconds have passed
 * without it settling. `work` may be any value or thenable, including one whose `then`
 * throws; whatever it does after the deadline is ignored (a late rejection is caught), so a
 * promise that never settles costs one timer and nothing else.
 *
 * The timer does not keep a Node process alive on its own.
 *
 * @internal
 */
export function withDeadline<T>(
  work: T | PromiseLike<T>,
  ms: number,
  onTimeout: () => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    (timer as { unref?: () => void }).unref?.();
    const settle = (): void => clearTimeout(timer);
    Promise.resolve(work).then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
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
