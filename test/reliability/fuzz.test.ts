import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../src/adapters/fetch.js';
import { createNodeMiddleware } from '../../src/adapters/node.js';
import type { AuthOptions } from '../../src/http/auth.js';
import { createWebhooks, REQUEST_STATUSES, type Webhooks } from '../../src/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  type Answer,
  expectContractAnswer,
  fromResponse,
  rawExchange,
  startServer,
  type TestServer,
  trackProcessErrors,
  until,
} from './support.js';

/**
 * Property-based fuzzing of the HTTP core through two adapters: arbitrary methods, headers,
 * targets and bodies must always give an answer from the contract, never an exception.
 */

const encoder = new TextEncoder();
const TOKEN = 'tok-s3cret';
const BASIC = { username: 'ra', password: 'pw' };
const SENT_AT = new Date('2025-03-01T10:15:00Z');

// --- bodies -------------------------------------------------------------------------------

const validPayload = fc
  .record({
    status: fc.constantFrom(...REQUEST_STATUSES),
    format: fc.constantFrom('envelope' as const, 'legacy' as const),
    requestId: fc.integer({ min: 1, max: 1_000_000 }),
    minute: fc.integer({ min: 0, max: 100_000 }),
  })
  .map(({ status, format, requestId, minute }) =>
    createTestPayload({
      status,
      format,
      requestId,
      sentAt: new Date(SENT_AT.getTime() + minute * 60_000),
    }),
  );

const KEYS = [
  'event_type',
  'sent_at',
  'date',
  'request',
  'status',
  'pk',
  'previous_status',
  'registration_authority',
  'certificates',
  'serial_number',
  'valid_from',
  '__proto__',
  'constructor',
  'prototype',
];

/** One change to a valid notification: set (or, with `undefined`, delete) a key somewhere. */
const mutation = fc.tuple(
  fc.constantFrom('top', 'request', 'certificate'),
  fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 })),
  fc.option(
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.stringMatching(/^\d{0,20}$/),
      fc.constantFrom('20251301000000', '20250230101500', '2025-03-01T24:00:00', ' ', ''),
    ),
    { nil: undefined },
  ),
);

function mutate(
  payload: object,
  changes: readonly (readonly [string, string, unknown])[],
): unknown {
  const copy = structuredClone(payload) as Record<string, unknown>;
  for (const [where, key, value] of changes) {
    let target: unknown = copy;
    if (where === 'request') target = copy.request;
    if (where === 'certificate') target = (copy.certificates as unknown[] | undefined)?.[0];
    if (typeof target !== 'object' || target === null) continue;
    if (value === undefined) delete (target as Record<string, unknown>)[key];
    // An own property, as JSON.parse makes one, even for `__proto__`.
    else
      Object.defineProperty(target, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return copy;
}

const nearValidText = fc
  .tuple(validPayload, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([payload, changes]) => JSON.stringify(mutate(payload, changes)) ?? '');

const validText = validPayload.map((payload) => JSON.stringify(payload));

const bodyText = fc.oneof(
  { weight: 4, arbitrary: nearValidText },
  { weight: 3, arbitrary: validText },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validText, fc.nat())
      .map(([text, cut]) => text.slice(0, cut % (text.length + 1))),
  },
  { weight: 1, arbitrary: validText.map((text) => `\uFEFF${text}`) },
  { weight: 1, arbitrary: fc.nat({ max: 6_000 }).map((n) => `{"a":"${'x'.repeat(n)}"}`) },
  { weight: 1, arbitrary: fc.constant('') },
);

const body: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: bodyText.map((text) => encoder.encode(text)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 1_024 }) },
);

// --- headers ------------------------------------------------------------------------------

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Headers that change how node:http frames or routes a request, set by the raw sender only. */
const FRAMING = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
  'te',
  'trailer',
]);

const headerName = fc
  .oneof(
    fc.constantFrom(
      'content-type',
      'authorization',
      'x-forwarded-for',
      'cookie',
      'proxy-authorization',
      'forwarded',
      'x-real-ip',
      '__proto__',
      'constructor',
      'hasOwnProperty',
    ),
    fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 24 }),
  )
  .filter((name) => !FRAMING.has(name.toLowerCase()));

