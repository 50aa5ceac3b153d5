import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES } from '../http/body.js';
import { type AdapterOptions, createRequestHandler, type WebhookReceiver } from '../http/handle.js';
import { respondNode } from '../http/node-io.js';
import { fromParserError } from '../http/parser-error.js';

export type { AuthOptions, BasicCredentials } from '../http/auth.js';
export type { AdapterOptions, WebhookReceiver } from '../http/handle.js';

/** Options of {@link createExpressMiddleware}. */
export interface ExpressMiddlewareOptions extends AdapterOptions {}

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
 * its own errors (a body it refused to parse, such as malformed JSON or, for
 * `express.json()` in strict mode, `null`; a body over its own limit) as
 * Express does, in HTML, unless {@link createExpressErrorHandler} is mounted on the same
 * path.
 *
 * One difference remains behind `express.json()`: an empty body sent chunked
 * (`Transfer-Encoding: chunked` and no bytes) is answered 422 (`invalid_payload`, as the body
 * `{}`), where without the parser it is answered 400 (`invalid_json`). body-parser (1.x in
 * Express 4, 2.x in Express 5) turns an empty body into `{}`, the same value it makes of the
 * text `{}`, and leaves nothing on the request that tells the two apart: no raw text or
 * length, and the same `req._body` (set for both by 1.x, for neither by 2.x). Only a
 * declared `Content-Length: 0` says the body was empty, and such a body is answered 400.
 * To answer every empty body 400, mount the middleware before the parser, or keep the bytes
 * with `express.json({ verify: (req, _res, buf) => Object.assign(req, { rawBody: buf }) })`:
 * a `rawBody` is read in place of the parsed body.
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

/**
 * An Express error-handling middleware (four parameters), typed structurally like
 * {@link ExpressMiddleware}.
 */
export type ExpressErrorHandler = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => Promise<void>;

/**
 * Creates an Express error handler that keeps the response contract on the webhook path when
 * a body parser mounted before the middleware (`app.use(express.json())`) fails, in JSON,
 * after the method and the credentials were checked as the middleware checks them (so an
 * unauthenticated sender still gets 401). A body the parser refused is answered as it is
 * without the parser: one that is empty or not JSON 400 (`invalid_json`), and JSON that is
 * not an object, which `express.json()` refuses in its default strict mode (`null`, `123`,
 * `"text"`), 422 (`invalid_payload`); a body over the parser's own limit is answered 413.
 * Any other error on that path is answered 500 without revealing it. These answers are
 * given here, before the router: the adapter's `onError` and `logger` see them, the
 * router's `onError` and the inbox do not (the inbox records no such 422 body). Give it the
 * same `webhooks` and options as the middleware, and mount it with `app.use` on the
 * webhook's path, after the parser (Express only passes errors on to error handlers mounted
 * with `app.use`, not to those of a route).
 *
 * @example
 * ```ts
 * const options = { auth: { token: process.env.WEBHOOK_TOKEN } }
 * app.use(express.json())
 * app.post('/webhooks/uanataca', createExpressMiddleware(webhooks, options))
 * app.use('/webhooks/uanataca', createExpressErrorHandler(webhooks, options))
 * ```
 */
export function createExpressErrorHandler(
  webhooks: WebhookReceiver,
  options: ExpressMiddlewareOptions = {},
): ExpressErrorHandler {
  const handle = createRequestHandler(webhooks, options);
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (error, req, res, _next) => respondNode(handle, req, res, fromParserError(error, limit));
}
