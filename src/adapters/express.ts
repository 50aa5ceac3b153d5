import type { IncomingMessage, ServerResponse } from 'node:http';
import { PayloadTooLargeError } from '../errors.js';
import {
  createRequestHandler,
  type WebhookHandlerOptions,
  type WebhookReceiver,
} from '../http/handle.js';
import { nodeRequest, readNodeBody, writeNodeResponse } from '../http/node-io.js';
import type { WebhookBody } from '../payload/parse.js';

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

/** What body parsers leave on an Express request. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  originalUrl?: string;
  /** Set by body-parser when it read the stream. */
  _body?: boolean;
}

/**
 * The body a parser mounted earlier left behind, or `undefined` when the stream is still
 * unread (no parser, or one that skipped this Content-Type) and must be read here.
 */
function parsedBody(req: ParsedRequest, limit: number): WebhookBody | undefined {
  const consumed = req._body === true || req.readableEnded;
  if (!consumed) return undefined;
  // body-parser answers `{}` for an empty body: the declared length tells them apart.
  if (req.headers['content-length'] === '0') return '';
  const body = req.body;
  if (body === undefined || body === null) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) {
    // A parser's own limit may be larger than ours; strings are measured in UTF-16 units,
    // which never exceed their UTF-8 byte count.
    const size = typeof body === 'string' ? body.length : body.byteLength;
    if (size > limit) throw new PayloadTooLargeError(limit);
    return body;
  }
  if (typeof body === 'object') return fromForm(body as Record<string, unknown>) ?? body;
  return String(body);
}

/**
 * `express.urlencoded()` turns a JSON body sent as a form into `{ '<the JSON>': '' }`; the
 * text is recovered when the form parser kept it whole.
 */
function fromForm(body: Record<string, unknown>): string | undefined {
  const keys = Object.keys(body);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined || body[key] !== '') return undefined;
  return key.startsWith('{') ? key : undefined;
}

/**
 * Creates an Express middleware (Express 4 and 5). Mount it with `app.post(path, …)` or
 * `app.use(path, …)`, before or after `express.json()`, `express.text()`, `express.raw()`:
 * a body already parsed is used as it is, and a body a parser skipped (because of its
 * Content-Type) is read from the stream with the `maxBodyBytes` limit. Every answer is
 * written here; `next` is never called with an error.
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
  return async (req, res) => {
    const request = req as ParsedRequest;
    const response = await handle(
      nodeRequest(request, async (limit) => parsedBody(request, limit) ?? readNodeBody(request, limit)),
    );
    if (response) writeNodeResponse(res, response);
    else if (!res.writableEnded) res.destroy();
  };
}