/** Header text: printable ASCII, Latin-1 (bytes 0x80-0xFF) and huge values. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((code) => code !== 0x7f)
      .map((code) => String.fromCharCode(code)),
    maxLength: 40,
  }),
  fc.nat({ max: 12_000 }).map((n) => 'v'.repeat(n)),
);

const ipv4 = fc.ipV4();
const forwardedFor = fc
  .array(
    fc.oneof(
      ipv4,
      fc.ipV6(),
      ipv4.map((ip) => `::ffff:${ip}`),
      ipv4.map((ip) => `${ip}:443`),
      fc.constantFrom('unknown', '', ' ', '[::1]', '127.0.0.1', '::1', '203.0.113.7', '01.2.3.4'),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 6 },
  )
  .chain((parts) => fc.constantFrom(',', ', ', ' ,', ',,').map((sep) => parts.join(sep)));

const latin1Base64 = (text: string): string => Buffer.from(text, 'latin1').toString('base64');
const authorization = fc.oneof(
  fc.constant(`Basic ${latin1Base64('ra:pw')}`),
  fc.string({ maxLength: 20 }).map((text) => `Basic ${latin1Base64(text)}`),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => `Basic ${Buffer.from(bytes).toString('base64')}`),
  fc.string({ maxLength: 30 }).map((text) => `Basic ${text}`),
  fc.constantFrom(
    'Basic',
    'basic ',
    'Basic ====',
    'Bearer tok-s3cret',
    'Basic cmE6cHc',
    'BASIC cmE6cHc=',
  ),
  fc.nat({ max: 9_000 }).map((n) => `Basic ${'A'.repeat(n)}`),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  '',
);

const header: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(headerName, headerValue) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('x-forwarded-for'), forwardedFor) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('authorization'), authorization) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('content-type'), contentType) },
);

/** Several headers, the same name possibly more than once and in any case. */
const headers = fc.array(
  fc
    .tuple(header, fc.boolean())
    .map(([[name, value], upper]): [string, string] => [upper ? name.toUpperCase() : name, value]),
  { maxLength: 8 },
);

// --- targets and options ------------------------------------------------------------------

const queryChars = [..."abcdeknotz0129=&%+-._~!$'()*,;:@/?"];
const query = fc.oneof(
  fc.constant(''),
  fc.string({ unit: fc.constantFrom(...queryChars), maxLength: 40 }).map((q) => `?${q}`),
  fc.constantFrom(
    `?token=${TOKEN}`,
    `?token=${TOKEN}&token=x`,
    `?token=x&token=${TOKEN}`,
    '?token=%E0%A4%A',
    '?token=%',
    `?key=${TOKEN}`,
    `?token=${TOKEN.toUpperCase()}`,
  ),
);
const path: fc.Arbitrary<string> = fc.constantFrom(
  '/hook',
  '/hook/',
  `/hook/${TOKEN}`,
  '/hook/x',
  '/hook/%E0%A4%A',
  '/hook/a/b',
  '/other',
  '/',
);

const auth: fc.Arbitrary<AuthOptions | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ token: TOKEN }),
  fc.constant({ token: ['tok-old', TOKEN], tokenParam: 'key' }),
  fc.constant({ basic: BASIC }),
  fc.record({
    allowIps: fc.constantFrom(['127.0.0.1'], ['::1', '127.0.0.0/8'], ['203.0.113.0/24']),
    trustProxy: fc.constantFrom<AuthOptions['trustProxy']>(false, true, 1, 3, [
      '127.0.0.0/8',
      '::1',
    ]),
  }),
  fc.constant({ token: TOKEN, basic: BASIC, allowIps: ['127.0.0.0/8', '::1'] }),
);

const maxBodyBytes: fc.Arbitrary<number | undefined> = fc.constantFrom(undefined, 64, 512, 4_096);
type Behaviour = 'ok' | 'async' | 'throw' | 'reject' | 'throw-value';
const behaviour = fc.constantFrom<Behaviour>('ok', 'async', 'throw', 'reject', 'throw-value');

