import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { createAdaptorServer, type HttpBindings } from '@hono/node-server';
import express4 from 'express4';
import express5 from 'express5';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe } from 'vitest';
import {
  createLambdaHandler,
  type LambdaEventV1,
  type LambdaEventV2,
  type LambdaHandler,
  type LambdaResult,
} from '../../src/adapters/aws-lambda.js';
import { createExpressMiddleware, type ExpressMiddleware } from '../../src/adapters/express.js';
import fastifyUanatacaWebhooks from '../../src/adapters/fastify.js';
import { createFetchHandler, type FetchHandler } from '../../src/adapters/fetch.js';
import { createNodeMiddleware, type NodeMiddleware } from '../../src/adapters/node.js';
import type { AdapterOptions, WebhookReceiver } from '../../src/http/handle.js';

/** The path every setup serves the webhook on (and `<path>/<token>` below it). */
export const PATH = '/hook';

/** How long any one request may take before the test fails instead of hanging. */
export const REQUEST_TIMEOUT_MS = 5_000;

/** A request as a test describes it; every setup sends it its own way. */
export interface TestRequest {
  /** @default 'POST' */
  method?: string;
  /** Path and query. @default PATH */
  path?: string;
  headers?: Record<string, string>;
  /** Strings are sent as UTF-8 bytes, so no Content-Type is added unless a test sets one. */
  body?: string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | undefined;
  /** The loopback address the request comes from. @default 4 */
  from?: 4 | 6;
}

/** What came back. */
export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
}

/** Body parsers an Express setup mounts app-wide, before the webhook route. */
export type Parser = 'json' | 'text' | 'raw' | 'urlencoded';

/** One way of running the adapters: a framework, a mounting, a body parser. */
export interface Setup {
  readonly name: string;
  readonly kind: 'node' | 'express' | 'hono' | 'fetch' | 'fastify' | 'lambda';
  /** Requests travel over real sockets (otherwise `Request` objects go straight in). */
  readonly sockets: boolean;
  readonly parser: Parser | undefined;
  /** Whether requests with other methods than POST reach the middleware at all. */
  readonly routesEveryMethod: boolean;
  /** Whether the mounted parser reads bodies with this Content-Type. */
  parses(contentType: string | undefined): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Builds the adapter for this setup and makes it the one requests reach. */
  use(webhooks: WebhookReceiver, options?: AdapterOptions): void;
  send(request: TestRequest): Promise<TestResponse>;
  /** The port a socket setup listens on, for tests that speak raw HTTP. */
  port(family: 4 | 6): number;
  /** How many requests reached the adapter, and how many of those it has not finished. */
  readonly traffic: Traffic;
}

/** Counts the requests an adapter was given and the ones still running. */
export class Traffic {
  reached = 0;
  running = 0;

  async track<T>(run: () => Promise<T>): Promise<T> {
    this.reached += 1;
    this.running += 1;
    try {
      return await run();
    } finally {
      this.running -= 1;
    }
  }
}

const encoder = new TextEncoder();

function requestBody(
  body: TestRequest['body'],
): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | undefined {
  return typeof body === 'string' ? encoder.encode(body) : body;
}

