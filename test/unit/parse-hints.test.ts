import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { $ZodIssue, $ZodIssueCustom } from 'zod/v4/core';
import {
  envelopeSchema,
  InvalidPayloadError,
  legacySchema,
  parseWebhook,
  safeParseWebhook,
} from '../../src/index.js';
import { explainIssues } from '../../src/payload/explain.js';
import { createTestPayload } from '../../src/testing/index.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => readFileSync(join(fixturesDir, name), 'utf8'));

/** The error of a body the parser must refuse. */
function refused(body: unknown): InvalidPayloadError {
  const result = safeParseWebhook(body);
  expect(result.success).toBe(false);
  expect(result.error).toBeInstanceOf(InvalidPayloadError);
  expect(result.error).toMatchObject({ code: 'invalid_payload', status: 422 });
  return result.error as InvalidPayloadError;
}

/** The issues of a refused body, as `{ path, message }` with dotted paths. */
function issuesOf(body: unknown): { path: string; message: string }[] {
  return refused(body).issues.map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
}

const SNAKE = 'the provider sends snake_case fields';
const NO_TIME = { path: 'sent_at', message: 'A notification needs a time: sent_at or date' };
const NEITHER =
  'Body is not a valid notification in either format: the envelope needs "request", ' +
  '"request.status" and a time ("sent_at" or "date"); the legacy format needs "status", ' +
  '"request" and a time ("date" or "sent_at")';

