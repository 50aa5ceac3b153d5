import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidPayloadError, safeParseWebhook } from '../../src/index.js';
import { fromCommonShape } from '../../src/payload/parse.js';
import { detectFormat, envelopeSchema, legacySchema } from '../../src/payload/schema.js';
import {
  CERTIFICATE_FIELDS,
  ENVELOPE_FIELDS,
  LEGACY_FIELDS,
  REQUEST_FIELDS,
} from '../../src/payload/wire-fields.js';

/** A fixed seed: fast-check prints it, with the path, for a failure to be replayed. */
const SEED = 20250715;

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => [name, readFileSync(join(fixturesDir, name), 'utf8')] as const);

const timeZones = fc.constantFrom(undefined, 'UTC', 'Europe/Madrid', 'America/New_York');

/** Whether an object of the notification (top level, request, a certificate) has its own `__proto__`. */
function hasOwnProto(value: unknown): boolean {
  const own = (v: unknown): boolean =>
    typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__');
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const certificates: unknown[] = Array.isArray(record.certificates) ? record.certificates : [];
  return [record, record.request, ...certificates].some(own);
}

/**
 * Checks one JSON text both ways: the fast path against the zod schema, and a text body
 * (which may take the fast path) against the same value given as an object (which never
 * does).
 */
function agree(text: string, timeZone: string | undefined): void {
  const value: unknown = JSON.parse(text);
  const format = detectFormat(value);
  const schema = format === 'envelope' ? envelopeSchema : legacySchema;
  const zod = schema.safeParse(JSON.parse(text));
  const fast = fromCommonShape(value, format, timeZone);

  if (fast !== undefined) {
    expect(zod.success).toBe(true);
    expect(fast.payload).toStrictEqual(zod.data);
  } else if (zod.success) {
    // The one shape left to the schema on purpose: it drops an undeclared `__proto__`.
    expect(hasOwnProto(value)).toBe(true);
  }

  // A string body is JSON text, whatever it says: only objects compare as values.
  if (typeof value !== 'object' || value === null) return;
  const options = { timeZone };
  const fromText = safeParseWebhook(text, options);
  const fromObject = safeParseWebhook(JSON.parse(text), options);
  expect(fromText.success).toBe(fromObject.success);
  if (fromText.success && fromObject.success) {
    expect(fromText.data).toStrictEqual(fromObject.data);
    if (fast !== undefined) expect(fast).toStrictEqual(fromObject.data);
  } else {
    expect(fromText.error?.code).toBe(fromObject.error?.code);
    expect(fromText.error?.message).toBe(fromObject.error?.message);
    if (fromText.error instanceof InvalidPayloadError) {
      expect(fromText.error.issues).toEqual((fromObject.error as InvalidPayloadError).issues);
    }
  }
}

const digits14 = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') })
  .filter((d) => !Number.isNaN(d.getTime()))
  .map((d) => d.toISOString().replace(/\D/g, '').slice(0, 14));

/** Mostly what the provider sends, sometimes what it must not. */
const likely = <T>(valid: fc.Arbitrary<T>[], invalid: fc.Arbitrary<T>[]): fc.Arbitrary<T> =>
  fc.oneof(
    ...valid.map((arbitrary) => ({ weight: 10, arbitrary })),
    ...invalid.map((arbitrary) => ({ weight: 1, arbitrary })),
  );

const timestamp = likely(
  [
    digits14,
    digits14.map((t) => `${t.slice(0, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}`),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 23)),
  ],
  [
    fc.constantFrom(
      '20250230101500',
      '20251301000000',
      '20250101240000',
      ' 20250101000000 ',
      '2025',
    ),
    fc.stringMatching(/^\d{14}$/),
    fc.string(),
  ],
);

const label = likely(
  [fc.constantFrom('CREATED', 'VIDEOREVIEW', 'canceled', ' issued ', 'REQUEST_CREATED', 'VALID')],
  [fc.constantFrom('', ' ', '\u00a0', '\t\n', '\u00a0x', 'é'), fc.string()],
);

const id = likely<number | string>(
  [fc.nat(), fc.nat().map(String)],
  [
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1.5, -0, 1e300),
    fc.constantFrom(' 42 ', '1234567890123456', '', '0x1f', '١٢'),
    fc.string(),
  ],
);

/** Any JSON value, or a likely one for the field. */
const field = <T>(usual: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 24, arbitrary: usual },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );

const certificate = fc.record(
  {
    status: field(label),
    serial_number: field(fc.stringMatching(/^[0-9a-f]{1,16}$/)),
    valid_from: field(timestamp),
    valid_to: field(timestamp),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: ['status', 'serial_number'] },
);

const envelope = fc.record(
  {
    event_type: field(label),
    sent_at: field(fc.oneof(timestamp, digits14.map(Number))),
    request: fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record(
          {
            status: field(label),
            pk: field(id),
            profile: field(fc.string()),
            registration_authority: field(id),
            scratchcard: field(fc.string()),
            date: field(timestamp),
            previous_status: field(label),
            operator: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: ['status'] },
        ),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    ),
    certificates: field(fc.array(field(certificate), { maxLength: 3 })),
    date: field(timestamp),
    previous_status: field(label),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['request'] },
);

