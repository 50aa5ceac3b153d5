import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { isWebhookError } from '../errors.js';
import type { DeliveryOutcome, DeliveryTrace, Observer, StepName } from '../observe/observer.js';
import type { Instruments } from './instruments.js';
import {
  DUPLICATE,
  ENTRY_ATTEMPT,
  ENTRY_ID,
  ERROR_TYPE,
  EVENT_TYPE,
  FORMAT,
  HANDLER_INDEX,
  MESSAGE_ID,
  MESSAGING_SYSTEM,
  OPERATION_NAME,
  OPERATION_TYPE,
  OUTCOME,
  PREVIOUS_STATUS,
  QUEUED,
  REQUEST_ID,
  REQUEST_STATUS,
  SKIPPED,
  STORE_OPERATION,
  SYSTEM,
  TRANSITION,
} from './names.js';

/** How many received notifications are remembered for the inbox's spans to link to. */
const REMEMBERED = 1_000;

/**
 * The outcome of a delivery, as `uanataca.webhook.outcome`: what it resolved with, or the
 * code of the error it failed with.
 */
function outcomeOf({ result, error }: DeliveryOutcome): string {
  if (error !== undefined) return error.code;
  if (result?.duplicate) return 'duplicate';
  if (result?.queued) return 'queued';
  return result?.skipped ? 'skipped' : 'handled';
}

/**
 * Marks a span failed. Only a `WebhookError`'s code and message are written: they never carry
 * more than a short excerpt of a body, whereas a store's own error may name its connection.
 */
function fail(span: Span, error: unknown): string {
  const type = isWebhookError(error) ? error.code : '_OTHER';
  span.setAttribute(ERROR_TYPE, type);
  span.setStatus(
    isWebhookError(error)
      ? { code: SpanStatusCode.ERROR, message: error.message }
      : { code: SpanStatusCode.ERROR },
  );
  return type;
}

/** A handler's own error: recorded whole on its span, as the user's code threw it; its type. */
function failHandler(span: Span, error: unknown): string {
  const type = error instanceof Error ? error.name : typeof error;
  span.recordException(error instanceof Error ? error : String(error));
  span.setAttribute(ERROR_TYPE, type);
  span.setStatus(
    error instanceof Error
      ? { code: SpanStatusCode.ERROR, message: error.message }
      : { code: SpanStatusCode.ERROR },
  );
  return type;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/**
 * The observer `instrumentWebhooks` installs: a CONSUMER span per delivery (a child of the
 * active span, such as the HTTP server's, for `receive`; a new trace linked to the
 * notification's reception for an inbox attempt), a child span per step and per handler,
 * and the delivery and duration metrics.
 *
 * @internal
 */
export function createTracingObserver(tracer: Tracer, instruments: Instruments): Observer {
  // The reception of each notification recorded in the inbox lately, for its attempts to
  // link to: the inbox keeps no trace context.
  const receptions = new Map<string, SpanContext>();
  /** Keeps the reception of a notification just recorded, unless one is kept already. */
  const remember = (key: string, reception: SpanContext): void => {
    if (receptions.has(key)) return;
    if (receptions.size >= REMEMBERED) {
      receptions.delete(receptions.keys().next().value as string);
    }
    receptions.set(key, reception);
  };

  return {
    begin(kind, entry): DeliveryTrace {
      // An attempt starts in whatever context woke the worker, another delivery's maybe.
      const parent = kind === 'receive' ? context.active() : ROOT_CONTEXT;
      const reception = entry && receptions.get(entry.idempotencyKey);
      const span = tracer.startSpan(
        kind,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            [MESSAGING_SYSTEM]: SYSTEM,
            [OPERATION_TYPE]: kind,
            [OPERATION_NAME]: kind,
            [ENTRY_ID]: entry?.id,
            [ENTRY_ATTEMPT]: entry?.attempts,
          },
          links: reception === undefined ? [] : [{ context: reception }],
        },
        parent,
      );
      const delivery = trace.setSpan(parent, span);
      // While the handlers run, their span is the parent of each handler's.
      let handlers: Context | undefined;
      let key: string | undefined;

      return {
        parsed(event) {
          key = event.idempotencyKey;
          span.setAttributes({
            [MESSAGE_ID]: key,
            [FORMAT]: event.format,
            [EVENT_TYPE]: event.eventType,
            [REQUEST_STATUS]: event.status,
            [PREVIOUS_STATUS]: event.previousStatus,
            [REQUEST_ID]: event.requestId,
          });
        },

        step(name: StepName) {
          const started = performance.now();
          const child = tracer.startSpan(name, undefined, delivery);
          if (name === 'handlers') handlers = trace.setSpan(delivery, child);
          return (error) => {
            // Remembered as soon as the notification is recorded: the worker, woken right
            // after, may begin its first attempt before this delivery's span ends.
            if (name === 'inbox.record' && error === undefined && key !== undefined) {
              remember(key, span.spanContext());
            }
            const type = error === undefined ? undefined : fail(child, error);
            child.end();
            if (name === 'handlers') handlers = undefined;
            // The store operations are the steps named `store.operation`.
            if (!name.includes('.')) return;
            const attributes: Attributes = { [STORE_OPERATION]: name };
            if (type !== undefined) attributes[ERROR_TYPE] = type;
            instruments.storeDuration.record(seconds(started), attributes);
          };
        },

        runHandler(index, run) {
          const started = performance.now();
          const child = tracer.startSpan(
            'handler',
            { attributes: { [HANDLER_INDEX]: index } },
            handlers ?? delivery,
          );
          // Called around the handler's own outcome: a span processor or a meter that throws
          // must not become the handler's failure.
          const end = (failed: boolean, error?: unknown): void => {
            try {
              const attributes: Attributes = { [OPERATION_TYPE]: kind, [HANDLER_INDEX]: index };
              if (failed) attributes[ERROR_TYPE] = failHandler(child, error);
              child.end();
              instruments.handlerDuration.record(seconds(started), attributes);
            } catch {
              // Instrumentation only.
            }
          };
          let result: ReturnType<typeof run>;
          try {
            result = context.with(trace.setSpan(handlers ?? delivery, child), run);
          } catch (error) {
            end(true, error);
            throw error;
          }
          if (!isThenable(result)) {
            end(false);
            return result;
          }
          // The registry awaits what this returns: one subscription to the handler's promise.
          return result.then(
            (value) => {
              end(false);
              return value;
            },
            (error: unknown) => {
              end(true, error);
              throw error;
            },
          ) as typeof result;
        },

        end(outcome) {
          const { result, error } = outcome;
          const code = outcomeOf(outcome);
          if (result !== undefined) {
            span.setAttributes({
              [DUPLICATE]: result.duplicate,
              [QUEUED]: result.queued,
              [SKIPPED]: result.skipped,
              [TRANSITION]: result.transition,
            });
          }
          span.setAttribute(OUTCOME, code);
          if (error !== undefined) fail(span, error);
          span.end();
          const attributes: Attributes = {
            [MESSAGING_SYSTEM]: SYSTEM,
            [OPERATION_TYPE]: kind,
            [OPERATION_NAME]: kind,
            [OUTCOME]: code,
          };
          if (error !== undefined) attributes[ERROR_TYPE] = error.code;
          instruments.deliveries.add(1, attributes);
        },
      };
    },
  };
}
