import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  createWebhooks,
  EVENT_TYPES,
  type HandlerContext,
  HandlerError,
  InvalidJsonError,
  InvalidOptionsError,
  InvalidPayloadError,
  isWebhookError,
  REQUEST_STATUSES,
  UnauthorizedError,
  type WebhookEvent,
  type WebhookName,
} from '../../src/index.js';
import { normalizeHeaders } from '../../src/router/headers.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixturesDir, name), 'utf8');
const json = (name: string): Record<string, unknown> => JSON.parse(fixture(name));

/** VIDEOID_UPDATED carrying VIDEOREVIEW. */
const REVIEW = fixture('videoid-3-videoid-updated-review.json');
/** REQUEST_ENROLLED carrying ISSUED. */
const ENROLLED = fixture('classic-3-request-enrolled.json');
/** Legacy VIDEOINCOMPLETE, no event type. */
const LEGACY = fixture('legacy-videoincomplete.json');
const REFUSED_FIXTURE = fixture('videoid-refused.json');
const CANCELED_FIXTURE = fixture('request-canceled.json');
/** An event type and a status the provider has not documented. */
const UNKNOWN = JSON.stringify({
  ...json('videoid-3-videoid-updated-review.json'),
  event_type: 'REQUEST_REACTIVATED',
  request: { status: 'REACTIVATED', pk: 28634 },
});

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Receives `body` and returns the names of the handlers that ran. */
async function handled(names: readonly WebhookName[], body: string): Promise<WebhookName[]> {
  const webhooks = createWebhooks({ dedupe: false });
  const ran: WebhookName[] = [];
  for (const name of names) webhooks.on(name, () => void ran.push(name));
  await webhooks.receive(body);
  return ran;
}

describe('createWebhooks: options', () => {
  it('returns on and receive', () => {
    const webhooks = createWebhooks();
    expect(typeof webhooks.on).toBe('function');
    expect(typeof webhooks.receive).toBe('function');
  });

  it('rejects an unknown time zone at creation', () => {
    expect(() => createWebhooks({ timeZone: 'Mars/Olympus_Mons' })).toThrow(InvalidOptionsError);
  });

  it('reads timestamps in the configured time zone', async () => {
    const utc = await createWebhooks().receive(REVIEW);
    const madrid = await createWebhooks({ timeZone: 'Europe/Madrid' }).receive(REVIEW);
    // 20250715084502 is summer time (UTC+2) in Madrid.
    expect(utc.event.sentAt).toEqual(new Date('2025-07-15T08:45:02Z'));
    expect(madrid.event.sentAt).toEqual(new Date('2025-07-15T06:45:02Z'));
  });

  it.each([
    ['ttlMs', 0],
    ['ttlMs', -1],
    ['ttlMs', 1.5],
    ['ttlMs', Number.NaN],
    ['ttlMs', Number.POSITIVE_INFINITY],
    ['ttlMs', '1000'],
    ['claimTtlMs', 0],
    ['claimTtlMs', -5],
    ['claimTtlMs', Number.NaN],
  ])('rejects dedupe.%s = %s', (name, value) => {
    expect(() => createWebhooks({ dedupe: { [name]: value as number } })).toThrow(
      InvalidOptionsError,
    );
  });

  it('accepts positive integer durations', () => {
    expect(() => createWebhooks({ dedupe: { ttlMs: 1, claimTtlMs: 60_000 } })).not.toThrow();
  });

  it.each([
    ['dedupe: true', { dedupe: true }],
    ['dedupe: null', { dedupe: null }],
    ['a store without release', { dedupe: { store: { claim() {}, markDone() {} } } }],
    ['a store that is a string', { dedupe: { store: 'redis' } }],
    ['an onError that is not a function', { onError: 'log' }],
  ])('rejects %s', (_, options) => {
    expect(() => createWebhooks(options as never)).toThrow(InvalidOptionsError);
  });
});