async function toTestResponse(response: Response): Promise<TestResponse> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took longer than ${REQUEST_TIMEOUT_MS} ms`)),
      REQUEST_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const PARSER_TYPES: Record<Parser, string> = {
  json: 'application/json',
  text: 'text/plain',
  raw: 'application/octet-stream',
  urlencoded: 'application/x-www-form-urlencoded',
};

function parsesWith(parser: Parser | undefined) {
  return (contentType: string | undefined): boolean =>
    parser !== undefined &&
    contentType !== undefined &&
    contentType.split(';')[0]!.trim().toLowerCase() === PARSER_TYPES[parser];
}

/** A started server: where it listens and how to stop it. */
export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts `server` on a loopback address with an ephemeral port. */
export async function listenOnLoopback(
  server: Server,
  host: '127.0.0.1' | '::1' = '127.0.0.1',
): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '::1' ? '[::1]' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Listens on 127.0.0.1 and ::1 with ephemeral ports and sends requests with `fetch`. */
function createSocketTransport(make: () => Server) {
  const listening: { 4?: Listening; 6?: Listening } = {};
  return {
    async start(): Promise<void> {
      listening[4] = await listenOnLoopback(make(), '127.0.0.1');
      listening[6] = await listenOnLoopback(make(), '::1');
    },
    async stop(): Promise<void> {
      await Promise.all(Object.values(listening).map((server) => server.close()));
    },
    async send(request: TestRequest): Promise<TestResponse> {
      const server = listening[request.from ?? 4];
      if (!server) throw new Error('the setup is not started');
      const init: RequestInit & { duplex: 'half' } = {
        method: request.method ?? 'POST',
        headers: request.headers ?? {},
        duplex: 'half',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      };
      const body = requestBody(request.body);
      if (body !== undefined) init.body = body;
      const response = await fetch(server.url + (request.path ?? PATH), init);
      return toTestResponse(response);
    },
    port(family: 4 | 6): number {
      const server = listening[family];
      if (!server) throw new Error('the setup is not started');
      return server.port;
    },
  };
}

function notReady(): never {
  throw new Error('setup.use() was not called');
}

function nodeSetup(): Setup {
  let current: NodeMiddleware = notReady;
  const traffic = new Traffic();
  const listener: RequestListener = (req, res) => {
    void traffic.track(() => current(req, res, () => res.writeHead(404).end()));
  };
  const transport = createSocketTransport(() => createServer(listener));
  return {
    name: 'node:http createNodeMiddleware',
    kind: 'node',
    sockets: true,
    parser: undefined,
    routesEveryMethod: true,
    parses: parsesWith(undefined),
    start: transport.start,
    stop: transport.stop,
    send: transport.send,
    port: transport.port,
    traffic,
    use(webhooks, options) {
      current = createNodeMiddleware(webhooks, { ...options, path: PATH });
    },
  };
}

function expressSetup(version: 4 | 5, parser: Parser | undefined, mount: 'post' | 'use'): Setup {
  const express = version === 4 ? express4 : express5;
  let current: ExpressMiddleware = notReady;
  const traffic = new Traffic();
  const app = express();
  if (parser === 'urlencoded') app.use(express.urlencoded({ extended: false }));
  else if (parser) app.use(express[parser]());
  const route: ExpressMiddleware = (req, res, next) => traffic.track(() => current(req, res, next));
  if (mount === 'post') app.post([PATH, `${PATH}/:token`], route);
  else app.use(PATH, route);
  const transport = createSocketTransport(() => createServer(app));
  const parserName = parser === 'urlencoded' ? 'urlencoded({extended:false})' : `${parser}()`;
  return {
    name: `express ${version} app.${mount}${parser ? ` + express.${parserName}` : ''}`,
    kind: 'express',
    sockets: true,
    parser,
    routesEveryMethod: mount === 'use',
    parses: parsesWith(parser),
    start: transport.start,
    stop: transport.stop,
    send: transport.send,
    port: transport.port,
    traffic,
    use(webhooks, options) {
      current = createExpressMiddleware(webhooks, options);
    },
  };
}

function honoSetup(): Setup {
  let current: FetchHandler = notReady;
  const traffic = new Traffic();
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all(PATH, (c) => traffic.track(() => current(c.req.raw, c.env)));
  app.all(`${PATH}/:token`, (c) => traffic.track(() => current(c.req.raw, c.env)));
  const transport = createSocketTransport(
    () => createAdaptorServer({ fetch: app.fetch }) as Server,
  );
  return {
    name: 'hono on @hono/node-server',
    kind: 'hono',
    sockets: true,
    parser: undefined,
    routesEveryMethod: true,
    parses: parsesWith(undefined),
    start: transport.start,
    stop: transport.stop,
    send: transport.send,
    port: transport.port,
    traffic,
    use(webhooks, options) {
      current = createFetchHandler(webhooks, {
        ...options,
        getClientIp: (_request, env) => (env as HttpBindings).incoming.socket.remoteAddress,
      });
    },
  };
}

/** What a runtime without sockets hands the handler besides the request. */
interface PlainEnv {
  remoteAddress: string;
}

function plainRequestSetup(): Setup {
  let current: FetchHandler = notReady;
  const traffic = new Traffic();
  return {
    name: 'fetch handler with plain Request objects',
    kind: 'fetch',
    sockets: false,
    parser: undefined,
    routesEveryMethod: true,
    parses: parsesWith(undefined),
    traffic,
    async start() {},
    async stop() {},
    port() {
      throw new Error('a setup without sockets has no port');
    },
    use(webhooks, options) {
      current = createFetchHandler(webhooks, {
        ...options,
        getClientIp: (_request, env) => (env as PlainEnv).remoteAddress,
      });
    },
    async send(request) {
      const family = request.from ?? 4;
      const init: RequestInit & { duplex: 'half' } = {
        method: request.method ?? 'POST',
        headers: request.headers ?? {},
        duplex: 'half',
      };
      const body = requestBody(request.body);
      if (body !== undefined) init.body = body;
      const host = family === 6 ? '[::1]' : '127.0.0.1';
      const env: PlainEnv = { remoteAddress: family === 6 ? '::1' : '127.0.0.1' };
      const response = await withTimeout(
        traffic.track(() =>
          current(new Request(`http://${host}${request.path ?? PATH}`, init), env),
        ),
        'the fetch handler',
      );
      return toTestResponse(response);
    },
  };
}