// --- requests built for one answer ----------------------------------------------------------

/**
 * The statuses that one request on its own can be answered with (409 needs concurrent
 * copies, 503 a failing store). Each has an arm built to get it, and a fixed example of
 * that arm runs first, so that every seed reaches every row of the response table.
 */
const AIMS = [200, 400, 401, 403, 405, 413, 422, 500] as const;
type Aim = (typeof AIMS)[number];

/** The fields of a request that decide its answer, in both adapters' inputs. */
interface Decisive {
  method: string;
  path: string;
  query: string;
  headers: [string, string][];
  body: Uint8Array;
  auth: AuthOptions | undefined;
  maxBodyBytes: number | undefined;
  how: Behaviour;
}

/** Credentials (or none needed) that let a request through to its body. */
const admitted = fc
  .tuple(
    fc.constantFrom<Pick<Decisive, 'auth' | 'path' | 'query' | 'headers'>>(
      { auth: undefined, path: '/hook', query: '', headers: [] },
      { auth: { token: TOKEN }, path: '/hook', query: `?token=${TOKEN}`, headers: [] },
      { auth: { token: TOKEN }, path: `/hook/${TOKEN}`, query: '', headers: [] },
      {
        auth: { basic: BASIC },
        path: '/hook',
        query: '',
        headers: [['authorization', `Basic ${latin1Base64('ra:pw')}`]],
      },
    ),
    fc.option(contentType, { nil: undefined }),
  )
  .map(
    ([access, type]): Pick<Decisive, 'auth' | 'path' | 'query' | 'headers'> => ({
      ...access,
      headers: type === undefined ? access.headers : [...access.headers, ['content-type', type]],
    }),
  );

const encoded = (text: fc.Arbitrary<string>): fc.Arbitrary<Uint8Array> =>
  text.map((one) => encoder.encode(one));
/** Never JSON: a notification cut short (an empty body included). */
const notJson = encoded(
  validText.chain((text) => fc.nat({ max: text.length - 1 }).map((cut) => text.slice(0, cut))),
);
/** JSON that is not a notification: one without any timestamp, or not an object. */
const notNotification = encoded(
  fc.oneof(
    validPayload.map((payload) => {
      const { sent_at: _, date: __, ...rest } = payload as Record<string, unknown>;
      return JSON.stringify(rest);
    }),
    fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify([value])),
    fc.constantFrom('null', '42', '"CREATED"', 'true'),
  ),
);
/** Limits a valid notification fits in. */
const roomy = fc.constantFrom(undefined, 4_096);
const succeeds = fc.constantFrom<Behaviour>('ok', 'async');
const fails = fc.constantFrom<Behaviour>('throw', 'reject', 'throw-value');

/** For each status, the parts of a request that get it answered with that status. */
const AIMED: Record<Aim, fc.Arbitrary<Decisive>> = {
  200: fc
    .record({ access: admitted, body: encoded(validText), maxBodyBytes: roomy, how: succeeds })
    .map(({ access, ...rest }) => ({ method: 'POST', ...access, ...rest })),
  400: fc
    .record({ access: admitted, body: notJson, maxBodyBytes: roomy, how: behaviour })
    .map(({ access, ...rest }) => ({ method: 'POST', ...access, ...rest })),
  401: fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/hook'),
    query: fc.constantFrom('', '?token=x', `?key=${TOKEN}`),
    headers: fc.constant([]),
    body,
    auth: fc.constantFrom<AuthOptions>({ token: TOKEN }, { basic: BASIC }),
    maxBodyBytes,
    how: behaviour,
  }),
  403: fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/hook'),
    query: fc.constant(''),
    headers: fc.constant([]),
    body,
    auth: fc.constant({ allowIps: ['203.0.113.0/24'], trustProxy: false }),
    maxBodyBytes,
    how: behaviour,
  }),
  405: fc.record({
    method: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.constant('/hook'),
    query,
    headers: fc.constant([]),
    body,
    auth,
    maxBodyBytes,
    how: behaviour,
  }),
  413: fc
    .record({ access: admitted, body: encoded(validText), how: behaviour })
    .map(({ access, ...rest }) => ({ method: 'POST', ...access, ...rest, maxBodyBytes: 64 })),
  422: fc
    .record({ access: admitted, body: notNotification, maxBodyBytes: roomy, how: behaviour })
    .map(({ access, ...rest }) => ({ method: 'POST', ...access, ...rest })),
  500: fc
    .record({ access: admitted, body: encoded(validText), maxBodyBytes: roomy, how: fails })
    .map(({ access, ...rest }) => ({ method: 'POST', ...access, ...rest })),
};

