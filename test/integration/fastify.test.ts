import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import fastifyUanatacaWebhooks, {
  type FastifyWebhooksOptions,
  fastifyUanatacaWebhooks as named,
} from '../../src/adapters/fastify.js';
import {
  createMemoryInbox,
  createWebhooks,
  type HandlerContext,
  isWebhookError,
  type WebhookError,
  type WebhookEvent,
} from '../../src/index.js';
import { REQUEST_TIMEOUT_MS } from './matrix.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);
const APPROVED = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-4-request-approved.json'),
  'utf8',
);
const JSON_TYPE = { 'content-type': 'application/json' };

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A recorder of what handlers saw and what the plugin reported. */
function createRecorder() {
  const events: { event: WebhookEvent; context: HandlerContext }[] = [];
  const errors: WebhookError[] = [];
  const webhooks = createWebhooks();
  webhooks.on('*', (event, context) => void events.push({ event, context }));
  const onError = (error: WebhookError) => void errors.push(error);
  return { webhooks, events, errors, onError };
}

/**
 * A Fastify application of the kind users have: a JSON API with an app-wide text parser of
 * its own, and `build` registering the plugin. Listens on 127.0.0.1 with an ephemeral port.
 */
async function start(
  build: (app: FastifyInstance) => void | Promise<void>,
  serverOptions: FastifyServerOptions = {},
) {
  const app = Fastify(serverOptions);
  apps.push(app);
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) =>
    done(null, { shouted: String(body).toUpperCase() }),
  );
  app.post('/api/items', async (request) => ({ received: request.body }));
  await build(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const send = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(url + path, {
      method: 'POST',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ...init,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  return { app, url, send };
}

const plugin = (options: FastifyWebhooksOptions) => (app: FastifyInstance) =>
  void app.register(fastifyUanatacaWebhooks, options);

describe('the Fastify plugin', () => {
  it('is the default export, named after the package as fastify-plugin names plugins', () => {
    expect(fastifyUanatacaWebhooks).toBe(named);
    const meta = (fastifyUanatacaWebhooks as unknown as Record<symbol, unknown>)[
      Symbol.for('plugin-meta')
    ];
    expect(meta).toEqual({ name: 'uanataca-webhooks', fastify: '5.x' });
    const name = (fastifyUanatacaWebhooks as unknown as Record<symbol, unknown>)[
      Symbol.for('fastify.display-name')
    ];
    expect(name).toBe('uanataca-webhooks');
    // Encapsulated: unlike what fastify-plugin does by default, it keeps its own context.
    expect(
      (fastifyUanatacaWebhooks as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')],
    ).toBeUndefined();
  });

  it('leaves the application its JSON and other parsers on every other route', async () => {
    const { webhooks, events } = createRecorder();
    const { app, send } = await start(
      plugin({ webhooks, path: '/webhooks/uanataca', auth: false }),
    );
    const json = await send('/api/items', { headers: JSON_TYPE, body: '{"a":1}' });
    expect(json.json).toEqual({ received: { a: 1 } });
    const text = await send('/api/items', {
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.json).toEqual({ received: { shouted: 'HI' } });
    // Fastify's own answer for malformed JSON elsewhere, not the webhook's.
    const malformed = await send('/api/items', { headers: JSON_TYPE, body: '{' });
    expect(malformed.status).toBe(400);
    expect((malformed.json as { code?: string }).code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    const unknownType = await send('/api/items', {
      headers: { 'content-type': 'application/x-unknown' },
      body: 'x',
    });
    expect(unknownType.status).toBe(415);

    for (const headers of [JSON_TYPE, { 'content-type': 'text/plain' }, {}]) {
      const hook = await send('/webhooks/uanataca', { headers, body: REVIEW });
      expect(hook.status).toBe(200);
    }
    expect(events.map(({ event }) => event.status)).toEqual(['VIDEOREVIEW']);
    expect(app.printPlugins()).toContain('uanataca-webhooks');
  });

  it('keeps the body as sent, byte for byte, for the inbox to record', async () => {
    const store = createMemoryInbox();
    const webhooks = createWebhooks({ inbox: { store, worker: false } });
    const { send } = await start(plugin({ webhooks, path: '/hook', auth: false }));
    const spaced = `{ "spaced" : true, ${REVIEW.trim().slice(1)}\n`;
    const response = await send('/hook', { headers: JSON_TYPE, body: spaced });
    expect(response.json).toEqual({ ok: true, queued: true });
    const [entry] = await store.list({});
    expect(entry?.body).toBe(spaced);
    await webhooks.inbox?.stop();
  });

  it('reads a body sent with a Content-Type Fastify refuses to parse', async () => {
    const { webhooks, events, errors, onError } = createRecorder();
    const { send } = await start(plugin({ webhooks, path: '/hook', auth: false, onError }));
    const response = await send('/hook', { headers: { 'content-type': 'json' }, body: REVIEW });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ ok: true });
    const notJson = await send('/hook', { headers: { 'content-type': 'json' }, body: 'nope' });
    expect(notJson.status).toBe(400);
    expect(events).toHaveLength(1);
    expect(errors.map((error) => error.code)).toEqual(['invalid_json']);
  });

  it('serves the path under the prefix it is registered with', async () => {
    const { webhooks, events } = createRecorder();
    const { send } = await start((app) => {
      app.register(fastifyUanatacaWebhooks, {
        webhooks,
        path: '/',
        prefix: '/webhooks/uanataca',
        auth: { token: 'tok' },
      } as FastifyWebhooksOptions);
    });
    expect((await send('/webhooks/uanataca?token=tok', { body: REVIEW })).status).toBe(200);
    expect((await send('/webhooks/uanataca/tok', { body: APPROVED })).status).toBe(200);
    expect((await send('/webhooks/uanataca?token=nope', { body: REVIEW })).status).toBe(401);
    expect((await send('/elsewhere?token=tok', { body: REVIEW })).status).toBe(404);
    expect(events).toHaveLength(2);
  });

  it('routes the token segment only when a token is configured', async () => {
    const { webhooks } = createRecorder();
    const { send } = await start(plugin({ webhooks, path: '/hook', auth: false }));
    expect((await send('/hook/anything', { body: REVIEW })).status).toBe(404);
  });

  it('serves two endpoints with their own routers and options', async () => {
    const first = createRecorder();
    const second = createRecorder();
    const { send } = await start((app) => {
      app.register(fastifyUanatacaWebhooks, {
        webhooks: first.webhooks,
        path: '/one',
        auth: { token: 'a' },
      });
      app.register(fastifyUanatacaWebhooks, {
        webhooks: second.webhooks,
        path: '/two',
        auth: { token: 'b' },
        maxBodyBytes: 64,
      });
    });
    expect((await send('/one?token=a', { body: REVIEW })).status).toBe(200);
    expect((await send('/one?token=b', { body: REVIEW })).status).toBe(401);
    expect((await send('/two?token=b', { body: REVIEW })).status).toBe(413);
    expect(first.events).toHaveLength(1);
    expect(second.events).toHaveLength(0);
  });

  it("takes maxBodyBytes as the route's bodyLimit, above or below the application's", async () => {
    const { webhooks, events, errors, onError } = createRecorder();
    const { send } = await start(
      plugin({ webhooks, path: '/hook', auth: false, maxBodyBytes: 64 * 1024, onError }),
      { bodyLimit: 256 },
    );
    const padded = JSON.stringify({ ...JSON.parse(REVIEW), padding: 'x'.repeat(4096) });
    expect((await send('/hook', { headers: JSON_TYPE, body: padded })).status).toBe(200);
    expect(events).toHaveLength(1);
    // The application's own limit still holds on its routes.
    expect((await send('/api/items', { headers: JSON_TYPE, body: padded })).status).toBe(413);

    const small = await start(plugin({ webhooks, path: '/hook', auth: false, maxBodyBytes: 256 }));
    const refused = await small.send('/hook', { headers: JSON_TYPE, body: padded });
    expect(refused.status).toBe(413);
    expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(refused.json).toEqual({
      ok: false,
      error: { code: 'payload_too_large', message: expect.any(String) },
    });
    expect(errors).toHaveLength(0);
  });

  it('checks the credentials before refusing a body over the limit', async () => {
    const { webhooks, errors, onError } = createRecorder();
    const { send } = await start(
      plugin({ webhooks, path: '/hook', auth: { token: 'tok' }, maxBodyBytes: 256, onError }),
    );
    const padded = JSON.stringify({ ...JSON.parse(REVIEW), padding: 'x'.repeat(4096) });
    const stranger = await send('/hook', { headers: JSON_TYPE, body: padded });
    expect(stranger.status).toBe(401);
    const known = await send('/hook?token=tok', { headers: JSON_TYPE, body: padded });
    expect(known.status).toBe(413);
    expect(errors.map((error) => error.code)).toEqual(['unauthorized', 'payload_too_large']);
  });

  it("reads the client address from the socket whatever Fastify's own trustProxy says", async () => {
    const { webhooks, events } = createRecorder();
    const ips: string[] = [];
    const { send } = await start(
      (app) => {
        app.addHook('onRequest', async (request) => void ips.push(request.ip));
        app.register(fastifyUanatacaWebhooks, {
          webhooks,
          path: '/hook',
          auth: { allowIps: ['203.0.113.7'] },
        });
        app.register(fastifyUanatacaWebhooks, {
          webhooks,
          path: '/trusting',
          auth: { allowIps: ['203.0.113.7'], trustProxy: 'loopback' },
        });
      },
      { trustProxy: true },
    );
    const forwarded = { 'x-forwarded-for': '203.0.113.7' };
    expect((await send('/hook', { headers: forwarded, body: REVIEW })).status).toBe(403);
    expect(ips).toEqual(['203.0.113.7']);
    expect((await send('/trusting', { headers: forwarded, body: REVIEW })).status).toBe(200);
    expect(events[0]!.context.clientIp).toBe('203.0.113.7');
  });

  it("answers through Fastify's reply, so the application's hooks see every answer", async () => {
    const { webhooks } = createRecorder();
    const seen: number[] = [];
    const { send } = await start((app) => {
      app.addHook('onResponse', async (_request, reply) => void seen.push(reply.statusCode));
      app.register(fastifyUanatacaWebhooks, { webhooks, path: '/hook', auth: { token: 't' } });
    });
    await send('/hook?token=t', { body: REVIEW });
    await send('/hook?token=t', { body: REVIEW });
    await send('/hook', { body: REVIEW });
    await send('/hook?token=t', { method: 'GET' });
    await send('/hook?token=t', { method: 'HEAD' });
    expect(seen).toEqual([200, 200, 401, 405, 405]);
  });

  it("leaves the application's own errors on the webhook path to its error handler", async () => {
    const { webhooks, events } = createRecorder();
    const { send } = await start((app) => {
      app.setErrorHandler((error, _request, reply) => {
        void reply.code(429).send({ limited: (error as Error).message });
      });
      app.addHook('onRequest', async (request) => {
        if (request.headers['x-flood'] !== undefined) throw new Error('slow down');
      });
      app.register(fastifyUanatacaWebhooks, { webhooks, path: '/hook', auth: false });
    });
    const limited = await send('/hook', { headers: { 'x-flood': '1' }, body: REVIEW });
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ limited: 'slow down' });
    expect((await send('/hook', { body: REVIEW })).status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it("answers Fastify's inject() like a socket", async () => {
    const { webhooks, events } = createRecorder();
    const app = Fastify();
    apps.push(app);
    await app.register(fastifyUanatacaWebhooks, { webhooks, path: '/hook', auth: false });
    const response = await app.inject({ method: 'POST', url: '/hook', payload: REVIEW });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    const duplicate = await app.inject({ method: 'POST', url: '/hook', payload: REVIEW });
    expect(duplicate.json()).toEqual({ ok: true, duplicate: true });
    expect(events[0]!.context.clientIp).toBe('127.0.0.1');
  });

  it.each<[string, Partial<FastifyWebhooksOptions>]>([
    ['no webhooks', { webhooks: undefined as never }],
    ['no path', { path: undefined as never }],
    ['a path without a leading slash', { path: 'hook' }],
    ['a size that is not a number', { maxBodyBytes: '1mb' as never }],
    ['a token that is set but empty', { auth: { token: [] } }],
  ])('refuses to register with %s', async (_, options) => {
    const { webhooks } = createRecorder();
    const app = Fastify();
    apps.push(app);
    const failure = await app
      .register(fastifyUanatacaWebhooks, { webhooks, path: '/hook', auth: false, ...options })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isWebhookError(failure, 'invalid_options')).toBe(true);
  });
});
