import { describe, expectTypeOf, it } from 'vitest';
import {
  type CertificatePayload,
  type CertificateStatus,
  type EnvelopePayload,
  type EnvelopeRequestPayload,
  type EventType,
  type KnownEventType,
  type KnownRequestStatus,
  type LegacyPayload,
  normalizeStatus,
  parseWebhook,
  type RequestStatus,
  safeParseWebhook,
  type WebhookError,
  type WebhookEvent,
  type WebhookPayload,
} from '../../src/index.js';

// The wire types as they were written by hand before they were derived from the schemas: the
// derived types must accept exactly what these accept.
interface WrittenCertificate {
  status: string;
  serial_number: string;
  valid_from?: string | null | undefined;
  valid_to?: string | null | undefined;
  [key: string]: unknown;
}
interface WrittenRequest {
  status: string;
  pk?: number | string | null | undefined;
  profile?: string | null | undefined;
  registration_authority?: number | string | null | undefined;
  scratchcard?: string | null | undefined;
  date?: string | null | undefined;
  previous_status?: string | null | undefined;
  [key: string]: unknown;
}
interface WrittenEnvelope {
  event_type?: string | null | undefined;
  sent_at?: string | number | null | undefined;
  request: WrittenRequest;
  certificates?: WrittenCertificate[] | null | undefined;
  date?: string | null | undefined;
  previous_status?: string | null | undefined;
  [key: string]: unknown;
}
interface WrittenLegacy {
  status: string;
  request: number | string;
  date?: string | null | undefined;
  sent_at?: string | number | null | undefined;
  previous_status?: string | null | undefined;
  registration_authority?: number | string | null | undefined;
  [key: string]: unknown;
}

describe('payload types', () => {
  it('types the normalized event', () => {
    const event = parseWebhook('{}');
    expectTypeOf(event).toEqualTypeOf<WebhookEvent>();
    expectTypeOf(event.status).toEqualTypeOf<RequestStatus>();
    expectTypeOf(event.eventType).toEqualTypeOf<EventType | undefined>();
    expectTypeOf(event.requestId).toEqualTypeOf<number | undefined>();
    expectTypeOf(event.occurredAt).toEqualTypeOf<Date>();
    expectTypeOf(event.sentAt).toEqualTypeOf<Date | undefined>();
    expectTypeOf(event.format).toEqualTypeOf<'envelope' | 'legacy'>();
    expectTypeOf(event.certificates[0]!.status).toEqualTypeOf<CertificateStatus>();
    expectTypeOf(event.idempotencyKey).toEqualTypeOf<string>();
  });

  it('keeps autocompletion while accepting unknown values', () => {
    const known: KnownRequestStatus = 'VIDEOREVIEW';
    const open: RequestStatus = 'SOMETHING_NEW';
    expectTypeOf(known).toExtend<RequestStatus>();
    expectTypeOf(open).toExtend<string>();
    // @ts-expect-error a misspelt known status
    const misspelt: KnownRequestStatus = 'VIDEOREVEIW';
    // @ts-expect-error event types and statuses are separate vocabularies
    const crossed: KnownEventType = 'CANCELLED';
    expectTypeOf(normalizeStatus('x')).toEqualTypeOf<RequestStatus>();
    void misspelt;
    void crossed;
  });

  it('narrows the safe result', () => {
    const result = safeParseWebhook('{}');
    if (result.success) expectTypeOf(result.data).toEqualTypeOf<WebhookEvent>();
    else expectTypeOf(result.error).toEqualTypeOf<WebhookError>();
  });

  it('accepts every body kind', () => {
    expectTypeOf(parseWebhook).toBeCallableWith('{}');
    expectTypeOf(parseWebhook).toBeCallableWith(new Uint8Array());
    expectTypeOf(parseWebhook).toBeCallableWith(new ArrayBuffer(0));
    expectTypeOf(parseWebhook).toBeCallableWith({ status: 'CREATED' });
    expectTypeOf(parseWebhook).toBeCallableWith('{}', { timeZone: 'Europe/Madrid' });
  });

  it('derives the wire types from the schemas, accepting what the written types accepted', () => {
    expectTypeOf<CertificatePayload>().toExtend<WrittenCertificate>();
    expectTypeOf<WrittenCertificate>().toExtend<CertificatePayload>();
    expectTypeOf<EnvelopeRequestPayload>().toExtend<WrittenRequest>();
    expectTypeOf<WrittenRequest>().toExtend<EnvelopeRequestPayload>();
    expectTypeOf<EnvelopePayload>().toExtend<WrittenEnvelope>();
    expectTypeOf<WrittenEnvelope>().toExtend<EnvelopePayload>();
    expectTypeOf<LegacyPayload>().toExtend<WrittenLegacy>();
    expectTypeOf<WrittenLegacy>().toExtend<LegacyPayload>();
    expectTypeOf<WebhookPayload>().toEqualTypeOf<EnvelopePayload | LegacyPayload>();
  });

  it('keeps unknown fields and null where the wire format allows them', () => {
    const envelope: EnvelopePayload = {
      event_type: null,
      sent_at: 20250715084502,
      request: { status: 'ISSUED', pk: '42', operator: { id: 7 } },
      certificates: [{ status: 'VALID', serial_number: '0a', valid_to: null, issuer: 'x' }],
      extra: true,
    };
    const legacy: LegacyPayload = { status: 'VIDEOREVIEW', request: 46760, date: null, note: 1 };
    expectTypeOf(envelope.extra).toEqualTypeOf<unknown>();
    expectTypeOf(envelope.request.pk).toEqualTypeOf<number | string | null | undefined>();
    expectTypeOf(legacy.request).toEqualTypeOf<number | string>();
    // @ts-expect-error `request` is required in the envelope format
    const noRequest: EnvelopePayload = { sent_at: '20250715084502' };
    // @ts-expect-error a certificate needs a serial number
    const noSerial: CertificatePayload = { status: 'VALID' };
    void noRequest;
    void noSerial;
  });
});
