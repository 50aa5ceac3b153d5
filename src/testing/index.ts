import { excerpt, InvalidOptionsError } from '../errors.js';
import { positiveInteger } from '../options.js';
import type {
  CertificatePayload,
  EnvelopePayload,
  LegacyPayload,
  WebhookPayload,
} from '../payload/schema.js';
import { assertTimeZone, formatSentAt } from '../payload/timestamp.js';
import {
  type CertificateStatus,
  type EventType,
  type KnownEventType,
  type KnownRequestStatus,
  normalizeEventType,
  normalizeStatus,
  type RequestStatus,
} from '../payload/vocabulary.js';
import { isWireId, isWireLabel, MAX_CERTIFICATES } from '../payload/wire-fields.js';
import {
  EVENT_OF_STATUS,
  EVENT_TEMPLATES,
  FLOWS,
  type FlowStep,
  type TestFlowName,
} from './templates.js';

/** A certificate for {@link createTestPayload}; every field has a realistic default. */
export interface TestCertificate {
  /** @default the status the event type implies (`VALID`, `SUSPENDED` or `REVOKED`) */
  status?: CertificateStatus | undefined;
  /** @default a 16-digit hexadecimal serial derived from the request id */
  serialNumber?: string | undefined;
  /** @default the minute of `sentAt` */
  validFrom?: Date | undefined;
  /** @default two years after `validFrom` */
  validTo?: Date | undefined;
}

/** Overrides of {@link createTestPayload}. */
export interface TestPayloadOptions {
  /**
   * Which wire format to produce.
   *
   * @default 'envelope'
   */
  format?: 'envelope' | 'legacy' | undefined;
  /**
   * The event type. When only `status` is given, the provider's template for that status
   * decides it (`VIDEOREVIEW` → `VIDEOID_UPDATED`, …); a status no template carries
   * (`RENEWED`, or an undocumented one) gives an envelope without `event_type`.
   *
   * @default 'REQUEST_CREATED'
   */
  eventType?: EventType | undefined;
  /**
   * The request status. When only `eventType` is given, its template decides it
   * (`REQUEST_APPROVED` → `ENROLLREADY`, certificate events → `ISSUED`, …); an event type
   * without a documented template needs a status (`InvalidOptionsError` otherwise).
   *
   * @default 'CREATED'
   */
  status?: RequestStatus | undefined;
  /**
   * The previous status (`previous_status`), written as given; legacy bodies carry it,
   * envelopes only if set.
   */
  previousStatus?: RequestStatus | undefined;
  /**
   * The request id (`request.pk`, or the legacy `request`). `null` leaves it out of an
   * envelope; the legacy format always carries one, so `null` is an `InvalidOptionsError`
   * there. Like the provider's templates, `ISSUED` envelopes leave it out unless it is given.
   * Otherwise a non-negative safe integer (or, as one integration sends, a string of up to 15
   * digits).
   *
   * @default 28634
   */
  requestId?: number | null | undefined;
  /**
   * A non-negative safe integer (or a string of up to 15 digits), like `requestId`.
   *
   * @default 139
   */
  registrationAuthority?: number | undefined;
  /** @default 'PFnubeQAFCiudadano' */
  profile?: string | undefined;
  /** @default '5051762' */
  scratchcard?: string | undefined;
  /**
   * When the notification is sent, written as `sent_at` (envelope) or `date` (legacy) in
   * `timeZone`.
   *
   * @default new Date()
   */
  sentAt?: Date | undefined;
  /** Adds a `date` (time of the status change) to an envelope. */
  changedAt?: Date | undefined;
  /**
   * The zone the provider's zone-less timestamps are written in.
   *
   * @default 'UTC'
   */
  timeZone?: string | undefined;
  /**
   * The certificates, at most 100 (as many as the parser accepts). By default
   * `REQUEST_ENROLLED` and certificate events carry one, everything else none. The legacy
   * format carries none.
   */
  certificates?: readonly TestCertificate[] | undefined;
  /**
   * Extra top-level fields, to test that unknown fields flow through. They are written last
   * and not checked: one named like a wire field (`sent_at`, `request`, …) replaces the
   * generated value, and the parser may refuse the body.
   */
  extra?: Readonly<Record<string, unknown>> | undefined;
}

const DEFAULT_REQUEST_ID = 28634;

const isValidDate = (value: unknown): value is Date =>
  value instanceof Date && !Number.isNaN(value.getTime());
const TWO_YEARS = 2 * 365 * 86_400_000;

/** A value an option was given, for a message: an excerpt of a string, or what it is. */
function shown(value: unknown): string {
  if (typeof value === 'string') return excerpt(value);
  if (value instanceof Date) return isValidDate(value) ? 'a Date' : 'an invalid Date';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return typeof value === 'function' ? 'a function' : String(value);
}