describe('on: which handlers a notification reaches', () => {
  it('matches a status name against the status', async () => {
    expect(await handled(['VIDEOREVIEW', 'ISSUED', 'CREATED'], REVIEW)).toEqual(['VIDEOREVIEW']);
    expect(await handled(['VIDEOREVIEW', 'ISSUED', 'CREATED'], ENROLLED)).toEqual(['ISSUED']);
  });

  it('matches an event-type name against the event type', async () => {
    expect(await handled(['VIDEOID_UPDATED', 'REQUEST_ENROLLED'], REVIEW)).toEqual([
      'VIDEOID_UPDATED',
    ]);
    expect(await handled(['VIDEOID_UPDATED', 'REQUEST_ENROLLED'], ENROLLED)).toEqual([
      'REQUEST_ENROLLED',
    ]);
  });

  it('matches a legacy notification, which has no event type, by its status', async () => {
    expect(await handled(['VIDEOINCOMPLETE', 'VIDEOID_UPDATED', '*'], LEGACY)).toEqual([
      'VIDEOINCOMPLETE',
      '*',
    ]);
  });

  it("sends every notification to '*'", async () => {
    for (const body of [REVIEW, ENROLLED, LEGACY, UNKNOWN]) {
      expect(await handled(['*'], body)).toEqual(['*']);
    }
  });

  it("sends unknown statuses and event types to '*' only", async () => {
    const every: WebhookName[] = [...REQUEST_STATUSES, ...EVENT_TYPES, '*'];
    expect(await handled(every, UNKNOWN)).toEqual(['*']);
  });

  it('never matches a status name against the event type, nor the reverse', async () => {
    const swapped = JSON.stringify({
      ...json('videoid-3-videoid-updated-review.json'),
      event_type: 'ISSUED',
      request: { status: 'REQUEST_CREATED', pk: 1 },
    });
    expect(await handled(['ISSUED', 'REQUEST_CREATED', '*'], swapped)).toEqual(['*']);
  });

  it('matches an array by any of its names', async () => {
    expect(await handled([['ISSUED', 'VIDEOREVIEW']], REVIEW)).toEqual([['ISSUED', 'VIDEOREVIEW']]);
    expect(await handled([['ISSUED', 'VIDEOREVIEW']], ENROLLED)).toEqual([
      ['ISSUED', 'VIDEOREVIEW'],
    ]);
    expect(await handled([['ISSUED', 'VIDEOREVIEW']], LEGACY)).toEqual([]);
  });

  it('runs a handler once when several of its names match', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const handler = vi.fn();
    webhooks.on(['VIDEOREVIEW', 'VIDEOID_UPDATED', '*', 'VIDEOREVIEW'], handler);
    webhooks.on('VIDEOID_UPDATED', handler);
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('runs two different functions registered under one name', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const first = vi.fn();
    const second = vi.fn();
    webhooks.on('VIDEOREVIEW', first);
    webhooks.on('VIDEOREVIEW', second);
    await webhooks.receive(REVIEW);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('resolves when no handler matches', async () => {
    const webhooks = createWebhooks();
    webhooks.on('CANCELLED', () => {
      throw new Error('not for this notification');
    });
    await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: false });
  });

  it.each([
    ['a misspelt status', 'VIDEOREVEIW'],
    ['a certificate status', 'REVOKED'],
    ['an empty array', []],
    ['an array with a misspelt name', ['ISSUED', 'ISUED']],
    ['a number', 42],
    ['an unknown word', 'SOMETHING_ELSE_ENTIRELY'],
  ])('throws for %s', (_, name) => {
    const webhooks = createWebhooks();
    expect(() => webhooks.on(name as never, () => {})).toThrow(InvalidOptionsError);
  });

  it.each([
    ['VIDEOREVEIW', 'VIDEOREVIEW'],
    ['ISUED', 'ISSUED'],
    ['REQUEST_ENROLED', 'REQUEST_ENROLLED'],
    ['videoid-updatd', 'VIDEOID_UPDATED'],
    ['CERTIFICATE_REVOKE', 'CERTIFICATE_REVOKED'],
  ])('suggests what %s was meant to be', (name, meant) => {
    expect(() => createWebhooks().on(name as never, () => {})).toThrow(
      `Unknown webhook name "${name}": did you mean '${meant}'?`,
    );
  });

  it('suggests nothing for a name far from every documented one', () => {
    expect(() => createWebhooks().on('SOMETHING_ELSE_ENTIRELY' as never, () => {})).toThrow(
      'Unknown webhook name "SOMETHING_ELSE_ENTIRELY": use a documented request status, event type or \'*\'',
    );
  });

  it.each([
    ['CANCELED', REFUSED_FIXTURE, 'CANCELLED'],
    ['canceled', REFUSED_FIXTURE, 'CANCELLED'],
    ['Video Review', REVIEW, 'VIDEOREVIEW'],
    ['video-review', REVIEW, 'VIDEOREVIEW'],
    ['REQUEST_CANCELLED', CANCELED_FIXTURE, 'REQUEST_CANCELED'],
    ['videoid_updated', REVIEW, 'VIDEOID_UPDATED'],
  ])('reads the name %j as payloads are read', async (name, body, matched) => {
    const webhooks = createWebhooks();
    const seen: string[] = [];
    webhooks.on(name as never, (event: WebhookEvent) => {
      seen.push(matched.includes('_') ? String(event.eventType) : event.status);
    });
    await webhooks.receive(body);
    expect(seen).toEqual([matched]);
  });

  it('throws for a handler that is not a function', () => {
    expect(() => createWebhooks().on('ISSUED', 'handler' as never)).toThrow(InvalidOptionsError);
  });
});

