import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import express, { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import { Hono } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createExpressMiddleware,
  type ExpressMiddleware,
  type ExpressMiddlewareOptions,
} from '../../src/adapters/express.js';
import {
  createFetchHandler,
  type FetchHandler,
  type FetchHandlerOptions,
} from '../../src/adapters/fetch.js';
import {
  type AuthOptions,
  type BasicCredentials,
  createNodeMiddleware,
  type NodeMiddleware,
  type NodeMiddlewareOptions,
  type WebhookReceiver,
} from '../../src/adapters/node.js';
import { createWebhooks, type WebhookError, type WebhookEvent } from '../../src/index.js';

const webhooks = createWebhooks();

describe('createExpressMiddleware', () => {
  const middleware = createExpressMiddleware(webhooks, { auth: { token: 't' } });

  it('is an Express 5 RequestHandler', () => {
    expectTypeOf(middleware).toEqualTypeOf<ExpressMiddleware>();
    expectTypeOf(middleware).toExtend<RequestHandler>();
    expectTypeOf(middleware).not.toExtend<ErrorRequestHandler>();
  });

  it('mounts with app.post, app.use, app.all and a Router', () => {
    const app = express();
    app.post('/webhooks/uanataca', middleware);
    app.post('/webhooks/uanataca', express.json(), middleware);
    app.use('/webhooks/uanataca', middleware);
    app.all('/webhooks/uanataca', middleware);
    const router = Router();
    router.post('/', express.urlencoded({ extended: false }), middleware);
    app.use('/webhooks', router);
  });

  it('takes the shared options and nothing else', () => {
    expectTypeOf<ExpressMiddlewareOptions>().toHaveProperty('maxBodyBytes');
    // @ts-expect-error: the path is Express's business
    createExpressMiddleware(webhooks, { path: '/hook' });
    // @ts-expect-error: a size is a number of bytes
    createExpressMiddleware(webhooks, { maxBodyBytes: '1mb' });
    // @ts-expect-error: a misspelt option
    createExpressMiddleware(webhooks, { maxBody: 1024 });
  });
});

describe('createFetchHandler', () => {
  const handler = createFetchHandler(webhooks);

  it('is a Next.js route handler', () => {
    const POST: (request: Request) => Promise<Response> = handler;
    expectTypeOf(POST).returns.resolves.toEqualTypeOf<Response>();
    expectTypeOf(handler).toEqualTypeOf<FetchHandler>();
    expectTypeOf(handler).parameter(0).toEqualTypeOf<Request>();
  });

  it('serves a Hono route and a Hono mount', () => {
    const app = new Hono<{ Bindings: HttpBindings }>();
    const hook = createFetchHandler(webhooks, {
      getClientIp: (_request, env) => (env as HttpBindings).incoming.socket.remoteAddress,
    });
    app.post('/webhooks/uanataca', (c) => hook(c.req.raw, c.env));
    app.all('/webhooks/uanataca/:token', (c) => hook(c.req.raw, c.env));
    new Hono().mount('/webhooks/uanataca', handler);
  });

  it('fits Bun.serve, Deno.serve and Workers style fetch functions', () => {
    const bun: { fetch(request: Request, server: unknown): Promise<Response> } = { fetch: handler };
    const deno: (
      request: Request,
      info: { remoteAddr: { hostname: string } },
    ) => Promise<Response> = handler;
    const worker: { fetch(request: Request, env: unknown, ctx: unknown): Promise<Response> } = {
      fetch: handler,
    };
    expectTypeOf(bun).not.toBeAny();
    expectTypeOf(deno).not.toBeAny();
    expectTypeOf(worker).not.toBeAny();
  });

  it('takes the runtime arguments annotated in getClientIp or waitUntil', () => {
    interface BunServer {
      requestIP(request: Request): { address: string } | null;
    }
    const bun = createFetchHandler(webhooks, {
      getClientIp: (request, server: BunServer) => server.requestIP(request)?.address,
    });
    expectTypeOf(bun).toEqualTypeOf<FetchHandler<[server: BunServer]>>();
    const serve: { fetch(request: Request, server: BunServer): Promise<Response> } = {
      fetch: bun,
    };
    expectTypeOf(serve).not.toBeAny();
    // @ts-expect-error: the handler wants the server it was told about
    void bun(new Request('http://localhost/'));

    interface ExecutionContext {
      waitUntil(promise: Promise<unknown>): void;
    }
    const worker = createFetchHandler(webhooks, {
      waitUntil: (promise, _request, _env: unknown, ctx: ExecutionContext) =>
        ctx.waitUntil(promise),
    });
    expectTypeOf(worker).parameters.toEqualTypeOf<[Request, unknown, ExecutionContext]>();
  });

  it('takes getClientIp, sync or async', () => {
    createFetchHandler(webhooks, {
      getClientIp: (request) => request.headers.get('x-real-ip') ?? undefined,
    });
    createFetchHandler(webhooks, { getClientIp: async () => '127.0.0.1' });
    expectTypeOf<FetchHandlerOptions['getClientIp']>().toExtend<
      ((request: Request, ...rest: unknown[]) => unknown) | undefined
    >();
    // @ts-expect-error: an address is a string
    createFetchHandler(webhooks, { getClientIp: () => 127 });
    // @ts-expect-error: only the Node middleware takes a path
    createFetchHandler(webhooks, { path: '/hook' });
  });
});

