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
   * handling, and those a lease under way when it was called returns, are settled. Without,
   * resolves at once: the attempts under way go on and settle when they end (if the process
   * exits first, their leases run out and another worker takes them over).
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
  /** The ids of the entries being handled here. */
  const handling = new Set<string>();
  /** Leases asked for and not answered yet, and how many entries they may bring. */
  const leases = new Set<Promise<unknown>>();
  let reserved = 0;
  let running = false;
  let pumping = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Consecutive failures to lease, to back off while the store is down. */
  let failures = 0;

  const schedule = (ms: number): void => {
    clearTimeout(timer);
    if (!running) return;
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

  /**
   * Why an entry leased once more after its last attempt goes no further: that attempt ended
   * without an outcome, its lease run out, because the process handling it stopped or stalled
   * (a crash, an exit, memory exhausted). Without this, a notification that kills its process
   * would be taken again after every lease, forever, and hold its request's line.
   */
  const exhausted = (entry: InboxEntry): string =>
    `Attempt ${entry.attempts - 1} of ${settings.attempts} ended without an outcome: its lease ran out (the process handling it stopped or stalled)`;

  /** Starts an attempt at `entry`, one of the worker's `concurrency`. */
  const begin = (entry: InboxEntry): void => {
    handling.add(entry.id);
    const run =
      entry.attempts > settings.attempts
        ? settle(entry, { status: 'dead', error: exhausted(entry) })
        : attempt(entry);
    const work: Promise<void> = run.finally(() => {
      active.delete(work);
      handling.delete(entry.id);
      wake();
    });
    active.add(work);
  };

  /**
   * Leases as many entries as there is room for, and starts them; returns how many. The room
   * is taken before the store answers, so that leases asked for at once (the worker's and
   * `drain`'s) never exceed `concurrency` together.
   */
  const fill = async (): Promise<number> => {
    const room = settings.concurrency - active.size - reserved;
    if (room <= 0) return 0;
    reserved += room;
    const leased = store.lease(owner, room, settings.leaseMs);
    leases.add(leased);
    let entries: InboxEntry[];
    try {
      entries = await leased;
    } finally {
      reserved -= room;
      leases.delete(leased);
    }
    let started = 0;
    for (const entry of entries) {
      // Already handled here: its lease ran out while its handlers went on, and this worker
      // took it again. The attempt under way settles it.
      if (handling.has(entry.id)) continue;
      begin(entry);
      started += 1;
    }
    return started;
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
      if (!(options?.drain ?? true)) return;
      // The entries a lease under way brings are started, then waited for with the others.
      while (leases.size > 0 || active.size > 0) {
        await Promise.allSettled([...leases, ...active]);
      }
    },
    wake,
    async drain() {
      for (;;) {
        const leased = await fill();
        if (leased > 0) continue;
        if (active.size === 0 && leases.size === 0) return;
        // A lease that fails is the store's failure, reported by whoever asked for it.
        await Promise.race([...active, ...[...leases].map((lease) => lease.catch(() => {}))]);
      }
    },
  };
}
