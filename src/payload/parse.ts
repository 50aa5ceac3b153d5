import type { $ZodIssue } from 'zod/v4/core';
import {
  InvalidOptionsError,
  InvalidPayloadError,
  isWebhookError,
  type WebhookError,
} from '../errors.js';
import { createEvent } from './create-event.js';
import { decodeBody } from './decode.js';
import type { WebhookEvent } from './event.js';
import { explainIssues } from './explain.js';
import { asObject } from './read-fields.js';
import { detectFormat, envelopeSchema, legacySchema } from './schema.js';
import { assertTimeZone, type TimeZoneOptions } from './timestamp.js';
import { MAX_CERTIFICATES } from './wire-fields.js';

/** Options of {@link parseWebhook}. */
export interface ParseOptions extends TimeZoneOptions {}

/** A body as received: text, bytes, or JSON already parsed by a framework. */
export type WebhookBody = string | Uint8Array | ArrayBuffer | ArrayBufferView | object;

/** The result of {@link safeParseWebhook}. */
export type SafeParseResult =
  | { readonly success: true; readonly data: WebhookEvent; readonly error?: undefined }
  | { readonly success: false; readonly error: WebhookError; readonly data?: undefined };

/**
 * The event of a body read without zod, for a value fresh from `JSON.parse`; `undefined` when
 * the body is not certainly valid, for the schema to decide and say why. Running zod cost
 * most of a parse, and nearly every body is valid.
 *
 * @internal
 */
export function fromCommonShape(
  value: unknown,
  format: 'envelope' | 'legacy',
  timeZone: string | undefined,
): WebhookEvent | undefined {
  try {
    return createEvent(asObject(value), format, timeZone);
  } catch {
    return undefined;
  }
}

/** The error for a body that failed in an unforeseen way, such as a hostile getter. */
function unreadable(cause: unknown): InvalidPayloadError {
  return new InvalidPayloadError('Body could not be read as a notification', [], { cause });
}

/**
 * Parses and normalizes one notification in either format.
 *
 * @param body - The raw body (`string`, `Uint8Array`, `ArrayBuffer`) or a value a framework
 * already parsed from JSON.
 * @throws {InvalidJsonError} when the body is empty, not UTF-8, or not JSON.
 * @throws {InvalidPayloadError} when the JSON is not a notification; `issues` says why.
 * @throws {InvalidOptionsError} for an unknown `timeZone`.
 * @example
 * ```ts
 * const event = parseWebhook(rawBody, { timeZone: 'Europe/Madrid' })
 * if (event.status === 'ISSUED') console.log(event.certificates[0]?.serialNumber)
 * ```
 */
export function parseWebhook(body: WebhookBody, options?: ParseOptions): WebhookEvent {
  const timeZone = readTimeZone(options);
  try {
    return parseValue(body, timeZone);
  } catch (cause) {
    // Whatever a hostile value throws (a getter, a proxy), the caller gets one of ours.
    throw isWebhookError(cause) ? cause : unreadable(cause);
  }
}

/** The `timeZone` option, checked; one that cannot even be read is an invalid option. */
function readTimeZone(options: ParseOptions | undefined): string | undefined {
  let timeZone: string | undefined;
  try {
    timeZone = options?.timeZone;
  } catch (cause) {
    throw new InvalidOptionsError('options.timeZone could not be read', { cause });
  }
  return assertTimeZone(timeZone);
}

/** {@link parseWebhook} once its options are read. */
function parseValue(body: WebhookBody, timeZone: string | undefined): WebhookEvent {
  const value = decodeBody(body);
  const format = detectFormat(value);
  // A value decoded here from text is held by no one else, so the fast path may keep it as
  // the payload; a value given as such is copied by the schema, as it always was.
  const fast = value === body ? undefined : fromCommonShape(value, format, timeZone);
  if (fast) return fast;
  let issues: readonly $ZodIssue[];
  const listed =
    format === 'envelope' ? (value as { certificates?: unknown } | null)?.certificates : [];
  if (Array.isArray(listed) && listed.length > MAX_CERTIFICATES) {
    // Checked before the schema, which would first report every bad entry. Only the envelope
    // declares `certificates`: in the legacy format it is an unknown field, kept unchecked.
    issues = [
      {
        code: 'custom',
        path: ['certificates'],
        message: `A notification lists at most ${MAX_CERTIFICATES} certificates, not ${listed.length}`,
      },
    ];
  } else {
    const result = (format === 'envelope' ? envelopeSchema : legacySchema).safeParse(value);
    if (result.success) return createEvent(result.data, format, timeZone);
    issues = result.error.issues;
  }
  // Only now, for a body already refused, is what to fix looked for.
  const explained = explainIssues(value, issues);
  throw new InvalidPayloadError(explained.message, explained.issues);
}

/**
 * Like {@link parseWebhook}, but returns `{ success, data }` or `{ success, error }` and
 * never throws, whatever it is given.
 *
 * @example
 * ```ts
 * const result = safeParseWebhook(body)
 * if (!result.success) return new Response(null, { status: result.error.status })
 * ```
 */
export function safeParseWebhook(body: unknown, options?: ParseOptions): SafeParseResult {
  try {
    return { success: true, data: parseWebhook(body as WebhookBody, options) };
  } catch (error) {
    return {
      success: false,
      error: isWebhookError(error) ? error : unreadable(error),
    };
  }
}
