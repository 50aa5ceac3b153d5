import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import express4 from 'express4';
import express5 from 'express5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExpressErrorHandler,
  createExpressMiddleware,
  type ExpressMiddleware,
} from '../../src/adapters/express.js';
import {
  createMemoryInbox,
  createWebhooks,
  parseWebhook,
  type WebhookError,
  type WebhookEvent,
} from '../../src/index.js';
import { listenOnLoopback, REQUEST_TIMEOUT_MS, rawHttp } from './matrix.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const FIXTURES = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, body: readFileSync(join(fixturesDir, name), 'utf8') }));
const REVIEW = readFileSync(join(fixturesDir, 'videoid-3-videoid-updated-review.json'), 'utf8');
const LEGACY = readFileSync(join(fixturesDir, 'legacy-videoincomplete.json'), 'utf8');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The review notification with an extra field the provider might add one day. */
const withNote = (note: string): string =>
  JSON.stringify({ ...(JSON.parse(REVIEW) as object), note });

describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
])('%s: body parsers mounted before the middleware', (_name, express) => {
  let current: ExpressMiddleware;
  let events: WebhookEvent[] = [];
  let errors: WebhookError[] = [];
  let url = '';
  let port = 0;
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const app = express();
    const route: ExpressMiddleware = (req, res, next) => current(req, res, next);
    // Registered before the app-wide JSON parser, so that it reads the stream itself.
    app.post('/first', route);
    app.post('/form', express.urlencoded({ extended: false }), route);
    app.post('/form-extended', express.urlencoded({ extended: true }), route);
    app.use(express.json());
    app.post('/json', route);
    const server = await listenOnLoopback(createServer(app));
    url = server.url;
    port = server.port;
    close = server.close;
  });
  afterAll(() => close());

  function reset(): void {
    events = [];
    errors = [];
    const webhooks = createWebhooks();
    webhooks.on('*', (event) => void events.push(event));
    current = createExpressMiddleware(webhooks, { onError: (error) => errors.push(error) });
  }

  async function post(
    path: string,
    body: string | ReadableStream,
    headers: Record<string, string>,
  ) {
    const response = await fetch(url + path, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      duplex: 'half',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    } as RequestInit);
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), text };
  }

  /** `fetch` sends an empty stream with Content-Length: 0, so this one speaks raw HTTP. */
  async function postEmptyChunked(path: string, contentType: string): Promise<number> {
    const raw = await rawHttp(port, 4, [
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
        `Content-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ]);
    return Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1]);
  }

  describe('express.urlencoded({ extended: false }) with a form Content-Type', () => {
    it.each(FIXTURES)(
      'recovers the JSON of $name from the single field the parser made',
      async ({ body }) => {
        reset();
        expect((await post('/form', body, FORM)).status).toBe(200);
        expect(events).toHaveLength(1);
        expect(events[0]!.payload).toEqual(parseWebhook(body).payload);
      },
    );

    it('refuses with 400, and says why, JSON whose strings hold "&" or "=" (a limit)', async () => {
      reset();
      for (const note of ['a&b', 'a=b', 'https://example.com/?a=1&b=2']) {
        const response = await post('/form', withNote(note), FORM);
        expect(response.status).toBe(400);
        expect(JSON.parse(response.text).error.code).toBe('invalid_json');
        expect(JSON.parse(response.text).error.message).toContain('express.urlencoded()');
      }
      expect(events).toHaveLength(0);
      // Without the form parser, the same bodies arrive intact.
      reset();
      expect((await post('/first', withNote('https://example.com/?a=1&b=2'), FORM)).status).toBe(
        200,
      );
      expect(events[0]!.payload).toMatchObject({ note: 'https://example.com/?a=1&b=2' });
    });

    it('cannot undo the form decoding of "+" and "%XX" inside strings (a limit)', async () => {
      reset();
      expect((await post('/form', withNote('a+b %41'), FORM)).status).toBe(200);
      expect(events[0]!.payload).toMatchObject({ note: 'a b A' });
      reset();
      expect((await post('/first', withNote('a+b %41'), FORM)).status).toBe(200);
      expect(events[0]!.payload).toMatchObject({ note: 'a+b %41' });
    });

    it('answers 400 for a real form body, and for an empty chunked one', async () => {
      reset();
      const form = await post('/form', 'status=ISSUED&request=1', FORM);
      expect(form.status).toBe(400);
      expect(JSON.parse(form.text).error.code).toBe('invalid_json');
      expect(await postEmptyChunked('/form', FORM['content-type'])).toBe(400);
      expect((await post('/form', '', FORM)).status).toBe(400);
      expect(events).toHaveLength(0);
    });

    it('measures the recovered text against maxBodyBytes', async () => {
      const webhooks = createWebhooks();
      current = createExpressMiddleware(webhooks, { maxBodyBytes: LEGACY.length - 1 });
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(LEGACY));
          controller.close();
        },
      });
      expect((await post('/form', stream, FORM)).status).toBe(413);
    });
  });

  describe('express.urlencoded({ extended: true }) with a form Content-Type', () => {
    it('recovers JSON without brackets', async () => {
      reset();
      expect((await post('/form-extended', LEGACY, FORM)).status).toBe(200);
      expect(events).toHaveLength(1);
    });

    it('refuses JSON with brackets, which the parser nests into objects (a limit)', async () => {
      reset();
      const response = await post('/form-extended', REVIEW, FORM);
      expect([400, 422]).toContain(response.status);
      expect(JSON.parse(response.text).ok).toBe(false);
      expect(events).toHaveLength(0);
    });
  });

  describe('express.json() before the middleware', () => {
    it('answers itself, with its own 400 page, a body declared JSON that is not (a limit)', async () => {
      reset();
      const response = await post('/json', 'not json', { 'content-type': 'application/json' });
      expect(response.status).toBe(400);
      expect(response.type).toMatch(/^text\/html/);
      expect(errors).toHaveLength(0);
      // Mounted before the parser, the middleware answers in its own format.
      const first = await post('/first', 'not json', { 'content-type': 'application/json' });
      expect(first.status).toBe(400);
      expect(JSON.parse(first.text).error.code).toBe('invalid_json');
      expect(errors.map((error) => error.code)).toEqual(['invalid_json']);
    });

    it('answers itself with 413 past its own limit of 100 kB (a limit)', async () => {
      reset();
      const big = withNote('x'.repeat(150 * 1024));
      const response = await post('/json', big, { 'content-type': 'application/json' });
      expect(response.status).toBe(413);
      expect(response.type).toMatch(/^text\/html/);
      expect((await post('/first', big, { 'content-type': 'application/json' })).status).toBe(200);
    });

    it('turns an empty chunked body into {}, answered 422 instead of 400 (a limit)', async () => {
      reset();
      expect(await postEmptyChunked('/json', 'application/json')).toBe(422);
      const declared = await post('/json', '', { 'content-type': 'application/json' });
      expect(declared.status).toBe(400);
      expect(events).toHaveLength(0);
    });
  });
});

/** A valid notification with an unknown field nested `depth` arrays deep. */
const deepNotification = (depth: number): string =>
  `${REVIEW.trimEnd().slice(0, -1)}, "deep": ${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
])('%s: the body limit and parser errors behind express.json()', (_name, express) => {
  let url = '';
  let port = 0;
  let close: () => Promise<void> = async () => {};
  let events: WebhookEvent[] = [];
  let errors: string[] = [];

  beforeAll(async () => {
    const webhooks = createWebhooks();
    webhooks.on('*', (event) => void events.push(event));
    const options = {
      maxBodyBytes: 64 * 1024,
      auth: { token: 'tok' },
      onError: (error: WebhookError) => void errors.push(error.code),
    };
    const app = express();
    // Registered before any parser: the answers without one, to compare with.
    app.post('/plain', createExpressMiddleware(webhooks, options));
    // A parser that keeps the bytes it read on req.rawBody.
    app.use(
      '/kept',
      express.json({ verify: (req, _res, buf) => Object.assign(req, { rawBody: buf }) }),
    );
    app.post('/kept', createExpressMiddleware(webhooks, options));
    app.use('/small', express.json({ limit: '1kb' }));
    app.use(express.json({ limit: '10mb' }));
    app.post('/hook', createExpressMiddleware(webhooks, options));
    app.use('/hook', createExpressErrorHandler(webhooks, options));
    app.use(express.text());
    app.post('/other', (_req, _res) => {
      throw new Error('another route failed');
    });
    app.post('/small', createExpressMiddleware(webhooks, options));
    app.use('/small', createExpressErrorHandler(webhooks, options));
    const server = await listenOnLoopback(createServer(app));
    url = server.url;
    port = server.port;
    close = server.close;
  });
  afterAll(() => close());

  async function post(path: string, body: string | ReadableStream, headers = {}) {
    events = [];
    errors = [];
    const response = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      duplex: 'half',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    } as RequestInit);
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), text };
  }

  /** Streams `text` in chunks without a Content-Length. */
  const chunked = (text: string): ReadableStream<Uint8Array> => {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    return new ReadableStream({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(at, at + 64 * 1024));
        at += 64 * 1024;
      },
    });
  };

  it('refuses with 413 a chunked body past maxBodyBytes that cannot be measured again', async () => {
    // 3 MB, with a field too deep for JSON.stringify: the parser in front accepts it.
    const body = deepNotification(10_000).replace(
      '"deep"',
      `"pad": "${'x'.repeat(3_000_000)}", "deep"`,
    );
    const response = await post('/hook?token=tok', chunked(body));
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text).error.code).toBe('payload_too_large');
    expect(events).toHaveLength(0);
  });

  it('refuses with 413 a small body too deep to be measured again, and runs no handler', async () => {
    const response = await post('/hook?token=tok', chunked(deepNotification(10_000)));
    expect(response.status).toBe(413);
    expect(events).toHaveLength(0);
  });

  it('accepts a body within the limit behind the parser', async () => {
    const response = await post('/hook?token=tok', chunked(deepNotification(100)));
    expect(response.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it('answers malformed JSON the parser refused with 400 in JSON', async () => {
    const response = await post('/hook?token=tok', '{"broken": ');
    expect(response.status).toBe(400);
    expect(response.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(response.text)).toMatchObject({ ok: false, error: { code: 'invalid_json' } });
    expect(errors).toEqual(['invalid_json']);
  });

  /** The status and JSON body of the answer to `body` behind the parser and without one. */
  async function bothWays(body: string | (() => ReadableStream)) {
    const send = () => (typeof body === 'string' ? body : body());
    const plain = await post('/plain?token=tok', send());
    const plainErrors = errors;
    const parsed = await post('/hook?token=tok', send());
    expect(parsed.type).toBe('application/json; charset=utf-8');
    return {
      parsed: { status: parsed.status, json: JSON.parse(parsed.text) as unknown, errors },
      plain: { status: plain.status, json: JSON.parse(plain.text) as unknown, errors: plainErrors },
    };
  }

  it.each(['null', '123', '"text"', 'true', '[]', ' \n null \n'])(
    'answers the JSON %j 422, with the issues, exactly as without a parser',
    async (body) => {
      const { parsed, plain } = await bothWays(body);
      expect(plain.status).toBe(422);
      expect(parsed).toEqual(plain);
      expect(parsed.json).toMatchObject({
        ok: false,
        error: { code: 'invalid_payload', issues: [{ path: [] }] },
      });
      expect(parsed.errors).toEqual(['invalid_payload']);
      expect(events).toHaveLength(0);
      // Sent chunked, without a Content-Length, the answer is the same.
      expect((await bothWays(() => chunked(body))).parsed).toEqual(plain);
    },
  );

  it.each(['{"broken": ', 'not json', 'nul', '"unterminated', '   '])(
    'answers %j, which is not JSON, 400 exactly as without a parser',
    async (body) => {
      const { parsed, plain } = await bothWays(body);
      expect(plain.status).toBe(400);
      expect(parsed).toEqual(plain);
      expect(parsed.json).toMatchObject({ ok: false, error: { code: 'invalid_json' } });
      expect(events).toHaveLength(0);
    },
  );

  it('answers 413 JSON the parser refused that is over maxBodyBytes, as without a parser', async () => {
    // Under the parser's own limit of 10 MB, over maxBodyBytes (64 KiB), and chunked, so that
    // no declared length stops it first.
    const body = `${' '.repeat(70 * 1024)}null`;
    const { parsed, plain } = await bothWays(() => chunked(body));
    expect(plain.status).toBe(413);
    expect(parsed).toEqual(plain);
  });

  it('checks credentials before answering JSON the parser refused: 401 without the token', async () => {
    const response = await post('/hook', 'null');
    expect(response.status).toBe(401);
    expect(JSON.parse(response.text).error.code).toBe('unauthorized');
  });

  /** Status and JSON body of an empty chunked POST, which `fetch` cannot send. */
  async function postEmptyChunked(path: string) {
    const raw = await rawHttp(port, 4, [
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
        'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ]);
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]), json: JSON.parse(body) };
  }

  it('answers an empty chunked body 422, as the body {}, and 400 without the parser (documented)', async () => {
    // body-parser makes {} of both, and leaves nothing that tells them apart.
    const empty = await postEmptyChunked('/hook?token=tok');
    const braces = await post('/hook?token=tok', chunked('{}'));
    expect(empty).toEqual({ status: 422, json: JSON.parse(braces.text) });
    expect(empty.json.error.code).toBe('invalid_payload');
    const plain = await postEmptyChunked('/plain?token=tok');
    expect(plain.status).toBe(400);
    expect(plain.json.error).toMatchObject({ code: 'invalid_json', message: 'Body is empty' });
    // Declared empty, it is told apart: 400.
    const declared = await post('/hook?token=tok', '');
    expect(declared.status).toBe(400);
    expect(JSON.parse(declared.text)).toEqual(plain.json);
  });

  it('answers an empty chunked body 400 behind a parser that keeps the bytes (documented)', async () => {
    const empty = await postEmptyChunked('/kept?token=tok');
    expect(empty).toEqual(await postEmptyChunked('/plain?token=tok'));
    expect(empty.status).toBe(400);
    expect((await post('/kept?token=tok', chunked('{}'))).status).toBe(422);
    expect((await post('/kept?token=tok', chunked(REVIEW))).status).toBe(200);
  });

  it('answers a body over the parser’s own limit with 413 in JSON', async () => {
    const response = await post('/small?token=tok', withNote('x'.repeat(4_096)));
    expect(response.status).toBe(413);
    expect(response.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(response.text).error.code).toBe('payload_too_large');
  });

  it('answers an unknown charset the parser refused with 400 in JSON', async () => {
    const response = await post('/hook?token=tok', REVIEW, {
      'content-type': 'application/json; charset=klingon',
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).error.code).toBe('invalid_json');
  });

  it('checks credentials first: a malformed body without the token is answered 401', async () => {
    const response = await post('/hook', '{"broken": ');
    expect(response.status).toBe(401);
    expect(JSON.parse(response.text).error.code).toBe('unauthorized');
  });

  it('leaves errors of other paths to Express', async () => {
    const response = await post('/other', 'text', { 'content-type': 'text/plain' });
    expect(response.status).toBe(500);
    expect(response.type).toMatch(/^text\/html/);
  });
});

describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
])(
  '%s: a platform that keeps the raw body (Google Cloud Functions, Firebase, NestJS)',
  (_name, express) => {
    it('reads req.rawBody, the bytes as sent, rather than the parsed body', async () => {
      const webhooks = createWebhooks({ inbox: { store: createMemoryInbox(), worker: false } });
      const app = express();
      // What the Functions Framework does: parse JSON and keep the bytes on req.rawBody.
      app.use(
        express.json({
          verify: (req, _res, buf) => {
            (req as unknown as { rawBody: Buffer }).rawBody = buf;
          },
        }),
      );
      app.post('/hook', createExpressMiddleware(webhooks, { auth: false }));
      const server = await listenOnLoopback(createServer(app));
      try {
        const body = `  ${REVIEW.trim()}\n`;
        const response = await fetch(`${server.url}/hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        expect(response.status).toBe(200);
        const [entry] = await webhooks.inbox.list();
        expect(entry?.body).toBe(body);
      } finally {
        await server.close();
      }
    });
  },
);
