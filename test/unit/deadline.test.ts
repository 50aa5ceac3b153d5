import { describe, expect, it } from 'vitest';
import { TimeoutError, withDeadline } from '../../src/deadline.js';

const timeout = (ms: number) => () => new TimeoutError('work', ms);

describe('withDeadline', () => {
  it('resolves and rejects like the work when it settles in time', async () => {
    await expect(withDeadline(Promise.resolve(1), 1_000, timeout(1_000))).resolves.toBe(1);
    await expect(withDeadline(2, 1_000, timeout(1_000))).resolves.toBe(2);
    const error = new Error('no');
    await expect(withDeadline(Promise.reject(error), 1_000, timeout(1_000))).rejects.toBe(error);
  });

  it('rejects with the timeout error when the work never settles', async () => {
    const never = new Promise<never>(() => {});
    const rejection = await withDeadline(never, 20, timeout(20)).catch((e: unknown) => e);
    expect(rejection).toBeInstanceOf(TimeoutError);
    expect((rejection as TimeoutError).message).toBe('work did not settle within 20 ms');
    expect((rejection as TimeoutError).timeoutMs).toBe(20);
  });

  it('ignores a rejection that comes after the deadline', async () => {
    let fail: (error: unknown) => void = () => {};
    const late = new Promise<never>((_, reject) => {
      fail = reject;
    });
    await expect(withDeadline(late, 10, timeout(10))).rejects.toBeInstanceOf(TimeoutError);
    fail(new Error('late'));
    // An unhandled rejection would fail the run; give it a turn to surface.
    await new Promise((done) => setTimeout(done, 10));
  });

  it('turns a thenable whose then throws into a rejection', async () => {
    const hostile = {
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested
      then() {
        throw new RangeError('then');
      },
    };
    await expect(withDeadline(hostile, 1_000, timeout(1_000))).rejects.toBeInstanceOf(RangeError);
  });
});
