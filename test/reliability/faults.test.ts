import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import express5 from 'express5';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createExpressMiddleware } from '../../src/adapters/express.js';
import { createFetchHandler } from '../../src/adapters/fetch.js';
import { createNodeMiddleware } from '../../src/adapters/node.js';
import {
  createWebhooks,
  parseWebhook,
  UnauthorizedError,
  type WebhookError,
  type WebhookEvent,
  type WebhookHandler,
} from '../../src/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  type Answer,
  expectContractAnswer,
  fromResponse,
  openSocket,
  parseRawResponse,
  post,
  report,
  sleep,
  startServer,
  type TestServer,
  trackProcessErrors,
  until,
} from './support.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixturesDir, name), 'utf8');
const REVIEW = fixture('videoid-3-videoid-updated-review.json');
const APPROVED = fixture('videoid-4-request-approved.json');
const FAILED = fixture('videoid-failed.json');
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

const head = (framing: number | 'chunked', close = true): string =>
  `POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\n${close ? 'Connection: close\r\n' : ''}${
    framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${framing}`
  }\r\n\r\n`;
const chunk = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

/** A router that counts handler runs and every error reported by the router or the adapter. */
function recorder(handler?: WebhookHandler, dedupe?: { claimTtlMs: number }) {
  const events: WebhookEvent[] = [];
  const errors: WebhookError[] = [];
  const webhooks = createWebhooks({
    onError: (error) => errors.push(error),
    ...(dedupe ? { dedupe } : {}),
  });
  webhooks.on('*', async (event, context) => {
    events.push(event);
    await handler?.(event, context);
  });
  const adapterErrors: WebhookError[] = [];
  const middleware = createNodeMiddleware(webhooks, {
    path: '/hook',
    maxBodyBytes: 64 * 1024,
    onError: (error) => adapterErrors.push(error),
  });
  return { webhooks, middleware, events, errors, adapterErrors };
}

let tracker: ReturnType<typeof trackProcessErrors>;
let server: TestServer;
beforeAll(async () => {
  server = await startServer(async () => false);
});
afterAll(() => server.close());
beforeEach(() => {
  tracker = trackProcessErrors();
});
afterEach(async () => {
  await sleep(10);
  tracker.stop();
  expect(tracker.seen).toEqual([]);
});

describe('clients that vanish', () => {
  it('forgets hundreds of clients that vanish mid-body: no handler runs, the server answers on', async () => {
    const { middleware, events, errors, adapterErrors } = recorder();
    server.use(middleware);
    const whole = Buffer.byteLength(REVIEW);
    // Each sends its headers and part of the body, then disappears.
    const openings = [
      head(whole),
      head(whole) + REVIEW.slice(0, 60),
      head(whole) + REVIEW.slice(0, -1),
      head('chunked') + chunk(REVIEW.slice(0, 100)),
      // A complete notification, but not the whole declared body: still not a delivery.
      head(whole + 50) + REVIEW,
      head('chunked') + chunk(REVIEW),
    ];
    const clients = 300;
    const reached = server.reached;
    const sockets: Socket[] = [];
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const socket = await openSocket(server);
        socket.write(openings[i % openings.length]!);
        sockets.push(socket);
      }),
    );
    await until(() => server.reached - reached === clients, 'every request reached the middleware');
    for (const [i, socket] of sockets.entries()) {
      if (i % 2 === 0) socket.destroy();
      else socket.resetAndDestroy();
    }
    await until(() => server.running === 0, 'the middleware gave every request up');
    await until(() => server.connections === 0, 'every connection closed');
    expect(events).toHaveLength(0);
    expect(errors).toHaveLength(0);
    expect(adapterErrors).toHaveLength(0);

    // No claim was left behind: the notification they carried is handled as new.
    const answer = await post(server, encode(REVIEW));
    expectContractAnswer(answer);
    expect(answer.text).toBe('{"ok":true}');
    expect(events).toHaveLength(1);
  });

  it('finishes a delivery whose client vanished while its handler ran, and counts it as handled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = 0;
    const { middleware, events, errors } = recorder(async () => {
      await gate;
      finished += 1;
    });
    server.use(middleware);
    const socket = await openSocket(server);
    socket.write(head(Buffer.byteLength(REVIEW)) + REVIEW);
    await until(() => events.length === 1, 'the handler started');
    socket.destroy();
    await sleep(20);
    release();
    await until(() => server.running === 0, 'the middleware finished');
    expect(finished).toBe(1);
    expect(errors).toHaveLength(0);
    const again = await post(server, encode(REVIEW));
    expect(again.text).toBe('{"ok":true,"duplicate":true}');
    expect(events).toHaveLength(1);
  });
});

describe('slow clients', () => {
  it('reads bodies dripped byte by byte over a second, while serving others meanwhile', async () => {
    const { middleware, events } = recorder();
    server.use(middleware);
    const drip = async (framing: 'length' | 'chunked', body: string): Promise<Answer> => {
      const socket = await openSocket(server);
      const received: Buffer[] = [];
      socket.on('data', (data: Buffer) => received.push(data));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(head(framing === 'chunked' ? 'chunked' : Buffer.byteLength(body)));
      const bytes = Buffer.from(body);
      const pause = 1_000 / bytes.byteLength;
      const begin = performance.now();
      for (let i = 0; i < bytes.byteLength; i++) {
        const byte = bytes.subarray(i, i + 1);
        socket.write(framing === 'chunked' ? Buffer.concat([Buffer.from('1\r\n'), byte]) : byte);
        if (framing === 'chunked') socket.write('\r\n');
        // Keep to the schedule: timers are coarser than one byte's share of the second.
        const due = begin + (i + 1) * pause;
        await sleep(Math.max(0, due - performance.now()));
      }
      if (framing === 'chunked') socket.write('0\r\n\r\n');
      await closed;
      const answer = parseRawResponse(Buffer.concat(received));
      expect(answer).toBeDefined();
      return answer!;
    };
    const started = performance.now();
    const drips = Promise.all([drip('length', REVIEW), drip('chunked', APPROVED)]);
    // Others are served while the drips are under way.
    await sleep(100);
    const others = await Promise.all(
      Array.from({ length: 20 }, () => post(server, encode(FAILED))),
    );
    const othersDone = performance.now() - started;
    const [byLength, byChunks] = await drips;
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5_000);
    expect(othersDone).toBeLessThan(900);
    expect(others.filter((answer) => answer.text === '{"ok":true}')).toHaveLength(1);
    expect(others.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
    expectContractAnswer(byLength);
    expectContractAnswer(byChunks);
    expect([byLength.text, byChunks.text]).toEqual(['{"ok":true}', '{"ok":true}']);
    const statuses = events.map((event) => event.status).sort();
    expect(statuses).toEqual(['ENROLLREADY', 'VIDEOERROR', 'VIDEOREVIEW']);
    expect(events.find((event) => event.status === 'VIDEOREVIEW')!.payload).toEqual(
      JSON.parse(REVIEW),
    );
  });
});

describe('floods far over the body limit', () => {
  const LIMIT = 64 * 1024;
  const PER_CLIENT = 20 * 1024 * 1024;
  const CLIENTS = 50;
  const piece = Buffer.alloc(64 * 1024, 0x20);
  const chunkedPiece = Buffer.concat([
    Buffer.from(`${piece.byteLength.toString(16)}\r\n`),
    piece,
    Buffer.from('\r\n'),
  ]);

  /** Streams up to PER_CLIENT bytes, as fast as the connection takes them, until refused. */
  async function flood(framing: 'chunked' | 'length') {
    const socket = await openSocket(server);
    const received: Buffer[] = [];
    let closed = false;
    const begin = performance.now();
    let answeredAfter = Number.NaN;
    socket.on('data', (data: Buffer) => {
      received.push(data);
      if (Number.isNaN(answeredAfter)) answeredAfter = performance.now() - begin;
    });
    const whenClosed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        closed = true;
        resolve();
      }),
    );
    socket.write(head(framing === 'chunked' ? 'chunked' : PER_CLIENT, false));
    let offered = 0;
    while (offered < PER_CLIENT && !closed && received.length === 0) {
      const more = socket.write(framing === 'chunked' ? chunkedPiece : piece);
      offered += piece.byteLength;
      if (!more) {
        await Promise.race([
          new Promise((resolve) => socket.once('drain', resolve)),
          whenClosed,
          sleep(50),
        ]);
      }
    }
    const timeout = sleep(10_000).then(() => 'timeout' as const);
    const end = await Promise.race([whenClosed, timeout]);
    socket.destroy();
    return {
      answer: parseRawResponse(Buffer.concat(received)),
      timedOut: end === 'timeout',
      offered,
      closedAfter: performance.now() - begin,
      answeredAfter,
    };
  }

  it(`stops reading each of ${CLIENTS} concurrent 20 MB bodies at the limit, in bounded memory`, async () => {
    const { middleware, events } = recorder();
    server.use(middleware);
    const accepted = server.accepted;
    const readBefore = server.closedBytesRead.length;
    // Warm up the code paths once so that their allocation does not count as growth.
    await flood('chunked');
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 5);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => flood(i % 5 === 4 ? 'length' : 'chunked')),
    );
    const elapsed = performance.now() - started;
    clearInterval(sampler);
    await until(() => server.running === 0, 'the middleware settled');
    await until(() => server.connections === 0, 'every connection closed');
    const rssAfter = process.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, rssAfter);

    for (const result of results) {
      expect(result.timedOut).toBe(false);
      // Refused with 413, or (when the refusal raced the upload) at least disconnected.
      if (result.answer) expect(result.answer.status).toBe(413);
      expect(result.closedAfter).toBeLessThan(5_000);
    }
    const refused = results.filter((result) => result.answer?.status === 413).length;
    expect(refused).toBeGreaterThanOrEqual(CLIENTS / 2);
    expect(events).toHaveLength(0);

    // The server read little more than the limit from each connection.
    const perConnection = server.closedBytesRead.slice(readBefore);
    expect(server.accepted - accepted).toBe(CLIENTS + 1);
    expect(perConnection).toHaveLength(CLIENTS + 1);
    const mostRead = Math.max(...perConnection);
    const totalRead = perConnection.reduce((sum, bytes) => sum + bytes, 0);
    expect(mostRead).toBeLessThan(16 * LIMIT);
    expect(totalRead).toBeLessThan((CLIENTS * PER_CLIENT) / 10);
    const growth = rssPeak - rssBefore;
    expect(growth).toBeLessThan(100 * 1024 * 1024);

    const answer = await post(server, encode(REVIEW));
    expect(answer.text).toBe('{"ok":true}');

    const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    const offered = results.reduce((sum, result) => sum + result.offered, 0);
    report(
      `flood: ${CLIENTS} x ${mb(PER_CLIENT)} offered, ${refused} answered 413, ` +
        `${mb(offered)} written by clients, ${mb(totalRead)} read by the server ` +
        `(at most ${mb(mostRead)} per connection), ` +
        `slowest closed after ${Math.round(Math.max(...results.map((r) => r.closedAfter)))} ms, ` +
        `all in ${Math.round(elapsed)} ms; RSS before ${mb(rssBefore)}, peak ${mb(rssPeak)}, ` +
        `after ${mb(rssAfter)} (growth ${mb(growth)})`,
    );
  }, 30_000);
});

describe('handlers that fail', () => {
  const failures: [string, (run: number) => unknown][] = [
    [
      'throws synchronously',
      () => {
        throw new Error('sync failure');
      },
    ],
    ['rejects', () => Promise.reject(new Error('async failure'))],
    ['throws undefined', () => Promise.reject(undefined)],
    [
      'throws a string',
      () => {
        throw 'a string';
      },
    ],
    [
      'throws an error of this package (its status is not taken)',
      () => {
        throw new UnauthorizedError();
      },
    ],
    [
      'throws a look-alike with a status and code',
      () => {
        throw { name: 'InFlightError', code: 'in_flight', status: 409, message: 'x' };
      },
    ],
    [
      'returns a thenable that throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point
        then() {
          throw new Error('then failed');
        },
      }),
    ],
  ];

  for (const [what, fail] of failures) {
    it(`answers 500 when a handler ${what}, and a redelivery succeeds`, async () => {
      let runs = 0;
      const webhooks = createWebhooks();
      // Not async: a synchronous throw must be caught too.
      webhooks.on('VIDEOREVIEW', (() => {
        runs += 1;
        return runs === 1 ? fail(runs) : undefined;
      }) as WebhookHandler);
      const adapterErrors: WebhookError[] = [];
      server.use(createNodeMiddleware(webhooks, { onError: (error) => adapterErrors.push(error) }));
      const failed = await post(server, encode(REVIEW));
      expectContractAnswer(failed);
      expect(failed.status).toBe(500);
      expect(JSON.parse(failed.text).error.code).toBe('handler_failed');
      expect(adapterErrors.map((error) => error.code)).toEqual(['handler_failed']);
      const retried = await post(server, encode(REVIEW));
      expect(retried.text).toBe('{"ok":true}');
      expect((await post(server, encode(REVIEW))).text).toBe('{"ok":true,"duplicate":true}');
      expect(runs).toBe(2);
    });
  }

  it('leaves a hanging delivery unanswered, refuses redeliveries with 409 while its claim holds, then runs the handlers again', async () => {
    const CLAIM_TTL_MS = 300;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const { middleware, events } = recorder(
      async () => {
        runs += 1;
        if (runs === 1) await gate;
      },
      { claimTtlMs: CLAIM_TTL_MS },
    );
    server.use(middleware);
    let hungAnswer: Answer | undefined;
    const hung = post(server, encode(REVIEW)).then((answer) => {
      hungAnswer = answer;
      return answer;
    });
    await until(() => runs === 1, 'the first handler run started');
    const claimedAt = performance.now();

    // While the claim holds: every redelivery is refused, and retried later by the sender.
    const during = await Promise.all(Array.from({ length: 5 }, () => post(server, encode(REVIEW))));
    for (const answer of during) {
      expectContractAnswer(answer);
      expect(answer.status).toBe(409);
      expect(answer.headers['retry-after']).toBe('1');
    }
    expect(hungAnswer).toBeUndefined();

    // After claimTtlMs the claim counts as abandoned: a redelivery runs the handlers again.
    await sleep(CLAIM_TTL_MS + 50 - (performance.now() - claimedAt));
    const retried = await post(server, encode(REVIEW));
    expect(retried.text).toBe('{"ok":true}');
    expect(runs).toBe(2);
    expect((await post(server, encode(REVIEW))).text).toBe('{"ok":true,"duplicate":true}');
    expect(hungAnswer).toBeUndefined();

    // When the hanging run ends at last, its delivery is answered; nothing runs a third time.
    release();
    expect((await hung).text).toBe('{"ok":true}');
    expect((await post(server, encode(REVIEW))).text).toBe('{"ok":true,"duplicate":true}');
    expect(runs).toBe(2);
    expect(events).toHaveLength(2);
  });
});

describe('a hanging handler with the state option', () => {
  it('holds the other notifications of its request for at most handlerTimeoutMs, and no other request', async () => {
    const HANDLER_TIMEOUT_MS = 300;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const webhooks = createWebhooks({ handlerTimeoutMs: HANDLER_TIMEOUT_MS, state: {} });
    const seen: string[] = [];
    webhooks.on('*', async (event) => {
      seen.push(`${event.requestId} ${event.status}`);
      if (event.status === 'VIDEOPENDING') await gate;
    });
    server.use(createNodeMiddleware(webhooks));
    const body = (requestId: number, status: 'VIDEOPENDING' | 'VIDEOREVIEW') =>
      encode(JSON.stringify(createTestPayload({ requestId, status, sentAt: new Date() })));

    const pending = body(71, 'VIDEOPENDING');
    const hung = post(server, pending);
    await until(() => seen.length === 1, 'the first handler run started');
    const sent = performance.now();
    let nextAnswer: Answer | undefined;
    const next = post(server, body(71, 'VIDEOREVIEW')).then((answer) => {
      nextAnswer = answer;
      return { answer, after: performance.now() - sent };
    });
    // Another request is not held.
    const other = await post(server, body(72, 'VIDEOREVIEW'));
    expect(other.text).toBe('{"ok":true}');
    expect(nextAnswer).toBeUndefined();
    // The hanging delivery is answered 500 once its handlers outlive handlerTimeoutMs, and
    // the same request's next notification then runs.
    expect((await hung).status).toBe(500);
    const { answer, after } = await next;
    expect(answer.text).toBe('{"ok":true}');
    expect(after).toBeGreaterThanOrEqual(HANDLER_TIMEOUT_MS / 2);
    expect(after).toBeLessThan(HANDLER_TIMEOUT_MS + 2_000);
    expect(seen).toEqual(['71 VIDEOPENDING', '72 VIDEOREVIEW', '71 VIDEOREVIEW']);
    release();
    // Once the hanging run ends at last, its notification is done: a redelivery is a duplicate.
    await sleep(20);
    expect((await post(server, pending)).text).toBe('{"ok":true,"duplicate":true}');
  });

  it('runs every notification of a request once when slow handlers make each wait longer than claimTtlMs', async () => {
    // Three handlers of one request each take 60 % of claimTtlMs, under it as advised; the
    // fourth notification waits 1.8 × claimTtlMs for its turn, and a sender that gave up
    // waiting delivers it again meanwhile and afterwards.
    const CLAIM_TTL_MS = 400;
    const webhooks = createWebhooks({ dedupe: { claimTtlMs: CLAIM_TTL_MS }, state: {} });
    const runs = new Map<string, number>();
    webhooks.on('*', async (event) => {
      runs.set(event.status, (runs.get(event.status) ?? 0) + 1);
      await sleep(CLAIM_TTL_MS * 0.6);
    });
    server.use(createNodeMiddleware(webhooks));
    const statuses = ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED'] as const;
    const start = Date.UTC(2025, 6, 15, 8);
    const bodies = statuses.map((status, minute) =>
      encode(
        JSON.stringify(
          createTestPayload({ requestId: 73, status, sentAt: new Date(start + minute * 60_000) }),
        ),
      ),
    );
    const firsts = bodies.map((one) => post(server, one));
    await sleep(CLAIM_TTL_MS * 1.2);
    const again = await post(server, bodies[3]!);
    expect(again.status).toBe(409);
    expect(again.headers['retry-after']).toBe('1');
    expect((await Promise.all(firsts)).map((answer) => answer.status)).toEqual([
      200, 200, 200, 200,
    ]);
    expect((await post(server, bodies[3]!)).text).toBe('{"ok":true,"duplicate":true}');
    expect(Object.fromEntries(runs)).toEqual({
      VIDEOPENDING: 1,
      VIDEOREVIEW: 1,
      ENROLLREADY: 1,
      ISSUED: 1,
    });
  });
});

describe('prototype pollution', () => {
  const POISON = { polluted: 'yes', toString: 'not a function' };
  /** A valid notification carrying `__proto__` and `constructor.prototype` keys at every level. */
  function poisoned(): string {
    const base = JSON.parse(fixture('classic-3-request-enrolled.json')) as Record<string, unknown>;
    const poison = JSON.stringify(POISON);
    const keys = `"__proto__":${poison},"constructor":{"prototype":${poison}}`;
    const request = JSON.stringify(base.request).replace(/^\{/, `{${keys},`);
    const certificate = JSON.stringify((base.certificates as unknown[])[0]).replace(
      /^\{/,
      `{${keys},`,
    );
    return (
      `{${keys},"event_type":${JSON.stringify(base.event_type)},` +
      `"sent_at":${JSON.stringify(base.sent_at)},"request":${request},` +
      `"certificates":[${certificate}],"extra":{${keys},"list":[{${keys}}]}}`
    );
  }

  /** Every object reachable from `value`, with its path. */
  function* walk(value: unknown, path = 'payload'): Generator<[string, object]> {
    if (typeof value !== 'object' || value === null) return;
    yield [path, value];
    for (const key of Object.keys(value)) {
      yield* walk((value as Record<string, unknown>)[key], `${path}.${key}`);
    }
  }

  function expectPlainData(event: WebhookEvent): void {
    type Level = Record<string, unknown>;
    const payload = event.payload as unknown as Level & {
      request: Level;
      certificates: Level[];
      extra: Level & { list: Level[] };
    };
    for (const [where, object] of walk(payload)) {
      const proto = Object.getPrototypeOf(object);
      expect(proto === Object.prototype || proto === Array.prototype, where).toBe(true);
      // `polluted` may be data of its own (the poison is data), never inherited.
      const inherited = 'polluted' in object && !Object.hasOwn(object, 'polluted');
      expect(inherited, where).toBe(false);
    }
    // `constructor.prototype` comes back as the data it was, at every level.
    for (const level of [payload, payload.request, payload.certificates[0]!, payload.extra]) {
      expect(Object.hasOwn(level, 'constructor')).toBe(true);
      expect(level.constructor).toEqual({ prototype: POISON });
    }
    // `__proto__` is data too where the payload holds it: in fields the schema does not know.
    for (const level of [payload.extra, payload.extra.list[0]!]) {
      expect(Object.hasOwn(level, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(level, '__proto__')?.value).toEqual(POISON);
    }
    // The event itself is read right, whatever the keys did.
    expect(event.status).toBe('ISSUED');
    expect(event.certificates[0]?.status).toBe('VALID');
  }

  function expectPrototypesIntact(): void {
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof {}.toString).toBe('function');
    expect(Object.prototype.constructor).toBe(Object);
  }

  it('never pollutes Object.prototype and keeps the keys as plain data, through every adapter', async () => {
    const body = poisoned();
    expect(() => JSON.parse(body)).not.toThrow();
    const events: WebhookEvent[] = [];
    const make = () => {
      const webhooks = createWebhooks();
      webhooks.on('*', (event) => void events.push(event));
      return webhooks;
    };

    server.use(createNodeMiddleware(make()));
    expect((await post(server, encode(body))).text).toBe('{"ok":true}');

    const fetchHandler = createFetchHandler(make());
    const response = await fetchHandler(
      new Request('http://127.0.0.1/hook', { method: 'POST', body }),
    );
    expect((await fromResponse(response)).text).toBe('{"ok":true}');

    const app = express5();
    app.use(express5.json());
    app.post('/hook', createExpressMiddleware(make()));
    const expressServer = createServer(app);
    await new Promise<void>((resolve) => expressServer.listen(0, '127.0.0.1', resolve));
    try {
      const port = (expressServer.address() as AddressInfo).port;
      const answer = await post({ host: '127.0.0.1', port }, encode(body));
      expect(answer.text).toBe('{"ok":true}');
    } finally {
      expressServer.closeAllConnections();
      await new Promise((resolve) => expressServer.close(resolve));
    }

    expect(events).toHaveLength(3);
    for (const event of events) expectPlainData(event);
    expect(parseWebhook(body).idempotencyKey).toBe(events[0]!.idempotencyKey);
    expectPrototypesIntact();
  });
});

describe('bodies built to make the answer large', () => {
  it('answers a body with an issue every few bytes with a short 422', async () => {
    const { middleware, events } = recorder();
    server.use(middleware);
    // As many certificates as a notification may list, each wrong in four fields.
    const bad = '{"status":1,"valid_from":"x","valid_to":"y"}';
    const body = `{"event_type":"REQUEST_ENROLLED","sent_at":"20250301101500","request":{"status":"ISSUED"},"certificates":[${Array<string>(100).fill(bad).join(',')}]}`;
    const answer = await post(server, encode(body));
    expectContractAnswer(answer);
    expect(answer.status).toBe(422);
    const error = JSON.parse(answer.text).error as { message: string; issues: unknown[] };
    // The first issues, and the count of the rest, instead of one entry per problem.
    expect(error.issues).toHaveLength(20);
    expect(error.message).toContain('(and 399 more)');
    expect(events).toHaveLength(0);
  });

  it('answers a body listing thousands of entries with one issue', async () => {
    const { middleware, events } = recorder();
    server.use(middleware);
    const count = 30_000;
    const body = `{"event_type":"REQUEST_ENROLLED","sent_at":"20250301101500","request":{"status":"ISSUED"},"certificates":[${Array<string>(count).fill('1').join(',')}]}`;
    const answer = await post(server, encode(body));
    expectContractAnswer(answer);
    expect(answer.status).toBe(422);
    const error = JSON.parse(answer.text).error as { message: string; issues: unknown[] };
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain(`not ${count}`);
    expect(answer.text.length).toBeLessThan(400);
    expect(events).toHaveLength(0);
  });
});
