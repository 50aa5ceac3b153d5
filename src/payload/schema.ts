import * as z from 'zod/mini';
import { readTimestamp } from './timestamp.js';
import {
  CERTIFICATE_FIELDS,
  DIGITS_ID,
  ENVELOPE_FIELDS,
  type FieldKind,
  type FieldSpec,
  type Json,
  type KindOf,
  LEGACY_FIELDS,
  MAX_CERTIFICATES,
  mapFields,
  NON_BLANK,
  REQUEST_FIELDS,
  type WireFields,
} from './wire-fields.js';

// The schemas are built from the field tables of wire-fields.ts with zod's tree-shakable API
// (`zod/mini`), so that an application bundling the package ships a small part of zod. Zod
// Mini has no default messages: every schema names what it expects.

/** The zod schema of each kind of field (see {@link FieldKind}). */
interface KindSchemas {
  status: z.ZodMiniType<string>;
  eventType: z.ZodMiniType<string>;
  certificateStatus: z.ZodMiniType<string>;
  text: z.ZodMiniType<string>;
  id: z.ZodMiniType<number | string>;
  timestamp: z.ZodMiniType<string>;
  sentAt: z.ZodMiniType<string | number>;
  certificates: z.ZodMiniArray<WireSchema<typeof CERTIFICATE_FIELDS>>;
  request: WireSchema<typeof REQUEST_FIELDS>;
}

/** The schema of one field: an optional one also accepts `null` and absence. */
type FieldSchema<Spec extends FieldSpec> = Spec extends `${FieldKind}?`
  ? z.ZodMiniOptional<z.ZodMiniNullable<KindSchemas[KindOf<Spec>]>>
  : KindSchemas[KindOf<Spec>];

/** The schema of an object of a notification: its declared fields, unknown fields kept. */
export type WireSchema<Fields extends WireFields> = z.ZodMiniObject<
  { -readonly [Name in keyof Fields]: FieldSchema<Fields[Name]> },
  z.core.$loose
>;

/** The schema of an object of a notification, from its field table and the schemas of kinds. */
function createWireSchema<Fields extends WireFields>(
  fields: Fields,
  kinds: Pick<KindSchemas, KindOf<Fields[keyof Fields]>>,
): WireSchema<Fields> {
  const byKind: Partial<Record<FieldKind, z.ZodMiniType>> = kinds;
  const shape = mapFields(fields, (kind, optional) => {
    const schema = byKind[kind]!;
    return optional ? z.nullish(schema) : schema;
  });
  // The shape holds, field by field, the schema `WireSchema` names for it.
  return z.looseObject(shape, { error: expected('an object') }) as unknown as WireSchema<Fields>;
}

/** The message of a value of another type than `what`, which says so when it is missing. */
function expected(what: string): z.core.$ZodErrorMap {
  return (issue) => (issue.input === undefined ? `Missing: expected ${what}` : `Expected ${what}`);
}

const text = (): z.ZodMiniString => z.string({ error: expected('a string') });

/** Adds an issue when a timestamp has a wrong format or is not a calendar time. */
const checkTimestamp = z.superRefine((value: string | number, ctx) => {
  const result = readTimestamp(String(value));
  if (!result.ok) ctx.addIssue({ code: 'custom', message: result.reason });
});

/** A non-negative safe integer. */
const natural = z
  .int({ error: 'Expected a non-negative integer within the safe range' })
  .check(z.nonnegative('Expected a non-negative integer'));

/** A status or a type: any non-blank text (unknown values are not errors). */
const label = text().check(z.regex(NON_BLANK, 'Expected a non-blank string'));

const digits = text().check(z.regex(DIGITS_ID, 'Expected a number or a string of digits'));

/** The schemas of the kinds that hold no object. */
const scalars = {
  status: label,
  eventType: label,
  certificateStatus: label,
  text: text(),
  id: z.union([natural, digits], { error: expected('a number or a string of digits') }),
  timestamp: text().check(checkTimestamp),
  sentAt: z
    .union([text(), natural], { error: 'Expected a string or a number' })
    .check(checkTimestamp),
} satisfies Partial<KindSchemas>;

/**
 * Adds an issue when a notification has none of `sent_at`, `date` and `request.date`. It runs
 * even when other fields have issues, so that a body missing several fields hears of each.
 */
const requireTime = z.superRefine(
  (value: Json, ctx) => {
    const request = value.request;
    const requestDate =
      typeof request === 'object' && request !== null ? (request as Json).date : undefined;
    if (value.sent_at == null && value.date == null && requestDate == null) {
      ctx.addIssue({
        code: 'custom',
        message: 'A notification needs a time: sent_at or date',
        path: ['sent_at'],
      });
    }
  },
  { when: ({ value }) => typeof value === 'object' && value !== null && !Array.isArray(value) },
);

/** Zod schema of one entry of `certificates[]`. */
export const certificateSchema: WireSchema<typeof CERTIFICATE_FIELDS> = createWireSchema(
  CERTIFICATE_FIELDS,
  scalars,
);

const kinds: KindSchemas = {
  ...scalars,
  certificates: z
    .array(certificateSchema, { error: 'Expected an array' })
    .check(
      z.maxLength(
        MAX_CERTIFICATES,
        `A notification lists at most ${MAX_CERTIFICATES} certificates`,
      ),
    ),
  request: createWireSchema(REQUEST_FIELDS, scalars),
};

/** Zod schema of the current envelope format (`event_type`, `sent_at`, `request`, `certificates`). */
export const envelopeSchema: WireSchema<typeof ENVELOPE_FIELDS> = createWireSchema(
  ENVELOPE_FIELDS,
  kinds,
).check(requireTime);

/** Zod schema of the legacy flat format (`status`, `date`, `request` as a number). */
export const legacySchema: WireSchema<typeof LEGACY_FIELDS> = createWireSchema(
  LEGACY_FIELDS,
  scalars,
).check(requireTime);

/** A certificate as the provider sends it inside `certificates[]` (unknown fields kept). */
export type CertificatePayload = z.output<typeof certificateSchema>;

/** The current envelope format, as sent (unknown fields kept). */
export type EnvelopePayload = z.output<typeof envelopeSchema>;

/** The `request` object of the envelope format (unknown fields kept). */
export type EnvelopeRequestPayload = EnvelopePayload['request'];

/** The legacy flat format, as sent (unknown fields kept). */
export type LegacyPayload = z.output<typeof legacySchema>;

/** A notification body in either format. */
export type WebhookPayload = EnvelopePayload | LegacyPayload;

/**
 * Zod schema accepting either format (the two are told apart by `request`: an object in the
 * envelope, an id in the legacy format). `parseWebhook` reports the issues of the format a
 * body claims to be instead of a union's.
 */
export const webhookPayloadSchema: z.ZodMiniUnion<[typeof envelopeSchema, typeof legacySchema]> =
  z.union([envelopeSchema, legacySchema], {
    error: 'Expected a notification in the envelope or the legacy format',
  });

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
