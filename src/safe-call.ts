/**
 * Calls a callback the user gave, for a side effect (a logger, an error hook) or a plain
 * answer (a `trustProxy` function): whatever it does — throw, reject, return a value that
 * never settles — changes nothing for the caller and leaves no unhandled rejection behind.
 * Returns what it returned, or `undefined` when it threw.
 *
 * @internal
 */
export function callSafely<A extends unknown[]>(
  callback: ((...args: A) => unknown) | undefined,
  ...args: A
): unknown {
  if (callback === undefined) return undefined;
  try {
    const result = callback(...args);
    if (result !== null && (typeof result === 'object' || typeof result === 'function')) {
      const then = (result as { then?: unknown }).then;
      if (typeof then === 'function') then.call(result, undefined, ignore);
    }
    return result;
  } catch {
    // A failing hook must not change what the sender is answered.
    return undefined;
  }
}

function ignore(): void {}
