import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdapterOptions, createRequestHandler, type WebhookReceiver } from '../http/handle.js';
import { respondNode } from '../http/node-io.js';
import { createPathMatcher } from '../http/path.js';

export type { AuthOptions, BasicCredentials } from '../http/auth.js';
export type { AdapterOptions, WebhookReceiver } from '../http/handle.js';

/** Options of {@link createNodeMiddleware}. */
export interface NodeMiddlewareOptions extends AdapterOptions {
  /**
   * The path notifications are posted to, such as `'/webhooks/uanataca'`. Requests to other
   * paths fall through: `next()` is called when given, otherwise the middleware resolves
   * `false` and writes nothing. A path with one more segment (`/webhooks/uanataca/<token>`)
   * also matches when `auth.token` is set, for tokens carried in the path. Unset, every
   * request is handled.
   */
  path?: string | undefined;
}

/** A middleware for `node:http` and connect-style stacks; resolves whether it answered. */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<boolean>;

/**
 * Creates a request listener / middleware for `node:http` and connect-style frameworks.
 * It reads the body itself (with the `maxBodyBytes` limit); behind a body parser that
 * already read the stream, it uses what the parser left on `req.body`. Use
 * `createExpressMiddleware` with Express.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createWebhooks } from 'uanataca-webhooks';
 * import { createNodeMiddleware } from 'uanataca-webhooks/node';
 *
 * const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
 * webhooks.on('ISSUED', (event) => console.log('issued', event.certificates[0]?.serialNumber));
 * const middleware = createNodeMiddleware(webhooks, { path: '/webhooks/uanataca' });
 * createServer(async (req, res) => {
 *   if (!(await middleware(req, res))) res.writeHead(404).end();
 * }).listen(8080);
 * ```
 */
export function createNodeMiddleware(
  webhooks: WebhookReceiver,
  options: NodeMiddlewareOptions = {},
): NodeMiddleware {
  const handle = createRequestHandler(webhooks, options);
  const matches = createPathMatcher(options.path, options.auth ? options.auth.token : undefined);
  return (req, res, next) => {
    if (!matches(req.url ?? '/')) {
      // Called synchronously, as connect-style stacks expect of a middleware passing on.
      next?.();
      return Promise.resolve(false);
    }
    return respondNode(handle, req, res).then(() => true);
  };
}
