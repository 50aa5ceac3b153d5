import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../../src/http/handle.js';
import {
  createMemoryInbox,
  createWebhooks,
  type HandlerContext,
  parseWebhook,
  type WebhookError,
  type WebhookEvent,
} from '../../src/index.js';
import {
  describeMatrix,
  PATH,
  rawHttp,
  type Setup,
  type TestRequest,
  type TestResponse,
  until,
} from './matrix.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const FIXTURES = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, body: readFileSync(join(fixturesDir, name), 'utf8') }));
const fixture = (name: string): string => {
  const found = FIXTURES.find((one) => one.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found.body;
};

/** VIDEOID_UPDATED carrying VIDEOREVIEW. */
const REVIEW = fixture('videoid-3-videoid-updated-review.json');
/** A second, different notification. */
const APPROVED = fixture('videoid-4-request-approved.json');
const JSON_TYPE = { 'content-type': 'application/json' };

/** A router that records every handler call and every error it reports. */
function createRecorder() {
  const calls: { event: WebhookEvent; context: HandlerContext }[] = [];
  const routerErrors: WebhookError[] = [];
  const adapterErrors: WebhookError[] = [];
  const webhooks = createWebhooks({ onError: (error) => routerErrors.push(error) });
  webhooks.on('*', (event, context) => {
    calls.push({ event, context });
  });
  const adapterOptions = (extra: AdapterOptions = {}): AdapterOptions => ({
    ...extra,
    onError: (error) => adapterErrors.push(error),
  });
  return { webhooks, calls, routerErrors, adapterErrors, adapterOptions };
}

/** Installs a fresh recorder with these adapter options on the setup. */
function serve(setup: Setup, options: AdapterOptions = {}) {
  const recorder = createRecorder();
  setup.use(recorder.webhooks, recorder.adapterOptions(options));
  return recorder;
}

function post(setup: Setup, body: TestRequest['body'], more: TestRequest = {}) {
  return setup.send({ ...more, body, headers: { ...JSON_TYPE, ...more.headers } });
}

function expectOk(response: TestResponse, duplicate = false): void {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(response.json).toEqual(duplicate ? { ok: true, duplicate: true } : { ok: true });
}

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const json = response.json as { ok: unknown; error: Record<string, unknown> };
  expect(Object.keys(json)).toEqual(['ok', 'error']);
  expect(json.ok).toBe(false);
  expect(json.error.code).toBe(code);
  expect(typeof json.error.message).toBe('string');
  expect((json.error.message as string).length).toBeGreaterThan(0);
  const keys = Object.keys(json.error).sort();
  expect(keys).toEqual(
    code === 'invalid_payload' ? ['code', 'issues', 'message'] : ['code', 'message'],
  );
}

const basic = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

/** A valid notification padded with an unknown field to `size` bytes or more. */
function paddedNotification(size: number): string {
  const base = JSON.parse(REVIEW) as Record<string, unknown>;
  return JSON.stringify({ ...base, padding: 'x'.repeat(size) });
}

/** A body streamed in `chunk`-byte pieces as the server reads them (chunked encoding). */
function streamOf(text: string, chunk = 256): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

/** An endless stream of bytes, to show that an over-limit sender is not read to the end. */
function endlessStream(): { stream: ReadableStream<Uint8Array>; sent: () => number } {
  let sent = 0;
  const piece = new Uint8Array(16 * 1024).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      sent += piece.byteLength;
      // Bounded, so that a server that did read everything makes the test fail, not hang.
      if (sent > 64 * 1024 * 1024) controller.close();
      else controller.enqueue(piece);
    },
  });
  return { stream, sent: () => sent };
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  undefined,
] as const;

