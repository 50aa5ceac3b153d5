import { InvalidOptionsError } from './errors.js';

/**
 * Reads an option that must be a positive safe integer (a size, a count, a duration in
 * milliseconds): `fallback` when it is `undefined`, otherwise the value itself, or
 * `InvalidOptionsError` naming the option.
 *
 * @internal
 */
export function positiveInteger(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionsError(
      `${name} must be a positive integer, not ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}
