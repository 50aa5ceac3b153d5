import type { $ZodIssue } from 'zod/v4/core';
import {
  excerpt,
  InvalidJsonError,
  InvalidPayloadError,
  isWebhookError,
  WebhookError,
} from '../errors.js';
import type { Certificate, WebhookEvent } from './event.js';
import { isCommonShape } from './fast-path.js';
import {
  type CertificatePayload,
  detectFormat,
  type EnvelopePayload,
  type EnvelopeRequestPayload,
  envelopeSchema,
  type LegacyPayload,
  legacySchema,
  MAX_CERTIFICATES,
  type WebhookPayload,
} from './schema.js';
import { assertTimeZone, type TimeZoneOptions, timestampToDate } from './timestamp.js';
import { normalizeCertificateStatus, normalizeEventType, normalizeStatus } from './vocabulary.js';

/** Options of {@link parseWebhook}. */
export interface ParseOptions extends TimeZoneOptions {}

/** A body as received: text, bytes, or JSON already parsed by a framework. */
export type WebhookBody = string | Uint8Array | ArrayBuffer | ArrayBufferView | object;

/** The result of {@link safeParseWebhook}. */
export type SafeParseResult =
  | { readonly success: true; readonly data: WebhookEvent; readonly error?: undefined }
  | { readonly success: false; readonly error: WebhookError; readonly data?: undefined };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a body given as text or bytes (UTF-8), without a leading BOM; `undefined` for
 * any other value, such as JSON a framework already parsed.
 *
 * @throws {InvalidJsonError} for bytes that are not UTF-8.
 * @internal
 */
export function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (!(body instanceof ArrayBuffer || ArrayBuffer.isView(body))) return undefined;
  try {
    return decoder.decode(body as ArrayBuffer | ArrayBufferView);
  } catch (cause) {
    throw new InvalidJsonError('Body is not valid UTF-8', { cause });
  }
}

/**
 * Decodes a body to a JSON value: bytes as UTF-8 (a BOM tolerated), text as JSON, and any
 * other value as already parsed.
 *
 * @internal
 */
export function decodeBody(body: unknown): unknown {
  if (body === undefined) throw new InvalidJsonError('Body is empty');
  const text = bodyText(body);
  if (text === undefined) return body;
  try {
    return JSON.parse(text);
  } catch (cause) {
    if (text.trim() === '') throw new InvalidJsonError('Body is empty');
    throw new InvalidJsonError(`Body is not valid JSON (starts with ${excerpt(text.trim())})`, {
      cause,
    });
  }
}

function toInt(value: number | string | null | undefined): number | undefined {
  return value == null ? undefined : Number(value);
}

/**
 * Converts a timestamp. The schema has checked it, but the fast path has not: there an
 * invalid one throws, and the schema then reports it.
 */
function toDate(
  value: string | number | null | undefined,
  timeZone: string | undefined,
): Date | undefined {
  return value == null ? undefined : timestampToDate(String(value), timeZone);
}

const MAX_KEY_LENGTH = 200;

/** 53-bit string hash (cyrb53), used to bound the length of idempotency keys. */
function hash(text: string, seed: number): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function toCertificate(certificate: CertificatePayload, timeZone: string | undefined): Certificate {
  return {
    status: normalizeCertificateStatus(certificate.status),
    serialNumber: certificate.serial_number,
    validFrom: toDate(certificate.valid_from, timeZone),
    validTo: toDate(certificate.valid_to, timeZone),
  };
}