describe('on: unsubscribing', () => {
  it('returns a function that stops the handler', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const handler = vi.fn();
    const off = webhooks.on(['VIDEOREVIEW', 'ISSUED'], handler);
    await webhooks.receive(REVIEW);
    off();
    await webhooks.receive(REVIEW);
    await webhooks.receive(ENROLLED);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('is idempotent and leaves other registrations in place', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const handler = vi.fn();
    const other = vi.fn();
    const off = webhooks.on('VIDEOREVIEW', handler);
    webhooks.on('VIDEOID_UPDATED', handler);
    webhooks.on('VIDEOREVIEW', other);
    off();
    off();
    await webhooks.receive(REVIEW);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('skips a handler unsubscribed by an earlier handler of the same delivery', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const later = vi.fn();
    webhooks.on('*', () => offLater());
    const offLater = webhooks.on('VIDEOREVIEW', later);
    await webhooks.receive(REVIEW);
    expect(later).not.toHaveBeenCalled();
  });

  it('does not run, in a delivery under way, a handler registered during it', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const added = vi.fn();
    webhooks.on('*', () => void webhooks.on('VIDEOREVIEW', added));
    await webhooks.receive(REVIEW);
    expect(added).not.toHaveBeenCalled();
    await webhooks.receive(REVIEW);
    expect(added).toHaveBeenCalledTimes(1);
  });
});

describe('handlers: order and failure', () => {
  it('runs handlers one at a time in registration order, whatever names they use', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const log: string[] = [];
    const handler = (label: string) => async () => {
      log.push(`${label} start`);
      await tick();
      log.push(`${label} end`);
    };
    webhooks.on('VIDEOID_UPDATED', handler('a'));
    webhooks.on('*', handler('b'));
    webhooks.on('VIDEOREVIEW', handler('c'));
    webhooks.on('VIDEOID_UPDATED', handler('d'));
    webhooks.on(['ISSUED', '*'], handler('e'));
    await webhooks.receive(REVIEW);
    expect(log).toEqual(
      ['a', 'b', 'c', 'd', 'e'].flatMap((label) => [`${label} start`, `${label} end`]),
    );
  });

  it.each<[string, (error: Error) => () => unknown]>([
    [
      'throws',
      (error: Error) => () => {
        throw error;
      },
    ],
    [
      'rejects',
      (error: Error) => async () => {
        await tick();
        throw error;
      },
    ],
    [
      'returns a thenable whose then cannot be read',
      (error: Error) => () => ({
        // biome-ignore lint/suspicious/noThenProperty: a thenable is the point of the test
        get then(): never {
          throw error;
        },
      }),
    ],
    [
      'returns a thenable whose then throws',
      (error: Error) => () => ({
        // biome-ignore lint/suspicious/noThenProperty: a thenable is the point of the test
        then() {
          throw error;
        },
      }),
    ],
  ])('stops at the first handler that %s and rejects with HandlerError', async (_, failing) => {
    const webhooks = createWebhooks({ dedupe: false });
    const boom = new Error('database down');
    const before = vi.fn();
    const after = vi.fn();
    webhooks.on('*', before);
    webhooks.on('VIDEOREVIEW', failing(boom));
    webhooks.on('*', after);
    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error).toMatchObject({ code: 'handler_failed', status: 500, cause: boom });
    expect(isWebhookError(error)).toBe(true);
    expect(before).toHaveBeenCalledTimes(1);
    expect(after).not.toHaveBeenCalled();
  });

  it('wraps a WebhookError thrown by a handler instead of answering with its status', async () => {
    const webhooks = createWebhooks();
    const thrown = new UnauthorizedError();
    webhooks.on('*', () => {
      throw thrown;
    });
    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error).toMatchObject({ status: 500, cause: thrown });
  });

  it('counts a thrown non-Error value as a failure', async () => {
    const webhooks = createWebhooks();
    webhooks.on('*', () => Promise.reject('plain string'));
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({
      code: 'handler_failed',
      cause: 'plain string',
    });
  });
});

