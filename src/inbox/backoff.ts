/** The bounds of the delay between two attempts at an entry. */
export interface RetryDelay {
  /** The delay after the first failure, in milliseconds. */
  readonly min: number;
  /** The longest delay, in milliseconds. */
  readonly max: number;
}

/**
 * The delay before attempt `attempt + 1` after attempt `attempt` (1 for the first) failed:
 * exponential (`min`, twice that, four times…, at most `max`) with "equal jitter" — half of
 * it fixed, half random — so that entries that failed together do not retry together.
 *
 * @internal
 */
export function retryDelay(attempt: number, delay: RetryDelay, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  const base = Math.min(delay.max, delay.min * 2 ** exponent);
  return Math.round(base / 2 + random() * (base / 2));
}