/** The event of a payload that the schema of `format` accepts. */
function fromPayload(
  payload: WebhookPayload,
  format: 'envelope' | 'legacy',
  timeZone: string | undefined,
): WebhookEvent {
  // A legacy payload reads like an envelope whose `request` holds its top-level status and
  // ids, without event type or certificates.
  const envelope = format === 'envelope' ? (payload as EnvelopePayload) : undefined;
  const legacy = payload as LegacyPayload;
  const request: EnvelopeRequestPayload = envelope
    ? envelope.request
    : {
        status: legacy.status,
        pk: legacy.request,
        registration_authority: legacy.registration_authority,
      };
  const rawEventType = envelope?.event_type;
  const eventType = rawEventType == null ? undefined : normalizeEventType(rawEventType);
  const status = normalizeStatus(request.status);
  const rawPrevious = payload.previous_status ?? request.previous_status;
  const previousStatus = rawPrevious == null ? undefined : normalizeStatus(rawPrevious);
  const rawDate = payload.date ?? request.date;
  const requestId = toInt(request.pk);
  const registrationAuthority = toInt(request.registration_authority);
  const sentAt = toDate(payload.sent_at, timeZone);
  const changedAt = toDate(rawDate, timeZone);
  const certificates = (envelope?.certificates ?? []).map((c) => toCertificate(c, timeZone));
  // The identity of a notification: what a redelivery repeats and another notification
  // changes. The time of the change (`date`) is preferred over `sent_at`, which a resend may
  // renew; certificate events of one request differ by event type and certificate state.
  let key = `${format[0]}:${requestId ?? ''}:${registrationAuthority ?? ''}:${eventType ?? ''}:${status}:${previousStatus ?? ''}:${rawDate?.trim() ?? String(payload.sent_at).trim()}`;
  for (const certificate of certificates) {
    key += `:${certificate.serialNumber}=${certificate.status}`;
  }
  return {
    format,
    eventType,
    status,
    previousStatus,
    requestId,
    registrationAuthority,
    profile: request.profile ?? undefined,
    scratchcard: request.scratchcard ?? undefined,
    sentAt,
    changedAt,
    occurredAt: (changedAt ?? sentAt)!,
    certificates,
    idempotencyKey: key.length <= MAX_KEY_LENGTH ? key : `h:${hash(key, 1)}${hash(key, 2)}`,
    payload,
  };
}

/**
 * The event of a body of a common shape, read without zod; `undefined` when the body is not
 * certainly valid, for the schema to decide. Running zod cost most of a parse, and nearly
 * every body is valid.
 *
 * @internal
 */
export function fromCommonShape(
  value: unknown,
  format: 'envelope' | 'legacy',
  timeZone: string | undefined,
): WebhookEvent | undefined {
  if (!isCommonShape(value, format)) return undefined;
  try {
    return fromPayload(value as WebhookPayload, format, timeZone);
  } catch {
    return undefined;
  }
}

/** The error for a body that failed in an unforeseen way, such as a hostile getter. */
function unreadable(cause: unknown): InvalidPayloadError {
  return new InvalidPayloadError('Body could not be read as a notification', [], { cause });
}

function describeIssues(issues: readonly $ZodIssue[]): string {
  const first = issues[0];
  if (!first) return 'Body is not a valid notification';
  const where = first.path.length > 0 ? first.path.join('.') : 'body';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `Body is not a valid notification: ${where}: ${first.message}${more}`;
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
  const timeZone = assertTimeZone(options?.timeZone);
  const value = decodeBody(body);
  const format = detectFormat(value);
  let issues: readonly $ZodIssue[];
  try {
    // A value decoded here from text is held by no one else, so the fast path may keep it as
    // the payload; a value given as such is copied by the schema, as it always was.
    const fast = value === body ? undefined : fromCommonShape(value, format, timeZone);
    if (fast) return fast;
    const listed = (value as { certificates?: unknown } | null)?.certificates;
    if (Array.isArray(listed) && listed.length > MAX_CERTIFICATES) {
      // Checked before the schema, which would first report every bad entry.
      issues = [
        {
          code: 'custom',
          path: ['certificates'],
          message: `A notification lists at most ${MAX_CERTIFICATES} certificates, not ${listed.length}`,
        },
      ];
    } else {
      const result = (format === 'envelope' ? envelopeSchema : legacySchema).safeParse(value);
      if (result.success) return fromPayload(result.data, format, timeZone);
      issues = result.error.issues;
    }
  } catch (cause) {
    throw isWebhookError(cause) ? cause : unreadable(cause);
  }
  throw new InvalidPayloadError(describeIssues(issues), issues);
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
      error: error instanceof WebhookError ? error : unreadable(error),
    };
  }
}