/**
 * A Fastify 5 application with a JSON route of its own beside the plugin. Each `use()` builds
 * a new application (routes cannot be added to a running one) behind the same listening
 * sockets, through Fastify's `serverFactory`.
 */
function fastifySetup(): Setup {
  type Route = (req: IncomingMessage, res: ServerResponse) => void;
  let ready: Promise<Route> = Promise.resolve(notReady);
  let app: FastifyInstance | undefined;
  const traffic = new Traffic();
  const listener: RequestListener = (req, res) => {
    void traffic.track(async () => {
      const closed = new Promise<void>((resolve) => res.once('close', resolve));
      try {
        (await ready)(req, res);
      } catch {
        res.writeHead(500).end('the Fastify application did not start');
      }
      await closed;
    });
  };
  const transport = createSocketTransport(() => createServer(listener));
  return {
    name: 'fastify 5 plugin, beside a JSON route',
    kind: 'fastify',
    sockets: true,
    parser: undefined,
    routesEveryMethod: true,
    parses: parsesWith(undefined),
    start: transport.start,
    send: transport.send,
    port: transport.port,
    traffic,
    async stop() {
      await transport.stop();
      await app?.close();
    },
    use(webhooks, options) {
      const previous = app;
      let route: Route = notReady;
      const next = Fastify({
        serverFactory: (handler) => {
          route = handler;
          return createServer();
        },
      });
      next.post('/json', async (request) => ({ received: request.body }));
      next.register(fastifyUanatacaWebhooks, { ...options, webhooks, path: PATH });
      app = next;
      ready = Promise.resolve(next.ready()).then(() => route);
      ready.catch(() => {});
      if (previous) void Promise.resolve(previous.close()).catch(() => {});
    },
  };
}

/** The most a Lambda event carries: larger requests never reach a function. */
const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/** The body a client sent, as the platform buffers it into the event (up to its limit). */
async function bufferedBody(body: TestRequest['body']): Promise<Uint8Array | undefined> {
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
    return typeof body === 'string' ? encoder.encode(body) : body;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > LAMBDA_PAYLOAD_LIMIT) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks);
}

const TEXT_TYPES = /^\s*(text\/|application\/(json|x-www-form-urlencoded)\b)/i;

/** `Content-Type` as `Content-Type`: names in the case HTTP/1.1 clients usually send. */
const titleCase = (name: string): string => name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase());

