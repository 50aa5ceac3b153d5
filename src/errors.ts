import type { $ZodIssue } from 'zod/v4/core';

/** Stable machine-readable codes carried by every {@link WebhookError}. */
export type WebhookErrorCode =
  | 'invalid_json'
  | 'invalid_payload'
  | 'invalid_timestamp'
  | 'invalid_options'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'method_not_allowed'
  | 'in_flight'
  | 'handler_failed'
  | 'store_unavailable';

/**
 * The HTTP status of each code: the one table both the errors and the adapters' answers
 * read, so that an answer's status never comes from a thrown value.
 *
 * @internal
 */
export const HTTP_STATUS: Readonly<Record<WebhookErrorCode, number>> = {
  invalid_json: 400,
  invalid_payload: 422,
  invalid_timestamp: 422,
  invalid_options: 500,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  method_not_allowed: 405,
  in_flight: 409,
  handler_failed: 500,
  store_unavailable: 503,
};

/** How many characters of untrusted input an error message may quote. */
const EXCERPT_LENGTH = 32;

/**
 * Quotes at most a short excerpt of untrusted input for an error message.
 *
 * @internal
 */
export function excerpt(value: string): string {
  const short = value.length > EXCERPT_LENGTH ? `${value.slice(0, EXCERPT_LENGTH)}…` : value;
  return JSON.stringify(short);
}

/**
 * The arguments a subclass gives {@link WebhookError} for `code`: the code and its status.
 */
const coded = <C extends WebhookErrorCode>(code: C): [C, number] => [code, HTTP_STATUS[code]];

/** Options accepted by every {@link WebhookError} constructor. */
export interface WebhookErrorOptions {
  /** The underlying error, kept for logs; never sent to the HTTP client. */
  cause?: unknown;
}

/**
 * Base class of every error this package throws or rejects with.
 *
 * `code` is stable across versions and safe to branch on; `status` is the HTTP status an
 * adapter answers with. Use {@link isWebhookError} rather than `instanceof` when several
 * copies of the package may be loaded (ESM and CJS side by side).
 */
export class WebhookError extends Error {
  override name: string = 'WebhookError';
  // The fields below and those of the subclasses are declared only: each constructor sets
  // them, and a class field would first define each as `undefined` for nothing.
  /** Stable machine-readable code. */
  declare readonly code: WebhookErrorCode;
  /** Suggested HTTP status for a response to the sender. */
  declare readonly status: number;