/**
 * The requests of a fuzzing run: mostly `random` ones, and for each status of {@link AIMS}
 * one built by `aimAt` to be answered with it, which the run checks. Also returns one fixed
 * example per status, for `fc.assert`'s `examples`.
 */
function withAims<T extends object>(
  random: fc.Arbitrary<T>,
  aimAt: (aim: Aim, decisive: fc.Arbitrary<Decisive>) => fc.Arbitrary<T>,
): { requests: fc.Arbitrary<T & { aim?: Aim }>; examples: [T & { aim?: Aim }][] } {
  const arms = AIMS.map((aim) =>
    aimAt(aim, AIMED[aim]).map((request): T & { aim?: Aim } => ({ ...request, aim })),
  );
  return {
    requests: fc.oneof(
      { weight: 2 * arms.length, arbitrary: random },
      ...arms.map((arbitrary) => ({ weight: 1, arbitrary })),
    ),
    examples: arms.map((arm, index) => [fc.sample(arm, { numRuns: 1, seed: index })[0]!]),
  };
}

/** How to run the property tests again from the same inputs. */
const seedNote = (): string => `reproduce with FUZZ_SEED=${fc.readConfigureGlobal().seed}`;

/** A router whose only handler behaves as told and counts its runs. */
function router(how: Behaviour): { webhooks: Webhooks; runs: () => number } {
  let runs = 0;
  const webhooks = createWebhooks();
  webhooks.on('*', async () => {
    runs += 1;
    if (how === 'throw') throw new Error('handler failed');
    if (how === 'throw-value') throw { status: 200, code: 'in_flight', message: 'not an error' };
    if (how === 'async') await new Promise((resolve) => setImmediate(resolve));
    if (how === 'reject') return Promise.reject(new TypeError('handler rejected'));
  });
  return { webhooks, runs: () => runs };
}

/** What the handler runs say about an answer: only a fresh 200 or a 500 ran it, once. */
function expectRuns(answer: Answer, runs: number, head: boolean): void {
  if (answer.status === 200 && !head && !answer.text.includes('duplicate')) {
    expect(runs).toBe(1);
  } else if (answer.status === 500) {
    expect(runs).toBeLessThanOrEqual(1);
  } else {
    expect(runs).toBe(0);
  }
}

function expectNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(probe.polluted).toBeUndefined();
}

let tracker: ReturnType<typeof trackProcessErrors>;
beforeEach(() => {
  tracker = trackProcessErrors();
});
afterEach(async () => {
  // Let anything left over (a late rejection) surface before looking.
  await new Promise((resolve) => setTimeout(resolve, 20));
  tracker.stop();
  expect(tracker.seen).toEqual([]);
  expectNoPollution();
});