describe('a body in camelCase', () => {
  it('names each field the provider spells in snake_case, then what is missing', () => {
    const body = '{"eventType":"ISSUED","requestId":123,"sentAt":"20250715083633"}';
    const error = refused(body);
    expect(error.message).toBe(
      `Body is not a valid notification: "eventType" found: ${SNAKE}; expected "event_type" (and 4 more)`,
    );
    expect(issuesOf(body)).toEqual([
      { path: 'eventType', message: `"eventType" found: ${SNAKE}; expected "event_type"` },
      {
        path: 'requestId',
        message: `"requestId" found: ${SNAKE}; expected "request.pk" (envelope) or "request" (legacy)`,
      },
      { path: 'sentAt', message: `"sentAt" found: ${SNAKE}; expected "sent_at"` },
      { path: 'request', message: 'Missing: expected an object' },
      NO_TIME,
    ]);
  });

  it('gives each hint the found and expected names as params', () => {
    const [eventType, requestId] = refused({ eventType: 'ISSUED', requestId: 1 }).issues;
    expect(eventType).toEqual({
      code: 'custom',
      path: ['eventType'],
      message: `"eventType" found: ${SNAKE}; expected "event_type"`,
      params: { found: 'eventType', expected: ['event_type'] },
    });
    expect(requestId).toMatchObject({
      params: { found: 'requestId', expected: ['request.pk', 'request'] },
    });
  });

  it('points to the place of the format the body is in', () => {
    // A top-level `status` without `event_type` or a `request` object: the legacy format.
    const legacy = {
      status: 'VIDEOINCOMPLETE',
      previousStatus: 'VIDEOPENDING',
      requestId: 46760,
      changedAt: '2021-07-20T08:08:21.132394',
      registrationAuthority: 455,
    };
    expect(issuesOf(legacy)).toEqual([
      {
        path: 'previousStatus',
        message: `"previousStatus" found: ${SNAKE}; expected "previous_status"`,
      },
      { path: 'requestId', message: `"requestId" found: ${SNAKE}; expected "request"` },
      { path: 'changedAt', message: `"changedAt" found: ${SNAKE}; expected "date"` },
      {
        path: 'registrationAuthority',
        message: `"registrationAuthority" found: ${SNAKE}; expected "registration_authority"`,
      },
      { path: 'request', message: 'Missing: expected a number or a string of digits' },
      NO_TIME,
    ]);
    // A `request` object: the envelope, where the registration authority sits in `request`.
    const envelope = {
      eventType: 'REQUEST_CREATED',
      sent_at: '20250715083633',
      request: { status: 'CREATED', pk: 'x' },
      registrationAuthority: 455,
    };
    expect(issuesOf(envelope).slice(0, 2)).toEqual([
      { path: 'eventType', message: `"eventType" found: ${SNAKE}; expected "event_type"` },
      {
        path: 'registrationAuthority',
        message: `"registrationAuthority" found: ${SNAKE}; expected "request.registration_authority"`,
      },
    ]);
  });

  it('looks inside request and each certificate', () => {
    const body = {
      event_type: 'REQUEST_ENROLLED',
      sent_at: '20250715083633',
      request: { status: 'ISSUED', registrationAuthority: 5, previousStatus: 'ENROLLREADY' },
      certificates: [
        { status: 'VALID', serial_number: 'a1' },
        { status: 'VALID', serialNumber: 'b2', validTo: '20270715 08:36:33' },
      ],
    };
    const error = refused(body);
    expect(error.message).toBe(
      `Body is not a valid notification: "request.registrationAuthority" found: ${SNAKE}; expected "request.registration_authority" (and 4 more)`,
    );
    expect(issuesOf(body)).toEqual([
      {
        path: 'request.registrationAuthority',
        message: `"request.registrationAuthority" found: ${SNAKE}; expected "request.registration_authority"`,
      },
      {
        path: 'request.previousStatus',
        message: `"request.previousStatus" found: ${SNAKE}; expected "request.previous_status"`,
      },
      {
        path: 'certificates.1.serialNumber',
        message: `"certificates.1.serialNumber" found: ${SNAKE}; expected "certificates.1.serial_number"`,
      },
      {
        path: 'certificates.1.validTo',
        message: `"certificates.1.validTo" found: ${SNAKE}; expected "certificates.1.valid_to"`,
      },
      { path: 'certificates.1.serial_number', message: 'Missing: expected a string' },
    ]);
  });

  it.each([
    ['PascalCase', 'EventType'],
    ['kebab-case', 'event-type'],
    ['upper case', 'EVENT_TYPE'],
    ['one word', 'eventtype'],
  ])('reads %s as a spelling of the field', (_, name) => {
    const [first] = issuesOf({ [name]: 'ISSUED', request: { status: 'ISSUED' } });
    expect(first).toEqual({
      path: name,
      message: `${JSON.stringify(name)} found: ${SNAKE}; expected "event_type"`,
    });
  });

  it('says nothing of a spelling when the body has the field under its own name', () => {
    const body = { event_type: 'ISSUED', eventType: 'ISSUED', sent_at: '20250715083633' };
    expect(issuesOf(body)).toEqual([{ path: 'request', message: 'Missing: expected an object' }]);
  });

  it('says nothing of a field in the wrong place, or of names that are no field', () => {
    const body = { status: 'CREATED', request: { pk: 1 }, sent_at: '20250715083633', foo: 1 };
    expect(issuesOf(body)).toEqual([
      { path: 'request.status', message: 'Missing: expected a string' },
    ]);
  });

  it('reads no name longer than any field, and keeps the message short', () => {
    const name = `event${'_'.repeat(1000)}type`;
    const error = refused({ [name]: 'ISSUED', request: { status: 'ISSUED' } });
    expect(error.issues.map((issue) => issue.path.join('.'))).toEqual(['sent_at']);
    expect(error.message.length).toBeLessThan(200);
  });

  it('keeps the schema issues alone for a body that cannot be read again', () => {
    const issues: $ZodIssue[] = [{ code: 'custom', path: ['request'], message: 'Broken' }];
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no keys');
        },
        get: () => {
          throw new Error('no values');
        },
      },
    );
    expect(explainIssues(hostile, issues)).toEqual({
      message: 'Body is not a valid notification: request: Broken',
      issues,
    });
  });

  it('never refuses a valid body for its camelCase extras, which are kept', () => {
    const extras = fc.dictionary(
      fc.constantFrom('eventType', 'sentAt', 'requestId', 'previousStatus', 'serialNumber'),
      fc.oneof(fc.string(), fc.integer()),
    );
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), extras, (text, extra) => {
        const body = { ...JSON.parse(text), ...extra };
        const event = parseWebhook(body);
        expect(event.payload).toMatchObject(extra);
      }),
    );
  });

  it('gives every hint a field the provider declares, absent from the body', () => {
    const names = fc.constantFrom(
      'eventType',
      'EventType',
      'sentAt',
      'requestId',
      'changedAt',
      'previousStatus',
      'registrationAuthority',
      'Status',
      'PK',
    );
    fc.assert(
      fc.property(fc.dictionary(names, fc.jsonValue(), { minKeys: 1 }), (body) => {
        const error = refused(body);
        const hints = error.issues.filter((issue) => issue.code === 'custom' && issue.params);
        expect(hints.length).toBeGreaterThan(0);
        for (const hint of hints) {
          const { found, expected } = (hint as $ZodIssueCustom).params as {
            found: string;
            expected: string[];
          };
          expect(found).toBe(hint.path.join('.'));
          expect(found in body).toBe(true);
          for (const place of expected) {
            expect(place).toMatch(/^[a-z]+(_[a-z]+)*(\.[a-z]+(_[a-z]+)*)?$/);
            expect(place.split('.')[0]! in body).toBe(false);
          }
        }
      }),
    );
  });
});

