import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidJsonError,
  InvalidOptionsError,
  InvalidPayloadError,
  isWebhookError,
  parseWebhook,
  safeParseWebhook,
  type WebhookEvent,
} from '../../src/index.js';

/** A fixed seed: fast-check prints it, with the path, for a failure to be replayed. */
const SEED = 20250715;

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const fixtures = readdirSync(fixturesDir).filter((name) => name.endsWith('.json'));
const fixture = (name: string): string => readFileSync(join(fixturesDir, name), 'utf8');
const json = (name: string): Record<string, unknown> => JSON.parse(fixture(name));

const envelope = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...json('classic-1-request-created.json'),
  ...overrides,
});

function issuesOf(body: unknown): { path: string; message: string }[] {
  const result = safeParseWebhook(body);
  expect(result.success).toBe(false);
  const error = result.error;
  expect(error).toBeInstanceOf(InvalidPayloadError);
  return (error as InvalidPayloadError).issues.map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
}

describe('parseWebhook: the provider fixtures', () => {
  it('has every documented fixture', () => {
    expect(fixtures).toHaveLength(15);
  });

  it.each(fixtures)('parses %s from text, bytes, ArrayBuffer and object alike', (name) => {
    const text = fixture(name);
    const bytes = new TextEncoder().encode(text);
    const fromText = parseWebhook(text);
    expect(parseWebhook(bytes)).toEqual(fromText);
    expect(parseWebhook(bytes.buffer.slice(0))).toEqual(fromText);
    expect(parseWebhook(JSON.parse(text))).toEqual(fromText);
    expect(fromText.occurredAt).toBeInstanceOf(Date);
    expect(Number.isNaN(fromText.occurredAt.getTime())).toBe(false);
  });

  it('normalizes the documented envelope example', () => {
    const event = parseWebhook(fixture('envelope-request-created-videopending.json'));
    expect(event).toEqual({
      format: 'envelope',
      eventType: 'REQUEST_CREATED',
      status: 'VIDEOPENDING',
      previousStatus: undefined,
      requestId: 1012632,
      registrationAuthority: 7,
      profile: 'PFnubeNC',
      scratchcard: '2678100',
      sentAt: new Date('2025-07-15T08:36:33Z'),
      changedAt: undefined,
      occurredAt: new Date('2025-07-15T08:36:33Z'),
      certificates: [],
      idempotencyKey: expect.any(String),
      payload: JSON.parse(fixture('envelope-request-created-videopending.json')),
    } satisfies Record<keyof WebhookEvent, unknown>);
  });

  it('normalizes the documented legacy example', () => {
    const event = parseWebhook(fixture('legacy-videoincomplete.json'), {
      timeZone: 'Europe/Madrid',
    });
    expect(event.format).toBe('legacy');
    expect(event.eventType).toBeUndefined();
    expect(event.status).toBe('VIDEOINCOMPLETE');
    expect(event.previousStatus).toBe('VIDEOPENDING');
    expect(event.requestId).toBe(46760);
    expect(event.registrationAuthority).toBe(455);
    expect(event.sentAt).toBeUndefined();
    // 08:08:21.132394 in Madrid summer time (UTC+2), microseconds truncated.
    expect(event.changedAt).toEqual(new Date('2021-07-20T06:08:21.132Z'));
    expect(event.occurredAt).toEqual(event.changedAt);
    expect(event.certificates).toEqual([]);
    expect(event.profile).toBeUndefined();
    expect(event.scratchcard).toBeUndefined();
  });

  it('reads certificates with their validity in the chosen zone', () => {
    const event = parseWebhook(fixture('classic-3-request-enrolled.json'), {
      timeZone: 'Europe/Madrid',
    });
    expect(event.requestId).toBeUndefined();
    expect(event.certificates).toEqual([
      {
        status: 'VALID',
        serialNumber: '03243d63df48a72d',
        validFrom: new Date('2025-03-01T09:25:00Z'),
        validTo: new Date('2027-03-01T09:25:00Z'),
      },
    ]);
    expect(event.sentAt).toEqual(new Date('2025-03-01T09:25:40Z'));
  });

  it('gives every fixture its own idempotency key', () => {
    const keys = fixtures.map((name) => parseWebhook(fixture(name)).idempotencyKey);
    // The two created-VIDEOPENDING fixtures are different requests (pk 1012632 and 28634).
    expect(new Set(keys).size).toBe(fixtures.length);
  });
});