describeMatrix('adapters: one behaviour', (setup) => {
  it('answers 200 {ok:true} and runs the handler once with the event', async () => {
    const { calls } = serve(setup);
    const response = await post(setup, REVIEW);
    expectOk(response);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.event.status).toBe('VIDEOREVIEW');
    expect(calls[0]!.event.requestId).toBe(parseWebhook(REVIEW).requestId);
  });

  it('answers a duplicate 200 {ok:true,duplicate:true} without running the handler again', async () => {
    const { calls } = serve(setup);
    expectOk(await post(setup, REVIEW));
    expectOk(await post(setup, REVIEW), true);
    expectOk(await post(setup, APPROVED));
    expectOk(await post(setup, APPROVED), true);
    expect(calls.map((call) => call.event.status)).toEqual(['VIDEOREVIEW', 'ENROLLREADY']);
  });

  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
    it(`answers ${method} with 405 and Allow: POST`, async () => {
      const { calls, adapterErrors } = serve(setup);
      const response = await setup.send({
        method,
        headers: JSON_TYPE,
        ...(method === 'GET' ? {} : { body: REVIEW }),
      });
      expect(calls).toHaveLength(0);
      if (!setup.routesEveryMethod) {
        // app.post() routes only POST here: Express itself answers other methods.
        expect(response.status).toBe(404);
        expect(adapterErrors).toHaveLength(0);
        return;
      }
      expectError(response, 405, 'method_not_allowed');
      expect(response.headers.get('allow')).toBe('POST');
      expect(adapterErrors.map((error) => error.code)).toEqual(['method_not_allowed']);
    });
  }

  it('answers an empty body with 400', async () => {
    const { calls } = serve(setup);
    for (const headers of [JSON_TYPE, { 'content-type': 'text/plain' }, {}]) {
      expectError(await setup.send({ body: '', headers }), 400, 'invalid_json');
    }
    expect(calls).toHaveLength(0);
  });

  it('answers a body that is not JSON with 400', async () => {
    const { calls } = serve(setup);
    for (const contentType of CONTENT_TYPES) {
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      const response = await setup.send({ body: 'status=ISSUED&request=1', headers });
      if (setup.parser === 'json' && setup.parses(contentType)) {
        // express.json() refuses it before the middleware runs, with its own 400 page.
        expect(response.status).toBe(400);
      } else {
        expectError(response, 400, 'invalid_json');
      }
    }
    expect(calls).toHaveLength(0);
  });

  it('answers JSON that is not a notification with 422 and the issues', async () => {
    const { calls } = serve(setup);
    const response = await post(setup, JSON.stringify({ event_type: 'REQUEST_CREATED' }));
    expectError(response, 422, 'invalid_payload');
    const issues = (response.json as { error: { issues: unknown[] } }).error.issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue).toEqual({
        code: expect.any(String),
        path: expect.any(Array),
        message: expect.any(String),
      });
    }
    expect(calls).toHaveLength(0);
  });

  for (const contentType of CONTENT_TYPES) {
    it(`answers 413 for a body over maxBodyBytes with Content-Length (${contentType ?? 'no Content-Type'})`, async () => {
      const { calls, adapterErrors } = serve(setup, { maxBodyBytes: 1024 });
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      const response = await setup.send({ body: paddedNotification(2048), headers });
      expectError(response, 413, 'payload_too_large');
      if (setup.sockets) expect(response.headers.get('connection')).toBe('close');
      expect(calls).toHaveLength(0);
      expect(adapterErrors.map((error) => error.code)).toEqual(['payload_too_large']);
    });

    it(`answers 413 for a chunked body over maxBodyBytes (${contentType ?? 'no Content-Type'})`, async () => {
      const { calls } = serve(setup, { maxBodyBytes: 1024 });
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      const response = await setup.send({ body: streamOf(paddedNotification(2048)), headers });
      expectError(response, 413, 'payload_too_large');
      expect(calls).toHaveLength(0);
    });
  }

  it('stops reading an endless chunked body and answers 413 without hanging', async () => {
    const { calls } = serve(setup, { maxBodyBytes: 1024 });
    const { stream, sent } = endlessStream();
    // No Content-Type, so that no body parser reads it first (body-parser reads to the end).
    const response = await setup.send({ body: stream });
    expectError(response, 413, 'payload_too_large');
    expect(sent()).toBeLessThan(64 * 1024 * 1024);
    expect(calls).toHaveLength(0);
  });

  it('accepts a body exactly at maxBodyBytes, with and without Content-Length', async () => {
    const body = REVIEW;
    const { calls } = serve(setup, { maxBodyBytes: new TextEncoder().encode(body).byteLength });
    expectOk(await post(setup, body));
    expectOk(await post(setup, streamOf(body, 7)), true);
    expect(calls).toHaveLength(1);
  });

  for (const contentType of CONTENT_TYPES) {
    it(`accepts a JSON body sent as ${contentType ?? 'no Content-Type'}`, async () => {
      const { calls } = serve(setup);
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      expectOk(await setup.send({ body: REVIEW, headers }));
      expectOk(await setup.send({ body: streamOf(APPROVED, 16), headers }));
      expect(calls.map((call) => call.event.status)).toEqual(['VIDEOREVIEW', 'ENROLLREADY']);
    });
  }

  for (const { name, body } of FIXTURES) {
    it(`accepts the fixture ${name}`, async () => {
      const { calls } = serve(setup);
      expectOk(await post(setup, body));
      expect(calls).toHaveLength(1);
      const expected = parseWebhook(body);
      expect(calls[0]!.event.idempotencyKey).toBe(expected.idempotencyKey);
      expect(calls[0]!.event.status).toBe(expected.status);
      expect(calls[0]!.event.payload).toEqual(expected.payload);
    });
  }

  it('answers 409 with Retry-After while the same notification is being handled', async () => {
    const recorder = createRecorder();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let runs = 0;
    recorder.webhooks.on('VIDEOREVIEW', async () => {
      runs += 1;
      started();
      await gate;
    });
    setup.use(recorder.webhooks, recorder.adapterOptions());
    const first = post(setup, REVIEW);
    await running;
    const second = await post(setup, REVIEW);
    expectError(second, 409, 'in_flight');
    expect(second.headers.get('retry-after')).toBe('1');
    release();
    expectOk(await first);
    expectOk(await post(setup, REVIEW), true);
    expect(runs).toBe(1);
  });

  it('answers 500 without the handler error, and processes a redelivery', async () => {
    const recorder = createRecorder();
    let runs = 0;
    recorder.webhooks.on('VIDEOREVIEW', () => {
      runs += 1;
      if (runs === 1) throw new Error('db password hunter2 rejected at 10.1.2.3');
    });
    setup.use(recorder.webhooks, recorder.adapterOptions());
    const failed = await post(setup, REVIEW);
    expectError(failed, 500, 'handler_failed');
    for (const leak of ['hunter2', '10.1.2.3', 'db password', 'Error']) {
      expect(failed.text).not.toContain(leak);
    }
    expect(recorder.adapterErrors.map((error) => error.code)).toEqual(['handler_failed']);
    expect((recorder.adapterErrors[0]!.cause as Error).message).toContain('hunter2');
    expectOk(await post(setup, REVIEW));
    expect(runs).toBe(2);
    expectOk(await post(setup, REVIEW), true);
  });

  it('gives handlers the client address without any auth option, also once answered', async () => {
    const { calls } = serve(setup);
    expectOk(await post(setup, REVIEW, { from: 6 }));
    expectOk(await post(setup, APPROVED, { from: 4 }));
    expect(calls.map((call) => call.context.clientIp)).toEqual(['::1', '127.0.0.1']);
  });

  it('gives handlers the headers without credentials or cookies', async () => {
    const { calls } = serve(setup, {
      auth: { basic: { username: 'uanataca', password: 'pw-secret' } },
    });
    const response = await post(setup, REVIEW, {
      headers: {
        authorization: basic('uanataca', 'pw-secret'),
        cookie: 'session=cookie-secret',
        'proxy-authorization': basic('proxy', 'proxy-secret'),
        'x-delivery': 'abc',
      },
    });
    expectOk(response);
    const headers = calls[0]!.context.headers;
    expect(headers['x-delivery']).toBe('abc');
    expect(headers['content-type']).toBe('application/json');
    expect(headers).not.toHaveProperty('authorization');
    expect(headers).not.toHaveProperty('cookie');
    expect(headers).not.toHaveProperty('proxy-authorization');
    expect(JSON.stringify(headers)).not.toMatch(/secret/);
  });

  describe('auth.token', () => {
    it('accepts the token from the query parameter and refuses a missing or wrong one', async () => {
      const { calls, adapterErrors } = serve(setup, { auth: { token: 'tok-s3cret' } });
      const missing = await post(setup, REVIEW);
      expectError(missing, 401, 'unauthorized');
      expect(missing.headers.get('www-authenticate')).toBeNull();
      expectError(
        await post(setup, REVIEW, { path: `${PATH}?token=tok-wrong` }),
        401,
        'unauthorized',
      );
      expectError(
        await post(setup, REVIEW, { path: `${PATH}?token=tok-s3cre` }),
        401,
        'unauthorized',
      );
      expectError(
        await post(setup, REVIEW, { path: `${PATH}?key=tok-s3cret` }),
        401,
        'unauthorized',
      );
      expect(calls).toHaveLength(0);
      expectOk(await post(setup, REVIEW, { path: `${PATH}?token=tok-s3cret` }));
      expectOk(await post(setup, APPROVED, { path: `${PATH}?other=1&token=tok-s3cret` }));
      expect(calls).toHaveLength(2);
      expect(adapterErrors.map((error) => error.code)).toEqual(Array(4).fill('unauthorized'));
    });

    it('reads the token from a custom tokenParam', async () => {
      const { calls } = serve(setup, { auth: { token: 'tok-s3cret', tokenParam: 'key' } });
      expectError(
        await post(setup, REVIEW, { path: `${PATH}?token=tok-s3cret` }),
        401,
        'unauthorized',
      );
      expectOk(await post(setup, REVIEW, { path: `${PATH}?key=tok-s3cret` }));
      expect(calls).toHaveLength(1);
    });

    it('reads the token from the last path segment', async () => {
      const { calls } = serve(setup, { auth: { token: 'tok-s3cret' } });
      expectError(await post(setup, REVIEW, { path: `${PATH}/tok-wrong` }), 401, 'unauthorized');
      expectOk(await post(setup, REVIEW, { path: `${PATH}/tok-s3cret` }));
      expectOk(await post(setup, APPROVED, { path: `${PATH}/tok-s3cret?x=1` }));
      expect(calls).toHaveLength(2);
    });

    it('accepts either of two tokens during a rotation', async () => {
      const { calls } = serve(setup, { auth: { token: ['tok-old', 'tok-new'] } });
      expectOk(await post(setup, REVIEW, { path: `${PATH}?token=tok-old` }));
      expectOk(await post(setup, APPROVED, { path: `${PATH}?token=tok-new` }));
      expectError(
        await post(setup, fixture('videoid-failed.json'), { path: `${PATH}?token=tok-other` }),
        401,
        'unauthorized',
      );
      expect(calls).toHaveLength(2);
    });
  });

  describe('auth.basic', () => {
    const challenge = 'Basic realm="uanataca-webhooks", charset="UTF-8"';

    it('accepts the configured credentials and challenges anything else', async () => {
      const { calls } = serve(setup, {
        auth: { basic: { username: 'ra', password: 'p:ss wörd' } },
      });
      for (const authorization of [
        undefined,
        basic('ra', 'wrong'),
        basic('other', 'p:ss wörd'),
        basic('ra', 'p:ss wörd2'),
        'Bearer p:ss wörd',
        'Basic !!!',
      ]) {
        const headers: Record<string, string> = authorization ? { authorization } : {};
        const response = await post(setup, REVIEW, { headers });
        expectError(response, 401, 'unauthorized');
        expect(response.headers.get('www-authenticate')).toBe(challenge);
      }
      expect(calls).toHaveLength(0);
      expectOk(await post(setup, REVIEW, { headers: { authorization: basic('ra', 'p:ss wörd') } }));
      expect(calls).toHaveLength(1);
    });

    it('accepts any of several credentials', async () => {
      const { calls } = serve(setup, {
        auth: {
          basic: [
            { username: 'old', password: 'pw-old' },
            { username: 'new', password: 'pw-new' },
          ],
        },
      });
      expectOk(await post(setup, REVIEW, { headers: { authorization: basic('old', 'pw-old') } }));
      expectOk(await post(setup, APPROVED, { headers: { authorization: basic('new', 'pw-new') } }));
      const crossed = await post(setup, REVIEW, {
        headers: { authorization: basic('old', 'pw-new') },
      });
      expectError(crossed, 401, 'unauthorized');
      expect(crossed.headers.get('www-authenticate')).toBe(challenge);
      expect(calls).toHaveLength(2);
    });

    it('requires the token and the credentials together', async () => {
      const { calls } = serve(setup, {
        auth: { token: 'tok-s3cret', basic: { username: 'ra', password: 'pw' } },
      });
      const authorization = basic('ra', 'pw');
      expectError(await post(setup, REVIEW, { headers: { authorization } }), 401, 'unauthorized');
      expectError(
        await post(setup, REVIEW, { path: `${PATH}?token=tok-s3cret` }),
        401,
        'unauthorized',
      );
      expectOk(
        await post(setup, REVIEW, { path: `${PATH}?token=tok-s3cret`, headers: { authorization } }),
      );
      expect(calls).toHaveLength(1);
    });
  });

  describe('auth.allowIps', () => {
    const cases: [string, readonly string[], 4 | 6, number][] = [
      ['an IPv4 address', ['127.0.0.1'], 4, 200],
      ['another IPv4 address', ['127.0.0.2'], 4, 403],
      ['an IPv4 range', ['127.0.0.0/8'], 4, 200],
      ['an IPv4 range that ends just below', ['126.0.0.0/8'], 4, 403],
      ['an IPv6 address', ['::1'], 6, 200],
      ['an IPv6 range', ['::/127'], 6, 200],
      ['an IPv6 range that ends just below', ['::/128'], 6, 403],
      ['an IPv4 list from IPv6', ['127.0.0.1', '127.0.0.0/8'], 6, 403],
      ['an IPv6 list from IPv4', ['::1', '2001:db8::/32', 'fe80::/10'], 4, 403],
      ['::/0 from IPv4, which holds the IPv4-mapped range', ['::/0'], 4, 200],
      ['an IPv4-mapped address', ['::ffff:127.0.0.1'], 4, 200],
      ['an IPv4-mapped range', ['::ffff:7f00:0/104'], 4, 200],
      ['an IPv4-mapped range elsewhere', ['::ffff:10.0.0.0/104'], 4, 403],
    ];
    for (const [what, allowIps, from, status] of cases) {
      it(`answers ${status} for ${what} (${allowIps.join(', ')}) from IPv${from}`, async () => {
        const { calls } = serve(setup, { auth: { allowIps } });
        const response = await post(setup, REVIEW, { from });
        if (status === 200) {
          expectOk(response);
          expect(calls[0]!.context.clientIp).toBe(from === 4 ? '127.0.0.1' : '::1');
        } else {
          expectError(response, 403, 'forbidden');
          expect(calls).toHaveLength(0);
        }
      });
    }

    it('checks the address before the token', async () => {
      const { adapterErrors } = serve(setup, { auth: { allowIps: ['10.0.0.0/8'], token: 't' } });
      expectError(await post(setup, REVIEW, { path: `${PATH}?token=t` }), 403, 'forbidden');
      expect(adapterErrors.map((error) => error.code)).toEqual(['forbidden']);
    });
  });

  describe('auth.trustProxy', () => {
    const allowIps = ['203.0.113.7'];

    it('ignores X-Forwarded-For by default, so a spoofed address gains nothing', async () => {
      const { calls } = serve(setup, { auth: { allowIps } });
      const spoofed = await post(setup, REVIEW, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      expectError(spoofed, 403, 'forbidden');
      serve(setup, { auth: { allowIps: ['127.0.0.1'], trustProxy: false } });
      expectError(
        await post(setup, REVIEW, { headers: { 'x-forwarded-for': '203.0.113.7' }, from: 6 }),
        403,
        'forbidden',
      );
      expect(calls).toHaveLength(0);
      const recorder = serve(setup, { auth: { allowIps: ['127.0.0.1'] } });
      expectOk(await post(setup, REVIEW, { headers: { 'x-forwarded-for': '198.51.100.9' } }));
      expect(recorder.calls[0]!.context.clientIp).toBe('127.0.0.1');
    });

    it('believes the left-most address with trustProxy: true', async () => {
      const { calls } = serve(setup, { auth: { allowIps, trustProxy: true } });
      expectOk(
        await post(setup, REVIEW, { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' } }),
      );
      expect(calls[0]!.context.clientIp).toBe('203.0.113.7');
      expectError(
        await post(setup, APPROVED, {
          headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' },
        }),
        403,
        'forbidden',
      );
      expectError(await post(setup, APPROVED), 403, 'forbidden');
    });

    it('walks back a number of proxy hops', async () => {
      const chain = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' };
      const one = serve(setup, { auth: { allowIps, trustProxy: 1 } });
      expectOk(await post(setup, REVIEW, { headers: chain }));
      expect(one.calls[0]!.context.clientIp).toBe('203.0.113.7');
      const two = serve(setup, { auth: { allowIps: ['198.51.100.1'], trustProxy: 2 } });
      expectOk(await post(setup, REVIEW, { headers: chain }));
      expect(two.calls[0]!.context.clientIp).toBe('198.51.100.1');
      serve(setup, { auth: { allowIps, trustProxy: 2 } });
      expectError(await post(setup, REVIEW, { headers: chain }), 403, 'forbidden');
      const far = serve(setup, { auth: { allowIps: ['198.51.100.1'], trustProxy: 5 } });
      expectOk(await post(setup, REVIEW, { headers: chain }));
      expect(far.calls[0]!.context.clientIp).toBe('198.51.100.1');
    });

    it('walks past trusted proxies given as addresses and ranges', async () => {
      const trustProxy = ['127.0.0.0/8', '::1', '10.0.0.0/8'];
      const { calls } = serve(setup, { auth: { allowIps, trustProxy } });
      const chain = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.9.8.7' };
      expectOk(await post(setup, REVIEW, { headers: chain }));
      expectOk(await post(setup, APPROVED, { headers: chain, from: 6 }));
      expect(calls.map((call) => call.context.clientIp)).toEqual(['203.0.113.7', '203.0.113.7']);
      const untrusted = { 'x-forwarded-for': '203.0.113.7, 192.0.2.1' };
      expectError(await post(setup, REVIEW, { headers: untrusted }), 403, 'forbidden');
      serve(setup, { auth: { allowIps, trustProxy: ['10.0.0.0/8'] } });
      expectError(await post(setup, REVIEW, { headers: chain }), 403, 'forbidden');
    });
  });

  describe('auth.trustProxy given as a string, as from an environment variable', () => {
    it.each([
      ['loopback', '203.0.113.7'],
      ['127.0.0.1, ::1', '203.0.113.7'],
      ['1', '203.0.113.7'],
      ['true', '198.51.100.1'],
      ['false', '127.0.0.1'],
    ])('reads %j and answers every request from the contract', async (trustProxy, client) => {
      const { calls } = serve(setup, { auth: { allowIps: [client], trustProxy } });
      // Unauthenticated requests carrying X-Forwarded-For are the ones that used to throw.
      const chain = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' };
      expectOk(await post(setup, REVIEW, { headers: chain }));
      expect(calls[0]!.context.clientIp).toBe(client);
      if (client === '127.0.0.1') {
        const text = { 'content-type': 'application/x-unknown' };
        expectError(
          await post(setup, 'not json', { headers: { ...chain, ...text } }),
          400,
          'invalid_json',
        );
      } else {
        const spoofed = { 'x-forwarded-for': '192.0.2.66' };
        expectError(await post(setup, APPROVED, { headers: spoofed }), 403, 'forbidden');
        const text = { 'content-type': 'application/x-unknown' };
        expectError(
          await post(setup, 'not json', { headers: { ...spoofed, ...text } }),
          403,
          'forbidden',
        );
        expectError(
          await post(setup, 'not json', { headers: { ...chain, ...text } }),
          400,
          'invalid_json',
        );
      }
    });
  });

  describe('X-Forwarded-For entries with ports', () => {
    it('reads 203.0.113.5:1234 and [2001:db8::1]:443, and hands on the address alone', async () => {
      const recorder = serve(setup, {
        auth: { allowIps: ['203.0.113.5', '2001:db8::1'], trustProxy: 1 },
      });
      expectOk(await post(setup, REVIEW, { headers: { 'x-forwarded-for': '203.0.113.5:1234' } }));
      expectOk(
        await post(setup, APPROVED, { headers: { 'x-forwarded-for': '[2001:db8::1]:443' } }),
      );
      expect(recorder.calls.map((call) => call.context.clientIp)).toEqual([
        '203.0.113.5',
        '2001:db8::1',
      ]);
      expectError(
        await post(setup, REVIEW, { headers: { 'x-forwarded-for': '198.51.100.1:1234' } }),
        403,
        'forbidden',
      );
    });
  });

  describe('a rejecting or throwing adapter onError', () => {
    it.each<[string, (error: WebhookError) => unknown]>([
      [
        'rejects',
        async () => {
          throw new Error('log sink down');
        },
      ],
      [
        'throws a non-Error',
        () => {
          throw 'log sink down';
        },
      ],
      ['never settles', () => new Promise(() => {})],
    ])('changes no answer and leaves no unhandled rejection when it %s', async (_, onError) => {
      const webhooks = createWebhooks();
      webhooks.on('*', () => {});
      setup.use(webhooks, { auth: { token: 'tok' }, onError });
      expectError(await post(setup, REVIEW), 401, 'unauthorized');
      expectError(
        await post(setup, 'not json', {
          path: `${PATH}?token=tok`,
          headers: { 'content-type': 'application/x-unknown' },
        }),
        400,
        'invalid_json',
      );
      if (setup.routesEveryMethod) {
        expectError(
          await setup.send({ method: 'PUT', path: `${PATH}?token=tok` }),
          405,
          'method_not_allowed',
        );
      }
      expectOk(await post(setup, REVIEW, { path: `${PATH}?token=tok` }));
    });
  });

  describe('the token in headers a proxy adds', () => {
    const HEADERS = [
      'x-original-url',
      'x-forwarded-uri',
      'x-original-uri',
      'x-envoy-original-path',
      'x-rewrite-url',
      'x-anything',
    ];
    const TOKEN = 'Tok/en+sp ce';
    const encoded = encodeURIComponent(TOKEN);

    it.each([
      ['in the query', `${PATH}?token=${encoded}`],
      ['in the path', `${PATH}/${encoded}`],
    ])('never reaches handlers with the token %s, in any header', async (_, target) => {
      const recorder = serve(setup, { auth: { token: TOKEN } });
      const headers = Object.fromEntries(HEADERS.map((name) => [name, target]));
      headers['x-lower'] = target.toLowerCase();
      headers['x-form'] = target.replace(encoded, encoded.replace(/%20/g, '+'));
      expectOk(await post(setup, REVIEW, { path: target, headers }));
      const seen = recorder.calls[0]!.context.headers;
      for (const name of [...HEADERS, 'x-lower', 'x-form']) {
        expect(seen[name], name).toContain('[redacted]');
        expect(seen[name]!.toLowerCase(), name).not.toContain(encoded.toLowerCase());
      }
      expect(seen['x-original-url']).toBe(target.replace(encoded, '[redacted]'));
      expect(JSON.stringify(seen)).not.toContain(TOKEN);
    });

    it('redacts a token written as URLSearchParams writes it, or with every mark encoded', async () => {
      const token = "k3y!(prod)~'x*";
      const url = new URL(`http://localhost${PATH}`);
      url.searchParams.set('token', token);
      const target = `${url.pathname}${url.search}`;
      const strict = encodeURIComponent(token).replace(
        /[!'()*~]/g,
        (char) => `%${char.charCodeAt(0).toString(16)}`,
      );
      const recorder = serve(setup, { auth: { token } });
      const headers = { 'x-forwarded-uri': target, 'x-strict': `${PATH}?token=${strict}` };
      expectOk(await post(setup, REVIEW, { path: target, headers }));
      const seen = recorder.calls[0]!.context.headers;
      expect(seen['x-forwarded-uri']).toBe(`${PATH}?token=[redacted]`);
      expect(seen['x-strict']).toBe(`${PATH}?token=[redacted]`);
    });

    it('redacts Basic credentials a proxy copied into another header', async () => {
      const recorder = serve(setup, { auth: { basic: { username: 'ra', password: 'pw-SECRET' } } });
      const authorization = basic('ra', 'pw-SECRET');
      expectOk(
        await post(setup, REVIEW, {
          headers: {
            authorization,
            'x-forwarded-authorization': authorization,
            'x-pass': 'pw-SECRET',
          },
        }),
      );
      const seen = JSON.stringify(recorder.calls[0]!.context.headers);
      expect(seen).not.toContain('pw-SECRET');
      expect(seen).not.toContain(authorization.slice('Basic '.length));
    });
  });

  describe('with the durable inbox', () => {
    it('answers 200 queued once recorded, a redelivery as a duplicate, and keeps invalid bodies', async () => {
      const store = createMemoryInbox();
      const webhooks = createWebhooks({ inbox: { store, worker: false } });
      const handled: string[] = [];
      webhooks.on('*', (event) => void handled.push(event.status));
      setup.use(webhooks);
      const first = await post(setup, REVIEW);
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ ok: true, queued: true });
      expectOk(await post(setup, REVIEW), true);
      const invalid = await post(setup, '{"requestId":1}', {
        headers: { 'content-type': 'application/x-unknown' },
      });
      expectError(invalid, 422, 'invalid_payload');
      expect((await store.stats()).invalid).toBe(1);
      await webhooks.inbox.drain();
      expect(handled).toEqual(['VIDEOREVIEW']);
    });

    it('answers 503 with Retry-After when the inbox cannot record', async () => {
      const store = createMemoryInbox();
      const webhooks = createWebhooks({
        inbox: {
          store: { ...store, add: () => Promise.reject(new Error('disk full')) },
          worker: false,
        },
      });
      setup.use(webhooks);
      const answer = await post(setup, REVIEW);
      expectError(answer, 503, 'store_unavailable');
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });

  it('never shows credentials in error bodies or to onError', async () => {
    const secrets = ['tok-SECRET-1', 'pw-SECRET-2', 'tok-GUESS-3', 'pw-GUESS-4', 'cookie-SECRET-5'];
    const recorder = serve(setup, {
      auth: { token: 'tok-SECRET-1', basic: { username: 'ra', password: 'pw-SECRET-2' } },
    });
    const good = { authorization: basic('ra', 'pw-SECRET-2'), cookie: 'sid=cookie-SECRET-5' };
    const responses = [
      await post(setup, REVIEW, { path: `${PATH}?token=tok-GUESS-3`, headers: good }),
      await post(setup, REVIEW, {
        path: `${PATH}/tok-SECRET-1`,
        headers: { authorization: basic('ra', 'pw-GUESS-4') },
      }),
      await post(setup, '{"not": "a notification"}', {
        path: `${PATH}?token=tok-SECRET-1`,
        headers: good,
      }),
      await post(setup, 'not json', {
        path: `${PATH}?token=tok-SECRET-1`,
        headers: { ...good, 'content-type': 'text/plain' },
      }),
    ];
    expect(responses.map((response) => response.status)).toEqual([401, 401, 422, 400]);
    const errors = [...recorder.adapterErrors, ...recorder.routerErrors];
    expect(errors.length).toBeGreaterThanOrEqual(4);
    const seen = [
      ...responses.map((response) => response.text + JSON.stringify([...response.headers])),
      ...errors.map((error) =>
        JSON.stringify({ ...error, message: error.message, stack: error.stack }),
      ),
    ].join('\n');
    for (const secret of secrets) expect(seen).not.toContain(secret);
  });

  if (setup.sockets) {
    describe('over raw sockets', () => {
      const head = (length: number | 'chunked'): string =>
        `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${
          length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`
        }\r\n\r\n`;
      const chunk = (text: string): string =>
        `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

      for (const framing of ['Content-Length', 'chunked'] as const) {
        it(`forgets a client that disconnects mid-body (${framing}) and serves the next one`, async () => {
          const { calls, adapterErrors, routerErrors } = serve(setup);
          const unhandled: unknown[] = [];
          const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
          process.on('unhandledRejection', onUnhandled);
          try {
            const reached = setup.traffic.reached;
            const partial = REVIEW.slice(0, 40);
            const first =
              framing === 'chunked'
                ? head('chunked') + chunk(partial)
                : head(Buffer.byteLength(REVIEW)) + partial;
            const pending = rawHttp(setup.port(4), 4, [first, 'destroy']);
            await until(() => setup.traffic.reached > reached, 'the request reached the adapter');
            await pending;
            await until(() => setup.traffic.running === 0, 'the adapter gave the request up');
            expect(calls).toHaveLength(0);
            expect(adapterErrors).toHaveLength(0);
            expect(routerErrors).toHaveLength(0);
            expectOk(await post(setup, REVIEW));
            expect(calls).toHaveLength(1);
            await new Promise((resolve) => setTimeout(resolve, 20));
            expect(unhandled).toEqual([]);
          } finally {
            process.off('unhandledRejection', onUnhandled);
          }
        });
      }

      it('reads a body that arrives slowly, piece by piece', async () => {
        const { calls } = serve(setup, { maxBodyBytes: Buffer.byteLength(REVIEW) });
        const pieces = REVIEW.match(/[\s\S]{1,48}/g) ?? [];
        expect(pieces.length).toBeGreaterThan(4);
        const steps = pieces.flatMap((piece) => [piece, 8]);
        const raw = await rawHttp(setup.port(4), 4, [head(Buffer.byteLength(REVIEW)), ...steps]);
        expect(raw).toMatch(/^HTTP\/1\.1 200 /);
        expect(raw).toContain('{"ok":true}');
        const chunked = await rawHttp(setup.port(6), 6, [
          head('chunked'),
          ...pieces.flatMap((piece) => [chunk(piece), 8]),
          '0\r\n\r\n',
        ]);
        expect(chunked).toMatch(/^HTTP\/1\.1 200 /);
        expect(chunked).toContain('{"ok":true,"duplicate":true}');
        expect(calls).toHaveLength(1);
      });

      it('refuses a slow body that passes the limit, without waiting for the rest', async () => {
        const { calls } = serve(setup, { maxBodyBytes: 64 });
        const started = Date.now();
        const raw = await rawHttp(setup.port(4), 4, [
          head('chunked'),
          chunk('x'.repeat(40)),
          15,
          chunk('x'.repeat(40)),
          // The rest never comes: only the server closing the connection ends this.
        ]);
        expect(raw).toMatch(/^HTTP\/1\.1 413 /);
        expect(raw.toLowerCase()).toContain('connection: close');
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(calls).toHaveLength(0);
      });
    });
  }
});
