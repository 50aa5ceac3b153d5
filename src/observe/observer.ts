import type { WebhookError } from '../errors.js';
import type { InboxEntry } from '../inbox/inbox-store.js';
import type { WebhookEvent } from '../payload/event.js';

/** The steps of a delivery an observer can follow. */
export type StepName =
  | 'parse'
  | 'dedupe.claim'
  | 'dedupe.markDone'
  | 'dedupe.release'
  | 'state.lock'
  | 'state.read'
  | 'state.write'
  | 'inbox.record'
  | 'handlers'
  | 'handler';

/** How a delivery ended, as an observer sees it. */
export interface DeliveryOutcome {
  /** What `receive` resolved with (for an inbox attempt: how the handlers went); `undefined` on failure. */
  readonly result:
    | {
        readonly duplicate: boolean;
        readonly queued?: boolean | undefined;
        readonly transition?: string | undefined;
        readonly skipped?: boolean | undefined;
      }
    | undefined;
  /** What `receive` (or the inbox's attempt) rejected with; `undefined` on success. */
  readonly error: WebhookError | undefined;
}

/** One delivery followed by an observer. */
export interface DeliveryTrace {
  /** The notification was parsed. */
  parsed(event: WebhookEvent): void;
  /** A step begins; the returned function is called when it ends, with the error if it failed. */
  step(name: StepName): (error?: unknown) => void;
  /**
   * Runs one handler within the trace (so that what the handler traces itself nests under
   * it), returning what it returns.
   */
  runHandler<T>(index: number, run: () => T): T;
  /** The delivery ended. */
  end(outcome: DeliveryOutcome): void;
}

/**
 * Follows deliveries: what logging and tracing build on. Nothing is called, and nothing
 * allocated, when no observer is installed.
 *
 * @internal
 */
export interface Observer {
  /**
   * A delivery begins: `receive` was called (`'receive'`), or the inbox's worker took an
   * entry (`'process'`).
   */
  begin(kind: 'receive' | 'process', entry: InboxEntry | undefined): DeliveryTrace;
}

/**
 * Observers installed on a router, where `instrumentWebhooks` and the `logger` option put
 * theirs. A hidden property, so that a copy of the package (ESM beside CJS) finds it too.
 *
 * @internal
 */
export const OBSERVERS: unique symbol = Symbol.for('uanataca-webhooks.observers') as never;

const ignore = (): void => {};

/**
 * `trace` with every call guarded: what an observer throws (a tracer, a span processor, a
 * meter or a logger that fails) is dropped, so that instrumentation never changes what a
 * delivery does or answers. A handler's run goes on without the observer's wrapper when the
 * wrapper throws before starting it.
 */
function guarded(trace: DeliveryTrace): DeliveryTrace {
  return {
    parsed(event) {
      try {
        trace.parsed(event);
      } catch {
        // Instrumentation only.
      }
    },
    step(name) {
      let end: (error?: unknown) => void;
      try {
        end = trace.step(name);
      } catch {
        return ignore;
      }
      return (error) => {
        try {
          end(error);
        } catch {
          // Instrumentation only.
        }
      };
    },
    runHandler(index, run) {
      let started = false;
      try {
        return trace.runHandler(index, () => {
          started = true;
          return run();
        });
      } catch (error) {
        if (started) throw error;
        return run();
      }
    },
    end(outcome) {
      try {
        trace.end(outcome);
      } catch {
        // Instrumentation only.
      }
    },
  };
}

/**
 * A trace that fans out to several, or `undefined` when there is no observer. Every call to
 * an observer is guarded (see {@link guarded}): none can fail a delivery.
 *
 * @internal
 */
export function beginTrace(
  observers: readonly Observer[],
  kind: 'receive' | 'process',
  entry: InboxEntry | undefined,
): DeliveryTrace | undefined {
  if (observers.length === 0) return undefined;
  const traces: DeliveryTrace[] = [];
  for (const observer of observers) {
    try {
      traces.push(guarded(observer.begin(kind, entry)));
    } catch {
      // An observer that cannot begin follows nothing of this delivery.
    }
  }
  if (traces.length <= 1) return traces[0];
  return {
    parsed: (event) => {
      for (const trace of traces) trace.parsed(event);
    },
    step: (name) => {
      const ends = traces.map((trace) => trace.step(name));
      return (error) => {
        for (const end of ends) end(error);
      };
    },
    runHandler: (index, run) =>
      traces.reduceRight<() => ReturnType<typeof run>>(
        (inner, trace) => () => trace.runHandler(index, inner),
        run,
      )(),
    end: (outcome) => {
      for (const trace of traces) trace.end(outcome);
    },
  };
}