describe('createNodeMiddleware', () => {
  const middleware = createNodeMiddleware(webhooks, { path: '/webhooks/uanataca' });

  it('is a node:http request listener and a connect-style middleware', () => {
    createServer(middleware);
    const listener: RequestListener = middleware;
    expectTypeOf(listener).not.toBeAny();
    expectTypeOf(middleware).toEqualTypeOf<NodeMiddleware>();
    expectTypeOf(middleware).returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf(middleware).toBeCallableWith(
      {} as IncomingMessage,
      {} as ServerResponse,
      (error?: unknown) => void error,
    );
    createServer(async (req, res) => {
      if (!(await middleware(req, res))) res.writeHead(404).end();
    });
  });

  it('also mounts in Express', () => {
    express().use(middleware);
  });

  it('refuses wrong options', () => {
    // @ts-expect-error: a path is a string
    createNodeMiddleware(webhooks, { path: 42 });
    // @ts-expect-error: a size is a number of bytes
    createNodeMiddleware(webhooks, { maxBodyBytes: '1mb' });
    // @ts-expect-error: not a router
    createNodeMiddleware({});
    // @ts-expect-error: onError receives a WebhookError
    createNodeMiddleware(webhooks, { onError: (error: string) => error });
    const options: NodeMiddlewareOptions = {
      onError: (error, event) => {
        expectTypeOf(error).toEqualTypeOf<WebhookError>();
        expectTypeOf(event).toEqualTypeOf<WebhookEvent | undefined>();
      },
    };
    expectTypeOf(options).not.toBeAny();
  });
});

describe('auth options', () => {
  it('accepts every documented form', () => {
    const forms: AuthOptions[] = [
      { token: 'secret' },
      { token: ['old', 'new'], tokenParam: 'key' },
      { basic: { username: 'u', password: 'p' }, realm: 'RA 139' },
      { basic: [{ username: 'u', password: 'p' }] },
      { allowIps: ['203.0.113.0/24', '::1'], trustProxy: false },
      { allowIps: ['203.0.113.7'], trustProxy: true },
      { allowIps: ['203.0.113.7'], trustProxy: 2 },
      { allowIps: ['203.0.113.7'], trustProxy: ['10.0.0.0/8'] },
      { allowIps: '203.0.113.0/24, 198.51.100.7', trustProxy: 'loopback' },
      { allowIps: ['203.0.113.7'], trustProxy: 'loopback, 10.0.0.0/8' },
      { allowIps: ['203.0.113.7'], trustProxy: ['uniquelocal', '203.0.113.1'] },
      { allowIps: ['203.0.113.7'], trustProxy: (address, hop) => hop < 1 && address !== '' },
      { allowIps: ['203.0.113.7'], trustProxy: process.env.TRUST_PROXY },
    ];
    createNodeMiddleware(webhooks, { auth: false });
    for (const auth of forms) {
      createNodeMiddleware(webhooks, { auth });
      createExpressMiddleware(webhooks, { auth });
      createFetchHandler(webhooks, { auth });
    }
    expectTypeOf<BasicCredentials>().toEqualTypeOf<{ username: string; password: string }>();
  });

  it('refuses the wrong shapes', () => {
    // @ts-expect-error: a token is a string
    createNodeMiddleware(webhooks, { auth: { token: 123 } });
    // @ts-expect-error: Basic credentials need a password
    createExpressMiddleware(webhooks, { auth: { basic: { username: 'u' } } });
    // @ts-expect-error: Basic credentials are an object, not "user:pass"
    createFetchHandler(webhooks, { auth: { basic: 'u:p' } });
    // @ts-expect-error: the allow-list holds addresses as strings
    createNodeMiddleware(webhooks, { auth: { allowIps: [0x0a000001] } });
    // @ts-expect-error: trustProxy is what Express's trust proxy setting accepts
    createExpressMiddleware(webhooks, { auth: { trustProxy: { hops: 1 } } });
    // @ts-expect-error: a misspelt auth option
    createFetchHandler(webhooks, { auth: { tokens: ['a'] } });
  });
});

describe('WebhookReceiver', () => {
  it('accepts the router and anything with a compatible receive', () => {
    expectTypeOf(webhooks).toExtend<WebhookReceiver>();
    const custom: WebhookReceiver = { receive: (body, context) => webhooks.receive(body, context) };
    createFetchHandler(custom);
  });
});
