import { DIGITS_ID, MAX_CERTIFICATES, NON_BLANK } from './schema.js';
import { readTimestamp } from './timestamp.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  // zod leaves an undeclared `__proto__` out of its copy: such a body goes the schema's way.
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Object.hasOwn(value, '__proto__')
  );
}

function isLabel(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  // A printable ASCII first character settles it without the regular expression.
  const first = value.charCodeAt(0);
  return (first > 32 && first < 127) || NON_BLANK.test(value);
}

function isOptionalLabel(value: unknown): boolean {
  return value == null || isLabel(value);
}

function isOptionalText(value: unknown): boolean {
  return value == null || typeof value === 'string';
}

function isId(value: unknown): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && DIGITS_ID.test(value);
}

function isOptionalId(value: unknown): boolean {
  return value == null || isId(value);
}

function isOptionalSentAt(value: unknown): boolean {
  return typeof value === 'number' ? isId(value) : isOptionalText(value);
}

/**
 * `request.date`, which the event reads only when the top-level `date` is absent: when that is
 * present, the conversion does not check it, so it is checked here.
 */
function isOptionalRequestDate(value: unknown, topLevelDate: unknown): boolean {
  if (value == null) return true;
  if (typeof value !== 'string') return false;
  return topLevelDate == null || typeof readTimestamp(value) !== 'string';
}

function isCertificate(value: unknown): boolean {
  return (
    isRecord(value) &&
    isLabel(value.status) &&
    typeof value.serial_number === 'string' &&
    isOptionalText(value.valid_from) &&
    isOptionalText(value.valid_to)
  );
}

function isOptionalCertificates(value: unknown): boolean {
  if (value == null) return true;
  if (!Array.isArray(value) || value.length > MAX_CERTIFICATES) return false;
  for (const certificate of value) if (!isCertificate(certificate)) return false;
  return true;
}

function isEnvelope(value: Json): boolean {
  const request = value.request;
  return (
    isRecord(request) &&
    isLabel(request.status) &&
    isOptionalId(request.pk) &&
    isOptionalText(request.profile) &&
    isOptionalId(request.registration_authority) &&
    isOptionalText(request.scratchcard) &&
    isOptionalRequestDate(request.date, value.date) &&
    isOptionalLabel(request.previous_status) &&
    isOptionalLabel(value.event_type) &&
    isOptionalSentAt(value.sent_at) &&
    isOptionalCertificates(value.certificates) &&
    isOptionalText(value.date) &&
    isOptionalLabel(value.previous_status) &&
    (value.sent_at != null || value.date != null || request.date != null)
  );
}

function isLegacy(value: Json): boolean {
  return (
    isLabel(value.status) &&
    isId(value.request) &&
    isOptionalText(value.date) &&
    isOptionalSentAt(value.sent_at) &&
    isOptionalLabel(value.previous_status) &&
    isOptionalId(value.registration_authority) &&
    (value.sent_at != null || value.date != null)
  );
}

/**
 * Checks the common notification shapes without zod, for a value fresh from `JSON.parse`:
 * `true` when the zod schema of `format` accepts `value`, and outputs a deep copy of it,
 * provided that its timestamps are valid, which reading them checks. `false` means "not
 * certainly": the schema then decides and reports the issues. Never throws.
 *
 * @internal
 */
export function isCommonShape(value: unknown, format: 'envelope' | 'legacy'): boolean {
  if (!isRecord(value)) return false;
  return format === 'envelope' ? isEnvelope(value) : isLegacy(value);
}
