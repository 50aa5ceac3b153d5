import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNodeMiddleware,
  type NodeMiddleware,
  type NodeMiddlewareOptions,
} from '../../src/adapters/node.js';
import {
  createWebhooks,
  InvalidOptionsError,
  type WebhookError,
  type WebhookEvent,
} from '../../src/index.js';
import { listenOnLoopback, REQUEST_TIMEOUT_MS } from './matrix.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

/** What the listener saw after the middleware settled, for the fall-through checks. */
interface Outcome {
  handled: boolean;
  nextCalls: number;
  headersSent: boolean;
  writableEnded: boolean;
}

describe('createNodeMiddleware: path and fall-through', () => {
  let middleware: NodeMiddleware;
  let withNext = true;
  let outcomes: Outcome[] = [];
  let events: WebhookEvent[] = [];
  let url = '';
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      let nextCalls = 0;
      const next = (): void => {
        nextCalls += 1;
      };
      const handled = await (withNext ? middleware(req, res, next) : middleware(req, res));
      outcomes.push({
        handled,
        nextCalls,
        headersSent: res.headersSent,
        writableEnded: res.writableEnded,
      });
      if (!res.writableEnded) res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    });
    const started = await listenOnLoopback(server);
    url = started.url;
    close = started.close;
  });
  afterAll(() => close());

  function use(options: NodeMiddlewareOptions, next = true): void {
    const webhooks = createWebhooks();
    events = [];
    outcomes = [];
    webhooks.on('*', (event) => void events.push(event));
    middleware = createNodeMiddleware(webhooks, options);
    withNext = next;
  }

  async function post(path: string, method = 'POST') {
    const response = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(method === 'GET' ? {} : { body: new TextEncoder().encode(REVIEW) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, text: await response.text() };
  }

  it('calls next() for other paths and writes nothing', async () => {
    use({ path: '/webhooks/uanataca' });
    for (const path of ['/', '/webhooks', '/webhooks/uanatacax', '/other/webhooks/uanataca']) {
      expect(await post(path)).toEqual({ status: 404, text: 'not here' });
    }
    expect(await post('/webhooks', 'GET')).toEqual({ status: 404, text: 'not here' });
    expect(outcomes).toHaveLength(5);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({
        handled: false,
        nextCalls: 1,
        headersSent: false,
        writableEnded: false,
      });
    }
    expect(events).toHaveLength(0);
  });

  it('resolves false and writes nothing without next', async () => {
    use({ path: '/webhooks/uanataca' }, false);
    expect(await post('/elsewhere')).toEqual({ status: 404, text: 'not here' });
    expect(outcomes).toEqual([
      { handled: false, nextCalls: 0, headersSent: false, writableEnded: false },
    ]);
  });

  it('handles its path, with or without a trailing slash or a query', async () => {
    use({ path: '/webhooks/uanataca/' });
    expect((await post('/webhooks/uanataca')).status).toBe(200);
    expect((await post('/webhooks/uanataca/?x=1')).status).toBe(200);
    expect((await post('/webhooks/uanataca', 'GET')).status).toBe(405);
    expect(outcomes.map((outcome) => [outcome.handled, outcome.nextCalls])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
    ]);
    expect(events).toHaveLength(1);
  });

  it('matches /path/<token> only when auth.token is set', async () => {
    use({ path: '/hook' });
    expect((await post('/hook/tok-s3cret')).status).toBe(404);
    expect(events).toHaveLength(0);
    expect(() => use({ path: '/hook', auth: { token: [] } })).toThrow(InvalidOptionsError);
    use({ path: '/hook', auth: { token: 'tok-s3cret' } });
    expect((await post('/hook/tok-s3cret')).status).toBe(200);
    expect((await post('/hook/tok-wrong')).status).toBe(401);
    expect((await post('/hook/tok-s3cret/more')).status).toBe(404);
    expect((await post('/hook?token=tok-s3cret')).status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it('handles every path when no path is given', async () => {
    use({});
    expect((await post('/anything/at/all')).status).toBe(200);
    expect(outcomes[0]).toMatchObject({ handled: true, nextCalls: 0 });
  });

  it('rejects a path that does not start with "/"', () => {
    const webhooks = createWebhooks();
    expect(() => createNodeMiddleware(webhooks, { path: 'hook' })).toThrow(InvalidOptionsError);
    expect(() => createNodeMiddleware({} as never)).toThrow(InvalidOptionsError);
  });
});

describe('createNodeMiddleware after something read the body (connect style)', () => {
  let close: () => Promise<void> = async () => {};
  let url = '';
  const events: WebhookEvent[] = [];
  const errors: WebhookError[] = [];

  beforeAll(async () => {
    const webhooks = createWebhooks();
    webhooks.on('*', (event) => void events.push(event));
    const middleware = createNodeMiddleware(webhooks, {
      maxBodyBytes: 4096,
      onError: (error) => errors.push(error),
    });
    const parse = express4.json();
    const server = createServer((req, res) => {
      if (req.url === '/paused') {
        // Something in front paused the stream, then did some asynchronous work.
        req.pause();
        setTimeout(() => void middleware(req, res), 10);
        return;
      }
      if (req.url === '/drained') {
        // Something in front read the stream and kept nothing.
        req.resume();
        req.once('end', () => void middleware(req, res));
        return;
      }
      // A parser in front consumes the stream; the middleware uses what it left.
      parse(req as never, res as never, () => void middleware(req, res));
    });
    const started = await listenOnLoopback(server);
    url = started.url;
    close = started.close;
  });
  afterAll(() => close());

  it('uses the parsed body instead of waiting for a stream already read', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: REVIEW,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(events.map((event) => event.status)).toEqual(['VIDEOREVIEW']);
  });

  it('reads a stream something in front paused, instead of waiting for it forever', async () => {
    const response = await fetch(`${url}/paused`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: REVIEW.replace('28634', '28635'),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    expect(response.status).toBe(200);
    expect(events.at(-1)?.requestId).toBe(28635);
  });

  it('answers 500 when the stream was read and nothing was left, instead of waiting', async () => {
    const response = await fetch(`${url}/drained`, {
      method: 'POST',
      body: REVIEW,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      ok: false,
      error: { code: 'invalid_options', message: 'The receiver is misconfigured' },
    });
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/already read/)]);
  });
});
