import { excerpt, InvalidOptionsError } from '../errors.js';
import { positiveInteger } from '../options.js';
import type {
  CertificatePayload,
  EnvelopePayload,
  LegacyPayload,
  WebhookPayload,
} from '../payload/schema.js';
import { formatSentAt } from '../payload/timestamp.js';
import {
  type CertificateStatus,
  type EventType,
  type KnownEventType,
  type KnownRequestStatus,
  normalizeEventType,
  normalizeStatus,
  type RequestStatus,
} from '../payload/vocabulary.js';
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
  /** The previous status (`previous_status`); legacy bodies carry it, envelopes only if set. */
  previousStatus?: RequestStatus | undefined;
  /**
   * The request id (`request.pk`, or the legacy `request`). `null` leaves it out of an
   * envelope; the legacy format always carries one, so `null` is an `InvalidOptionsError`
   * there. Like the provider's templates, `ISSUED` envelopes leave it out unless it is given.
   *
   * @default 28634
   */
  requestId?: number | null | undefined;
  /** @default 139 */
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
   * The certificates. By default `REQUEST_ENROLLED` and certificate events carry one,
   * everything else none.
   */
  certificates?: readonly TestCertificate[] | undefined;
  /** Extra top-level fields, to test that unknown fields flow through. */
  extra?: Readonly<Record<string, unknown>> | undefined;
}

const DEFAULT_REQUEST_ID = 28634;

const isValidDate = (value: unknown): boolean =>
  value instanceof Date && !Number.isNaN(value.getTime());
const TWO_YEARS = 2 * 365 * 86_400_000;

function pad(value: number, length = 2): string {
  return String(value).padStart(length, '0');
}

/** `YYYYMMDD HH:mm:ss` in `timeZone`. */
function formatValidity(date: Date, timeZone: string | undefined): string {
  const t = formatSentAt(date, { timeZone });
  return `${t.slice(0, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`;
}

/** Naive ISO-8601 with microseconds in `timeZone`, like the legacy `date`. */
function formatLegacyDate(date: Date, timeZone: string | undefined): string {
  const t = formatSentAt(date, { timeZone });
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
 * @throws {InvalidOptionsError} for an event type without a documented template and no
 * status, `requestId: null` in the legacy format, or an invalid `sentAt`.
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
  const { timeZone } = options;
  if (options.sentAt !== undefined && !isValidDate(options.sentAt)) {
    throw new InvalidOptionsError('sentAt must be a valid Date');
  }
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
      date: formatLegacyDate(options.changedAt ?? sentAt, timeZone),
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
    sent_at: formatSentAt(sentAt, { timeZone }),
    request,
    certificates: certificates.map((certificate): CertificatePayload => {
      const validFrom = certificate.validFrom ?? validFromDefault;
      return {
        status: certificate.status ?? certificateStatus ?? 'VALID',
        serial_number: certificate.serialNumber ?? serialFor(requestId),
        valid_from: formatValidity(validFrom, timeZone),
        valid_to: formatValidity(
          certificate.validTo ?? new Date(validFrom.getTime() + TWO_YEARS),
          timeZone,
        ),
      };
    }),
    ...(options.changedAt === undefined
      ? {}
      : { date: formatLegacyDate(options.changedAt, timeZone) }),
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
  /** @default 28634 */
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
 * @throws {InvalidOptionsError} for an unknown flow, a `stepMs` that is not a positive
 * integer or an invalid `start`.
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
      `Unknown flow ${typeof flow === 'string' ? excerpt(flow) : typeof flow}; use one of: ${TEST_FLOWS.join(', ')}`,
    );
  }
  const stepMs = positiveInteger(options.stepMs, 60_000, 'stepMs');
  if (options.start !== undefined && !isValidDate(options.start)) {
    throw new InvalidOptionsError('start must be a valid Date');
  }
  const start = options.start ?? new Date(Date.now() - stepMs * steps.length);
  const requestId = options.requestId ?? DEFAULT_REQUEST_ID;
  const legacy = options.format === 'legacy';
  let previous: KnownRequestStatus | undefined;
  return steps.map(([status, eventType], index) => {
    const template = !legacy && status === 'ISSUED';
    const payload = createTestPayload({
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
    previous = status;
    return payload;
  });
}