describe('handlers: event and context', () => {
  it('gives handlers the event receive resolves with', async () => {
    const webhooks = createWebhooks();
    let seen: WebhookEvent | undefined;
    webhooks.on('VIDEOREVIEW', (event) => {
      seen = event;
    });
    const result = await webhooks.receive(REVIEW);
    expect(result).toEqual({ event: seen, duplicate: false });
    expect(result.event).toBe(seen);
    expect(result.event).toMatchObject({
      status: 'VIDEOREVIEW',
      eventType: 'VIDEOID_UPDATED',
      requestId: 28634,
    });
  });

  it('accepts bytes and parsed JSON bodies', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const handler = vi.fn();
    webhooks.on('VIDEOREVIEW', handler);
    await webhooks.receive(new TextEncoder().encode(REVIEW));
    await webhooks.receive(JSON.parse(REVIEW));
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('passes the idempotency key, the reception time, lower-cased headers and the client IP', async () => {
    const webhooks = createWebhooks();
    const contexts: unknown[] = [];
    webhooks.on('*', (_, context) => void contexts.push(context));
    webhooks.on('VIDEOREVIEW', (_, context) => void contexts.push(context));
    const before = Date.now();
    const { event } = await webhooks.receive(REVIEW, {
      headers: { 'Content-Type': 'application/json', 'x-forwarded-for': '10.0.0.1' },
      clientIp: '203.0.113.9',
    });
    const after = Date.now();
    expect(contexts).toHaveLength(2);
    const [context] = contexts as [
      {
        idempotencyKey: string;
        receivedAt: Date;
        headers: Record<string, string>;
        clientIp: string;
      },
    ];
    expect(contexts[1]).toBe(context);
    expect(context.idempotencyKey).toBe(event.idempotencyKey);
    expect(context.receivedAt).toBeInstanceOf(Date);
    expect(context.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(context.receivedAt.getTime()).toBeLessThanOrEqual(after);
    expect({ ...context.headers }).toEqual({
      'content-type': 'application/json',
      'x-forwarded-for': '10.0.0.1',
    });
    expect(context.clientIp).toBe('203.0.113.9');
    expect(Object.isFrozen(context)).toBe(true);
    expect(Object.isFrozen(context.headers)).toBe(true);
  });

  it('joins headers whose names differ only in case', async () => {
    const webhooks = createWebhooks();
    let headers: Readonly<Record<string, string>> = {};
    webhooks.on('*', (_, context) => {
      headers = context.headers;
    });
    await webhooks.receive(REVIEW, { headers: { Accept: 'a', accept: 'b', constructor: 'c' } });
    expect({ ...headers }).toEqual({ accept: 'a, b', constructor: 'c' });
  });

  it('passes empty headers and no client IP when the adapter gave none', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn();
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    const context = handler.mock.calls[0]?.[1];
    expect({ ...context.headers }).toEqual({});
    expect(context.headers['content-type']).toBeUndefined();
    expect(context.headers.constructor).toBeUndefined();
    expect(context.clientIp).toBeUndefined();
  });

  it('does not keep a reference to the headers object it was given', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn();
    webhooks.on('*', handler);
    const headers: Record<string, string> = { 'x-a': '1' };
    await webhooks.receive(REVIEW, { headers });
    headers['x-a'] = '2';
    expect(handler.mock.calls[0]?.[1].headers['x-a']).toBe('1');
  });

  it('starts no timer for a delivery whose store and handlers answer at once', async () => {
    const webhooks = createWebhooks();
    const handler = vi.fn();
    webhooks.on('*', handler);
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    try {
      await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: false });
      await expect(webhooks.receive(REVIEW)).resolves.toMatchObject({ duplicate: true });
      expect(handler).toHaveBeenCalledTimes(1);
      expect(setTimer).not.toHaveBeenCalled();
    } finally {
      setTimer.mockRestore();
    }
  });

  it('normalizes headers into a frozen object that inherits nothing', () => {
    const headers = normalizeHeaders([
      ['Constructor', 'c'],
      ['__proto__', 'p'],
      ['toString', 't'],
      ['X-A', '1'],
      ['x-a', '2'],
    ]);
    expect(Object.isFrozen(headers)).toBe(true);
    expect(Object.keys(headers)).toEqual(['constructor', '__proto__', 'tostring', 'x-a']);
    expect(Object.hasOwn(headers, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('p');
    expect(headers.constructor).toBe('c');
    expect(headers['x-a']).toBe('1, 2');
    expect(headers.hasownproperty).toBeUndefined();
    expect('hasOwnProperty' in headers).toBe(false);
    expect(JSON.stringify(headers)).toBe(
      '{"constructor":"c","__proto__":"p","tostring":"t","x-a":"1, 2"}',
    );
    // What it inherits from: no string key, nothing behind it, and nothing to change.
    const prototype = Object.getPrototypeOf(headers) as object;
    expect(Object.getOwnPropertyNames(prototype)).toEqual([]);
    expect(Object.getPrototypeOf(prototype)).toBeNull();
    expect(Object.isFrozen(prototype)).toBe(true);
  });

  it('writes out the numbers and booleans a JavaScript caller passes as header values', async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const seen: Readonly<Record<string, string>>[] = [];
    webhooks.on('*', (_event, context) => {
      seen.push(context.headers);
    });
    const headers = {
      'X-Retry': 3,
      'X-Flag': true,
      'X-Big': 10n,
      'X-List': ['a', 2, null, { no: 1 }],
      'X-Null': null,
      'X-Object': { no: 1 },
    } as unknown as Record<string, string>;
    await expect(webhooks.receive(REVIEW, { headers })).resolves.toMatchObject({
      duplicate: false,
    });
    expect({ ...seen[0] }).toEqual({
      'x-retry': '3',
      'x-flag': 'true',
      'x-big': '10',
      'x-list': 'a, 2',
    });
    // Headers that are not an object at all count as none.
    for (const odd of [null, 'x-a: 1', 42]) {
      const context = { headers: odd } as unknown as { headers: Record<string, string> };
      await webhooks.receive(REVIEW, context);
      expect(Object.keys(seen.at(-1)!)).toEqual([]);
    }
  });

  it("passes the headers an adapter normalized as they are, and copies a caller's", async () => {
    const webhooks = createWebhooks({ dedupe: false });
    const contexts: HandlerContext[] = [];
    webhooks.on('*', (_event, context) => {
      contexts.push(context);
    });
    const normalized = normalizeHeaders(
      [
        ['X-Delivery', 'abc'],
        ['Accept', ['a', 'b']],
        ['Authorization', 'Basic secret'],
      ],
      new Set(['authorization']),
    );
    expect(normalized).toEqual({ 'x-delivery': 'abc', accept: 'a, b' });
    await webhooks.receive(REVIEW, { headers: normalized, clientIp: '10.0.0.1' });
    // A wrapper that spreads the context keeps everything.
    await webhooks.receive(ENROLLED, { ...{ headers: normalized, clientIp: '10.0.0.2' } });
    const caller = { 'X-Delivery': 'abc' };
    await webhooks.receive(REVIEW, { headers: caller });
    expect(contexts[0]!.headers).toBe(normalized);
    expect(contexts[1]!.headers).toBe(normalized);
    expect(contexts[1]!.clientIp).toBe('10.0.0.2');
    expect(contexts[2]!.headers).not.toBe(caller);
    expect(contexts[2]!.headers).toEqual({ 'x-delivery': 'abc' });
    for (const context of contexts) {
      expect(Object.isFrozen(context.headers)).toBe(true);
      expect(context.headers.constructor).toBeUndefined();
      expect(Object.keys({ ...context })).toEqual([
        'idempotencyKey',
        'receivedAt',
        'headers',
        'clientIp',
        'transition',
        'previous',
        'attempt',
        'entryId',
      ]);
    }
  });

  it('gives a frozen context whose fields cannot be changed', async () => {
    const webhooks = createWebhooks();
    let context: HandlerContext | undefined;
    webhooks.on('*', (_event, given) => {
      context = given;
    });
    await webhooks.receive(REVIEW, { headers: { 'X-A': '1' }, clientIp: '::1' });
    expect(Object.isFrozen(context)).toBe(true);
    expect(() => {
      (context as { clientIp: string }).clientIp = 'x';
    }).toThrow(TypeError);
    expect(context).toMatchObject({ clientIp: '::1', headers: { 'x-a': '1' } });
  });
});

