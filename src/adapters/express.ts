import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createRequestHandler,
  type WebhookHandlerOptions,
  type WebhookReceiver,
} from '../http/handle.js';
import { respondNode } from '../http/node-io.js';

export type { AuthOptions, BasicCredentials } from '../http/auth.js';
export type { WebhookHandlerOptions, WebhookReceiver } from '../http/handle.js';

/** Options of {@link createExpressMiddleware}. */
export interface ExpressMiddlewareOptions extends WebhookHandlerOptions {}

/**
 * An Express request handler (Express 4 and 5), typed structurally so that Express's types
 * are not needed: it is assignable wherever Express expects a `RequestHandler`.
 */
export type ExpressMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => Promise<void>;

/**
 * Creates an Express middleware (Express 4 and 5). Mount it with `app.post(path, …)` or
 * `app.use(path, …)` (only the latter, or `app.all`, lets it answer other methods with 405),
 * before or after `express.json()`, `express.text()`, `express.raw()` or
 * `express.urlencoded()`: a body already parsed is used as it is (a JSON text that a form
 * parser kept as a single field is read back), and a body a parser skipped (because of its
 * Content-Type) is read from the stream with the `maxBodyBytes` limit. Every answer is
 * written here; `next` is never called with an error. A parser mounted before it answers
 * its own errors (a malformed body it was asked to parse, a body over its own limit).
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createWebhooks } from 'uanataca-webhooks';
 * import { createExpressMiddleware } from 'uanataca-webhooks/express';
 *
 * const webhooks = createWebhooks();
 * webhooks.on('VIDEOREVIEW', (event) => queueReview(event.requestId));
 * const app = express();
 * app.post('/webhooks/uanataca', createExpressMiddleware(webhooks, { auth: { token: SECRET } }));
 * ```
 */
export function createExpressMiddleware(
  webhooks: WebhookReceiver,
  options: ExpressMiddlewareOptions = {},
): ExpressMiddleware {
  const handle = createRequestHandler(webhooks, options);
  return (req, res) => respondNode(handle, req, res);
}
