import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createLambdaHandler,
  type LambdaEventAlb,
  type LambdaEventV1,
  type LambdaEventV2,
  type LambdaHandlerOptions,
  type LambdaResult,
} from '../../src/adapters/aws-lambda.js';
import {
  createMemoryInbox,
  createWebhooks,
  type HandlerContext,
  isWebhookError,
  type WebhookError,
  type WebhookEvent,
} from '../../src/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const fixturesDir = join(root, 'test', 'fixtures');
const awsDir = join(fixturesDir, 'aws');
const REVIEW = readFileSync(join(fixturesDir, 'videoid-3-videoid-updated-review.json'), 'utf8');
const APPROVED = readFileSync(join(fixturesDir, 'videoid-4-request-approved.json'), 'utf8');
/** What every fixture carries. */
const SOURCE_IP = '198.51.100.23';
const TOKEN = 'fixture-token';

type Event = LambdaEventV1 | LambdaEventV2;
/** An event a test changes in place. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

const FIXTURES: readonly [string, 1 | 2][] = [
  ['rest-api.json', 1],
  ['http-api-v1.json', 1],
  ['http-api-v2.json', 2],
  ['function-url.json', 2],
];
const load = (file: string): Event => JSON.parse(readFileSync(join(awsDir, file), 'utf8')) as Event;

/** What to change in a fixture event. */
interface Change {
  body?: string | null;
  /** Send the body base64-encoded, as for a binary media type. */
  base64?: boolean;
  method?: string;
  /** Query parameters, decoded; `null` for none. */
  query?: readonly [string, string][] | null;
  sourceIp?: string;
  /** Headers to add, by name as the client wrote it. */
  headers?: Record<string, string>;
}

/** A copy of a fixture event with `change` applied, the way its source would have sent it. */
function variant(file: string, change: Change = {}): Event {
  const event = structuredClone(load(file)) as unknown as Record<string, unknown>;
  const v2 = event.version === '2.0';
  const context = event.requestContext as Record<string, Record<string, unknown>>;
  const headers = (event.headers ?? {}) as Record<string, string>;
  const multi = event.multiValueHeaders as Record<string, string[]> | undefined;
  const setHeader = (name: string, value: string): void => {
    const key = v2 ? name.toLowerCase() : name;
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase() && existing !== key) {
        delete headers[existing];
        if (multi) delete multi[existing];
      }
    }
    headers[key] = value;
    if (multi) multi[key] = [value];
  };
  if (change.method !== undefined) {
    if (v2) context.http!.method = change.method;
    else {
      event.httpMethod = change.method;
      context.httpMethod = change.method as never;
    }
  }
  if (change.sourceIp !== undefined) {
    if (v2) context.http!.sourceIp = change.sourceIp;
    else context.identity!.sourceIp = change.sourceIp;
  }
  if (change.query !== undefined) {
    const pairs = change.query ?? [];
    if (v2) {
      event.rawQueryString = new URLSearchParams(pairs as [string, string][]).toString();
      const joined: Record<string, string> = {};
      for (const [name, value] of pairs) {
        joined[name] = joined[name] === undefined ? value : `${joined[name]},${value}`;
      }
      if (pairs.length > 0) event.queryStringParameters = joined;
      else delete event.queryStringParameters;
    } else {
      const lists: Record<string, string[]> = {};
      for (const [name, value] of pairs) lists[name] = [...(lists[name] ?? []), value];
      event.multiValueQueryStringParameters = pairs.length > 0 ? lists : null;
      event.queryStringParameters =
        pairs.length > 0
          ? Object.fromEntries(Object.entries(lists).map(([name, all]) => [name, all.at(-1)]))
          : null;
    }
  }
  if (change.body !== undefined || change.base64 !== undefined) {
    const text = change.body === undefined ? (event.body as string) : change.body;
    if (text === null) {
      if (v2) delete event.body;
      else event.body = null;
      event.isBase64Encoded = false;
    } else {
      event.body = change.base64 ? Buffer.from(text, 'utf8').toString('base64') : text;
      event.isBase64Encoded = change.base64 === true;
    }
    const length = text === null ? undefined : String(Buffer.byteLength(text));
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() !== 'content-length') continue;
      if (length === undefined) {
        delete headers[name];
        if (multi) delete multi[name];
      } else setHeader(name, length);
    }
  }
  for (const [name, value] of Object.entries(change.headers ?? {})) setHeader(name, value);
  event.headers = headers;
  return event as unknown as Event;
}

function setup(options: LambdaHandlerOptions = { auth: { token: TOKEN } }) {
  const calls: { event: WebhookEvent; context: HandlerContext }[] = [];
  const errors: WebhookError[] = [];
  const webhooks = createWebhooks();
  webhooks.on('*', (event, context) => void calls.push({ event, context }));
  const handler = createLambdaHandler(webhooks, { ...options, onError: (e) => errors.push(e) });
  return { webhooks, handler, calls, errors };
}