describe('receive: errors and onError', () => {
  it.each([
    ['an empty body', '', InvalidJsonError],
    ['a body that is not JSON', '<xml/>', InvalidJsonError],
    ['JSON that is not a notification', '{"hello":"world"}', InvalidPayloadError],
  ])('rejects %s and reports it to onError without an event', async (_, body, type) => {
    const onError = vi.fn();
    const handler = vi.fn();
    const webhooks = createWebhooks({ onError });
    webhooks.on('*', handler);
    const error = await webhooks.receive(body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]).toEqual([error]);
    expect(handler).not.toHaveBeenCalled();
  });

  it('reports a handler failure to onError with the event', async () => {
    const onError = vi.fn();
    const webhooks = createWebhooks({ onError });
    webhooks.on('*', () => {
      throw new Error('boom');
    });
    const error = await webhooks.receive(REVIEW).catch((e: unknown) => e);
    expect(onError).toHaveBeenCalledTimes(1);
    const [reported, event] = onError.mock.calls[0] as [unknown, WebhookEvent];
    expect(reported).toBe(error);
    expect(event.status).toBe('VIDEOREVIEW');
  });

  it('reports the error before receive settles', async () => {
    const log: string[] = [];
    const webhooks = createWebhooks({ onError: () => void log.push('onError') });
    webhooks.on('*', () => {
      throw new Error('boom');
    });
    await webhooks.receive(REVIEW).catch(() => log.push('rejected'));
    expect(log).toEqual(['onError', 'rejected']);
  });

  it('does not call onError on success or for a duplicate', async () => {
    const onError = vi.fn();
    const webhooks = createWebhooks({ onError });
    webhooks.on('*', () => {});
    await webhooks.receive(REVIEW);
    await webhooks.receive(REVIEW);
    expect(onError).not.toHaveBeenCalled();
  });

  it('ignores an onError that throws', async () => {
    const onError = vi.fn(() => {
      throw new Error('logger broken');
    });
    const webhooks = createWebhooks({ onError });
    const failure = new Error('boom');
    webhooks.on('*', () => {
      throw failure;
    });
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({
      code: 'handler_failed',
      cause: failure,
    });
    await expect(webhooks.receive('nope')).rejects.toBeInstanceOf(InvalidJsonError);
    expect(onError).toHaveBeenCalledTimes(2);
  });

  it('ignores an async onError that rejects, without an unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      // Not vi.fn: a mock observes the promises its implementation returns.
      let calls = 0;
      const onError = async (): Promise<void> => {
        calls += 1;
        throw new Error('logger broken');
      };
      const webhooks = createWebhooks({ onError });
      await expect(webhooks.receive('nope')).rejects.toBeInstanceOf(InvalidJsonError);
      await tick(10);
      expect(calls).toBe(1);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('works with on and receive detached from the object', async () => {
    const { on, receive } = createWebhooks();
    const handler = vi.fn();
    on('VIDEOREVIEW', handler);
    await receive(REVIEW);
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('the README example', () => {
  it('runs as documented', async () => {
    const requests = new Map<number | undefined, { status: string }>();
    const certificates = new Map<string, unknown>();
    const db = {
      requests: {
        update: async (id: number | undefined, row: { status: string }) => requests.set(id, row),
      },
      certificates: {
        upsert: async (row: { serialNumber: string }) => certificates.set(row.serialNumber, row),
      },
    };

    const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });

    webhooks.on('VIDEOREVIEW', async (event) => {
      await db.requests.update(event.requestId, { status: event.status }); // event.status: 'VIDEOREVIEW'
    });
    webhooks.on('REQUEST_ENROLLED', async (event) => {
      for (const certificate of event.certificates) await db.certificates.upsert(certificate);
    });

    const { event, duplicate } = await webhooks.receive(REVIEW);
    expect(duplicate).toBe(false);
    expect(event.status).toBe('VIDEOREVIEW');
    expect(requests.get(28634)).toEqual({ status: 'VIDEOREVIEW' });
    await webhooks.receive(ENROLLED);
    expect([...certificates.keys()]).toEqual(['03243d63df48a72d']);
    expect((await webhooks.receive(REVIEW)).duplicate).toBe(true);
  });
});
