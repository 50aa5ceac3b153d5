import * as z from 'zod';
import { readTimestamp } from './timestamp.js';

/**
 * Non-blank text, as a status or type must be; shared with the fast path.
 *
 * @internal
 */
export const NON_BLANK: RegExp = /\S/;

/**
 * A string id: up to 15 digits, so always a safe integer; shared with the fast path.
 *
 * @internal
 */
export const DIGITS_ID: RegExp = /^\s*\d{1,15}\s*$/;

/** A status or type string: any non-blank text (unknown values are not errors). */
const label = z.string().regex(NON_BLANK, 'Expected a non-blank string');

/** Adds an issue when a timestamp has a wrong format or is not a calendar time. */
function checkTimestamp(value: string | number, ctx: z.RefinementCtx): void {
  const time = readTimestamp(String(value));
  if (typeof time === 'string') ctx.addIssue({ code: 'custom', message: time });
}

/** A provider timestamp, checked for format and calendar validity (not yet zoned). */
const timestamp = z.string().superRefine(checkTimestamp);

/** A non-negative integer. */
const natural = z.number().int().nonnegative();

/** `sent_at`: 14 digits, also accepted as a JSON number. */
const sentAt = z.union([z.string(), natural]).superRefine(checkTimestamp);

/** An id: a non-negative safe integer, or a string of digits (one integration sends strings). */
const id = z.union([
  natural.max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(DIGITS_ID, 'Expected a number or a string of digits')
    .refine((value) => Number(value) <= Number.MAX_SAFE_INTEGER, 'Id is too large'),
]);

/**
 * The most certificates a notification may list. The provider sends one; the bound keeps a
 * body of thousands of bad entries from costing an issue each.
 */
export const MAX_CERTIFICATES = 100;

/** Optional fields: a JSON `null` counts as absent. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

const certificateObject = z.looseObject({
  status: label,
  serial_number: z.string(),
  valid_from: optional(timestamp),
  valid_to: optional(timestamp),
});

const envelopeRequestObject = z.looseObject({
  status: label,
  pk: optional(id),
  profile: optional(z.string()),
  registration_authority: optional(id),
  scratchcard: optional(z.string()),
  date: optional(timestamp),
  previous_status: optional(label),
});

/** Adds an issue when a payload has neither `sent_at` nor `date`. */
function requireTime(
  value: { sent_at?: unknown; date?: unknown; request?: unknown },
  ctx: z.RefinementCtx,
): void {
  const nested =
    typeof value.request === 'object' && value.request !== null
      ? (value.request as { date?: unknown }).date
      : undefined;
  if (value.sent_at == null && value.date == null && nested == null) {
    ctx.addIssue({
      code: 'custom',
      message: 'A notification needs a time: sent_at or date',
      path: ['sent_at'],
    });
  }
}

const envelopeObject = z
  .looseObject({
    event_type: optional(label),
    sent_at: optional(sentAt),
    request: envelopeRequestObject,
    certificates: optional(z.array(certificateObject).max(MAX_CERTIFICATES)),
    date: optional(timestamp),
    previous_status: optional(label),
  })
  .superRefine(requireTime);

const legacyObject = z
  .looseObject({
    status: label,
    request: id,
    date: optional(timestamp),
    sent_at: optional(sentAt),
    previous_status: optional(label),
    registration_authority: optional(id),
  })
  .superRefine(requireTime);

/** A certificate as the provider sends it inside `certificates[]`. */
export interface CertificatePayload {
  /** `VALID`, `SUSPENDED`, `REVOKED`, or another value. */
  status: string;
  /** Hexadecimal serial number. */
  serial_number: string;
  /** `YYYYMMDD HH:mm:ss`, zone-less. */
  valid_from?: string | null | undefined;
  /** `YYYYMMDD HH:mm:ss`, zone-less. */
  valid_to?: string | null | undefined;
  [key: string]: unknown;
}

/** The `request` object of the envelope format. */
export interface EnvelopeRequestPayload {
  /** The request status, as sent. */
  status: string;
  /** The request id; absent in the ISSUED and certificate templates. */
  pk?: number | string | null | undefined;
  profile?: string | null | undefined;
  registration_authority?: number | string | null | undefined;
  scratchcard?: string | null | undefined;
  date?: string | null | undefined;
  previous_status?: string | null | undefined;
  [key: string]: unknown;
}

/** The current envelope format, as sent (unknown fields kept). */
export interface EnvelopePayload {
  event_type?: string | null | undefined;
  /** `YYYYMMDDHHmmss`, zone-less. */
  sent_at?: string | number | null | undefined;
  request: EnvelopeRequestPayload;
  certificates?: CertificatePayload[] | null | undefined;
  date?: string | null | undefined;
  previous_status?: string | null | undefined;
  [key: string]: unknown;
}

/** The legacy flat format, as sent (unknown fields kept). */
export interface LegacyPayload {
  status: string;
  /** The request id. */
  request: number | string;
  /** ISO-8601, usually with microseconds and no offset. */
  date?: string | null | undefined;
  sent_at?: string | number | null | undefined;
  previous_status?: string | null | undefined;
  registration_authority?: number | string | null | undefined;
  [key: string]: unknown;
}

/** A notification body in either format. */
export type WebhookPayload = EnvelopePayload | LegacyPayload;

/** Zod schema of one entry of `certificates[]`. */
export const certificateSchema: z.ZodType<CertificatePayload> = certificateObject;

/** Zod schema of the current envelope format (`event_type`, `sent_at`, `request`, `certificates`). */
export const envelopeSchema: z.ZodType<EnvelopePayload> = envelopeObject;

/** Zod schema of the legacy flat format (`status`, `date`, `request` as a number). */
export const legacySchema: z.ZodType<LegacyPayload> = legacyObject;

/**
 * Which format a decoded body claims to be: `'legacy'` when `request` is an id or when a
 * top-level `status` comes without `event_type` or a `request` object; otherwise `'envelope'`.
 *
 * @internal
 */
export function detectFormat(value: unknown): 'envelope' | 'legacy' {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'envelope';
  const record = value as Record<string, unknown>;
  const request = record.request;
  if (typeof request === 'number' || typeof request === 'string') return 'legacy';
  if (request === undefined && record.event_type === undefined && record.status !== undefined) {
    return 'legacy';
  }
  return 'envelope';
}

/**
 * Zod schema accepting either format (the two are told apart by `request`: an object in the
 * envelope, an id in the legacy format). `parseWebhook` reports the issues of the format a
 * body claims to be instead of a union's.
 */
export const webhookPayloadSchema: z.ZodType<WebhookPayload> = z.union([
  envelopeObject,
  legacyObject,
]);