describe('parseWebhook: normalization', () => {
  it('maps spelling variants of statuses and event types', () => {
    const event = parseWebhook(
      envelope({
        event_type: 'request-cancelled',
        request: { status: ' canceled ', pk: 1 },
      }),
    );
    expect(event.eventType).toBe('REQUEST_CANCELED');
    expect(event.status).toBe('CANCELLED');
  });

  it('keeps unknown status and event-type values', () => {
    const event = parseWebhook(
      envelope({ event_type: 'REQUEST_REACTIVATED', request: { status: 'Reactivated', pk: 9 } }),
    );
    expect(event.eventType).toBe('REQUEST_REACTIVATED');
    expect(event.status).toBe('REACTIVATED');
  });

  it('maps ACTIVE certificates to VALID and keeps unknown certificate states', () => {
    const body = json('classic-3-request-enrolled.json');
    body.certificates = [
      { status: 'active', serial_number: 'a1' },
      { status: 'EXPIRED', serial_number: 'b2', valid_from: null },
    ];
    const event = parseWebhook(body);
    expect(event.certificates.map((c) => c.status)).toEqual(['VALID', 'EXPIRED']);
    expect(event.certificates[1]?.validFrom).toBeUndefined();
    expect(event.certificates[1]?.validTo).toBeUndefined();
  });

  it('accepts pk and registration_authority as numeric strings', () => {
    const event = parseWebhook(
      envelope({ request: { status: 'CREATED', pk: '28634', registration_authority: '139' } }),
    );
    expect(event.requestId).toBe(28634);
    expect(event.registrationAuthority).toBe(139);
  });

  it('accepts a legacy request id sent as a string', () => {
    const body = json('legacy-videoincomplete.json');
    body.request = '46760';
    expect(parseWebhook(body).requestId).toBe(46760);
  });

  it('treats null optional fields as absent', () => {
    const event = parseWebhook(
      envelope({
        certificates: null,
        request: { status: 'CREATED', pk: null, profile: null, scratchcard: null },
      }),
    );
    expect(event.requestId).toBeUndefined();
    expect(event.profile).toBeUndefined();
    expect(event.certificates).toEqual([]);
  });

  it('reads date and previous_status at the top level or inside request', () => {
    const top = parseWebhook(
      envelope({ date: '2025-03-01T10:14:59.5', previous_status: 'videoreview' }),
    );
    expect(top.changedAt).toEqual(new Date('2025-03-01T10:14:59.500Z'));
    expect(top.occurredAt).toEqual(top.changedAt);
    expect(top.sentAt).toEqual(new Date('2025-03-01T10:15:00Z'));
    expect(top.previousStatus).toBe('VIDEOREVIEW');
    const nested = parseWebhook(
      envelope({
        request: { status: 'CREATED', pk: 1, date: '2025-03-01 10:14:58', previous_status: 'X' },
      }),
    );
    expect(nested.changedAt).toEqual(new Date('2025-03-01T10:14:58Z'));
    expect(nested.previousStatus).toBe('X');
  });

  it('accepts sent_at as a 14-digit JSON number', () => {
    const event = parseWebhook(envelope({ sent_at: 20250301101500 }));
    expect(event.sentAt).toEqual(new Date('2025-03-01T10:15:00Z'));
  });

  it('keeps unknown fields in payload, at every level', () => {
    const event = parseWebhook(
      envelope({
        extra: { nested: [1, 2] },
        request: { status: 'CREATED', pk: 1, operator: 'ana' },
      }),
    );
    expect(event.payload).toMatchObject({
      extra: { nested: [1, 2] },
      request: { status: 'CREATED', pk: 1, operator: 'ana' },
    });
  });

  it('tolerates a UTF-8 byte-order mark in text and bytes', () => {
    const text = `\uFEFF${fixture('videoid-failed.json')}`;
    expect(parseWebhook(text).status).toBe('VIDEOERROR');
    expect(parseWebhook(new TextEncoder().encode(text)).status).toBe('VIDEOERROR');
  });

  it('reads timestamps in the chosen zone', () => {
    const utc = parseWebhook(fixture('videoid-1-request-created.json'));
    const madrid = parseWebhook(fixture('videoid-1-request-created.json'), {
      timeZone: 'Europe/Madrid',
    });
    expect(utc.occurredAt.toISOString()).toBe('2025-07-15T08:36:33.000Z');
    expect(madrid.occurredAt.toISOString()).toBe('2025-07-15T06:36:33.000Z');
    // The key names the notification, not the reading: instances in different zones agree.
    expect(madrid.idempotencyKey).toBe(utc.idempotencyKey);
  });

  it('does not let a __proto__ key change any prototype', () => {
    const event = parseWebhook(
      '{"__proto__":{"polluted":1},"event_type":"REQUEST_CREATED","sent_at":"20250301101500","request":{"status":"CREATED","__proto__":{"polluted":2}}}',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(event.payload)).toBe(Object.prototype);
    expect((event.payload as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('idempotencyKey', () => {
  const base = json('classic-2-request-approved.json');

  it('is the same for the same notification however it is written', () => {
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(base).reverse()), null, 2);
    expect(parseWebhook(reordered).idempotencyKey).toBe(parseWebhook(base).idempotencyKey);
    const respelled = { ...base, event_type: 'request_approved' };
    expect(parseWebhook(respelled).idempotencyKey).toBe(parseWebhook(base).idempotencyKey);
  });

  it('differs between notifications', () => {
    const key = parseWebhook(base).idempotencyKey;
    const variants = [
      { ...base, sent_at: '20250301102013' },
      { ...base, event_type: 'REQUEST_CREATED' },
      { ...base, request: { ...(base.request as object), status: 'CREATED' } },
      { ...base, request: { ...(base.request as object), pk: 28635 } },
      { ...base, request: { ...(base.request as object), registration_authority: 140 } },
      { ...base, previous_status: 'CREATED' },
    ];
    for (const variant of variants) expect(parseWebhook(variant).idempotencyKey).not.toBe(key);
  });

  it('tells apart certificate events of one request at the same second', () => {
    const suspended = json('certificate-suspended.json');
    const revoked = { ...json('certificate-revoked.json'), sent_at: suspended.sent_at };
    const reactivated = {
      ...suspended,
      event_type: 'CERTIFICATE_REACTIVATED',
      certificates: [{ ...(suspended.certificates as object[])[0], status: 'VALID' }],
    };
    const keys = [suspended, revoked, reactivated].map((b) => parseWebhook(b).idempotencyKey);
    expect(new Set(keys).size).toBe(3);
  });

  it('prefers the change time over sent_at, which a resend may renew', () => {
    const first = { ...base, date: '2025-03-01T10:20:00' };
    const resent = { ...first, sent_at: '20250301113000' };
    expect(parseWebhook(resent).idempotencyKey).toBe(parseWebhook(first).idempotencyKey);
  });

  it('stays short for long values', () => {
    const long = { ...base, event_type: 'X'.repeat(5000) };
    const other = { ...base, event_type: `${'X'.repeat(4999)}Y` };
    expect(parseWebhook(long).idempotencyKey.length).toBeLessThanOrEqual(200);
    expect(parseWebhook(long).idempotencyKey).not.toBe(parseWebhook(other).idempotencyKey);
  });
});

describe('parseWebhook: bad input', () => {
  it.each([
    ['empty string', ''],
    ['whitespace', ' \n\t'],
    ['only a BOM', '\uFEFF'],
    ['empty bytes', new Uint8Array()],
    ['undefined', undefined],
  ])('rejects an empty body (%s) as invalid JSON', (_, body) => {
    const result = safeParseWebhook(body);
    expect(result.error).toBeInstanceOf(InvalidJsonError);
    expect(result.error).toMatchObject({ code: 'invalid_json', status: 400 });
    expect(result.error?.message).toBe('Body is empty');
  });

  it.each([
    ['truncated', fixture('classic-1-request-created.json').slice(0, 60)],
    ['not JSON', 'status=CREATED&request=1'],
    ['trailing garbage', '{"a":1} x'],
  ])('rejects %s text as invalid JSON (400)', (_, body) => {
    const result = safeParseWebhook(body);
    expect(result.error).toBeInstanceOf(InvalidJsonError);
    expect(result.error?.status).toBe(400);
  });

  it('rejects bytes that are not UTF-8', () => {
    const result = safeParseWebhook(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(result.error).toMatchObject({
      code: 'invalid_json',
      message: 'Body is not valid UTF-8',
    });
  });

  it('quotes at most a short excerpt of the input in messages', () => {
    const secret = `not json ${'s3cr3t'.repeat(1000)}`;
    const result = safeParseWebhook(secret);
    expect(result.error?.message.length).toBeLessThan(120);
    const payload = safeParseWebhook(envelope({ sent_at: `2025${'9'.repeat(1000)}` }));
    expect(payload.error?.message.length).toBeLessThan(200);
  });

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"CREATED"'],
    ['an array', '[]'],
    ['true', 'true'],
  ])('rejects JSON %s as an invalid payload (422)', (_, body) => {
    const result = safeParseWebhook(body);
    expect(result.error).toBeInstanceOf(InvalidPayloadError);
    expect(result.error).toMatchObject({ code: 'invalid_payload', status: 422 });
  });

  it('rejects an empty object, naming what is missing', () => {
    expect(issuesOf({})).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'request' })]),
    );
  });

  it('rejects a notification without request', () => {
    const body = envelope();
    delete body.request;
    expect(issuesOf(body).map((i) => i.path)).toContain('request');
  });

  it('rejects a notification without a time', () => {
    const body = envelope();
    delete body.sent_at;
    expect(issuesOf(body)).toEqual([
      { path: 'sent_at', message: 'A notification needs a time: sent_at or date' },
    ]);
    const legacy = json('legacy-videoincomplete.json');
    delete legacy.date;
    expect(issuesOf(legacy).map((i) => i.path)).toEqual(['sent_at']);
  });

  it('rejects a request without status and blank statuses', () => {
    expect(issuesOf(envelope({ request: { pk: 1 } })).map((i) => i.path)).toEqual([
      'request.status',
    ]);
    expect(issuesOf(envelope({ request: { status: '  ', pk: 1 } })).map((i) => i.path)).toEqual([
      'request.status',
    ]);
  });

  it.each([
    ['status as a number', { request: { status: 3, pk: 1 } }, 'request.status'],
    ['pk as an object', { request: { status: 'CREATED', pk: {} } }, 'request.pk'],
    ['pk as text', { request: { status: 'CREATED', pk: 'abc' } }, 'request.pk'],
    ['pk negative', { request: { status: 'CREATED', pk: -1 } }, 'request.pk'],
    ['pk fractional', { request: { status: 'CREATED', pk: 1.5 } }, 'request.pk'],
    ['pk unsafe', { request: { status: 'CREATED', pk: 2 ** 60 } }, 'request.pk'],
    ['event_type as a number', { event_type: 7 }, 'event_type'],
    ['certificates as an object', { certificates: {} }, 'certificates'],
    [
      'a certificate without serial',
      { certificates: [{ status: 'VALID' }] },
      'certificates.0.serial_number',
    ],
    ['request as an array', { request: [] }, 'request'],
  ])('rejects %s', (_, overrides, path) => {
    expect(issuesOf(envelope(overrides)).map((i) => i.path)).toContain(path);
  });

  it.each([
    ['month 13', '20251301101500', 'has month 13'],
    ['30 February', '20250230101500', 'has day 30'],
    ['29 February of a common year', '20250229101500', 'has day 29'],
    ['hour 24', '20250301241500', 'has hour 24'],
    ['minute 60', '20250301106000', 'has minute 60'],
    ['second 60', '20250301101560', 'has second 60'],
    ['day 0', '20250300101500', 'has day 0'],
    ['13 digits', '2025030110150', 'is not YYYYMMDDHHmmss'],
    ['15 digits', '202503011015001', 'is not YYYYMMDDHHmmss'],
    ['a date without time', '20250301', 'is not YYYYMMDDHHmmss'],
    ['letters', '2025030110150a', 'is not YYYYMMDDHHmmss'],
  ])('rejects sent_at with %s', (_, sentAt, message) => {
    const issues = issuesOf(envelope({ sent_at: sentAt }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('sent_at');
    expect(issues[0]?.message).toContain(message);
  });

  it('accepts 29 February of a leap year', () => {
    expect(parseWebhook(envelope({ sent_at: '20240229101500' })).sentAt).toEqual(
      new Date('2024-02-29T10:15:00Z'),
    );
  });

  it.each([
    ['a date only', '2021-07-20'],
    ['hour 24', '2021-07-20T24:00:00'],
    ['an offset of 24 hours', '2021-07-20T08:00:00+24:00'],
    ['a bad separator', '2021/07/20 08:00:00'],
  ])('rejects a legacy date with %s', (_, date) => {
    const body = { ...json('legacy-videoincomplete.json'), date };
    expect(issuesOf(body).map((i) => i.path)).toEqual(['date']);
  });

  it('rejects certificate validity dates that do not exist', () => {
    const body = json('classic-3-request-enrolled.json');
    body.certificates = [{ status: 'VALID', serial_number: 'a', valid_to: '20270230 10:25:00' }];
    expect(issuesOf(body).map((i) => i.path)).toEqual(['certificates.0.valid_to']);
  });

  it('reports an unknown time zone as an options error, not a payload error', () => {
    const result = safeParseWebhook(fixture('videoid-failed.json'), { timeZone: 'Mars/Olympus' });
    expect(result.error).toBeInstanceOf(InvalidOptionsError);
    expect(() => parseWebhook('{}', { timeZone: 'Europe/Nowhere' })).toThrow(InvalidOptionsError);
  });

  it('summarizes the first issue in the message', () => {
    const result = safeParseWebhook(envelope({ request: { pk: 1 }, sent_at: 'x' }));
    expect(result.error?.message).toMatch(
      /^Body is not a valid notification: \S+: .+ \(and 1 more\)$/,
    );
  });
});

