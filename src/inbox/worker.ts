import { StoreUnavailableError } from '../errors.js';
import { callSafely } from '../safe-call.js';
import { retryDelay } from './backoff.js';
import type { AttemptOutcome, InboxEntry, InboxStore } from './inbox-store.js';
import type { InboxSettings } from './options.js';

/** The worker of an inbox: takes due entries from the store and handles them. */
export interface InboxWorker {
  /** Whether it is taking entries. */
  readonly running: boolean;
  /** Starts taking entries (again); does nothing when it already does. */
  start(): void;
  /**
   * Stops taking entries; with `drain` (the default), resolves once the entries it is
   * handling are settled, otherwise at once (their leases then run out and another worker
   * takes them over).
   */
  stop(options?: { drain?: boolean | undefined }): Promise<void>;
  /** Looks for due entries now rather than at the next poll (a notification was just recorded). */
  wake(): void;
  /**
   * Handles every entry due now, and those that become due meanwhile, then resolves: for a
   * process that only handles entries when asked (`worker: false`, a serverless function).
   */
  drain(): Promise<void>;
}

/** What a handler attempt threw, as the entry's `lastError`: its message and its cause's. */
export function describeFailure(error: unknown): string {
  const message = (value: unknown): string =>
    value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  const cause = (error as { cause?: unknown } | null)?.cause;
  const text = cause === undefined ? message(error) : `${message(error)} (${message(cause)})`;
  return text.length > 1_000 ? `${text.slice(0, 1_000)}…` : text;
}

/**
 * Creates the worker of `store`. `handle` runs one entry's handlers: it resolves when the
 * attempt succeeded and rejects with the reason when it failed. Failures of the store are
 * given to `report`.
 *
 * @internal
 */
export function createInboxWorker(
  store: InboxStore,
  settings: InboxSettings,
  handle: (entry: InboxEntry) => Promise<void>,
  report: (error: unknown) => void,
): InboxWorker {
  const owner = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const active = new Set<Promise<void>>();
  let running = false;
  let pumping = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Consecutive failures to lease, to back off while the store is down. */
  let failures = 0;

  const schedule = (ms: number): void => {
    clearTimeout(timer);
    timer = setTimeout(wake, ms);
    (timer as { unref?: () => void }).unref?.();
  };

  const settle = async (entry: InboxEntry, outcome: AttemptOutcome): Promise<void> => {
    let settled = false;
    try {
      settled = await store.settle(entry.id, owner, outcome);
    } catch (error) {
      // The lease runs out and another attempt follows: nothing is lost.
      report(new StoreUnavailableError(error));
    }
    if (settled && outcome.status === 'dead') {
      callSafely(settings.onDeadLetter, {
        ...entry,
        status: 'dead',
        nextAttemptAt: undefined,
        lastError: outcome.error,
      });
    }
  };

  const attempt = async (entry: InboxEntry): Promise<void> => {
    const renewal = setInterval(
      () => {
        store.renew(entry.id, owner, settings.leaseMs).catch(report);
      },
      Math.max(1, Math.floor(settings.leaseMs / 3)),
    );
    (renewal as { unref?: () => void }).unref?.();
    let outcome: AttemptOutcome;
    try {
      await handle(entry);
      outcome = { status: 'done' };
    } catch (error) {
      const message = describeFailure(error);
      outcome =
        entry.attempts >= settings.attempts
          ? { status: 'dead', error: message }
          : {
              status: 'pending',
              error: message,
              nextAttemptAt: new Date(
                Date.now() + retryDelay(entry.attempts, settings.retryDelayMs, Math.random),
              ),
            };
    } finally {
      clearInterval(renewal);
    }
    await settle(entry, outcome);
  };

  /** Leases as many entries as there is room for, and starts them; returns how many. */
  const fill = async (): Promise<number> => {
    const room = settings.concurrency - active.size;
    if (room <= 0) return 0;
    const entries = await store.lease(owner, room, settings.leaseMs);
    for (const entry of entries) {
      const work: Promise<void> = attempt(entry).finally(() => {
        active.delete(work);
        wake();
      });
      active.add(work);
    }
    return entries.length;
  };

  const pump = async (): Promise<void> => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        let leased: number;
        try {
          leased = await fill();
          failures = 0;
        } catch (error) {
          failures += 1;
          report(new StoreUnavailableError(error));
          schedule(Math.min(settings.pollMs * 2 ** Math.min(failures, 5), 30_000));
          return;
        }
        if (leased > 0) again = true;
      } while (again && running && active.size < settings.concurrency);
      schedule(settings.pollMs);
    } finally {
      pumping = false;
    }
  };

  function wake(): void {
    if (running) void pump();
  }

  return {
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      wake();
    },
    async stop(options) {
      running = false;
      clearTimeout(timer);
      if (options?.drain ?? true) await Promise.all(active);
    },
    wake,
    async drain() {
      for (;;) {
        const room = settings.concurrency - active.size;
        const leased = room > 0 ? await fill() : 0;
        if (leased === 0 && active.size === 0) return;
        if (leased === 0) await Promise.race(active);
      }
    },
  };
}
