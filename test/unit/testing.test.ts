import { describe, expect, it } from 'vitest';
import { canTransition, InvalidOptionsError, parseWebhook } from '../../src/index.js';
import {
  createTestFlow,
  createTestPayload,
  TEST_FLOWS,
  type TestFlowName,
} from '../../src/testing/index.js';
import { DOCUMENTED_FLOWS } from '../support/flows.js';

const at = new Date('2025-07-15T06:36:33.250Z');

describe('createTestPayload', () => {
  it('defaults to a REQUEST_CREATED envelope the parser accepts', () => {
    const body = createTestPayload({ sentAt: at });
    expect(body).toEqual({
      event_type: 'REQUEST_CREATED',
      sent_at: '20250715063633',
      request: {
        status: 'CREATED',
        profile: 'PFnubeQAFCiudadano',
        registration_authority: 139,
        scratchcard: '5051762',
        pk: 28634,
      },
      certificates: [],
    });
    const event = parseWebhook(body);
    expect(event.status).toBe('CREATED');
    expect(event.occurredAt).toEqual(new Date('2025-07-15T06:36:33Z'));
  });

  it('writes sent_at in the chosen zone', () => {
    const body = createTestPayload({ sentAt: at, timeZone: 'Europe/Madrid' });
    expect(body.sent_at).toBe('20250715083633');
    expect(parseWebhook(body, { timeZone: 'Europe/Madrid' }).sentAt).toEqual(
      new Date('2025-07-15T06:36:33Z'),
    );
  });

  it.each([
    ['VIDEOREVIEW', 'VIDEOID_UPDATED'],
    ['VIDEOINCOMPLETE', 'VIDEOID_UPDATED'],
    ['VIDEOPENDING', 'REQUEST_CREATED'],
    ['VIDEOERROR', 'VIDEOID_FAILED'],
    ['ENROLLREADY', 'REQUEST_APPROVED'],
    ['CANCELLED', 'REQUEST_CANCELED'],
    ['ISSUED', 'REQUEST_ENROLLED'],
  ] as const)('picks the template event of status %s', (status, eventType) => {
    expect(parseWebhook(createTestPayload({ status })).eventType).toBe(eventType);
  });

  it.each([
    ['REQUEST_APPROVED', 'ENROLLREADY', 0],
    ['VIDEOID_REFUSED', 'CANCELLED', 0],
    ['REQUEST_ENROLLED', 'ISSUED', 1],
    ['CERTIFICATE_SUSPENDED', 'ISSUED', 1],
    ['CERTIFICATE_REVOKED', 'ISSUED', 1],
  ] as const)('picks the template status of %s', (eventType, status, certificates) => {
    const event = parseWebhook(createTestPayload({ eventType }));
    expect(event.status).toBe(status);
    expect(event.certificates).toHaveLength(certificates);
  });

  it('follows the ISSUED template: no request id unless one is given', () => {
    const template = createTestPayload({ eventType: 'CERTIFICATE_REVOKED', sentAt: at });
    expect(template.request).toEqual({ status: 'ISSUED' });
    expect(parseWebhook(template).certificates[0]).toMatchObject({
      status: 'REVOKED',
      validFrom: new Date('2025-07-15T06:36:00Z'),
      validTo: new Date('2027-07-15T06:36:00Z'),
    });
    expect(parseWebhook(createTestPayload({ status: 'ISSUED', requestId: 5 })).requestId).toBe(5);
  });

  it('takes explicit values for everything', () => {
    const event = parseWebhook(
      createTestPayload({
        eventType: 'request_reactivated',
        status: 'renovated',
        requestId: 9,
        registrationAuthority: 7,
        profile: 'PFnubeNC',
        scratchcard: '1',
        previousStatus: 'ISSUED',
        changedAt: new Date('2025-07-15T06:30:00.123Z'),
        certificates: [{ status: 'ACTIVE', serialNumber: 'abc' }],
        extra: { custom: true },
        sentAt: at,
      }),
    );
    expect(event).toMatchObject({
      eventType: 'REQUEST_REACTIVATED',
      status: 'RENEWED',
      requestId: 9,
      registrationAuthority: 7,
      profile: 'PFnubeNC',
      scratchcard: '1',
      previousStatus: 'ISSUED',
      changedAt: new Date('2025-07-15T06:30:00.123Z'),
      certificates: [{ status: 'VALID', serialNumber: 'abc' }],
    });
    expect(event.payload.custom).toBe(true);
  });

  it('refuses an event type without a documented template unless a status is given', () => {
    expect(() => createTestPayload({ eventType: 'REQUEST_REACTIVATED' })).toThrow(
      InvalidOptionsError,
    );
    const body = createTestPayload({ eventType: 'REQUEST_REACTIVATED', status: 'ISSUED' });
    expect(parseWebhook(body)).toMatchObject({
      eventType: 'REQUEST_REACTIVATED',
      status: 'ISSUED',
    });
  });

  it('writes no event type for a status no template carries', () => {
    expect(createTestPayload({ status: 'RENEWED' })).not.toHaveProperty('event_type');
    expect(createTestPayload({ status: 'REACTIVATED' })).not.toHaveProperty('event_type');
  });

  it('refuses requestId null in the legacy format, which always carries one', () => {
    expect(() => createTestPayload({ format: 'legacy', requestId: null })).toThrow(
      InvalidOptionsError,
    );
  });

  it('refuses an invalid sentAt', () => {
    expect(() => createTestPayload({ sentAt: new Date(Number.NaN) })).toThrow(InvalidOptionsError);
  });

  it('leaves the request id out when given null', () => {
    expect(parseWebhook(createTestPayload({ requestId: null })).requestId).toBeUndefined();
  });

  it('writes the legacy flat format', () => {
    const body = createTestPayload({
      format: 'legacy',
      status: 'VIDEOINCOMPLETE',
      previousStatus: 'VIDEOPENDING',
      requestId: 46760,
      registrationAuthority: 455,
      sentAt: at,
      timeZone: 'Europe/Madrid',
    });
    expect(body).toEqual({
      status: 'VIDEOINCOMPLETE',
      date: '2025-07-15T08:36:33.250000',
      previous_status: 'VIDEOPENDING',
      request: 46760,
      registration_authority: 455,
    });
    const event = parseWebhook(body, { timeZone: 'Europe/Madrid' });
    expect(event.format).toBe('legacy');
    expect(event.changedAt).toEqual(at);
  });
});

