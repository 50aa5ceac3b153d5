import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/index.js';
import { createIdempotencyKey } from '../../src/payload/idempotency-key.js';
import { KNOWN_VALUES } from '../../src/payload/vocabulary.js';

// Receivers store these keys: a change of any character below is a breaking change, however
// right it looks. They were computed by the parser before the key had a module of its own.

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');

const FIXTURE_KEYS: Readonly<Record<string, string>> = {
  'certificate-revoked.json':
    'e:::CERTIFICATE_REVOKED:ISSUED::20250611120000:03243d63df48a72d=REVOKED',
  'certificate-suspended.json':
    'e:::CERTIFICATE_SUSPENDED:ISSUED::20250610120000:03243d63df48a72d=SUSPENDED',
  'classic-1-request-created.json': 'e:28634:139:REQUEST_CREATED:CREATED::20250301101500',
  'classic-2-request-approved.json': 'e:28634:139:REQUEST_APPROVED:ENROLLREADY::20250301102012',
  'classic-3-request-enrolled.json':
    'e:::REQUEST_ENROLLED:ISSUED::20250301102540:03243d63df48a72d=VALID',
  'envelope-request-created-videopending.json':
    'e:1012632:7:REQUEST_CREATED:VIDEOPENDING::20250715083633',
  'legacy-videoincomplete.json':
    'l:46760:455::VIDEOINCOMPLETE:VIDEOPENDING:2021-07-20T08:08:21.132394',
  'request-canceled.json': 'e:28634:139:REQUEST_CANCELED:CANCELLED::20250302090000',
  'videoid-1-request-created.json': 'e:28634:139:REQUEST_CREATED:VIDEOPENDING::20250715083633',
  'videoid-2-videoid-updated-incomplete.json':
    'e:28634:139:VIDEOID_UPDATED:VIDEOINCOMPLETE::20250715084010',
  'videoid-3-videoid-updated-review.json':
    'e:28634:139:VIDEOID_UPDATED:VIDEOREVIEW::20250715084502',
  'videoid-4-request-approved.json': 'e:28634:139:REQUEST_APPROVED:ENROLLREADY::20250715101130',
  'videoid-5-request-enrolled.json':
    'e:::REQUEST_ENROLLED:ISSUED::20250715101544:5a1f0c33d2e9b871=VALID',
  'videoid-failed.json': 'e:28634:139:VIDEOID_FAILED:VIDEOERROR::20250715084200',
  'videoid-refused.json': 'e:28634:139:VIDEOID_REFUSED:CANCELLED::20250715100000',
};

/** Bodies outside the fixtures that reach each rule of the format. */
const EDGE_KEYS: readonly [string, object, string][] = [
  [
    'a key over 200 characters, hashed',
    {
      event_type: 'REQUEST_ENROLLED',
      sent_at: '20250715084502',
      request: { status: 'ISSUED', pk: 1 },
      certificates: Array.from({ length: 6 }, (_, i) => ({
        status: 'VALID',
        serial_number: `0123456789abcdef0123456789${i}`,
      })),
    },
    'h:ddv4qjzhyd26ijklrr0zj',
  ],
  [
    'a legacy sent_at sent as a number',
    { status: 'CREATED', request: 5, sent_at: 20250715084502 },
    'l:5:::CREATED::20250715084502',
  ],
  [
    'request.date, ids as strings, values to normalize and padding',
    {
      event_type: 'request-cancelled',
      sent_at: ' 20250715100000 ',
      previous_status: 'video review',
      request: {
        status: ' canceled ',
        pk: ' 42 ',
        registration_authority: '007',
        date: ' 2025-07-15 09:59:58 ',
        previous_status: 'CREATED',
      },
    },
    'e:42:7:REQUEST_CANCELED:CANCELLED:VIDEOREVIEW:2025-07-15 09:59:58',
  ],
  [
    'a top-level date over request.date and sent_at',
    {
      event_type: 'VIDEOID_UPDATED',
      date: '2025-07-15T08:45:02+02:00',
      sent_at: '20250715084510',
      request: { status: 'VIDEOREVIEW', pk: 28634, date: '20250715084500' },
    },
    'e:28634::VIDEOID_UPDATED:VIDEOREVIEW::2025-07-15T08:45:02+02:00',
  ],
  [
    'unknown and variant values, several certificates in order',
    {
      event_type: 'SOMETHING_NEW',
      sent_at: '20250715084502',
      request: { status: 'renovated', pk: 0 },
      certificates: [
        { status: 'active', serial_number: 'AB' },
        { status: 'revoked', serial_number: 'CD' },
      ],
    },
    'e:0::SOMETHING_NEW:RENEWED::20250715084502:AB=VALID:CD=REVOKED',
  ],
  [
    'separators and the escape character inside values',
    {
      event_type: 'VIDEOID_UPDATED:NEW',
      date: '2025-03-01T10:25',
      request: { status: 'A=B', previous_status: '100%', pk: 7 },
      certificates: [{ status: 'VALID', serial_number: '40:03:24' }],
    },
    'e:7::VIDEOID_UPDATED%3ANEW:A%3DB:100%25:2025-03-01T10:25:40%3A03%3A24=VALID',
  ],
];

