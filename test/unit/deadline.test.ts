import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError, withDeadline } from '../../src/deadline.js';

const timeout = (ms: number) => () => new TimeoutError('work', ms);

describe('withDeadline', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('arms no timer for a value or a promise already settled', async () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const settled = (async () => 3)();
    await expect(withDeadline(settled, 1_000, timeout(1_000))).resolves.toBe(3);
    await expect(withDeadline(4, 1_000, timeout(1_000))).resolves.toBe(4);
    await expect(
      withDeadline(Promise.reject(new Error('no')), 1_000, timeout(1_000)),
    ).rejects.toThrow('no');
    expect(setTimer).not.toHaveBeenCalled();
  });

  it('arms one unref-ed timer for work still pending, and clears it once the work settles', async () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const clearTimer = vi.spyOn(globalThis, 'clearTimeout');
    let finish: (value: number) => void = () => {};
    const pending = new Promise<number>((resolve) => {
      finish = resolve;
    });
    const result = withDeadline(pending, 1_000, timeout(1_000));
    await new Promise((done) => setImmediate(done));
    expect(setTimer).toHaveBeenCalledTimes(1);
    expect(setTimer.mock.calls[0]?.[1]).toBe(1_000);
    const timer = setTimer.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    finish(5);
    await expect(result).resolves.toBe(5);
    expect(clearTimer).toHaveBeenCalledWith(timer);
  });

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