describe('safeParseWebhook never throws', () => {
  const hostile: [string, () => unknown][] = [
    [
      'a throwing getter',
      () => ({
        event_type: 'REQUEST_CREATED',
        get request(): never {
          throw new Error('boom');
        },
      }),
    ],
    [
      'a throwing proxy',
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('trap');
            },
            has() {
              throw new Error('trap');
            },
            ownKeys() {
              throw new Error('trap');
            },
            getOwnPropertyDescriptor() {
              throw new Error('trap');
            },
            getPrototypeOf() {
              throw new Error('trap');
            },
          },
        ),
    ],
    [
      'a getter that throws a revoked proxy',
      () => ({
        get request(): never {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          throw proxy;
        },
      }),
    ],
    [
      'a revoked proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    ['a huge string', () => `{"a":"${'x'.repeat(5_000_000)}"`],
    ['deep nesting', () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['a symbol', () => Symbol('s')],
    ['a function', () => () => 1],
    ['a bigint', () => 10n],
    ['a Date', () => new Date()],
    ['a Map', () => new Map([['request', {}]])],
  ];

  it.each(hostile)('with %s', (_, make) => {
    const result = safeParseWebhook(make());
    expect(result.success).toBe(false);
    expect(isWebhookError(result.error)).toBe(true);
    expect([400, 422]).toContain(result.error?.status);
  });

  it('with options that cannot be read, which are an options error', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const options = {
      get timeZone(): never {
        throw proxy;
      },
    };
    for (const given of [options, proxy]) {
      const result = safeParseWebhook(fixture('classic-1-request-created.json'), given as never);
      expect(result.error).toBeInstanceOf(InvalidOptionsError);
    }
  });

  it('throws only its own errors from parseWebhook, whatever a getter throws', () => {
    const body = {
      get request(): never {
        throw new Error('boom');
      },
    };
    expect(() => parseWebhook(body)).toThrow(InvalidPayloadError);
    expect(() => parseWebhook(body)).toThrow('Body could not be read as a notification');
  });

  it('keeps cycles in unknown fields without trouble when the payload is valid', () => {
    const body: Record<string, unknown> = envelope();
    body.self = body;
    (body.request as Record<string, unknown>).parent = body;
    const result = safeParseWebhook(body);
    expect(result.success).toBe(true);
    expect(result.data?.payload.self).toBe(body);
  });

  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = safeParseWebhook(value);
        const fromText = safeParseWebhook(JSON.stringify(value) ?? '');
        expect(result.success).toBe(fromText.success);
        if (!result.success) expect(isWebhookError(result.error)).toBe(true);
      }),
      { numRuns: 2000, seed: SEED },
    );
  });

  it('for arbitrary objects shaped like notifications', () => {
    const timestamp = fc.oneof(
      fc.stringMatching(/^\d{14}$/),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
    );
    const status = fc.oneof(fc.constantFrom('CREATED', 'canceled', 'ISSUED', ''), fc.string());
    const body = fc.record(
      {
        event_type: fc.oneof(status, fc.integer(), fc.constant(null)),
        sent_at: fc.oneof(timestamp, fc.integer()),
        date: timestamp,
        status,
        request: fc.oneof(
          fc.integer(),
          fc.string(),
          fc.record(
            { status, pk: fc.oneof(fc.integer(), fc.string(), fc.constant(null)) },
            { requiredKeys: [] },
          ),
        ),
        certificates: fc.oneof(
          fc.array(
            fc.record(
              { status, serial_number: fc.string(), valid_from: timestamp },
              { requiredKeys: [] },
            ),
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (value) => {
        const result = safeParseWebhook(value);
        if (result.success) {
          expect(Number.isNaN(result.data.occurredAt.getTime())).toBe(false);
          expect(typeof result.data.idempotencyKey).toBe('string');
        } else {
          expect(isWebhookError(result.error)).toBe(true);
        }
      }),
      { numRuns: 3000, seed: SEED },
    );
  });

  it('for arbitrary bytes and strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array(), fc.string(), fc.string({ unit: 'binary' })), (body) => {
        const result = safeParseWebhook(body);
        expect(result.success || isWebhookError(result.error)).toBe(true);
      }),
      { numRuns: 3000, seed: SEED },
    );
  });
});

