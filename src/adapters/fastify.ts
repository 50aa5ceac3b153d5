import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import { InvalidJsonError, InvalidOptionsError, PayloadTooLargeError } from '../errors.js';
import { ClientGoneError, DEFAULT_MAX_BODY_BYTES } from '../http/body.js';
import {
  type AdapterOptions,
  type AdapterRequest,
  type AdapterResponse,
  createRequestHandler,
  type WebhookReceiver,
} from '../http/handle.js';
import { readNodeBody } from '../http/node-io.js';
import { positiveInteger } from '../options.js';
import type { WebhookBody } from '../payload/parse.js';

export type { AuthOptions, BasicCredentials } from '../http/auth.js';
export type { AdapterOptions, WebhookReceiver } from '../http/handle.js';

/** Options of the {@link fastifyUanatacaWebhooks} plugin. */
export interface FastifyWebhooksOptions extends AdapterOptions {
  /** The object returned by `createWebhooks()`. */
  webhooks: WebhookReceiver;
  /**
   * The path notifications are posted to, under the prefix the plugin is registered with.
   * Every method reaches it (anything but POST is answered 405). With `auth.token`,
   * `<path>/:token` is routed too, for tokens carried in the path (Fastify's
   * `maxParamLength`, 100 by default, bounds such a token).
   *
   * @example
   * ```ts
   * app.register(fastifyUanatacaWebhooks, { webhooks, path: '/webhooks/uanataca' })
   * app.register(fastifyUanatacaWebhooks, { webhooks, path: '/', prefix: '/webhooks/uanataca' })
   * ```
   */
  path: string;
}

/** What an adapter answers with, or `undefined` when the client left. */
type Handle = (request: AdapterRequest) => Promise<AdapterResponse | undefined>;

/** A body Fastify left unread (a Content-Type it refused): the stream is read here. */
const UNREAD: unique symbol = Symbol('unread');

/**
 * The answer the contract gives for an error Fastify met before the handler: what reading
 * the body failed with, {@link UNREAD} when Fastify refused the request before reading it,
 * or `undefined` for an error that is not the webhook's (a hook of the application), which
 * goes on to the application's error handler.
 */
function fromFastifyError(
  error: FastifyError,
  request: FastifyRequest,
  limit: number,
): unknown | typeof UNREAD {
  const raw = request.raw;
  if (!raw.complete && raw.destroyed) return new ClientGoneError({ cause: error });
  switch (error?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError(limit, { cause: error });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidJsonError('The body is not as long as its Content-Length says', {
        cause: error,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return UNREAD;
    default:
      return undefined;
  }
}

/**
 * The bytes this plugin's parser kept (Fastify bounded them by `bodyLimit`), or the stream
 * when Fastify read nothing: no body at all, or a Content-Type it refused.
 */
function readBody(request: FastifyRequest, limit: number): Promise<WebhookBody> | WebhookBody {
  const body = request.body;
  if (body === undefined || body === null) return readNodeBody(request.raw, limit);
  if (body instanceof Uint8Array && body.byteLength > limit) {
    throw new PayloadTooLargeError(limit);
  }
  // Anything but bytes is what a hook of the application put there.
  return body as WebhookBody;
}

/** A Fastify request as the shared core sees it; `failure` is what reading its body gives. */
function toAdapterRequest(request: FastifyRequest, failure: unknown): AdapterRequest {
  const headers = request.headers;
  return {
    method: request.method,
    url: request.url,
    header: (name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    headerEntries: () => Object.entries(headers),
    // The peer of the socket: `auth.trustProxy` decides about X-Forwarded-For, not Fastify's.
    socketAddress: request.raw.socket?.remoteAddress,
    readBody: async (limit) => {
      if (failure !== undefined) throw failure;
      return readBody(request, limit);
    },
  };
}

async function respond(
  handle: Handle,
  request: FastifyRequest,
  reply: FastifyReply,
  failure?: unknown,
): Promise<FastifyReply> {
  const response = await handle(toAdapterRequest(request, failure));
  if (response === undefined) {
    // The client left mid-body: there is nobody to answer.
    reply.hijack();
    reply.raw.destroy();
    return reply;
  }
  return reply.code(response.status).headers(response.headers).send(response.body);
}

/** The routes a plugin serves: the path, and the path with a token segment. */
function routesOf(path: unknown, tokenInPath: boolean): string[] {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidOptionsError('path must be a string that starts with "/"');
  }
  if (!tokenInPath) return [path];
  const base = path.endsWith('/') ? path.slice(0, -1) : path;
  return [path, `${base}/:token`];
}

async function register(fastify: FastifyInstance, options: FastifyWebhooksOptions) {
  const { webhooks, path, ...adapterOptions } = options;
  const handle = createRequestHandler(webhooks, adapterOptions);
  const limit = positiveInteger(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  const token = options.auth ? options.auth.token : undefined;
  const routes = routesOf(
    path,
    typeof token === 'string' || (Array.isArray(token) && token.length > 0),
  );

  // This plugin's context is its own (encapsulated): the application's parsers stay as they
  // are everywhere else, and here every body is kept as the bytes received.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: limit },
    (_request, body, done) => done(null, body),
  );
  const routeOptions = {
    bodyLimit: limit,
    errorHandler: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const failure = fromFastifyError(error, request, limit);
      if (failure === undefined) throw error;
      return respond(handle, request, reply, failure === UNREAD ? undefined : failure);
    },
  };
  for (const url of routes) {
    fastify.all(url, routeOptions, (request, reply) => respond(handle, request, reply));
  }
}

/**
 * A Fastify plugin (Fastify 5) that serves the webhook on `path`. It registers its route in
 * its own encapsulated context with a content-type parser that keeps every body as the bytes
 * received, whatever the Content-Type: the rest of the application keeps its parsers. The
 * body limit is `maxBodyBytes`, also given to Fastify as the route's `bodyLimit`, and a body
 * over it is answered 413 in JSON like every other refusal. The client address is the
 * socket's peer, and `auth.trustProxy` decides whether `X-Forwarded-For` is believed:
 * Fastify's own `trustProxy` setting is not read.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createWebhooks } from 'uanataca-webhooks';
 * import fastifyUanatacaWebhooks from 'uanataca-webhooks/fastify';
 *
 * const webhooks = createWebhooks();
 * webhooks.on('VIDEOREVIEW', (event) => queueReview(event.requestId));
 * const app = Fastify();
 * await app.register(fastifyUanatacaWebhooks, {
 *   webhooks,
 *   path: '/webhooks/uanataca',
 *   auth: { token: process.env.WEBHOOK_TOKEN },
 * });
 * ```
 */
export const fastifyUanatacaWebhooks: FastifyPluginAsync<FastifyWebhooksOptions> = Object.assign(
  register,
  // What fastify-plugin sets, but `skip-override`: the plugin keeps its own context.
  {
    [Symbol.for('fastify.display-name')]: 'uanataca-webhooks',
    [Symbol.for('plugin-meta')]: { name: 'uanataca-webhooks', fastify: '5.x' },
  },
);

export default fastifyUanatacaWebhooks;
