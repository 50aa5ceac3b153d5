/**
 * Calls a callback the user gave for its side effect only (a logger, an error hook): whatever
 * it does — throw, reject, return a value that never settles — changes nothing for the
 * caller and leaves no unhandled rejection behind.
 *
 * @internal
 */
export function callSafely<A extends unknown[]>(
  callback: ((...args: A) => unknown) | undefined,
  ...args: A
): void {
  if (callback === undefined) return;
  try {
    const result = callback(...args);
    if (result !== null && (typeof result === 'object' || typeof result === 'function')) {
      const then = (result as { then?: unknown }).then;
      if (typeof then === 'function') then.call(result, undefined, ignore);
    }
  } catch {
    // A failing hook must not change what the sender is answered.
  }
}

function ignore(): void {}