/** Throws the `InvalidOptionsError` of option `name`, which must be `what`. */
function refuse(name: string, what: string, value: unknown): never {
  throw new InvalidOptionsError(`${name} must be ${what}, not ${shown(value)}`);
}

/** Checks a status or a type: non-blank text, as on the wire. */
function checkLabel(value: unknown, name: string): void {
  if (value !== undefined && !isWireLabel(value)) refuse(name, 'a non-blank string', value);
}

/** Checks an id: a non-negative safe integer or a string of up to 15 digits, as on the wire. */
function checkId(value: unknown, name: string): void {
  if (value !== undefined && !isWireId(value)) {
    refuse(name, 'a non-negative safe integer or a string of up to 15 digits', value);
  }
}

function checkText(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'string') refuse(name, 'a string', value);
}

function checkDate(value: unknown, name: string): void {
  if (value !== undefined && !isValidDate(value)) refuse(name, 'a valid Date', value);
}

/** Checks every option of {@link createTestPayload} but the dates' range and the templates. */
function checkOptions(options: TestPayloadOptions): void {
  const { format, certificates, extra } = options;
  if (format !== undefined && format !== 'envelope' && format !== 'legacy') {
    refuse('format', "'envelope' or 'legacy'", format);
  }
  checkLabel(options.eventType, 'eventType');
  checkLabel(options.status, 'status');
  checkLabel(options.previousStatus, 'previousStatus');
  if (options.requestId !== null) checkId(options.requestId, 'requestId');
  checkId(options.registrationAuthority, 'registrationAuthority');
  checkText(options.profile, 'profile');
  checkText(options.scratchcard, 'scratchcard');
  checkDate(options.sentAt, 'sentAt');
  checkDate(options.changedAt, 'changedAt');
  assertTimeZone(options.timeZone);
  if (certificates !== undefined) {
    if (!Array.isArray(certificates)) refuse('certificates', 'an array', certificates);
    if (certificates.length > MAX_CERTIFICATES) {
      refuse('certificates', `at most ${MAX_CERTIFICATES} certificates`, certificates.length);
    }
    certificates.forEach((certificate: unknown, index) => {
      const name = `certificates[${index}]`;
      if (typeof certificate !== 'object' || certificate === null) {
        refuse(name, 'an object', certificate);
      }
      const { status, serialNumber, validFrom, validTo } = certificate as TestCertificate;
      checkLabel(status, `${name}.status`);
      checkText(serialNumber, `${name}.serialNumber`);
      checkDate(validFrom, `${name}.validFrom`);
      checkDate(validTo, `${name}.validTo`);
    });
  }
  if (
    extra !== undefined &&
    (typeof extra !== 'object' || extra === null || Array.isArray(extra))
  ) {
    refuse('extra', 'an object', extra);
  }
}

function pad(value: number, length = 2): string {
  return String(value).padStart(length, '0');
}

/**
 * `date` as `YYYYMMDDHHmmss` in `timeZone`, or the `InvalidOptionsError` of option `name` when
 * its year there is not one of 0-9999, which the provider's timestamps cannot write.
 */
function stamp(date: Date, timeZone: string | undefined, name: string): string {
  try {
    return formatSentAt(date, { timeZone });
  } catch (cause) {
    throw new InvalidOptionsError(
      `${name} cannot be written as the provider's timestamp: give a time of years 0-9999 in ${timeZone ?? 'UTC'}`,
      { cause },
    );
  }
}

/** `YYYYMMDD HH:mm:ss` in `timeZone`. */
function formatValidity(date: Date, timeZone: string | undefined, name: string): string {
  const t = stamp(date, timeZone, name);
  return `${t.slice(0, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`;
}

