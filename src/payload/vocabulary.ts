import type { LiteralUnion } from 'type-fest';

/**
 * Every request status the provider documents, in the order of its documentation.
 *
 * @example
 * ```ts
 * REQUEST_STATUSES.includes(event.status as KnownRequestStatus)
 * ```
 */
export const REQUEST_STATUSES = [
  'CREATED',
  'VIDEOPENDING',
  'VIDEOREVIEW',
  'VIDEOINCOMPLETE',
  'VIDEOERROR',
  'ENROLLREADY',
  'ISSUED',
  'RENEWED',
  'CANCELLED',
] as const;

/** Every event type the provider documents (its list is known to be incomplete). */
export const EVENT_TYPES = [
  'REQUEST_CREATED',
  'REQUEST_CANCELED',
  'REQUEST_APPROVED',
  'REQUEST_ENROLLED',
  'CERTIFICATE_SUSPENDED',
  'CERTIFICATE_REVOKED',
  'VIDEOID_UPDATED',
  'VIDEOID_FAILED',
  'VIDEOID_REFUSED',
] as const;

/** Every certificate status the provider documents. */
export const CERTIFICATE_STATUSES = ['VALID', 'SUSPENDED', 'REVOKED'] as const;

/** A request status the provider documents. */
export type KnownRequestStatus = (typeof REQUEST_STATUSES)[number];
/** An event type the provider documents. */
export type KnownEventType = (typeof EVENT_TYPES)[number];
/** A certificate status the provider documents. */
export type KnownCertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

// `LiteralUnion` keeps editors suggesting the known literals while any other string still
// type-checks, which `KnownRequestStatus | string` would not.

/** A request status: a documented one, or any other value the provider may add. */
export type RequestStatus = LiteralUnion<KnownRequestStatus, string>;
/** An event type: a documented one, or any other value the provider may add. */
export type EventType = LiteralUnion<KnownEventType, string>;
/** A certificate status: a documented one, or any other value the provider may add. */
export type CertificateStatus = LiteralUnion<KnownCertificateStatus, string>;

type Normalizer<T extends string> = (value: string) => LiteralUnion<T, string>;

const SEPARATORS = /[\s_-]+/g;

/** Builds a normalizer for one vocabulary with its provider spelling variants. */
function createNormalizer<T extends string>(
  known: readonly T[],
  variants: Readonly<Record<string, T>>,
): Normalizer<T> {
  const byKey = new Map<string, T>();
  for (const value of known) byKey.set(value.replace(SEPARATORS, ''), value);
  for (const [variant, value] of Object.entries(variants)) {
    byKey.set(variant.replace(SEPARATORS, ''), value);
  }
  return (value) => {
    // Hot path: values the provider spells exactly as documented. A short list is searched
    // faster than a set, which first hashes each new string. The list's own string comes
    // back, so that what reads it later (the idempotency key) can recognise it at once.
    const index = (known as readonly string[]).indexOf(value);
    if (index !== -1) return known[index]!;
    const upper = value.trim().toUpperCase();
    return byKey.get(upper.replace(SEPARATORS, '')) ?? upper;
  };
}

/**
 * Normalizes a request status: trims, upper-cases, ignores `_`, `-` and spaces when matching
 * a known status, and maps the provider's variants (`CANCELED` → `CANCELLED`,
 * `RENOVATED` → `RENEWED`). Unknown values come back trimmed and upper-cased.
 *
 * @example
 * ```ts
 * normalizeStatus(' canceled ') // 'CANCELLED'
 * normalizeStatus('video-review') // 'VIDEOREVIEW'
 * ```
 */
export const normalizeStatus: (value: string) => RequestStatus = createNormalizer(
  REQUEST_STATUSES,
  { CANCELED: 'CANCELLED', RENOVATED: 'RENEWED' },
);

/**
 * Normalizes an event type like {@link normalizeStatus}, mapping `REQUEST_CANCELLED` to the
 * provider's documented `REQUEST_CANCELED`.
 *
 * @example
 * ```ts
 * normalizeEventType('request-cancelled') // 'REQUEST_CANCELED'
 * ```
 */
export const normalizeEventType: (value: string) => EventType = createNormalizer(EVENT_TYPES, {
  REQUEST_CANCELLED: 'REQUEST_CANCELED',
});

/**
 * Normalizes a certificate status like {@link normalizeStatus}, mapping `ACTIVE` to `VALID`.
 *
 * @example
 * ```ts
 * normalizeCertificateStatus('active') // 'VALID'
 * ```
 */
export const normalizeCertificateStatus: (value: string) => CertificateStatus = createNormalizer(
  CERTIFICATE_STATUSES,
  { ACTIVE: 'VALID' },
);

/**
 * Every value of the three vocabularies and their variants, as the normalizers return them:
 * none holds a separator of the idempotency key. The normalizers return these very strings,
 * so a lookup of a normalized value finds its hash already computed.
 *
 * @internal
 */
export const KNOWN_VALUES: ReadonlySet<string> = new Set<string>([
  ...REQUEST_STATUSES,
  ...EVENT_TYPES,
  ...CERTIFICATE_STATUSES,
]);
