import { describe, expect, it, vi } from 'vitest';
import { callSafely } from '../../src/safe-call.js';

describe('callSafely', () => {
  it('calls the callback with the arguments', () => {
    const callback = vi.fn();
    callSafely(callback, 1, 'two');
    expect(callback).toHaveBeenCalledWith(1, 'two');
    callSafely(undefined);
  });

  it.each<[string, () => unknown]>([
    [
      'throws an Error',
      () => {
        throw new Error('sync');
      },
    ],
    [
      'throws a non-Error',
      () => {
        throw 'a string';
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('async');
      },
    ],
    ['rejects with undefined', () => Promise.reject(undefined)],
    ['never settles', () => new Promise(() => {})],
    [
      'returns a thenable whose then throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested
        then() {
          throw new Error('then');
        },
      }),
    ],
    [
      'returns an object whose then getter throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested
        get then() {
          throw new Error('getter');
        },
      }),
    ],
  ])(
    'returns normally and leaves no unhandled rejection when the callback %s',
    async (_, callback) => {
      const unhandled = vi.fn();
      process.on('unhandledRejection', unhandled);
      try {
        expect(() => callSafely(callback)).not.toThrow();
        await new Promise((done) => setTimeout(done, 10));
        expect(unhandled).not.toHaveBeenCalled();
      } finally {
        process.off('unhandledRejection', unhandled);
      }
    },
  );
});