/** A Lambda event shaped as API Gateway (REST, payload 1.0) or a function URL (2.0) sends it. */
async function lambdaEvent(
  request: TestRequest,
  format: 1 | 2,
): Promise<LambdaEventV1 | LambdaEventV2> {
  const method = request.method ?? 'POST';
  const target = new URL(request.path ?? PATH, 'https://abc123.example.com');
  const sourceIp = request.from === 6 ? '::1' : '127.0.0.1';
  const bytes = await bufferedBody(request.body);
  const headers: Record<string, string> = { ...request.headers };
  if (bytes !== undefined && !(request.body instanceof ReadableStream)) {
    headers['content-length'] = String(bytes.byteLength);
  }
  const contentType = headers['content-type'];
  let text: string | undefined;
  try {
    text = bytes && new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = undefined;
  }
  // Function URLs base64-encode bodies that are not text; API Gateway those that are not UTF-8.
  const base64 =
    bytes !== undefined &&
    (text === undefined || (format === 2 && !TEXT_TYPES.test(contentType ?? '')));
  const body =
    bytes === undefined ? undefined : base64 ? Buffer.from(bytes).toString('base64') : text;
  if (format === 1) {
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(headers))
      multiValueHeaders[titleCase(name)] = [value];
    const multiQuery: Record<string, string[]> = {};
    for (const [name, value] of target.searchParams) {
      multiQuery[name] = [...(multiQuery[name] ?? []), value];
    }
    const hasQuery = Object.keys(multiQuery).length > 0;
    return {
      resource: '/{proxy+}',
      path: target.pathname,
      httpMethod: method,
      headers: Object.fromEntries(
        Object.entries(multiValueHeaders).map(([name, values]) => [name, values.at(-1)]),
      ),
      multiValueHeaders,
      queryStringParameters: hasQuery
        ? Object.fromEntries(
            Object.entries(multiQuery).map(([name, values]) => [name, values.at(-1)]),
          )
        : null,
      multiValueQueryStringParameters: hasQuery ? multiQuery : null,
      requestContext: {
        httpMethod: method,
        identity: { sourceIp },
        path: `/prod${target.pathname}`,
        stage: 'prod',
      },
      body: body ?? null,
      isBase64Encoded: base64,
    } as LambdaEventV1;
  }
  const cookies = headers.cookie?.split(/;\s*/);
  delete headers.cookie;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: target.pathname,
    rawQueryString: target.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    requestContext: {
      http: { method, path: target.pathname, protocol: 'HTTP/1.1', sourceIp, userAgent: 'test' },
      routeKey: '$default',
      stage: '$default',
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: base64,
  } as LambdaEventV2;
}

function lambdaSetup(format: 1 | 2): Setup {
  let current: LambdaHandler = notReady;
  const traffic = new Traffic();
  return {
    name:
      format === 1
        ? 'aws-lambda with API Gateway REST events (payload 1.0)'
        : 'aws-lambda with function URL events (payload 2.0)',
    kind: 'lambda',
    sockets: false,
    parser: undefined,
    routesEveryMethod: true,
    parses: parsesWith(undefined),
    traffic,
    async start() {},
    async stop() {},
    port() {
      throw new Error('a setup without sockets has no port');
    },
    use(webhooks, options) {
      current = createLambdaHandler(webhooks, options);
    },
    async send(request) {
      const event = await lambdaEvent(request, format);
      const result: LambdaResult = await withTimeout(
        traffic.track(() => current(event)),
        'the Lambda handler',
      );
      return toTestResponse(
        new Response(result.body, { status: result.statusCode, headers: result.headers }),
      );
    },
  };
}

const PARSERS = [undefined, 'json', 'text', 'raw', 'urlencoded'] as const;

/** Every setup the behaviour matrix runs against. */
export function createSetups(): Setup[] {
  const setups: Setup[] = [nodeSetup()];
  for (const version of [4, 5] as const) {
    for (const mount of ['post', 'use'] as const) {
      for (const parser of PARSERS) setups.push(expressSetup(version, parser, mount));
    }
  }
  setups.push(honoSetup(), plainRequestSetup(), fastifySetup(), lambdaSetup(1), lambdaSetup(2));
  return setups;
}

/**
 * Runs `cases` once per setup, each setup started once for its describe block (h3's
 * `describeMatrix`), so that every adapter must show the same behaviour.
 */
export function describeMatrix(
  name: string,
  cases: (setup: Setup) => void,
  setups: readonly Setup[] = createSetups(),
): void {
  describe(name, () => {
    for (const setup of setups) {
      describe(setup.name, () => {
        beforeAll(() => setup.start());
        afterAll(() => setup.stop());
        cases(setup);
      });
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, failing after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/**
 * Speaks raw HTTP over one socket: strings are written, numbers are pauses in milliseconds,
 * and `'destroy'` destroys the socket at once. Resolves with everything the server sent
 * before closing its side (or before the destroy).
 */
export async function rawHttp(
  port: number,
  family: 4 | 6,
  steps: readonly (string | number | 'destroy')[],
): Promise<string> {
  const socket = connect({ port, host: family === 6 ? '::1' : '127.0.0.1' });
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (const step of steps) {
    if (step === 'destroy') {
      socket.destroy();
      return received;
    }
    if (typeof step === 'number') await sleep(step);
    else socket.write(step);
  }
  await withTimeout(closed, 'the server closing the connection').finally(() => socket.destroy());
  return received;
}