describe('a body missing required fields', () => {
  it.each([
    ['an unrelated object', { foo: 1 }],
    ['an empty object', {}],
    ['only a time', { sent_at: '20250715083633', foo: 1 }],
  ])('in neither format (%s): says what each format needs', (_, body) => {
    expect(refused(body).message).toBe(NEITHER);
  });

  it('in neither format: lists every missing field of the envelope', () => {
    expect(issuesOf({ foo: 1 })).toEqual([
      { path: 'request', message: 'Missing: expected an object' },
      NO_TIME,
    ]);
  });

  it('in the envelope: lists each missing field', () => {
    const noRequest = { event_type: 'REQUEST_CREATED' };
    expect(issuesOf(noRequest)).toEqual([
      { path: 'request', message: 'Missing: expected an object' },
      NO_TIME,
    ]);
    expect(refused(noRequest).message).toBe(
      'Body is not a valid notification: request: Missing: expected an object (and 1 more)',
    );
    expect(issuesOf({ event_type: 'REQUEST_CREATED', request: {} })).toEqual([
      { path: 'request.status', message: 'Missing: expected a string' },
      NO_TIME,
    ]);
  });

  it('in the legacy format: lists each missing field', () => {
    const noRequest = { status: 'VIDEOREVIEW' };
    expect(issuesOf(noRequest)).toEqual([
      { path: 'request', message: 'Missing: expected a number or a string of digits' },
      NO_TIME,
    ]);
    expect(refused(noRequest).message).toBe(
      'Body is not a valid notification: request: Missing: expected a number or a string of digits (and 1 more)',
    );
    expect(issuesOf({ request: 46760 })).toEqual([
      { path: 'status', message: 'Missing: expected a string' },
      NO_TIME,
    ]);
  });

  it('says "Expected", not "Missing", for a field of the wrong type', () => {
    expect(
      issuesOf({ status: 'VIDEOREVIEW', request: 'abc', date: '2021-07-20T08:08:21' }),
    ).toEqual([{ path: 'request', message: 'Expected a number or a string of digits' }]);
    expect(issuesOf({ request: { status: 3 }, sent_at: '20250715083633' })).toEqual([
      { path: 'request.status', message: 'Expected a string' },
    ]);
  });

  it('reports a missing time beside the other issues', () => {
    expect(issuesOf({ request: { status: 3, pk: 'abc' } })).toEqual([
      { path: 'request.status', message: 'Expected a string' },
      { path: 'request.pk', message: 'Expected a number or a string of digits' },
      NO_TIME,
    ]);
  });

  it('the exported schemas report every missing field too', () => {
    const paths = (result: { error?: { issues: { path: PropertyKey[] }[] } }) =>
      result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths(envelopeSchema.safeParse({}))).toEqual(['request', 'sent_at']);
    expect(paths(legacySchema.safeParse({}))).toEqual(['status', 'request', 'sent_at']);
    expect(paths(envelopeSchema.safeParse(null))).toEqual(['']);
  });

  it('leaves valid bodies as they were', () => {
    for (const format of ['envelope', 'legacy'] as const) {
      expect(safeParseWebhook(createTestPayload({ format })).success).toBe(true);
    }
  });
});
