// The wire shape of a notification, declared once. The zod schemas and their types
// (schema.ts) and the readers of the event (read-fields.ts) are both built from these tables,
// which are checked against `WireFields` where they are used: `isolatedDeclarations` rules out
// `satisfies` on an exported constant.

/**
 * The kinds of field a notification has:
 *
 * - `status`, `eventType`, `certificateStatus`: a non-blank string of that vocabulary
 *   (unknown values are not errors);
 * - `text`: any string;
 * - `id`: a non-negative safe integer, or a string of up to 15 digits (one integration sends
 *   strings);
 * - `timestamp`: a string in one of the forms `parseTimestamp` reads, naming a real calendar
 *   time;
 * - `sentAt`: a `timestamp`, also accepted as a JSON number (14 digits);
 * - `certificates`: a list of at most {@link MAX_CERTIFICATES} objects of
 *   {@link CERTIFICATE_FIELDS};
 * - `request`: an object of {@link REQUEST_FIELDS}.
 *
 * @internal
 */
export type FieldKind =
  | 'status'
  | 'eventType'
  | 'certificateStatus'
  | 'text'
  | 'id'
  | 'timestamp'
  | 'sentAt'
  | 'certificates'
  | 'request';

/**
 * An object of a notification, as JSON.
 *
 * @internal
 */
export type Json = Record<string, unknown>;

/**
 * Non-blank text, as a status or a type must be.
 *
 * @internal
 */
export const NON_BLANK: RegExp = /\S/;

/**
 * A string id: up to 15 digits, so always a safe integer.
 *
 * @internal
 */
export const DIGITS_ID: RegExp = /^\s*\d{1,15}\s*$/;

/**
 * Whether `value` is an `id` as the wire has it: a non-negative safe integer, or a string of up
 * to 15 digits.
 *
 * @internal
 */
export function isWireId(value: unknown): value is number | string {
  return typeof value === 'number'
    ? Number.isSafeInteger(value) && value >= 0
    : typeof value === 'string' && DIGITS_ID.test(value);
}

/**
 * Whether `value` is a status or a type as the wire has it: non-blank text.
 *
 * @internal
 */
export function isWireLabel(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  // A printable ASCII first character settles it without the regular expression.
  const first = value.charCodeAt(0);
  return (first > 32 && first < 127) || NON_BLANK.test(value);
}

/**
 * A field's kind; with a trailing `?`, the field is optional: absent, `null` or of that kind.
 *
 * @internal
 */
export type FieldSpec = FieldKind | `${FieldKind}?`;

/**
 * The kind of a field, without its optional mark.
 *
 * @internal
 */
export type KindOf<Spec extends FieldSpec> = Spec extends `${infer Kind extends FieldKind}?`
  ? Kind
  : Spec;

/**
 * The declared fields of one object of a notification, by name. An object may have other
 * fields: they are kept, unchecked.
 *
 * @internal
 */
export type WireFields = Readonly<Record<string, FieldSpec>>;

/**
 * The most certificates a notification may list. The provider sends one; the bound keeps a
 * body of thousands of bad entries from costing an issue each.
 *
 * @internal
 */
export const MAX_CERTIFICATES = 100;

/**
 * A certificate as the provider sends it inside `certificates[]`.
 *
 * @internal
 */
export const CERTIFICATE_FIELDS = {
  /** `VALID`, `SUSPENDED`, `REVOKED`, or another value. */
  status: 'certificateStatus',
  /** Hexadecimal serial number. */
  serial_number: 'text',
  /** `YYYYMMDD HH:mm:ss`, zone-less. */
  valid_from: 'timestamp?',
  /** `YYYYMMDD HH:mm:ss`, zone-less. */
  valid_to: 'timestamp?',
} as const;

/**
 * The `request` object of the envelope format.
 *
 * @internal
 */
export const REQUEST_FIELDS = {
  /** The request status, as sent. */
  status: 'status',
  /** The request id; absent in the ISSUED and certificate templates. */
  pk: 'id?',
  profile: 'text?',
  registration_authority: 'id?',
  scratchcard: 'text?',
  // Where `date` and `previous_status` sit is not documented: both places are read.
  date: 'timestamp?',
  previous_status: 'status?',
} as const;

/**
 * The current envelope format.
 *
 * @internal
 */
export const ENVELOPE_FIELDS = {
  event_type: 'eventType?',
  /** When the provider sent the notification: `YYYYMMDDHHmmss`, zone-less. */
  sent_at: 'sentAt?',
  request: 'request',
  /** Empty until issuance. */
  certificates: 'certificates?',
  /** When the status changed. */
  date: 'timestamp?',
  previous_status: 'status?',
} as const;

/**
 * The legacy flat format.
 *
 * @internal
 */
export const LEGACY_FIELDS = {
  status: 'status',
  /** The request id. */
  request: 'id',
  /** When the status changed: ISO-8601, usually with microseconds and no offset. */
  date: 'timestamp?',
  sent_at: 'sentAt?',
  previous_status: 'status?',
  registration_authority: 'id?',
} as const;

/**
 * One value per declared field of `fields`, built from the field's kind and whether it is
 * optional: how the schemas and the readers are built from the tables.
 *
 * @internal
 */
export function mapFields<T>(
  fields: WireFields,
  build: (kind: FieldKind, optional: boolean) => T,
): Record<string, T> {
  const built: Record<string, T> = {};
  for (const [name, spec] of Object.entries(fields)) {
    const optional = spec.endsWith('?');
    built[name] = build((optional ? spec.slice(0, -1) : spec) as FieldKind, optional);
  }
  return built;
}