describe('createTestFlow', () => {
  it('offers every documented flow', () => {
    expect([...TEST_FLOWS].sort()).toEqual(
      [
        'async',
        'cancelled',
        'certificate-revoked',
        'certificate-suspended',
        'classic',
        'videoid',
        'videoid-external',
        'videoid-failed',
        'videoid-refused',
      ].sort(),
    );
  });

  it.each(TEST_FLOWS)('plays %s as a valid lifecycle with increasing times', (flow) => {
    for (const format of ['envelope', 'legacy'] as const) {
      const events = createTestFlow(flow, { requestId: 77, format, start: at }).map((body) =>
        parseWebhook(body),
      );
      expect(events.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < events.length; i++) {
        const [before, after] = [events[i - 1]!, events[i]!];
        expect(after.occurredAt.getTime()).toBeGreaterThan(before.occurredAt.getTime());
        if (before.status !== after.status) {
          expect(
            canTransition(before.status, after.status),
            `${before.status} → ${after.status}`,
          ).toBe(true);
        }
      }
      expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(events.length);
      for (const event of events) {
        if (format === 'legacy' || event.status !== 'ISSUED') expect(event.requestId).toBe(77);
        else expect(event.requestId).toBeUndefined();
      }
    }
  });

  it('matches the provider sample of the VideoID flow', () => {
    const events = createTestFlow('videoid').map((body) => parseWebhook(body));
    expect(events.map((e) => [e.eventType, e.status])).toEqual([
      ['REQUEST_CREATED', 'VIDEOPENDING'],
      ['VIDEOID_UPDATED', 'VIDEOINCOMPLETE'],
      ['VIDEOID_UPDATED', 'VIDEOREVIEW'],
      ['REQUEST_APPROVED', 'ENROLLREADY'],
      ['REQUEST_ENROLLED', 'ISSUED'],
    ]);
    expect(events.at(-1)?.occurredAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('tells the certificates of two requests apart', () => {
    const serial = (requestId: number) =>
      parseWebhook(createTestFlow('classic', { requestId }).at(-1)!).certificates[0]?.serialNumber;
    expect(serial(1)).not.toBe(serial(2));
  });

  it('carries the previous status in legacy flows', () => {
    const bodies = createTestFlow('cancelled', { format: 'legacy' });
    expect(bodies.map((b) => b.previous_status)).toEqual([undefined, 'CREATED']);
  });

  it('spaces notifications by stepMs from start', () => {
    const events = createTestFlow('classic', { start: at, stepMs: 3_600_000 }).map((b) =>
      parseWebhook(b),
    );
    expect(events.map((e) => e.occurredAt.toISOString())).toEqual([
      '2025-07-15T06:36:33.000Z',
      '2025-07-15T07:36:33.000Z',
      '2025-07-15T08:36:33.000Z',
    ]);
  });

  it('rejects an unknown flow with InvalidOptionsError', () => {
    expect(() => createTestFlow('videoid-typo' as TestFlowName)).toThrow(
      /Unknown flow "videoid-typo"/,
    );
    expect(() => createTestFlow('toString' as TestFlowName)).toThrow(InvalidOptionsError);
    expect(() => createTestFlow(42 as never)).toThrow(InvalidOptionsError);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a stepMs of 0', { stepMs: 0 }],
    ['a fractional stepMs', { stepMs: 1.5 }],
    ['an invalid start', { start: new Date(Number.NaN) }],
    ['a start that is no Date', { start: '2025-07-15' }],
  ])('rejects %s with InvalidOptionsError', (_, options) => {
    expect(() => createTestFlow('classic', options as never)).toThrow(InvalidOptionsError);
  });
});

describe('the flows of createTestFlow', () => {
  it('are each one of the documented lifecycles', () => {
    const documented = DOCUMENTED_FLOWS.map(([, statuses]) => statuses.join());
    for (const flow of TEST_FLOWS) {
      const statuses = createTestFlow(flow).map((body) => parseWebhook(body).status);
      expect(documented, flow).toContain(statuses.join());
    }
  });
});
