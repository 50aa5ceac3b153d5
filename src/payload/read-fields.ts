import { InvalidPayloadError } from '../errors.js';
import type { Certificate } from './event.js';
import { readTimestamp } from './timestamp.js';
import {
  type CertificateStatus,
  type EventType,
  normalizeCertificateStatus,
  normalizeEventType,
  normalizeStatus,
  type RequestStatus,
} from './vocabulary.js';
import {
  CERTIFICATE_FIELDS,
  ENVELOPE_FIELDS,
  type FieldKind,
  isWireId,
  isWireLabel,
  type Json,
  type KindOf,
  LEGACY_FIELDS,
  MAX_CERTIFICATES,
  mapFields,
  REQUEST_FIELDS,
  type WireFields,
} from './wire-fields.js';

/**
 * Reads a field's value as the event holds it, throwing {@link NOT_READABLE} when the value is
 * not of the field's kind: where the schema would not accept it, or would output another value.
 *
 * @internal
 */
export type Read<T> = (value: unknown, timeZone: string | undefined) => T;

/** What a field of each kind reads as. */
interface KindValues {
  status: RequestStatus;
  eventType: EventType;
  certificateStatus: CertificateStatus;
  text: string;
  id: number;
  timestamp: Date;
  sentAt: Date;
  certificates: Certificate[];
  request: Json;
}

type KindReaders = { readonly [Kind in FieldKind]: Read<KindValues[Kind]> };

/**
 * The reader of each field of an object: an optional field reads as `undefined` when absent
 * or `null`.
 *
 * @internal
 */
export type FieldReaders<Fields extends WireFields> = {
  readonly [Name in keyof Fields]: Read<
    KindValues[KindOf<Fields[Name]>] | (Fields[Name] extends `${FieldKind}?` ? undefined : never)
  >;
};

/**
 * Thrown by the readers where a body is not valid, for the schema to say why. One error serves
 * every such body: creating one, with its stack, would cost more than reading the body.
 *
 * @internal
 */
export const NOT_READABLE: InvalidPayloadError = new InvalidPayloadError(
  'Body is not a valid notification',
  [],
);

/**
 * `value` as an object of a notification. zod leaves an undeclared `__proto__` out of its
 * copy: an object with one is refused, for the schema to copy it.
 *
 * @internal
 */
export function asObject(value: unknown): Json {
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Object.hasOwn(value, '__proto__')
  ) {
    return value as Json;
  }
  throw NOT_READABLE;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  throw NOT_READABLE;
}

function asLabel(value: unknown): string {
  if (isWireLabel(value)) return value;
  throw NOT_READABLE;
}

function asId(value: unknown): number {
  if (isWireId(value)) return Number(value);
  throw NOT_READABLE;
}

function asDate(text: string, timeZone: string | undefined): Date {
  const result = readTimestamp(text, timeZone);
  if (result.ok) return new Date(result.time);
  throw NOT_READABLE;
}

/** The readers of the kinds that hold no object. */
const scalars = {
  status: (value) => normalizeStatus(asLabel(value)),
  eventType: (value) => normalizeEventType(asLabel(value)),
  certificateStatus: (value) => normalizeCertificateStatus(asLabel(value)),
  text: asText,
  id: asId,
  timestamp: (value, timeZone) => asDate(asText(value), timeZone),
  sentAt: (value, timeZone) =>
    asDate(typeof value === 'number' ? String(asId(value)) : asText(value), timeZone),
} satisfies Partial<KindReaders>;

/** The readers of the fields of an object, from its field table and the readers of kinds. */
function createReaders<Fields extends WireFields>(
  fields: Fields,
  kinds: Pick<KindReaders, KindOf<Fields[keyof Fields]>>,
): FieldReaders<Fields> {
  const byKind: Partial<Record<FieldKind, Read<unknown>>> = kinds;
  return mapFields(fields, (kind, optional): Read<unknown> => {
    const read = byKind[kind]!;
    return optional
      ? (value, timeZone) => (value == null ? undefined : read(value, timeZone))
      : read;
  }) as FieldReaders<Fields>;
}

const certificate = createReaders(CERTIFICATE_FIELDS, scalars);

/**
 * The readers of the fields of the envelope's `request`.
 *
 * @internal
 */
export const REQUEST: FieldReaders<typeof REQUEST_FIELDS> = createReaders(REQUEST_FIELDS, scalars);

/**
 * The readers of the fields of the envelope format.
 *
 * @internal
 */
export const ENVELOPE: FieldReaders<typeof ENVELOPE_FIELDS> = createReaders(ENVELOPE_FIELDS, {
  ...scalars,
  request: asObject,
  certificates: (value, timeZone) => {
    if (!Array.isArray(value) || value.length > MAX_CERTIFICATES) throw NOT_READABLE;
    return value.map((item: unknown): Certificate => {
      const fields = asObject(item);
      return {
        status: certificate.status(fields.status, timeZone),
        serialNumber: certificate.serial_number(fields.serial_number, timeZone),
        validFrom: certificate.valid_from(fields.valid_from, timeZone),
        validTo: certificate.valid_to(fields.valid_to, timeZone),
      };
    });
  },
});

/**
 * The readers of the fields of the legacy format.
 *
 * @internal
 */
export const LEGACY: FieldReaders<typeof LEGACY_FIELDS> = createReaders(LEGACY_FIELDS, scalars);