  constructor(
    code: WebhookErrorCode,
    status: number,
    message: string,
    options?: WebhookErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

/** The body is empty, is not UTF-8, or is not JSON (HTTP 400). */
export class InvalidJsonError extends WebhookError {
  override name = 'InvalidJsonError' as const;
  declare readonly code: 'invalid_json';

  constructor(message: string, options?: WebhookErrorOptions) {
    super(...coded('invalid_json'), message, options);
  }
}

/** The body is JSON but not a valid notification (HTTP 422); `issues` says why. */
export class InvalidPayloadError extends WebhookError {
  override name = 'InvalidPayloadError' as const;
  declare readonly code: 'invalid_payload';
  /** Zod issues describing every problem found, with the path of each. */
  declare readonly issues: readonly $ZodIssue[];

  constructor(message: string, issues: readonly $ZodIssue[], options?: WebhookErrorOptions) {
    super(...coded('invalid_payload'), message, options);
    this.issues = issues;
  }
}

/** A timestamp string given to `parseTimestamp` cannot be read (HTTP 422). */
export class InvalidTimestampError extends WebhookError {
  override name = 'InvalidTimestampError' as const;
  declare readonly code: 'invalid_timestamp';

  constructor(message: string, options?: WebhookErrorOptions) {
    super(...coded('invalid_timestamp'), message, options);
  }
}

/** An option is invalid, such as an unknown IANA time zone (HTTP 500: a server mistake). */
export class InvalidOptionsError extends WebhookError {
  override name = 'InvalidOptionsError' as const;
  declare readonly code: 'invalid_options';

  constructor(message: string, options?: WebhookErrorOptions) {
    super(...coded('invalid_options'), message, options);
  }
}

/** The body is larger than the configured limit (HTTP 413). */
export class PayloadTooLargeError extends WebhookError {
  override name = 'PayloadTooLargeError' as const;
  declare readonly code: 'payload_too_large';
  /** The configured limit, in bytes. */
  declare readonly limit: number;

  constructor(limit: number, options?: WebhookErrorOptions) {
    super(...coded('payload_too_large'), `Body exceeds the limit of ${limit} bytes`, options);
    this.limit = limit;
  }
}

/** Missing or wrong credentials (HTTP 401). */
export class UnauthorizedError extends WebhookError {
  override name = 'UnauthorizedError' as const;
  declare readonly code: 'unauthorized';

  constructor(message = 'Missing or invalid credentials', options?: WebhookErrorOptions) {
    super(...coded('unauthorized'), message, options);
  }
}

/** The client address is not in the allow-list (HTTP 403). */
export class ForbiddenError extends WebhookError {
  override name = 'ForbiddenError' as const;
  declare readonly code: 'forbidden';

  constructor(message = 'Client address not allowed', options?: WebhookErrorOptions) {
    super(...coded('forbidden'), message, options);
  }
}

/** A method other than POST (HTTP 405). */
export class MethodNotAllowedError extends WebhookError {
  override name = 'MethodNotAllowedError' as const;
  declare readonly code: 'method_not_allowed';
  /** The method that was used. */
  declare readonly method: string;

  constructor(method: string, options?: WebhookErrorOptions) {
    super(
      ...coded('method_not_allowed'),
      `Method ${excerpt(method)} not allowed; use POST`,
      options,
    );
    this.method = method;
  }
}

/** Options of {@link InFlightError}. */
export interface InFlightErrorOptions extends WebhookErrorOptions {
  /** @default 'The same notification is still being processed' */
  message?: string | undefined;
}

/**
 * The same notification is still being processed by another delivery, or, with the `state`
 * option, an earlier notification of the same request is, for longer than this one may wait
 * (HTTP 409).
 */
export class InFlightError extends WebhookError {
  override name = 'InFlightError' as const;
  declare readonly code: 'in_flight';
  /** Seconds after which a retry is likely to succeed (the `Retry-After` header). */
  declare readonly retryAfter: number;

  constructor(retryAfter = 1, options?: InFlightErrorOptions) {
    super(
      ...coded('in_flight'),
      options?.message ?? 'The same notification is still being processed',
      options,
    );
    this.retryAfter = retryAfter;
  }
}

/** A handler threw or rejected (HTTP 500); `cause` holds what it threw. */
export class HandlerError extends WebhookError {
  override name = 'HandlerError' as const;
  declare readonly code: 'handler_failed';

  constructor(cause: unknown, message = 'A webhook handler failed') {
    super(...coded('handler_failed'), message, { cause });
  }
}

/** The shared deduplication or state store cannot be reached (HTTP 503). */
export class StoreUnavailableError extends WebhookError {
  override name = 'StoreUnavailableError' as const;
  declare readonly code: 'store_unavailable';
  /** Seconds after which a retry may succeed (the `Retry-After` header). */
  declare readonly retryAfter: number;

  constructor(cause: unknown, retryAfter = 5) {
    super(...coded('store_unavailable'), 'The webhook store is unavailable', {
      cause,
    });
    this.retryAfter = retryAfter;
  }
}

/** The error class of each code, which {@link isWebhookError} narrows to. */
export interface WebhookErrorByCode {
  invalid_json: InvalidJsonError;
  invalid_payload: InvalidPayloadError;
  invalid_timestamp: InvalidTimestampError;
  invalid_options: InvalidOptionsError;
  payload_too_large: PayloadTooLargeError;
  unauthorized: UnauthorizedError;
  forbidden: ForbiddenError;
  method_not_allowed: MethodNotAllowedError;
  in_flight: InFlightError;
  handler_failed: HandlerError;
  store_unavailable: StoreUnavailableError;
}

/**
 * Whether `value` is an error from this package, including one created by another copy
 * of it (ESM and CJS builds loaded together) or in another realm: the check reads `name`,
 * `code`, `status` and `message`, not only the prototype. With `code`, also whether it has
 * that code, narrowing it to that code's class.
 *
 * @example
 * ```ts
 * try { parseWebhook(body) } catch (error) {
 *   if (isWebhookError(error, 'invalid_payload')) console.warn(error.issues)
 *   else if (isWebhookError(error)) console.warn(error.code, error.message)
 * }
 * ```
 */
export function isWebhookError(value: unknown): value is WebhookError;
export function isWebhookError<C extends WebhookErrorCode>(
  value: unknown,
  code: C,
): value is WebhookErrorByCode[C];
export function isWebhookError(value: unknown, code?: WebhookErrorCode): boolean {
  if (!isAnyWebhookError(value)) return false;
  return code === undefined || value.code === code;
}

function isAnyWebhookError(value: unknown): value is WebhookError {
  if (typeof value !== 'object' || value === null) return false;
  // Inside the `try`: `instanceof` runs a proxy's traps, which may throw.
  try {
    if (value instanceof WebhookError) return true;
    const { name, code, status, message } = value as Record<string, unknown>;
    return (
      typeof name === 'string' &&
      name.endsWith('Error') &&
      typeof code === 'string' &&
      Object.hasOwn(HTTP_STATUS, code) &&
      typeof status === 'number' &&
      typeof message === 'string'
    );
  } catch {
    return false;
  }
}