/** Pairs of different notifications whose fields, joined as they are, would read the same. */
const LOOK_ALIKES: readonly [string, object, object][] = [
  [
    'a separator moved from the event type to the status',
    {
      event_type: 'VIDEOID_UPDATED',
      request: { status: 'NEW:STATE', pk: 1 },
      sent_at: '20250715084502',
    },
    {
      event_type: 'VIDEOID_UPDATED:NEW',
      request: { status: 'STATE', pk: 1 },
      sent_at: '20250715084502',
    },
  ],
  [
    'part of the time written in a serial number',
    {
      event_type: 'REQUEST_ENROLLED',
      date: '2025-03-01T10:25',
      request: { status: 'ISSUED' },
      certificates: [{ status: 'VALID', serial_number: '40:03:24' }],
    },
    {
      event_type: 'REQUEST_ENROLLED',
      date: '2025-03-01T10:25:40',
      request: { status: 'ISSUED' },
      certificates: [{ status: 'VALID', serial_number: '03:24' }],
    },
  ],
  [
    'one certificate whose serial holds another',
    {
      event_type: 'REQUEST_ENROLLED',
      sent_at: '20250715084502',
      request: { status: 'ISSUED' },
      certificates: [{ status: 'VALID', serial_number: 'AA=VALID:BB' }],
    },
    {
      event_type: 'REQUEST_ENROLLED',
      sent_at: '20250715084502',
      request: { status: 'ISSUED' },
      certificates: [
        { status: 'VALID', serial_number: 'AA' },
        { status: 'VALID', serial_number: 'BB' },
      ],
    },
  ],
  [
    'a separator moved from the previous status to the status',
    { status: 'A', previous_status: 'B:C', request: 5, sent_at: '20250715084502' },
    { status: 'A:B', previous_status: 'C', request: 5, sent_at: '20250715084502' },
  ],
];

describe('idempotency key format', () => {
  it.each(Object.entries(FIXTURE_KEYS))('%s', (name, key) => {
    const text = readFileSync(join(fixturesDir, name), 'utf8');
    expect(parseWebhook(text).idempotencyKey).toBe(key);
    // Neither the zone nor the way the body arrives changes it.
    expect(parseWebhook(JSON.parse(text), { timeZone: 'Europe/Madrid' }).idempotencyKey).toBe(key);
  });

  it('pins every fixture', () => {
    const fixtures = readdirSync(fixturesDir).filter((name) => name.endsWith('.json'));
    expect(Object.keys(FIXTURE_KEYS).sort()).toEqual(fixtures.sort());
  });

  it.each(EDGE_KEYS)('%s', (_, body, key) => {
    expect(parseWebhook(JSON.stringify(body)).idempotencyKey).toBe(key);
    expect(parseWebhook(body, { timeZone: 'America/New_York' }).idempotencyKey).toBe(key);
  });

  it('writes the documented values as they are: none holds a separator', () => {
    expect(KNOWN_VALUES.size).toBeGreaterThan(20);
    for (const value of KNOWN_VALUES) expect(value).not.toMatch(/[%:=]/);
  });

  it.each(LOOK_ALIKES)('tells apart %s', (_, one, other) => {
    expect(parseWebhook(one).idempotencyKey).not.toBe(parseWebhook(other).idempotencyKey);
  });

  it('hashes keys from 201 characters on', () => {
    const identity = {
      format: 'envelope',
      requestId: undefined,
      registrationAuthority: undefined,
      eventType: undefined,
      status: 'ISSUED',
      previousStatus: undefined,
      certificates: [],
    } as const;
    // `e::::ISSUED::` is 13 characters.
    const kept = createIdempotencyKey({ ...identity, time: 'x'.repeat(187) });
    expect(kept).toBe(`e::::ISSUED::${'x'.repeat(187)}`);
    const hashed = createIdempotencyKey({ ...identity, time: 'x'.repeat(188) });
    expect(hashed).toMatch(/^h:[0-9a-z]{2,22}$/);
    expect(createIdempotencyKey({ ...identity, time: 'x'.repeat(188) })).toBe(hashed);
    expect(createIdempotencyKey({ ...identity, time: `${'x'.repeat(187)}y` })).not.toBe(hashed);
  });
});
