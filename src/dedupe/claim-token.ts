/**
 * A random string that keeps the owner tokens of two stores, or two processes, apart. Uses
 * `crypto.randomUUID` where the runtime has it (every supported one does).
 *
 * @internal
 */
export function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  return Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

/**
 * Makes claim tokens unique to one store: a random owner part and a counter.
 *
 * @internal
 */
export function createTokenSource(): () => string {
  const owner = randomId();
  let counter = 0;
  return () => {
    counter += 1;
    return `${owner}:${counter.toString(36)}`;
  };
}