describe('fuzzing createFetchHandler with plain Request objects', () => {
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constant('POST') },
    { weight: 3, arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 10 })
        .map((m) => m.toUpperCase())
        .filter((m) => !['CONNECT', 'TRACE', 'TRACK'].includes(m)),
    },
  );
  /** What a runtime may hand over as the client address, including what it should not. */
  const clientIp = fc.oneof(
    fc.constantFrom('127.0.0.1', '::1', '::ffff:127.0.0.1', '203.0.113.7', undefined),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('throw', 'object', 'number', 'null'),
  );
  const contentLength = fc.oneof(
    fc.nat({ max: 100_000 }).map(String),
    fc.constantFrom('-1', '1e9', '0x10', ' 12 ', '99999999999999999999999', '', 'abc', '10, 20'),
  );

  const { requests, examples } = withAims(
    fc.record({
      method,
      path,
      query,
      headers,
      contentLength: fc.option(contentLength, { nil: undefined }),
      body,
      auth,
      maxBodyBytes,
      how: behaviour,
      clientIp,
    }),
    (aim, decisive) =>
      fc
        .record({
          decisive,
          // Addresses the allow-list of the 403 arm refuses.
          clientIp: aim === 403 ? fc.constantFrom('127.0.0.1', '::1') : clientIp,
        })
        .map(({ decisive, clientIp }) => ({ ...decisive, contentLength: undefined, clientIp })),
  );

  it('always answers from the contract, whatever the request', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(requests, async (input) => {
        const { webhooks, runs } = router(input.how);
        const handler = createFetchHandler(webhooks, {
          auth: input.auth,
          maxBodyBytes: input.maxBodyBytes,
          getClientIp: () => {
            const ip = input.clientIp;
            if (ip === 'throw') throw new Error('no address');
            // Values a JavaScript caller may return by mistake (Bun's requestIP() is an object).
            if (ip === 'object') return { address: '127.0.0.1', family: 'IPv4' } as never;
            if (ip === 'number') return 2130706433 as never;
            if (ip === 'null') return null as never;
            return ip;
          },
        });
        const init: RequestInit & { duplex?: 'half' } = {
          method: input.method,
          headers: [
            ...input.headers,
            ...(input.contentLength === undefined
              ? []
              : [['content-length', input.contentLength] as [string, string]]),
          ],
        };
        const head = input.method === 'HEAD';
        if (input.method !== 'GET' && !head) init.body = input.body as Uint8Array<ArrayBuffer>;
        const request = new Request(`http://127.0.0.1${input.path}${input.query}`, init);
        const answer = await fromResponse(await handler(request));
        expectContractAnswer(answer, { basic: input.auth?.basic !== undefined, head });
        expectRuns(answer, runs(), head);
        if (input.aim !== undefined) expect(answer.status, 'the status aimed at').toBe(input.aim);
        seen.add(answer.status);
      }),
      { numRuns: 1_500, examples },
    );
    // The inputs reached every branch of the response table, not only the early refusals.
    expect([...seen].sort(), seedNote()).toEqual([...AIMS]);
  });

  it('answers every delivery of one notification 200 exactly once among concurrent copies', async () => {
    await fc.assert(
      fc.asyncProperty(
        validText,
        fc.integer({ min: 2, max: 12 }),
        fc.constantFrom<Behaviour>('ok', 'async'),
        async (text, copies, how) => {
          const { webhooks, runs } = router(how);
          const handler = createFetchHandler(webhooks);
          const answers = await Promise.all(
            Array.from({ length: copies }, () =>
              handler(new Request('http://127.0.0.1/hook', { method: 'POST', body: text })).then(
                fromResponse,
              ),
            ),
          );
          for (const answer of answers) expectContractAnswer(answer);
          expect(answers.filter((answer) => answer.text === '{"ok":true}')).toHaveLength(1);
          expect(answers.every((answer) => [200, 409].includes(answer.status))).toBe(true);
          expect(runs()).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('fuzzing createNodeMiddleware on a real node:http server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(async () => false);
  });
  afterAll(() => server.close());

  /** Methods llhttp knows; others it refuses itself, before any listener. */
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constant('POST') },
    {
      weight: 3,
      arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'),
    },
    { weight: 1, arbitrary: fc.constantFrom('post', 'FOO', 'P0ST') },
  );
  /** How the body is framed; `over-limit` declares far more than is sent. */
  const framing = fc.constantFrom('length', 'length', 'chunked', 'over-limit');
  /** Header text as it goes on the wire: Latin-1 bytes, or UTF-8 bytes of any text. */
  const encoding = fc.constantFrom<BufferEncoding>('latin1', 'utf8');

  function rawRequest(input: {
    method: string;
    target: string;
    headers: readonly [string, string][];
    encoding: BufferEncoding;
    framing: string;
    chunk: number;
    body: Uint8Array;
    limit: number;
  }): Buffer {
    const parts: Buffer[] = [
      Buffer.from(`${input.method} ${input.target} HTTP/1.1\r\nHost: 127.0.0.1\r\n`, 'latin1'),
    ];
    for (const [name, value] of input.headers) {
      parts.push(Buffer.from(`${name}: `, 'latin1'), Buffer.from(value, input.encoding));
      parts.push(Buffer.from('\r\n', 'latin1'));
    }
    const length =
      input.framing === 'over-limit' ? input.limit + 1 + input.chunk : input.body.byteLength;
    parts.push(
      Buffer.from(
        input.framing === 'chunked'
          ? 'Transfer-Encoding: chunked\r\n'
          : `Content-Length: ${length}\r\n`,
        'latin1',
      ),
      Buffer.from('Connection: close\r\n\r\n', 'latin1'),
    );
    if (input.framing !== 'chunked') {
      parts.push(Buffer.from(input.body));
      return Buffer.concat(parts);
    }
    for (let at = 0; at < input.body.byteLength; at += input.chunk) {
      const piece = input.body.subarray(at, at + input.chunk);
      parts.push(Buffer.from(`${piece.byteLength.toString(16)}\r\n`, 'latin1'));
      parts.push(Buffer.from(piece), Buffer.from('\r\n', 'latin1'));
    }
    parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
    return Buffer.concat(parts);
  }

  const { requests, examples } = withAims(
    fc.record({
      method,
      target: fc.tuple(path, query).map(([p, q]) => p + q),
      headers,
      encoding,
      framing,
      chunk: fc.integer({ min: 1, max: 700 }),
      body,
      auth,
      maxBodyBytes,
      how: behaviour,
    }),
    (aim, decisive) =>
      fc
        .record({
          decisive,
          encoding,
          // Only the 413 arm may declare more than the limit.
          framing: aim === 413 ? framing : fc.constantFrom('length', 'chunked'),
          chunk: fc.integer({ min: 1, max: 700 }),
        })
        .map(({ decisive: { path, query, ...rest }, ...framed }) => ({
          ...rest,
          ...framed,
          target: path + query,
        })),
  );

  it('always answers from the contract, or lets node:http refuse what is not HTTP', async () => {
    const nodeOwn: number[] = [];
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(requests, async (input) => {
        const { webhooks, runs } = router(input.how);
        const middleware = createNodeMiddleware(webhooks, {
          path: '/hook',
          auth: input.auth,
          maxBodyBytes: input.maxBodyBytes,
        });
        server.use(middleware);
        const reached = server.reached;
        const fellThrough = server.fellThrough;
        const limit = input.maxBodyBytes ?? 1024 * 1024;
        const head = input.method === 'HEAD';
        const outcome = await rawExchange(server, rawRequest({ ...input, limit }), { head });
        await until(() => server.running === 0, 'the middleware settled');
        expect(outcome.closed).toBe(true);
        const answer = outcome.answer;
        expect(answer, outcome.raw.toString('latin1').slice(0, 200)).toBeDefined();
        if (server.reached === reached) {
          // node:http refused the request itself (unknown method, headers too large).
          expect([400, 431]).toContain(answer!.status);
          nodeOwn.push(answer!.status);
          expect(runs()).toBe(0);
          expect(input.aim, 'a request built to reach the middleware').toBeUndefined();
          return;
        }
        if (server.fellThrough > fellThrough) {
          expect(answer!.status).toBe(404);
          expect(answer!.text).toBe(head ? '' : 'fell through');
          expect(runs()).toBe(0);
          expect(input.aim, 'a request built to reach the middleware').toBeUndefined();
          return;
        }
        expectContractAnswer(answer!, { basic: input.auth?.basic !== undefined, head });
        expectRuns(answer!, runs(), head);
        if (input.aim !== undefined) expect(answer!.status, 'the status aimed at').toBe(input.aim);
        seen.add(answer!.status);
      }),
      { numRuns: 500, examples },
    );
    // Most requests reached the middleware: the fuzzing exercised it, not node:http's parser.
    expect(nodeOwn.length, seedNote()).toBeLessThan(250);
    expect([...seen].sort(), seedNote()).toEqual([...AIMS]);
    await until(() => server.connections === 0, 'every connection closed');
  });
});