function expectAnswer(result: LambdaResult, status: number, body: unknown): void {
  expect(result.statusCode).toBe(status);
  expect(result.isBase64Encoded).toBe(false);
  expect(result.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(result.headers['cache-control']).toBe('no-store');
  // The platform frames the answer: no connection headers of the core's socket adapters.
  expect(result.headers).not.toHaveProperty('connection');
  expect(result.headers).not.toHaveProperty('content-length');
  expect(JSON.parse(result.body)).toEqual(body);
}

const error = (code: string, more: Record<string, unknown> = {}) => ({
  ok: false,
  error: { code, message: expect.any(String), ...more },
});

describe.each(FIXTURES)('createLambdaHandler with %s', (file, version) => {
  it('answers the event as AWS documents it 200, and a redelivery as a duplicate', async () => {
    const { handler, calls } = setup();
    const first = await handler(load(file));
    expectAnswer(first, 200, { ok: true });
    // Only the fields of API Gateway's proxy format: the load balancer's ones are for ALB alone.
    expect(Object.keys(first).sort()).toEqual(['body', 'headers', 'isBase64Encoded', 'statusCode']);
    expectAnswer(await handler(load(file)), 200, { ok: true, duplicate: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.event.status).toBe('VIDEOREVIEW');
    expect(calls[0]!.context.clientIp).toBe(SOURCE_IP);
    expect(calls[0]!.context.headers['content-type']).toBe('application/json');
    expect(calls[0]!.context.headers['user-agent']).toBe('Uanataca-Notifier/1.0');
  });

  it('reads a base64 body', async () => {
    const { handler, calls } = setup();
    expectAnswer(await handler(variant(file, { base64: true })), 200, { ok: true });
    const binary = variant(file, { body: APPROVED, base64: true });
    expectAnswer(await handler(binary), 200, { ok: true });
    expect(calls.map(({ event }) => event.status)).toEqual(['VIDEOREVIEW', 'ENROLLREADY']);
  });

  it('answers an empty body or one that is not JSON 400', async () => {
    const { handler, calls } = setup();
    expectAnswer(await handler(variant(file, { body: null })), 400, error('invalid_json'));
    expectAnswer(await handler(variant(file, { body: '' })), 400, error('invalid_json'));
    const form = variant(file, { body: 'status=ISSUED&request=1', base64: version === 2 });
    expectAnswer(await handler(form), 400, error('invalid_json'));
    expect(calls).toHaveLength(0);
  });

  it('answers 401 without the token in the query, or with a wrong one', async () => {
    const { handler, calls, errors } = setup();
    expectAnswer(await handler(variant(file, { query: null })), 401, error('unauthorized'));
    const wrong = variant(file, { query: [['token', 'guess']] });
    expectAnswer(await handler(wrong), 401, error('unauthorized'));
    const other = variant(file, { query: [['key', TOKEN]] });
    expectAnswer(await handler(other), 401, error('unauthorized'));
    expect(calls).toHaveLength(0);
    expect(errors.map((e) => e.code)).toEqual(['unauthorized', 'unauthorized', 'unauthorized']);
    const rotated = setup({ auth: { token: ['old', TOKEN] } });
    const both = variant(file, {
      query: [
        ['other', 'x y'],
        ['token', TOKEN],
      ],
    });
    expectAnswer(await rotated.handler(both), 200, { ok: true });
  });

  it("answers 403 unless the event's source IP is allowed, X-Forwarded-For or not", async () => {
    const refused = setup({ auth: { allowIps: ['203.0.113.0/24'] } });
    expectAnswer(await refused.handler(load(file)), 403, error('forbidden'));
    const spoofed = variant(file, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    expectAnswer(await refused.handler(spoofed), 403, error('forbidden'));
    expect(refused.calls).toHaveLength(0);
    const allowed = setup({ auth: { allowIps: '198.51.100.0/24', token: TOKEN } });
    expectAnswer(await allowed.handler(load(file)), 200, { ok: true });
    const v6 = variant(file, { sourceIp: '2001:db8::17', body: APPROVED });
    expectAnswer(await allowed.handler(v6), 403, error('forbidden'));
    const both = setup({ auth: { allowIps: ['2001:db8::/32'] } });
    expectAnswer(await both.handler(v6), 200, { ok: true });
    expect(both.calls[0]!.context.clientIp).toBe('2001:db8::17');
  });

  it('answers methods other than POST 405 with Allow: POST', async () => {
    const { handler, calls } = setup();
    for (const method of ['GET', 'PUT', 'DELETE', 'HEAD']) {
      const result = await handler(variant(file, { method }));
      expectAnswer(result, 405, error('method_not_allowed'));
      expect(result.headers.allow).toBe('POST');
    }
    expect(calls).toHaveLength(0);
  });

  it('answers a body over maxBodyBytes 413, as text or base64', async () => {
    const { handler, calls } = setup({ auth: { token: TOKEN }, maxBodyBytes: 128 });
    expectAnswer(await handler(load(file)), 413, error('payload_too_large'));
    expectAnswer(await handler(variant(file, { base64: true })), 413, error('payload_too_large'));
    const exact = setup({ auth: { token: TOKEN }, maxBodyBytes: Buffer.byteLength(REVIEW) });
    expectAnswer(await exact.handler(variant(file, { base64: true })), 200, { ok: true });
    expect(calls).toHaveLength(0);
  });

  it('answers JSON that is not a notification 422 with the issues', async () => {
    const { handler } = setup();
    const result = await handler(variant(file, { body: '{"event_type":"REQUEST_CREATED"}' }));
    expectAnswer(result, 422, error('invalid_payload', { issues: expect.any(Array) }));
  });

  it('answers 500 when a handler fails, revealing nothing of it', async () => {
    const webhooks = createWebhooks();
    webhooks.on('VIDEOREVIEW', () => {
      throw new Error('db password hunter2');
    });
    const handler = createLambdaHandler(webhooks, { auth: { token: TOKEN } });
    const result = await handler(load(file));
    expectAnswer(result, 500, error('handler_failed'));
    expect(result.body).not.toContain('hunter2');
  });

  it('answers 503 with Retry-After when the inbox cannot record', async () => {
    const store = createMemoryInbox();
    const webhooks = createWebhooks({
      inbox: { store: { ...store, add: () => Promise.reject(new Error('down')) }, worker: false },
    });
    const handler = createLambdaHandler(webhooks, { auth: { token: TOKEN } });
    const result = await handler(load(file));
    expectAnswer(result, 503, error('store_unavailable'));
    expect(result.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers Basic credentials challenges with WWW-Authenticate', async () => {
    const { handler } = setup({ auth: { basic: { username: 'ra', password: 'pw' } } });
    const result = await handler(load(file));
    expectAnswer(result, 401, error('unauthorized'));
    expect(result.headers['www-authenticate']).toMatch(/^Basic realm=/);
    const name = version === 1 ? 'Authorization' : 'authorization';
    const authorization = `Basic ${Buffer.from('ra:pw').toString('base64')}`;
    const signed = variant(file, { headers: { [name]: authorization } });
    expectAnswer(await handler(signed), 200, { ok: true });
  });
});

describe('createLambdaHandler, payload format 1.0', () => {
  it('reads headers in any case, and multi-value headers over single ones', async () => {
    const { handler, calls } = setup({
      auth: { token: TOKEN, allowIps: ['203.0.113.9'], trustProxy: 2 },
    });
    const event = variant('rest-api.json') as Writable<LambdaEventV1>;
    // Two X-Forwarded-For lines; `headers` keeps only the last, as API Gateway does.
    event.multiValueHeaders = {
      ...event.multiValueHeaders,
      'X-Forwarded-For': ['203.0.113.9', '10.0.0.1'],
      'x-delivery': ['one', 'two'],
    };
    event.headers = { ...event.headers, 'X-Forwarded-For': '10.0.0.1', 'x-delivery': 'two' };
    expectAnswer(await handler(event), 200, { ok: true });
    expect(calls[0]!.context.clientIp).toBe('203.0.113.9');
    expect(calls[0]!.context.headers['x-delivery']).toBe('one, two');
    expect(calls[0]!.context.headers).not.toHaveProperty('X-Forwarded-For');
  });

  it('reads single-value headers when an event has no multiValueHeaders', async () => {
    const { handler, calls } = setup({ auth: { basic: { username: 'ra', password: 'pw' } } });
    const event = variant('rest-api.json', {
      headers: { AUTHORIZATION: `Basic ${Buffer.from('ra:pw').toString('base64')}` },
    }) as Writable<LambdaEventV1>;
    event.multiValueHeaders = null;
    expectAnswer(await handler(event), 200, { ok: true });
    expect(calls[0]!.context.headers).not.toHaveProperty('authorization');
    expect(calls[0]!.context.headers['content-type']).toBe('application/json');
  });

  it('reads single-value headers when multiValueHeaders is empty or lacks them', async () => {
    const { handler, calls } = setup({ auth: { basic: { username: 'ra', password: 'pw' } } });
    const authorization = `Basic ${Buffer.from('ra:pw').toString('base64')}`;
    const empty = variant('rest-api.json', {
      headers: { Authorization: authorization },
    }) as Writable<LambdaEventV1>;
    empty.multiValueHeaders = {};
    expectAnswer(await handler(empty), 200, { ok: true });
    expect(calls[0]!.context.headers['content-type']).toBe('application/json');
    expect(calls[0]!.context.headers['user-agent']).toBe('Uanataca-Notifier/1.0');
    const partial = variant('http-api-v1.json', { body: APPROVED }) as Writable<LambdaEventV1>;
    partial.headers = { ...partial.headers, authorization, 'X-Delivery': 'single' };
    partial.multiValueHeaders = { 'content-type': ['application/json'], 'x-delivery': ['a', 'b'] };
    expectAnswer(await handler(partial), 200, { ok: true });
    // A name both maps hold keeps its multi-value list, whatever the case of each.
    expect(calls[1]!.context.headers['x-delivery']).toBe('a, b');
    expect(calls[1]!.context.headers['user-agent']).toBe('Uanataca-Notifier/1.0');
    expect(calls[1]!.context.headers).not.toHaveProperty('authorization');
  });

  it('reads single-value query parameters when the multi-value ones are empty', async () => {
    const { handler } = setup();
    const event = variant('rest-api.json') as Writable<LambdaEventV1>;
    event.multiValueQueryStringParameters = {};
    expectAnswer(await handler(event), 200, { ok: true });
  });

  it('rebuilds the query from the decoded parameters, every value of each', async () => {
    const token = 'a b+c/d&e=f%';
    const { handler, calls } = setup({ auth: { token } });
    const event = variant('rest-api.json', {
      query: [
        ['token', token],
        ['token', 'second'],
      ],
    });
    // queryStringParameters holds only the last value: the token is found in the other list.
    expect((event as LambdaEventV1).queryStringParameters).toEqual({ token: 'second' });
    expectAnswer(await handler(event), 200, { ok: true });
    const single = variant('rest-api.json', { query: [['token', token]], body: APPROVED });
    (single as { multiValueQueryStringParameters: unknown }).multiValueQueryStringParameters = null;
    expectAnswer(await handler(single), 200, { ok: true });
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls.map((call) => call.context))).not.toContain('b+c');
  });

  it('reads a token in the last path segment of a REST path as sent', async () => {
    const token = 'tok/en sp';
    const { handler } = setup({ auth: { token } });
    const event = variant('rest-api.json', { query: null }) as Writable<LambdaEventV1>;
    event.path = `/webhooks/uanataca/${encodeURIComponent(token)}`;
    expectAnswer(await handler(event), 200, { ok: true });
  });
});

describe('createLambdaHandler, payload format 2.0', () => {
  it('reads comma-joined X-Forwarded-For with trustProxy, hop by hop from the source IP', async () => {
    const chain = { 'x-forwarded-for': '203.0.113.9,10.0.0.1' };
    const one = setup({ auth: { allowIps: ['10.0.0.1'], trustProxy: 1 } });
    expectAnswer(await one.handler(variant('http-api-v2.json', { headers: chain })), 200, {
      ok: true,
    });
    const two = setup({ auth: { allowIps: ['203.0.113.9'], trustProxy: 2 } });
    expectAnswer(await two.handler(variant('function-url.json', { headers: chain })), 200, {
      ok: true,
    });
    expect([one.calls[0]!.context.clientIp, two.calls[0]!.context.clientIp]).toEqual([
      '10.0.0.1',
      '203.0.113.9',
    ]);
  });

  it('never hands cookies on to handlers', async () => {
    const { handler, calls } = setup();
    const event = { ...variant('http-api-v2.json'), cookies: ['session=s3cret', 'theme=dark'] };
    expectAnswer(await handler(event), 200, { ok: true });
    expect(JSON.stringify(calls[0]!.context.headers)).not.toContain('s3cret');
  });

  it("does not read a decoded path's ? as the query (HTTP APIs decode rawPath)", async () => {
    const { handler, calls } = setup({ auth: { token: TOKEN } });
    const event = { ...variant('http-api-v2.json'), rawPath: '/webhooks/uanataca/x?token=guess' };
    expectAnswer(await handler(event), 200, { ok: true });
    const spoof = {
      ...variant('http-api-v2.json', { query: null, body: APPROVED }),
      rawPath: `/webhooks/uanataca/a?token=${TOKEN}`,
    };
    expectAnswer(await handler(spoof), 401, error('unauthorized'));
    expect(calls).toHaveLength(1);
  });

  it('reads a token in the last path segment', async () => {
    const { handler } = setup({ auth: { token: 'tok-3' } });
    const event = { ...variant('function-url.json', { query: null }), rawPath: '/hook/tok-3' };
    expectAnswer(await handler(event), 200, { ok: true });
  });
});

const TARGET_GROUP =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/uanataca-webhooks/6d0ecf831eec9f09';

/** What to change in a load balancer's event. */
interface AlbChange {
  /** The target group enables multi-value headers. */
  multi?: boolean;
  /** Query parameters as the client wrote them (ALB does not decode them). */
  query?: readonly [string, string][];
  /** The X-Forwarded-For header the load balancer sends; `null` for none (`remove` mode). */
  forwardedFor?: string | null;
  method?: string;
  body?: string;
  base64?: boolean;
  /** Headers to add, lower-case as ALB gives them. */
  headers?: Record<string, string>;
}

/**
 * An event as an Application Load Balancer sends it to a target group of type `lambda`
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html):
 * lower-case headers, the query as sent, no source address, and the `multiValue…` fields
 * instead of the single-value ones when the target group enables multi-value headers.
 */
function albEvent(change: AlbChange = {}): LambdaEventAlb {
  const text = change.body ?? REVIEW;
  const headers: Record<string, string> = {
    accept: '*/*',
    'content-length': String(Buffer.byteLength(text)),
    'content-type': 'application/json',
    host: 'uanataca-webhooks-1584240650.eu-west-1.elb.amazonaws.com',
    'user-agent': 'Uanataca-Notifier/1.0',
    'x-amzn-trace-id': 'Root=1-692d6a1e-3f1c2b7a9e8d4c5b6a7f8e9d',
    'x-forwarded-for': SOURCE_IP,
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...change.headers,
  };
  if (change.forwardedFor === null) delete headers['x-forwarded-for'];
  else if (change.forwardedFor !== undefined) headers['x-forwarded-for'] = change.forwardedFor;
  const query = change.query ?? [['token', TOKEN]];
  const lists: Record<string, string[]> = {};
  for (const [name, value] of query) lists[name] = [...(lists[name] ?? []), value];
  const shared = {
    requestContext: { elb: { targetGroupArn: TARGET_GROUP } },
    httpMethod: change.method ?? 'POST',
    path: '/webhooks/uanataca',
    body: change.base64 ? Buffer.from(text, 'utf8').toString('base64') : text,
    isBase64Encoded: change.base64 === true,
  };
  if (change.multi) {
    return {
      ...shared,
      multiValueQueryStringParameters: lists,
      multiValueHeaders: Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name, [value]]),
      ),
    };
  }
  return {
    ...shared,
    queryStringParameters: Object.fromEntries(
      Object.entries(lists).map(([name, all]) => [name, all.at(-1)!]),
    ),
    headers,
  };
}