/** Naive ISO-8601 with microseconds in `timeZone`, like the legacy `date`. */
function formatLegacyDate(date: Date, timeZone: string | undefined, name: string): string {
  const t = stamp(date, timeZone, name);
  const micros = pad(((date.getTime() % 1000) + 1000) % 1000, 3);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}.${micros}000`;
}

function serialFor(requestId: number | null): string {
  const seed = (requestId ?? DEFAULT_REQUEST_ID) * 2654435761;
  return (Math.abs(seed) % 0xffffffffffff).toString(16).padStart(16, '0').slice(-16);
}

/**
 * Creates a notification body in the provider's wire format (snake_case fields, 14-digit
 * `sent_at`), consistent with the provider's templates, that `parseWebhook` accepts.
 *
 * Every option is checked first: `undefined` takes the default, anything else must be of the
 * documented kind.
 *
 * @throws {InvalidOptionsError} when
 * - `format` is neither `'envelope'` nor `'legacy'`;
 * - `eventType`, `status`, `previousStatus` or a certificate's `status` is not a non-blank
 *   string;
 * - `requestId` (other than `null`) or `registrationAuthority` is not a non-negative safe
 *   integer or a string of up to 15 digits;
 * - `profile`, `scratchcard` or a certificate's `serialNumber` is not a string;
 * - `sentAt`, `changedAt` or a certificate's `validFrom` or `validTo` is not a valid `Date`;
 * - `timeZone` is not an IANA time zone;
 * - `certificates` is not an array of objects, or lists more than 100;
 * - `extra` is not an object;
 * - `eventType` has no documented template and no `status` is given;
 * - `requestId` is `null` in the legacy format;
 * - a time written in the body (`sentAt`, `changedAt`, a certificate's validity, given or by
 *   default) falls outside years 0-9999 in `timeZone`, which the provider's timestamps cannot
 *   write; `cause` is the `InvalidTimestampError` of `formatSentAt`.
 * @example
 * ```ts
 * import { createTestPayload } from 'uanataca-webhooks/testing'
 *
 * const body = createTestPayload({ status: 'VIDEOREVIEW', requestId: 7, timeZone: 'Europe/Madrid' })
 * // { event_type: 'VIDEOID_UPDATED', sent_at: '2025…', request: { status: 'VIDEOREVIEW', pk: 7, … }, certificates: [] }
 * await fetch(url, { method: 'POST', body: JSON.stringify(body) })
 * ```
 */
export function createTestPayload(options: TestPayloadOptions = {}): WebhookPayload {
  checkOptions(options);
  const { timeZone } = options;
  const givenEvent =
    options.eventType === undefined ? undefined : normalizeEventType(options.eventType);
  const givenStatus = options.status === undefined ? undefined : normalizeStatus(options.status);
  const template =
    givenEvent !== undefined && Object.hasOwn(EVENT_TEMPLATES, givenEvent)
      ? EVENT_TEMPLATES[givenEvent as KnownEventType]
      : undefined;
  if (givenEvent !== undefined && givenStatus === undefined && template === undefined) {
    throw new InvalidOptionsError(
      `No documented template says which status the event type ${excerpt(givenEvent)} carries: give a status too`,
    );
  }
  const status = givenStatus ?? template?.status ?? 'CREATED';
  const eventType =
    givenEvent ??
    (givenStatus === undefined
      ? 'REQUEST_CREATED'
      : Object.hasOwn(EVENT_OF_STATUS, givenStatus)
        ? EVENT_OF_STATUS[givenStatus as KnownRequestStatus]
        : undefined);
  if (options.format === 'legacy' && options.requestId === null) {
    throw new InvalidOptionsError('The legacy format always carries a request id: give a number');
  }
  const sentAt = options.sentAt ?? new Date();
  const issuedTemplate =
    status === 'ISSUED' && (options.requestId === undefined || options.requestId === null);
  const requestId =
    options.requestId === undefined
      ? issuedTemplate
        ? null
        : DEFAULT_REQUEST_ID
      : options.requestId;
  const registrationAuthority = options.registrationAuthority ?? 139;

  if (options.format === 'legacy') {
    const legacy: LegacyPayload = {
      status,
      date: formatLegacyDate(
        options.changedAt ?? sentAt,
        timeZone,
        options.changedAt ? 'changedAt' : 'sentAt',
      ),
      ...(options.previousStatus === undefined ? {} : { previous_status: options.previousStatus }),
      request: requestId ?? DEFAULT_REQUEST_ID,
      registration_authority: registrationAuthority,
      ...options.extra,
    };
    return legacy;
  }

  const certificateStatus =
    eventType !== undefined && Object.hasOwn(EVENT_TEMPLATES, eventType)
      ? EVENT_TEMPLATES[eventType as KnownEventType].certificate
      : undefined;
  const certificates = options.certificates ?? (certificateStatus ? [{}] : []);
  const validFromDefault = new Date(Math.floor(sentAt.getTime() / 60_000) * 60_000);
  const request: EnvelopePayload['request'] = issuedTemplate
    ? { status }
    : {
        status,
        profile: options.profile ?? 'PFnubeQAFCiudadano',
        registration_authority: registrationAuthority,
        scratchcard: options.scratchcard ?? '5051762',
        ...(requestId === null ? {} : { pk: requestId }),
      };
  const envelope: EnvelopePayload = {
    ...(eventType === undefined ? {} : { event_type: eventType }),
    sent_at: stamp(sentAt, timeZone, 'sentAt'),
    request,
    certificates: certificates.map((certificate, index): CertificatePayload => {
      const name = `certificates[${index}]`;
      const validFrom = certificate.validFrom ?? validFromDefault;
      return {
        status: certificate.status ?? certificateStatus ?? 'VALID',
        serial_number: certificate.serialNumber ?? serialFor(requestId),
        valid_from: formatValidity(
          validFrom,
          timeZone,
          `${name}.validFrom${certificate.validFrom ? '' : ' (by default the minute of sentAt)'}`,
        ),
        valid_to: formatValidity(
          certificate.validTo ?? new Date(validFrom.getTime() + TWO_YEARS),
          timeZone,
          `${name}.validTo${certificate.validTo ? '' : ' (by default two years after validFrom)'}`,
        ),
      };
    }),
    ...(options.changedAt === undefined
      ? {}
      : { date: formatLegacyDate(options.changedAt, timeZone, 'changedAt') }),
    ...(options.previousStatus === undefined ? {} : { previous_status: options.previousStatus }),
    ...options.extra,
  };
  return envelope;
}

export type { TestFlowName } from './templates.js';

/** Every flow {@link createTestFlow} can play. */
export const TEST_FLOWS: readonly TestFlowName[] = Object.freeze(
  Object.keys(FLOWS) as TestFlowName[],
);

/** Options of {@link createTestFlow}. */
export interface TestFlowOptions
  extends Pick<
    TestPayloadOptions,
    'format' | 'registrationAuthority' | 'profile' | 'scratchcard' | 'timeZone'
  > {
  /**
   * A non-negative safe integer (or a string of up to 15 digits).
   *
   * @default 28634
   */
  requestId?: number | undefined;
  /**
   * When the first notification is sent.
   *
   * @default 'now minus the flow's length'
   */
  start?: Date | undefined;
  /**
   * Time between two notifications, in milliseconds.
   *
   * @default 60000
   */
  stepMs?: number | undefined;
}

/**
 * Creates the notifications of a documented flow, in order and with increasing times, as
 * the provider would send them for one request. Like the provider's templates, the
 * `ISSUED` and certificate notifications of envelope flows carry no request id.
 *
 * @throws {InvalidOptionsError} when
 * - `flow` is not one of {@link TEST_FLOWS};
 * - `stepMs` is not a positive safe integer;
 * - `start` is not a valid `Date`;
 * - `requestId` is not a non-negative safe integer or a string of up to 15 digits;
 * - `format`, `registrationAuthority`, `profile`, `scratchcard` or `timeZone` is one
 *   {@link createTestPayload} refuses;
 * - a notification's time (`start + n × stepMs`), or the validity of the certificate an
 *   `ISSUED` notification carries (two years from then), falls outside years 0-9999 in
 *   `timeZone`; `cause` is the error of {@link createTestPayload}.
 * @example
 * ```ts
 * import { createTestFlow } from 'uanataca-webhooks/testing'
 *
 * for (const body of createTestFlow('videoid', { requestId: 42 })) await webhooks.receive(body)
 * ```
 */
export function createTestFlow(
  flow: TestFlowName,
  options: TestFlowOptions = {},
): WebhookPayload[] {
  const steps: readonly FlowStep[] | undefined = Object.hasOwn(FLOWS, flow)
    ? FLOWS[flow]
    : undefined;
  if (!steps) {
    throw new InvalidOptionsError(
      `Unknown flow ${shown(flow)}; use one of: ${TEST_FLOWS.join(', ')}`,
    );
  }
  const stepMs = positiveInteger(options.stepMs, 60_000, 'stepMs');
  checkDate(options.start, 'start');
  checkId(options.requestId, 'requestId');
  checkOptions(options);
  const start = options.start ?? new Date(Date.now() - stepMs * steps.length);
  const requestId = options.requestId ?? DEFAULT_REQUEST_ID;
  const legacy = options.format === 'legacy';
  let previous: KnownRequestStatus | undefined;
  return steps.map(([status, eventType], index) => {
    const template = !legacy && status === 'ISSUED';
    let payload: WebhookPayload;
    try {
      payload = createTestPayload({
        ...options,
        status,
        eventType,
        // The provider's ISSUED templates carry no request id; the serial still tells
        // requests apart.
        requestId: template ? null : requestId,
        ...(template ? { certificates: [{ serialNumber: serialFor(requestId) }] } : {}),
        ...(legacy && previous !== undefined && previous !== status
          ? { previousStatus: previous }
          : {}),
        sentAt: new Date(start.getTime() + index * stepMs),
      });
    } catch (cause) {
      // Every option was checked above: what is left is a time out of the writable years.
      throw new InvalidOptionsError(
        `Notification ${index + 1} of ${excerpt(flow)} (sentAt = start + ${index} × stepMs): ${(cause as Error).message}`,
        { cause },
      );
    }
    previous = status;
    return payload;
  });
}