describe('parseWebhook: bounded work on hostile bodies', () => {
  it('refuses more certificates than a notification can carry, with one issue', () => {
    const body = JSON.parse(fixture('classic-3-request-enrolled.json'));
    body.certificates = Array.from({ length: 200_000 }, () => 1);
    const result = safeParseWebhook(JSON.stringify(body));
    expect(result.error).toBeInstanceOf(InvalidPayloadError);
    const issues = (result.error as InvalidPayloadError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: ['certificates'] });
    expect(issues[0]?.message).toContain('at most 100 certificates');
  });

  it('accepts up to 100 certificates', () => {
    const body = JSON.parse(fixture('classic-3-request-enrolled.json'));
    body.certificates = Array.from({ length: 100 }, (_, i) => ({
      status: 'VALID',
      serial_number: `s${i}`,
    }));
    expect(parseWebhook(body).certificates).toHaveLength(100);
    body.certificates.push({ status: 'VALID', serial_number: 'one too many' });
    expect(safeParseWebhook(body).success).toBe(false);
    expect(safeParseWebhook(JSON.stringify(body)).success).toBe(false);
  });

  it('keeps a legacy body with many certificates as an unknown field, as text and as an object', () => {
    const body = JSON.parse(fixture('legacy-videoincomplete.json'));
    body.certificates = Array.from({ length: 101 }, () => 0);
    expect(parseWebhook(JSON.stringify(body)).payload).toMatchObject({
      certificates: body.certificates,
    });
    expect(parseWebhook(body).payload).toMatchObject({ certificates: body.certificates });
  });

  it('names each misspelt field once, however many spellings of it a body has', () => {
    const body: Record<string, unknown> = envelope({ sent_at: 'never' });
    delete body.event_type;
    // 2,000 spellings: each letter's case from a bit of i, and up to three leading `_`.
    for (let i = 0; i < 2_000; i++) {
      const letters = [...'eventtype'].map((c, bit) => ((i >> bit) & 1 ? c.toUpperCase() : c));
      body[`${'_'.repeat(i >> 9)}${letters.join('')}`] = 'REQUEST_CREATED';
    }
    const result = safeParseWebhook(body);
    expect(result.error).toBeInstanceOf(InvalidPayloadError);
    const spelling = (result.error as InvalidPayloadError).issues.filter((issue) =>
      issue.message.includes('expected "event_type"'),
    );
    expect(spelling).toHaveLength(1);
  });
});
