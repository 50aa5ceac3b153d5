import type { WebhookEvent } from './event.js';
import { createIdempotencyKey } from './idempotency-key.js';
import { ENVELOPE, LEGACY, NOT_READABLE, REQUEST } from './read-fields.js';
import type { WebhookPayload } from './schema.js';
import type { Json } from './wire-fields.js';

// Each format is read into the event directly: an intermediate record common to both formats
// cost 2 % of a parse.

/** `changedAt ?? sentAt`: a notification without either is not valid. */
function occurredAt(changedAt: Date | undefined, sentAt: Date | undefined): Date {
  const time = changedAt ?? sentAt;
  if (time === undefined) throw NOT_READABLE;
  return time;
}

function readEnvelope(body: Json, timeZone: string | undefined): WebhookEvent {
  const request = ENVELOPE.request(body.request, timeZone);
  const eventType = ENVELOPE.event_type(body.event_type, timeZone);
  const status = REQUEST.status(request.status, timeZone);
  // `date` and `previous_status` may sit at the top level or in `request`: both are read, and
  // the top level wins.
  const requestPreviousStatus = REQUEST.previous_status(request.previous_status, timeZone);
  const previousStatus =
    ENVELOPE.previous_status(body.previous_status, timeZone) ?? requestPreviousStatus;
  const requestChangedAt = REQUEST.date(request.date, timeZone);
  const changedAt = ENVELOPE.date(body.date, timeZone) ?? requestChangedAt;
  const requestId = REQUEST.pk(request.pk, timeZone);
  const registrationAuthority = REQUEST.registration_authority(
    request.registration_authority,
    timeZone,
  );
  const sentAt = ENVELOPE.sent_at(body.sent_at, timeZone);
  const certificates = ENVELOPE.certificates(body.certificates, timeZone) ?? [];
  return {
    format: 'envelope',
    eventType,
    status,
    previousStatus,
    requestId,
    registrationAuthority,
    profile: REQUEST.profile(request.profile, timeZone),
    scratchcard: REQUEST.scratchcard(request.scratchcard, timeZone),
    sentAt,
    changedAt,
    occurredAt: occurredAt(changedAt, sentAt),
    certificates,
    idempotencyKey: createIdempotencyKey({
      format: 'envelope',
      requestId,
      registrationAuthority,
      eventType,
      status,
      previousStatus,
      time: (body.date ?? request.date ?? body.sent_at) as string | number,
      certificates,
    }),
    payload: body as WebhookPayload,
  };
}

function readLegacy(body: Json, timeZone: string | undefined): WebhookEvent {
  const status = LEGACY.status(body.status, timeZone);
  const previousStatus = LEGACY.previous_status(body.previous_status, timeZone);
  const requestId = LEGACY.request(body.request, timeZone);
  const registrationAuthority = LEGACY.registration_authority(
    body.registration_authority,
    timeZone,
  );
  const sentAt = LEGACY.sent_at(body.sent_at, timeZone);
  const changedAt = LEGACY.date(body.date, timeZone);
  const certificates: [] = [];
  return {
    format: 'legacy',
    eventType: undefined,
    status,
    previousStatus,
    requestId,
    registrationAuthority,
    profile: undefined,
    scratchcard: undefined,
    sentAt,
    changedAt,
    occurredAt: occurredAt(changedAt, sentAt),
    certificates,
    idempotencyKey: createIdempotencyKey({
      format: 'legacy',
      requestId,
      registrationAuthority,
      eventType: undefined,
      status,
      previousStatus,
      time: (body.date ?? body.sent_at) as string | number,
      certificates,
    }),
    payload: body as WebhookPayload,
  };
}

/**
 * The event of a notification body of `format`, read field by field as the field tables
 * declare them. Throws {@link NOT_READABLE} where the body is not valid, for the schema to say
 * why: a body this reads is one the schema accepts and outputs unchanged.
 *
 * @internal
 */
export function createEvent(
  body: Json,
  format: 'envelope' | 'legacy',
  timeZone: string | undefined,
): WebhookEvent {
  return format === 'envelope' ? readEnvelope(body, timeZone) : readLegacy(body, timeZone);
}
