import { HTTP_STATUS, InvalidOptionsError, type WebhookError } from '../errors.js';
import type { WebhookEvent } from '../payload/event.js';
import { callSafely } from '../safe-call.js';
import type { DeliveryTrace, Observer } from './observer.js';

/**
 * A logger in pino's style — `logger.info(fields, message)` — such as pino, bunyan, winston's
 * child loggers, Fastify's `request.log`, or `console`.
 */
export interface Logger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  debug?(fields: object, message?: string): void;
}

/**
 * Checks a `logger` option.
 *
 * @internal
 */
export function resolveLogger(logger: unknown): Logger | undefined {
  if (logger === undefined) return undefined;
  const given = logger as Partial<Record<keyof Logger, unknown>> | null;
  if (
    typeof given !== 'object' ||
    given === null ||
    typeof given.info !== 'function' ||
    typeof given.warn !== 'function' ||
    typeof given.error !== 'function'
  ) {
    throw new InvalidOptionsError('logger must have info, warn and error methods (pino, console…)');
  }
  return logger as Logger;
}

/** The fields a log line gives of a notification: no body, no header, nothing secret. */
function eventFields(event: WebhookEvent | undefined): Record<string, unknown> {
  if (event === undefined) return {};
  return {
    idempotencyKey: event.idempotencyKey,
    requestId: event.requestId,
    eventType: event.eventType,
    status: event.status,
  };
}

/**
 * Writes a failure at the level it deserves: what the sender got wrong at `warn`, what went
 * wrong here at `error`, with its cause.
 *
 * @internal
 */
export function logFailure(
  logger: Logger,
  error: WebhookError,
  fields: Record<string, unknown>,
  message: string,
): void {
  const status = (HTTP_STATUS as Readonly<Record<string, number>>)[error.code] ?? 500;
  if (status >= 500) {
    callSafely(
      (line: object, text: string) => logger.error(line, text),
      { ...fields, code: error.code, err: error.cause ?? error },
      message,
    );
  } else {
    callSafely(
      (line: object, text: string) => logger.warn(line, text),
      { ...fields, code: error.code, reason: error.message },
      message,
    );
  }
}

/**
 * The observer behind the `logger` option of `createWebhooks`: one line per delivery (and per
 * attempt of the inbox) at `info`, or at `warn`/`error` when it failed, with the notification's
 * key, request id, event type and status, the verdict, the outcome and the duration.
 *
 * @internal
 */
export function createLoggingObserver(logger: Logger): Observer {
  return {
    begin(kind, entry): DeliveryTrace {
      const started = Date.now();
      let event: WebhookEvent | undefined;
      return {
        parsed(parsed) {
          event = parsed;
        },
        step: () => noop,
        runHandler: (_index, run) => run(),
        end({ result, error }) {
          const fields: Record<string, unknown> = {
            ...eventFields(event),
            ...(entry === undefined ? {} : { entryId: entry.id, attempt: entry.attempts }),
            durationMs: Date.now() - started,
          };
          if (error !== undefined) {
            logFailure(
              logger,
              error,
              fields,
              kind === 'receive' ? 'uanataca webhook refused' : 'uanataca webhook attempt failed',
            );
            return;
          }
          const outcome = result?.duplicate
            ? 'duplicate'
            : result?.queued
              ? 'queued'
              : result?.skipped
                ? 'skipped'
                : 'handled';
          callSafely(
            (line: object, text: string) => logger.info(line, text),
            { ...fields, outcome, transition: result?.transition },
            `uanataca webhook ${outcome}`,
          );
        },
      };
    },
  };
}

function noop(): void {}
