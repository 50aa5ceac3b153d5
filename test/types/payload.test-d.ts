import { describe, expectTypeOf, it } from 'vitest';
import {
  type CertificateStatus,
  type EventType,
  type KnownEventType,
  type KnownRequestStatus,
  normalizeStatus,
  parseWebhook,
  type RequestStatus,
  safeParseWebhook,
  type WebhookError,
  type WebhookEvent,
} from '../../src/index.js';

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
});