const legacy = fc.record(
  {
    status: field(label),
    request: field(id),
    date: field(timestamp),
    sent_at: field(fc.oneof(timestamp, digits14.map(Number))),
    previous_status: field(label),
    registration_authority: field(id),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['status', 'request'] },
);

describe('the fast path agrees with the zod schema', () => {
  it.each(fixtures)('%s takes the fast path', (_, text) => {
    const value: unknown = JSON.parse(text);
    expect(fromCommonShape(value, detectFormat(value), undefined)).toBeDefined();
    agree(text, undefined);
    agree(text, 'Europe/Madrid');
  });

  it('for arbitrary notification-shaped bodies', () => {
    fc.assert(
      fc.property(fc.oneof(envelope, legacy), timeZones, (value, timeZone) => {
        agree(JSON.stringify(value), timeZone);
      }),
      { numRuns: 4000, seed: SEED },
    );
  });

  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), timeZones, (value, timeZone) => {
        agree(JSON.stringify(value), timeZone);
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it('takes the fast path for every valid generated body', () => {
    let valid = 0;
    let fast = 0;
    fc.assert(
      fc.property(fc.oneof(envelope, legacy), (body) => {
        const value: unknown = JSON.parse(JSON.stringify(body));
        if (!safeParseWebhook(value).success) return;
        valid += 1;
        if (fromCommonShape(value, detectFormat(value), undefined)) fast += 1;
      }),
      { numRuns: 2000, seed: SEED },
    );
    expect(valid).toBeGreaterThan(150);
    expect(fast).toBe(valid);
  });

  it('leaves an undeclared __proto__ key to the schema, which drops it', () => {
    const text =
      '{"__proto__":{"x":1},"event_type":"REQUEST_CREATED","sent_at":"20250301101500","request":{"status":"CREATED","pk":1}}';
    const value: unknown = JSON.parse(text);
    expect(fromCommonShape(value, 'envelope', undefined)).toBeUndefined();
    agree(text, undefined);
    const result = safeParseWebhook(text);
    expect(result.success && Object.hasOwn(result.data.payload, '__proto__')).toBe(false);
  });

  it('leaves an impossible timestamp to the schema, which reports it', () => {
    const text =
      '{"event_type":"REQUEST_CREATED","sent_at":"20250230101500","request":{"status":"CREATED"}}';
    expect(fromCommonShape(JSON.parse(text), 'envelope', undefined)).toBeUndefined();
    const result = safeParseWebhook(text);
    expect(result.error?.code).toBe('invalid_payload');
    agree(text, undefined);
  });

  it('checks request.date even where the top-level date is the one read', () => {
    const text =
      '{"date":"2025-03-01T10:14:59","request":{"status":"CREATED","pk":1,"date":"2025-02-30 10:00:00"}}';
    expect(fromCommonShape(JSON.parse(text), 'envelope', undefined)).toBeUndefined();
    expect(safeParseWebhook(text).error?.code).toBe('invalid_payload');
    agree(text, undefined);
  });

  // The fast path reads each field by its name written out: every field of the tables must be
  // among those it reads, even where another field wins over it. Each field is present and
  // valid in these bodies, then made `true`, which is of no kind.
  const complete = {
    event_type: 'REQUEST_ENROLLED',
    sent_at: '20250301102540',
    date: '2025-03-01 10:25:39',
    previous_status: 'ENROLLREADY',
    request: {
      status: 'ISSUED',
      pk: 28634,
      profile: 'PFnubeQAFCiudadano',
      registration_authority: 139,
      scratchcard: '5051762',
      date: '20250301102539',
      previous_status: 'ENROLLREADY',
    },
    certificates: [
      {
        status: 'VALID',
        serial_number: '03243d63df48a72d',
        valid_from: '20250301 10:25:00',
        valid_to: '20270301 10:25:00',
      },
    ],
  };
  const completeLegacy = {
    status: 'VIDEOINCOMPLETE',
    date: '2021-07-20T08:08:21.132394',
    sent_at: '20210720080822',
    previous_status: 'VIDEOPENDING',
    request: 46760,
    registration_authority: 455,
  };
  type Json = Record<string, unknown>;
  const objects: [string, Readonly<Record<string, string>>, (body: Json) => Json][] = [
    ['envelope', ENVELOPE_FIELDS, (body) => body],
    ['envelope request', REQUEST_FIELDS, (body) => body.request as Json],
    ['certificate', CERTIFICATE_FIELDS, (body) => (body.certificates as Json[])[0]!],
    ['legacy', LEGACY_FIELDS, (body) => body],
  ];
  it.each(
    objects.flatMap(([object, fields, select]) =>
      Object.keys(fields).map((field) => [object, field, select] as const),
    ),
  )('reads the %s field %s', (object, field, select) => {
    const body = structuredClone(object === 'legacy' ? completeLegacy : complete) as Json;
    expect(select(body)).toHaveProperty([field]);
    expect(fromCommonShape(structuredClone(body), detectFormat(body), undefined)).toBeDefined();
    select(body)[field] = true;
    const text = JSON.stringify(body);
    expect(fromCommonShape(JSON.parse(text), detectFormat(body), undefined)).toBeUndefined();
    expect(safeParseWebhook(text).error?.code).toBe('invalid_payload');
    agree(text, undefined);
  });
});
