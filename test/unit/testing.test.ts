import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CERTIFICATE_STATUSES,
  canTransition,
  EVENT_TYPES,
  InvalidOptionsError,
  InvalidTimestampError,
  parseWebhook,
  REQUEST_STATUSES,
} from '../../src/index.js';
import { MAX_CERTIFICATES } from '../../src/payload/wire-fields.js';
import {
  createTestFlow,
  createTestPayload,
  TEST_FLOWS,
  type TestCertificate,
  type TestFlowName,
  type TestFlowOptions,
  type TestPayloadOptions,
} from '../../src/testing/index.js';
import { EVENT_TEMPLATES } from '../../src/testing/templates.js';
import { DOCUMENTED_FLOWS } from '../support/flows.js';

const at = new Date('2025-07-15T06:36:33.250Z');

/** A fixed seed: fast-check prints it, with the path, for a failure to be replayed. */
const SEED = 20250715;

/** The error `run` throws, which must be an `InvalidOptionsError`. */
function optionsError(run: () => unknown): InvalidOptionsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return error as InvalidOptionsError;
  }
  throw new Error('expected an InvalidOptionsError, but nothing was thrown');
}

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

  it.each<[string, TestPayloadOptions, RegExp]>([
    [
      'requestId -1',
      { requestId: -1 },
      /^requestId must be a non-negative safe integer.*, not -1$/,
    ],
    ['requestId 1.5', { requestId: 1.5 }, /^requestId must be a non-negative .*, not 1\.5$/],
    ['requestId 2**60', { requestId: 2 ** 60 }, /^requestId must be a non-negative safe integer/],
    ['requestId NaN', { requestId: Number.NaN }, /^requestId must be .*, not NaN$/],
    ['a requestId of letters', { requestId: 'abc' as never }, /^requestId must be .*, not "abc"$/],
    ['registrationAuthority -1', { registrationAuthority: -1 }, /^registrationAuthority must be/],
    ['status ""', { status: '' }, /^status must be a non-blank string, not ""$/],
    ['status " "', { status: ' ' }, /^status must be a non-blank string, not " "$/],
    ['a status that is no string', { status: 5 as never }, /^status must be .*, not 5$/],
    ['eventType ""', { eventType: '' }, /^eventType must be a non-blank string, not ""$/],
    ['eventType " "', { eventType: ' ', status: 'CREATED' }, /^eventType must be a non-blank/],
    ['previousStatus ""', { previousStatus: '' }, /^previousStatus must be a non-blank string/],
    ['previousStatus " "', { previousStatus: ' ' }, /^previousStatus must be a non-blank string/],
    ['a profile that is no string', { profile: 5 as never }, /^profile must be a string, not 5$/],
    ['a scratchcard that is no string', { scratchcard: {} as never }, /^scratchcard .*an object$/],
    [
      `more than ${MAX_CERTIFICATES} certificates`,
      { certificates: Array.from({ length: MAX_CERTIFICATES + 1 }, () => ({})) },
      /^certificates must be at most 100 certificates, not 101$/,
    ],
    ['certificates that are no array', { certificates: {} as never }, /^certificates must be an/],
    ['a certificate that is no object', { certificates: [null as never] }, /^certificates\[0\] /],
    [
      'a blank certificate status',
      { certificates: [{}, { status: ' ' }] },
      /^certificates\[1\]\.status must be a non-blank string/,
    ],
    [
      'a serialNumber that is no string',
      { certificates: [{ serialNumber: 1 as never }] },
      /^certificates\[0\]\.serialNumber must be a string, not 1$/,
    ],
    [
      'an invalid certificate validFrom',
      { certificates: [{ validFrom: new Date(Number.NaN) }] },
      /^certificates\[0\]\.validFrom must be a valid Date, not an invalid Date$/,
    ],
    [
      'a certificate validTo that is no Date',
      { certificates: [{ validTo: '2027-01-01' as never }] },
      /^certificates\[0\]\.validTo must be a valid Date, not "2027-01-01"$/,
    ],
    ['an invalid changedAt', { changedAt: new Date(Number.NaN) }, /^changedAt must be a valid/],
    ['a changedAt that is no Date', { changedAt: 1 as never }, /^changedAt must be a valid Date/],
    ['an unknown format', { format: 'xml' as never }, /^format must be 'envelope' or 'legacy'/],
    ['extra that is no object', { extra: 'x' as never }, /^extra must be an object, not "x"$/],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, /Mars\/Olympus/],
  ])('refuses %s with an InvalidOptionsError that says what it must be', (_, options, message) => {
    for (const format of ['envelope', 'legacy'] as const) {
      const error = optionsError(() => createTestPayload({ format, sentAt: at, ...options }));
      expect(error.message).toMatch(message);
    }
  });

  it.each<[string, Date, string | undefined]>([
    ['after year 9999', new Date('+010000-01-01T00:00:00Z'), undefined],
    ['before year 0', new Date('-000001-12-31T23:00:00Z'), undefined],
    ['in year 10000 only in the chosen zone', new Date('9999-12-31T20:00:00Z'), 'Asia/Tokyo'],
    ['in year -1 only in the chosen zone', new Date('0000-01-01T02:00:00Z'), 'America/New_York'],
  ])(
    'refuses a sentAt %s with InvalidOptionsError, the timestamp error as cause',
    (_, sentAt, timeZone) => {
      const zone = timeZone ?? 'UTC';
      for (const format of ['envelope', 'legacy'] as const) {
        const error = optionsError(() => createTestPayload({ sentAt, timeZone, format }));
        expect(error.message).toBe(
          `sentAt cannot be written as the provider's timestamp: give a time of years 0-9999 in ${zone}`,
        );
        expect(error.cause).toBeInstanceOf(InvalidTimestampError);
      }
    },
  );

  it('refuses a changedAt out of the writable years with InvalidOptionsError', () => {
    for (const format of ['envelope', 'legacy'] as const) {
      const error = optionsError(() =>
        createTestPayload({ format, sentAt: at, changedAt: new Date('+010000-01-01') }),
      );
      expect(error.message).toMatch(/^changedAt cannot be written as the provider's timestamp/);
      expect(error.cause).toBeInstanceOf(InvalidTimestampError);
    }
  });

  it('refuses certificate validities out of the writable years, given or by default', () => {
    const in9999 = new Date('9999-01-01T00:00:00Z');
    const defaultTo = optionsError(() =>
      createTestPayload({ sentAt: at, certificates: [{}, { validFrom: in9999 }] }),
    );
    expect(defaultTo.message).toMatch(
      /^certificates\[1\]\.validTo \(by default two years after validFrom\) cannot be written/,
    );
    expect(defaultTo.cause).toBeInstanceOf(InvalidTimestampError);
    const givenFrom = optionsError(() =>
      createTestPayload({ sentAt: at, certificates: [{ validFrom: new Date('+010000-01-01') }] }),
    );
    expect(givenFrom.message).toMatch(/^certificates\[0\]\.validFrom cannot be written/);
    const defaultFrom = optionsError(() =>
      createTestPayload({ eventType: 'REQUEST_ENROLLED', sentAt: new Date('9999-06-01') }),
    );
    expect(defaultFrom.message).toMatch(/^certificates\[0\]\.validTo \(by default two years/);
    // Given explicitly, a validity within year 9999 is written.
    const body = createTestPayload({
      sentAt: at,
      certificates: [{ validFrom: in9999, validTo: new Date('9999-12-31T23:59:59Z') }],
    });
    expect(parseWebhook(body).certificates[0]?.validTo).toEqual(new Date('9999-12-31T23:59:59Z'));
  });

  it('writes the edges of what the wire accepts', () => {
    const ids = [0, Number.MAX_SAFE_INTEGER, '123456789012345'] as const;
    for (const requestId of ids) {
      for (const format of ['envelope', 'legacy'] as const) {
        const body = createTestPayload({
          format,
          requestId: requestId as number,
          registrationAuthority: requestId as number,
        });
        expect(parseWebhook(body).requestId).toBe(Number(requestId));
      }
    }
    const many = createTestPayload({
      certificates: Array.from({ length: MAX_CERTIFICATES }, () => ({})),
    });
    expect(parseWebhook(many).certificates).toHaveLength(MAX_CERTIFICATES);
    const edges = [new Date('0000-01-01T00:00:00Z'), new Date('9999-12-31T23:59:59.999Z')];
    for (const sentAt of edges) {
      const body = createTestPayload({ sentAt, profile: '', scratchcard: '', certificates: [] });
      expect(parseWebhook(body).sentAt).toEqual(
        new Date(Math.floor(sentAt.getTime() / 1000) * 1000),
      );
    }
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
    ['requestId -1', { requestId: -1 }],
    ['requestId 1.5', { requestId: 1.5 }],
    ['requestId 2**60', { requestId: 2 ** 60 }],
    ['requestId null', { requestId: null }],
    ['registrationAuthority -1', { registrationAuthority: -1 }],
    ['a profile that is no string', { profile: 5 }],
    ['a scratchcard that is no string', { scratchcard: null }],
    ['an unknown format', { format: 'xml' }],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }],
  ])('rejects %s with InvalidOptionsError', (_, options) => {
    expect(() => createTestFlow('classic', options as never)).toThrow(InvalidOptionsError);
  });

  it('names start and stepMs when a later notification falls after year 9999', () => {
    const error = optionsError(() =>
      createTestFlow('classic', { start: new Date('9999-12-31T23:59:00Z') }),
    );
    expect(error.message).toBe(
      'Notification 2 of "classic" (sentAt = start + 1 × stepMs): sentAt cannot be written as ' +
        "the provider's timestamp: give a time of years 0-9999 in UTC",
    );
    expect(error.cause).toBeInstanceOf(InvalidOptionsError);
    expect((error.cause as Error).cause).toBeInstanceOf(InvalidTimestampError);
    expect(() => createTestFlow('classic', { start: at, stepMs: Number.MAX_SAFE_INTEGER })).toThrow(
      /^Notification 2 of "classic" \(sentAt = start \+ 1 × stepMs\)/,
    );
  });

  it('names start when the certificate of the ISSUED notification would end after year 9999', () => {
    for (const format of ['envelope', 'legacy'] as const) {
      const play = () => createTestFlow('classic', { format, start: new Date('9999-06-01') });
      if (format === 'legacy') {
        // The legacy format carries no certificate: the flow fits in year 9999.
        expect(play().map((body) => parseWebhook(body).status)).toHaveLength(3);
      } else {
        expect(optionsError(play).message).toMatch(
          /^Notification 3 of "classic" \(sentAt = start \+ 2 × stepMs\): certificates\[0\]\.validTo/,
        );
      }
    }
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

describe('what the testing helpers produce', () => {
  /** Instants every zone writes within years 0-9999, two years of validity included. */
  const date = fc.date({
    min: new Date('0000-01-02T00:00:00Z'),
    max: new Date('9997-12-30T00:00:00Z'),
    noInvalidDate: true,
  });
  const zone = fc.constantFrom(
    undefined,
    'UTC',
    'Europe/Madrid',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'Pacific/Kiritimati',
  );
  const nonBlank = fc.string({ minLength: 1 }).filter((text) => /\S/.test(text));
  const label = <T extends string>(known: readonly T[]) =>
    fc.option(fc.oneof(fc.constantFrom(...known), nonBlank), { nil: undefined });
  const id = fc.oneof(
    fc.maxSafeNat(),
    fc.stringMatching(/^\s*\d{1,15}\s*$/),
  ) as fc.Arbitrary<number>;
  const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const certificate: fc.Arbitrary<TestCertificate> = fc.record(
    {
      status: label(CERTIFICATE_STATUSES),
      serialNumber: fc.string(),
      validFrom: date,
      validTo: date,
    },
    { requiredKeys: [] },
  );
  const payloadOptions: fc.Arbitrary<TestPayloadOptions> = fc
    .record(
      {
        format: optional(fc.constantFrom('envelope' as const, 'legacy' as const)),
        eventType: label(EVENT_TYPES),
        status: label(REQUEST_STATUSES),
        previousStatus: label(REQUEST_STATUSES),
        requestId: fc.oneof(fc.constant(null), optional(id)),
        registrationAuthority: optional(id),
        profile: optional(fc.string()),
        scratchcard: optional(fc.string()),
        sentAt: optional(date),
        changedAt: optional(date),
        timeZone: zone,
        certificates: optional(fc.array(certificate, { maxLength: MAX_CERTIFICATES })),
        extra: optional(
          fc.dictionary(fc.stringMatching(/^x_[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 2 })),
        ),
      },
      { requiredKeys: [] },
    )
    // The two refusals that are not about one option alone.
    .filter(
      (options) =>
        !(options.format === 'legacy' && options.requestId === null) &&
        !(
          options.eventType !== undefined &&
          options.status === undefined &&
          !Object.hasOwn(EVENT_TEMPLATES, options.eventType)
        ),
    );

  it('are bodies parseWebhook accepts, for any valid options of createTestPayload', () => {
    fc.assert(
      fc.property(payloadOptions, (options) => {
        const body = createTestPayload(options);
        const event = parseWebhook(JSON.stringify(body), { timeZone: options.timeZone });
        // Without a zone's repeated hours, sent_at reads back as the instant, to the second.
        const utc = options.timeZone === undefined || options.timeZone === 'UTC';
        if (utc && options.sentAt !== undefined && options.format !== 'legacy') {
          expect(event.sentAt?.getTime()).toBe(Math.floor(options.sentAt.getTime() / 1000) * 1000);
        }
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it('are bodies parseWebhook accepts, for any valid options of createTestFlow', () => {
    const flowOptions: fc.Arbitrary<TestFlowOptions> = fc.record(
      {
        format: optional(fc.constantFrom('envelope' as const, 'legacy' as const)),
        requestId: optional(id),
        registrationAuthority: optional(id),
        profile: optional(fc.string()),
        scratchcard: optional(fc.string()),
        timeZone: zone,
        start: optional(
          fc.date({
            min: new Date('0000-01-02'),
            max: new Date('9997-06-01'),
            noInvalidDate: true,
          }),
        ),
        stepMs: optional(fc.integer({ min: 1, max: 86_400_000 })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.constantFrom(...TEST_FLOWS), flowOptions, (flow, options) => {
        const bodies = createTestFlow(flow, options);
        const times = bodies.map(
          (body) => parseWebhook(JSON.stringify(body), { timeZone: options.timeZone }).occurredAt,
        );
        expect(times).toHaveLength(bodies.length);
      }),
      { numRuns: 300, seed: SEED },
    );
  });
});
