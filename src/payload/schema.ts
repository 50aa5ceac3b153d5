import * as z from 'zod/mini';
import { readTimestamp } from './timestamp.js';

// The schemas are written with zod's tree-shakable API (`zod/mini`), so that an application
// bundling the package ships a small part of zod. Zod Mini has no default messages: every
// schema names what it expects.

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

const text = (): z.ZodMiniString => z.string({ error: 'Expected a string' });

/** A status or type string: any non-blank text (unknown values are not errors). */
const label = text().check(z.regex(NON_BLANK, 'Expected a non-blank string'));

/** Adds an issue when a timestamp has a wrong format or is not a calendar time. */
const checkTimestamp = z.superRefine((value: string | number, ctx) => {
  const time = readTimestamp(String(value));
  if (typeof time === 'string') ctx.addIssue({ code: 'custom', message: time });
});

/** A provider timestamp, checked for format and calendar validity (not yet zoned). */
const timestamp = text().check(checkTimestamp);

/** A non-negative safe integer. */
const natural = z
  .int({ error: 'Expected a non-negative integer within the safe range' })
  .check(z.nonnegative('Expected a non-negative integer'));

/** `sent_at`: 14 digits, also accepted as a JSON number. */
const sentAt = z
  .union([text(), natural], { error: 'Expected a string or a number' })
  .check(checkTimestamp);

/** An id: a non-negative safe integer, or a string of digits (one integration sends strings). */
const id = z.union(
  [
    natural,
    text().check(
      z.regex(DIGITS_ID, 'Expected a number or a string of digits'),
      z.refine((value) => Number(value) <= Number.MAX_SAFE_INTEGER, 'Id is too large'),
    ),
  ],
  { error: 'Expected a number or a string of digits' },
);

/**
 * The most certificates a notification may list. The provider sends one; the bound keeps a
 * body of thousands of bad entries from costing an issue each.
 */
export const MAX_CERTIFICATES = 100;

/** Optional fields: a JSON `null` counts as absent. */
const optional = z.nullish;

const object = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
  z.looseObject(shape, { error: 'Expected an object' });

const certificateObject = object({
  status: label,
  serial_number: text(),
  valid_from: optional(timestamp),
  valid_to: optional(timestamp),
});

const envelopeRequestObject = object({
  status: label,
  pk: optional(id),
  profile: optional(text()),
  registration_authority: optional(id),
  scratchcard: optional(text()),
  date: optional(timestamp),
  previous_status: optional(label),
});

/** Adds an issue when a payload has neither `sent_at` nor `date`. */
const requireTime = z.superRefine(
  (value: { sent_at?: unknown; date?: unknown; request?: unknown }, ctx) => {
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
  },
);

const envelopeObject = object({
  event_type: optional(label),
  sent_at: optional(sentAt),
  request: envelopeRequestObject,
  certificates: optional(
    z
      .array(certificateObject, { error: 'Expected an array' })
      .check(
        z.maxLength(
          MAX_CERTIFICATES,
          `A notification lists at most ${MAX_CERTIFICATES} certificates`,
        ),
      ),
  ),
  date: optional(timestamp),
  previous_status: optional(label),
}).check(requireTime);

const legacyObject = object({
  status: label,
  request: id,
  date: optional(timestamp),
  sent_at: optional(sentAt),
  previous_status: optional(label),
  registration_authority: optional(id),
}).check(requireTime);

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
export const certificateSchema: z.ZodMiniType<CertificatePayload> = certificateObject;

/** Zod schema of the current envelope format (`event_type`, `sent_at`, `request`, `certificates`). */
export const envelopeSchema: z.ZodMiniType<EnvelopePayload> = envelopeObject;

/** Zod schema of the legacy flat format (`status`, `date`, `request` as a number). */
export const legacySchema: z.ZodMiniType<LegacyPayload> = legacyObject;

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
export const webhookPayloadSchema: z.ZodMiniType<WebhookPayload> = z.union(
  [envelopeObject, legacyObject],
  { error: 'Expected a notification in the envelope or the legacy format' },
);