describe.each([
  ['single-value', false],
  ['multi-value', true],
])('createLambdaHandler with an Application Load Balancer, %s headers', (_, multi) => {
  /** The answer's headers, from the field the load balancer reads. */
  const answerHeaders = (result: LambdaResult): Record<string, string> => {
    if (!multi) return result.headers;
    expect(result.multiValueHeaders).toBeDefined();
    return Object.fromEntries(
      Object.entries(result.multiValueHeaders ?? {}).map(([name, values]) => {
        expect(values).toHaveLength(1);
        return [name, values[0]!];
      }),
    );
  };

  it('answers 200 with a status line, and a redelivery as a duplicate', async () => {
    const { handler, calls } = setup();
    const result = await handler(albEvent({ multi }));
    expectAnswer(result, 200, { ok: true });
    expect(result.statusDescription).toBe('200 OK');
    expect(answerHeaders(result)).toEqual(result.headers);
    if (!multi) expect(result).not.toHaveProperty('multiValueHeaders');
    expectAnswer(await handler(albEvent({ multi })), 200, { ok: true, duplicate: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.event.status).toBe('VIDEOREVIEW');
    expect(calls[0]!.context.clientIp).toBe(SOURCE_IP);
    expect(calls[0]!.context.headers['user-agent']).toBe('Uanataca-Notifier/1.0');
    expect(calls[0]!.context.headers['x-forwarded-for']).toBe(SOURCE_IP);
  });

  it('reads query values as sent: an encoded token matches, every value of a repeated one', async () => {
    const token = 'a+b/c=';
    const { handler, calls } = setup({ auth: { token } });
    const encoded = albEvent({ multi, query: [['token', 'a%2Bb%2Fc%3D']] });
    expectAnswer(await handler(encoded), 200, { ok: true });
    // Written unencoded, `+` is a space in a query, for the load balancer's client as for any.
    const raw = albEvent({ multi, query: [['token', 'a+b/c=']], body: APPROVED });
    expectAnswer(await handler(raw), 401, error('unauthorized'));
    const spaced = setup({ auth: { token: 'a b' } });
    const plus = albEvent({ multi, query: [['token', 'a+b']] });
    expectAnswer(await spaced.handler(plus), 200, { ok: true });
    const percent = albEvent({ multi, query: [['token', 'a%20b']], body: APPROVED });
    expectAnswer(await spaced.handler(percent), 200, { ok: true });
    const twice = albEvent({
      multi,
      query: [
        ['token', 'a%2Bb%2Fc%3D'],
        ['token', 'guess'],
      ],
      body: APPROVED,
    });
    // Without multi-value headers the load balancer keeps the last value only.
    expectAnswer(
      await handler(twice),
      multi ? 200 : 401,
      multi ? { ok: true } : error('unauthorized'),
    );
    expect(calls).toHaveLength(multi ? 2 : 1);
    expect(JSON.stringify(calls.map((call) => call.context))).not.toContain('a%2Bb');
  });

  it('checks allowIps against the address the load balancer appended to X-Forwarded-For', async () => {
    const allowed = setup({ auth: { allowIps: ['1.2.3.4'] } });
    const direct = albEvent({ multi, forwardedFor: '1.2.3.4' });
    expectAnswer(await allowed.handler(direct), 200, { ok: true });
    expect(allowed.calls[0]!.context.clientIp).toBe('1.2.3.4');
    // Entries to the left are what the client claimed: not believed without trustProxy.
    const spoofed = albEvent({ multi, forwardedFor: '1.2.3.4, 203.0.113.7', body: APPROVED });
    const refused = await allowed.handler(spoofed);
    expectAnswer(refused, 403, error('forbidden'));
    expect(refused.statusDescription).toBe('403 Forbidden');
    // With routing.http.xff_client_port.enabled, ALB writes the port too.
    const withPort = albEvent({ multi, forwardedFor: '1.2.3.4:51234', body: APPROVED });
    expectAnswer(await allowed.handler(withPort), 200, { ok: true });
    expect(allowed.calls[1]!.context.clientIp).toBe('1.2.3.4');
    // Without X-Forwarded-For (`remove` mode) the address is unknown: refused.
    const none = albEvent({ multi, forwardedFor: null, body: APPROVED });
    expectAnswer(await allowed.handler(none), 403, error('forbidden'));
    const v6 = setup({ auth: { allowIps: ['2001:db8::/32'] } });
    const six = albEvent({ multi, forwardedFor: '203.0.113.7, [2001:db8::17]:443' });
    expectAnswer(await v6.handler(six), 200, { ok: true });
    expect(v6.calls[0]!.context.clientIp).toBe('2001:db8::17');
  });

  it('walks X-Forwarded-For from the appended entry with trustProxy', async () => {
    const chain = '1.2.3.4, 10.0.0.1';
    const one = setup({ auth: { allowIps: ['1.2.3.4'], trustProxy: 1 } });
    expectAnswer(await one.handler(albEvent({ multi, forwardedFor: chain })), 200, { ok: true });
    expect(one.calls[0]!.context.clientIp).toBe('1.2.3.4');
    const ranges = setup({ auth: { allowIps: ['1.2.3.4'], trustProxy: 'uniquelocal' } });
    expectAnswer(await ranges.handler(albEvent({ multi, forwardedFor: chain })), 200, {
      ok: true,
    });
    const none = setup({ auth: { allowIps: ['1.2.3.4'] } });
    expectAnswer(
      await none.handler(albEvent({ multi, forwardedFor: chain })),
      403,
      error('forbidden'),
    );
    // Counting past the header's left end stops at its left-most entry.
    const many = setup({ auth: { allowIps: ['1.2.3.4'], trustProxy: 5 } });
    expectAnswer(await many.handler(albEvent({ multi, forwardedFor: chain })), 200, { ok: true });
  });

  it('answers refusals with their status line, Allow and WWW-Authenticate included', async () => {
    const { handler, calls } = setup({ auth: { token: TOKEN }, maxBodyBytes: 4096 });
    const get = await handler(albEvent({ multi, method: 'GET', body: '' }));
    expectAnswer(get, 405, error('method_not_allowed'));
    expect(get.statusDescription).toBe('405 Method Not Allowed');
    expect(answerHeaders(get).allow).toBe('POST');
    const wrong = await handler(albEvent({ multi, query: [['token', 'guess']] }));
    expectAnswer(wrong, 401, error('unauthorized'));
    expect(wrong.statusDescription).toBe('401 Unauthorized');
    const notJson = await handler(albEvent({ multi, body: 'status=ISSUED' }));
    expectAnswer(notJson, 400, error('invalid_json'));
    expect(notJson.statusDescription).toBe('400 Bad Request');
    const invalid = await handler(albEvent({ multi, body: '{"event_type":"REQUEST_CREATED"}' }));
    expectAnswer(invalid, 422, error('invalid_payload', { issues: expect.any(Array) }));
    expect(invalid.statusDescription).toBe('422 Unprocessable Content');
    const big = await handler(albEvent({ multi, body: ' '.repeat(5000), base64: true }));
    expectAnswer(big, 413, error('payload_too_large'));
    expect(big.statusDescription).toBe('413 Content Too Large');
    expect(calls).toHaveLength(0);
    const basic = setup({ auth: { basic: { username: 'ra', password: 'pw' } } });
    const challenged = await basic.handler(albEvent({ multi }));
    expect(answerHeaders(challenged)['www-authenticate']).toMatch(/^Basic realm=/);
    const authorization = `Basic ${Buffer.from('ra:pw').toString('base64')}`;
    const signed = albEvent({ multi, headers: { authorization } });
    expectAnswer(await basic.handler(signed), 200, { ok: true });
    expect(basic.calls[0]!.context.headers).not.toHaveProperty('authorization');
  });

  it('reads a base64 body, as ALB sends one with Content-Encoding or a binary type', async () => {
    const { handler, calls } = setup();
    expectAnswer(await handler(albEvent({ multi, base64: true })), 200, { ok: true });
    expect(calls[0]!.event.status).toBe('VIDEOREVIEW');
  });

  it('answers 500 when a handler fails, and 503 when the inbox cannot record', async () => {
    const webhooks = createWebhooks();
    webhooks.on('VIDEOREVIEW', () => {
      throw new Error('db password hunter2');
    });
    const failing = await createLambdaHandler(webhooks, { auth: { token: TOKEN } })(
      albEvent({ multi }),
    );
    expectAnswer(failing, 500, error('handler_failed'));
    expect(failing.statusDescription).toBe('500 Internal Server Error');
    const store = createMemoryInbox();
    const down = createWebhooks({
      inbox: { store: { ...store, add: () => Promise.reject(new Error('down')) }, worker: false },
    });
    const unavailable = await createLambdaHandler(down, { auth: { token: TOKEN } })(
      albEvent({ multi }),
    );
    expectAnswer(unavailable, 503, error('store_unavailable'));
    expect(unavailable.statusDescription).toBe('503 Service Unavailable');
    expect(answerHeaders(unavailable)['retry-after']).toMatch(/^\d+$/);
  });
});

describe('createLambdaHandler with the durable inbox', () => {
  function inboxSetup(options: LambdaHandlerOptions, handle: () => Promise<void> | void) {
    const store = createMemoryInbox();
    const webhooks = createWebhooks({ inbox: { store, worker: false } });
    const handled: string[] = [];
    webhooks.on('*', async (event) => {
      await handle();
      handled.push(event.status);
    });
    const handler = createLambdaHandler(webhooks, { auth: { token: TOKEN }, ...options });
    return { store, webhooks, handler, handled };
  }

  it('returns once recorded, leaving the entry to a consumer, by default', async () => {
    const { store, handler, handled } = inboxSetup({}, () => {});
    expectAnswer(await handler(load('rest-api.json')), 200, { ok: true, queued: true });
    expect(handled).toEqual([]);
    expect((await store.stats()).pending).toBe(1);
  });

  it('with awaitInbox, returns once the notification was handled', async () => {
    const { store, handler, handled } = inboxSetup({ awaitInbox: true }, () => {});
    expectAnswer(await handler(load('function-url.json')), 200, { ok: true, queued: true });
    expect(handled).toEqual(['VIDEOREVIEW']);
    expect((await store.stats()).done).toBe(1);
    expectAnswer(await handler(load('function-url.json')), 200, { ok: true, duplicate: true });
  });

  it('with awaitInbox, answers 200 queued even when the handler fails (a later drain retries)', async () => {
    const { handler, handled } = inboxSetup({ awaitInbox: true }, () => {
      throw new Error('downstream failed');
    });
    expectAnswer(await handler(load('http-api-v2.json')), 200, { ok: true, queued: true });
    expect(handled).toEqual([]);
  });

  it('with awaitInbox, stops waiting one second before the invocation times out', async () => {
    const { handler } = inboxSetup({ awaitInbox: true }, () => new Promise(() => {}));
    const started = Date.now();
    const result = await handler(load('http-api-v1.json'), {
      getRemainingTimeInMillis: () => 1_300,
    });
    expectAnswer(result, 200, { ok: true, queued: true });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(1_000);
  });
});

describe('createLambdaHandler refusals', () => {
  it('rejects an event that is not from API Gateway, a function URL or a load balancer', async () => {
    const { handler } = setup();
    const sqs = { Records: [{ eventSource: 'aws:sqs', body: REVIEW }] };
    for (const event of [sqs, null, 'text']) {
      const failure = await handler(event as never).catch((reason: unknown) => reason);
      expect(isWebhookError(failure, 'invalid_options')).toBe(true);
      expect((failure as Error).message).toMatch(/Application Load Balancer/);
    }
  });

  it('checks its options when created', () => {
    const webhooks = createWebhooks();
    const invalid = (options: unknown) => () =>
      createLambdaHandler(webhooks, options as LambdaHandlerOptions);
    expect(invalid({ awaitInbox: 'yes' })).toThrow(/awaitInbox/);
    expect(invalid({ maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
    expect(invalid({ auth: { token: undefined } })).toThrow(/token/);
    expect(() => createLambdaHandler({} as never)).toThrow(/createWebhooks/);
  });
});

/**
 * What the Node.js Lambda runtime does with a function's module: import it, call the exported
 * handler with each event and a context, and serialize what it resolves to as JSON.
 */
const RUNTIME = `
const [moduleFile, eventsFile] = process.argv.slice(1);
const { readFileSync } = await import('node:fs');
const { pathToFileURL } = await import('node:url');
const mod = await import(pathToFileURL(moduleFile).href);
const handler = mod.handler ?? mod.default?.handler;
const deadline = Date.now() + 3_000;
const results = [];
for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  const context = {
    awsRequestId: 'c0ffee00-0000-4000-8000-000000000000',
    functionName: 'uanataca-webhooks',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  results.push(JSON.parse(JSON.stringify(await handler(event, context))));
}
console.log(JSON.stringify(results));
`;

const FUNCTION_ESM = `
import { createWebhooks } from 'uanataca-webhooks';
import { createLambdaHandler } from 'uanataca-webhooks/aws-lambda';
const webhooks = createWebhooks();
webhooks.on('VIDEOREVIEW', (event) => console.error('review', event.requestId));
export const handler = createLambdaHandler(webhooks, { auth: { token: process.env.WEBHOOK_TOKEN } });
`;

const FUNCTION_CJS = `
const { createWebhooks } = require('uanataca-webhooks');
const { createLambdaHandler } = require('uanataca-webhooks/aws-lambda');
const webhooks = createWebhooks();
webhooks.on('VIDEOREVIEW', (event) => console.error('review', event.requestId));
exports.handler = createLambdaHandler(webhooks, { auth: { token: process.env.WEBHOOK_TOKEN } });
`;

function invoke(moduleFile: string, eventsFile: string) {
  return new Promise<{ results: LambdaResult[]; stderr: string }>((resolveRun, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '--eval', RUNTIME, moduleFile, eventsFile],
      {
        cwd: root,
        timeout: 20_000,
        env: { PATH: process.env.PATH ?? '', WEBHOOK_TOKEN: TOKEN, NO_COLOR: '1' },
      },
      (failure, stdout, stderr) => {
        if (failure) reject(new Error(`${failure.message}\n${stdout}${stderr}`));
        else resolveRun({ results: JSON.parse(stdout.trim()) as LambdaResult[], stderr });
      },
    );
  });
}

describe('the built handler, invoked as the Lambda runtime does', () => {
  it.each([
    ['an ES module', 'index.mjs', FUNCTION_ESM],
    ['a CommonJS module', 'index.cjs', FUNCTION_CJS],
  ])('answers every source from %s', async (_, name, source) => {
    if (!existsSync(join(root, 'dist', 'aws-lambda.js'))) {
      throw new Error('dist/aws-lambda.js is missing: run `npm run build` first');
    }
    // Inside the package folder, so that 'uanataca-webhooks' resolves to this package.
    const dir = join(root, '.cache', 'lambda-runtime');
    mkdirSync(dir, { recursive: true });
    const moduleFile = join(dir, name);
    writeFileSync(moduleFile, source);
    const events = [
      ...FIXTURES.map(([file]) => load(file)),
      variant('function-url.json', { body: APPROVED, base64: true }),
      variant('rest-api.json', { query: null, body: APPROVED }),
      variant('http-api-v2.json', { method: 'GET', body: null }),
      variant('http-api-v1.json', { body: '{"event_type":"REQUEST_CREATED"}' }),
      albEvent({ multi: true, body: APPROVED, forwardedFor: '203.0.113.7, 198.51.100.23' }),
    ];
    const eventsFile = join(dir, `events-${name}.json`);
    writeFileSync(eventsFile, JSON.stringify(events));
    const { results, stderr } = await invoke(moduleFile, eventsFile);
    expect(results.map((result) => [result.statusCode, JSON.parse(result.body)])).toEqual([
      [200, { ok: true }],
      [200, { ok: true, duplicate: true }],
      [200, { ok: true, duplicate: true }],
      [200, { ok: true, duplicate: true }],
      [200, { ok: true }],
      [401, error('unauthorized')],
      [405, error('method_not_allowed')],
      [422, error('invalid_payload', { issues: expect.any(Array) })],
      [200, { ok: true, duplicate: true }],
    ]);
    expect(results[6]!.headers.allow).toBe('POST');
    expect(results[8]!.statusDescription).toBe('200 OK');
    expect(results[8]!.multiValueHeaders?.['content-type']).toEqual([
      'application/json; charset=utf-8',
    ]);
    expect(results.slice(0, 8).every((result) => result.statusDescription === undefined)).toBe(
      true,
    );
    expect(stderr.match(/review 28634/g)).toHaveLength(1);
  });
});
