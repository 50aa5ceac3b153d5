import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookBody } from '../payload/parse.js';
import { ClientGoneError, createBodyCollector } from './body.js';
import type { AdapterRequest, AdapterResponse } from './handle.js';
import { takeParsedBody } from './parsed-body.js';

/**
 * Reading and writing Node's `IncomingMessage`/`ServerResponse`, shared by the Node and
 * Express adapters. Only types come from `node:http`.
 */

/**
 * Reads a Node request body up to `limit` bytes. Past the limit it stops reading (the stream
 * is paused, not drained) and rejects with `PayloadTooLargeError`; a client that disconnects
 * first makes it reject with {@link ClientGoneError}.
 *
 * @internal
 */
export function readNodeBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const collector = createBodyCollector(limit);
    // Once settled, whatever the stream emits next changes nothing: no listener is removed.
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on('data', (chunk: Uint8Array | string) => {
      if (settled) return;
      try {
        collector.push(chunk);
      } catch (error) {
        req.pause();
        fail(error);
      }
    });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      resolve(collector.result());
    };
    req.on('end', finish);
    // `close` follows an abort and any stream error; a request emits `error` only to
    // listeners, so listening to it just keeps such an error from being thrown.
    req.on('error', () => fail(new ClientGoneError()));
    req.on('close', () => {
      if (!req.complete) fail(new ClientGoneError());
    });
    if (req.readableEnded) finish();
    else if (req.destroyed) fail(new ClientGoneError());
    // A `data` listener starts a stream that was never paused, not one that something mounted
    // earlier paused: left so, it would never end, and the request never be answered.
    else if (req.readableFlowing === false) req.resume();
  });
}

/** What body parsers leave on a Node request. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  originalUrl?: string;
  /** Set by body-parser 1.x (Express 4) when it read the stream. */
  _body?: boolean;
  /** The bytes as received, kept by Google Cloud Functions, Firebase, NestJS (`rawBody: true`). */
  rawBody?: unknown;
}

/**
 * Reads a Node request body: what a body parser mounted earlier left on `req.body` when the
 * stream is already consumed, otherwise the stream itself with {@link readNodeBody}.
 *
 * @internal
 */
export async function readParsedOrNodeBody(
  req: ParsedRequest,
  limit: number,
): Promise<WebhookBody> {
  const parsed = takeParsedBody(
    {
      consumed: req._body === true || req.readableEnded,
      body: req.body,
      rawBody: req.rawBody,
      contentType: req.headers['content-type'],
      contentLength: req.headers['content-length'],
    },
    limit,
  );
  return parsed ?? readNodeBody(req, limit);
}

/**
 * A Node request as the shared core sees it. The body is read with
 * {@link readParsedOrNodeBody}, so a body parser mounted earlier does no harm.
 */
class NodeRequest implements AdapterRequest {
  readonly method: string;
  readonly url: string;
  /** Read at once: once the socket is closed, Node no longer knows it. */
  readonly socketAddress: string | undefined;
  readonly #req: ParsedRequest;
  /** Why the body cannot be read, when something in front already failed to read it. */
  readonly #failure: unknown;

  constructor(req: ParsedRequest, failure?: unknown) {
    this.#req = req;
    this.#failure = failure;
    this.method = req.method ?? 'GET';
    this.url = req.originalUrl ?? req.url ?? '/';
    this.socketAddress = req.socket?.remoteAddress;
  }

  header(name: string): string | undefined {
    const value = this.#req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  headerEntries(): Iterable<[string, string | string[] | undefined]> {
    return Object.entries(this.#req.headers);
  }

  readBody(limit: number): Promise<WebhookBody> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return readParsedOrNodeBody(this.#req, limit);
  }
}

/**
 * Writes the core's answer, unless the response is already sent or the client is gone.
 *
 * @internal
 */
function writeNodeResponse(res: ServerResponse, response: AdapterResponse): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

/**
 * Runs the shared core on a Node request and writes its answer; when the client left
 * mid-body there is nobody to answer, and the response is destroyed. With `bodyFailure`
 * (what a body parser in front failed with, as one of this package's errors), the request
 * is answered as if reading its body had failed that way, after the method and the
 * credentials were checked as usual. Never rejects.
 *
 * @internal
 */
export async function respondNode(
  handle: (request: AdapterRequest) => Promise<AdapterResponse | undefined>,
  req: IncomingMessage,
  res: ServerResponse,
  bodyFailure?: unknown,
): Promise<void> {
  // Servers and frameworks call this without handling a rejection.
  try {
    const response = await handle(new NodeRequest(req, bodyFailure));
    if (response) writeNodeResponse(res, response);
    else if (!res.writableEnded) res.destroy();
  } catch {
    // Writing failed (a response object that throws, a socket torn down meanwhile): there is
    // nobody left to answer.
    try {
      res.destroy();
    } catch {
      // Nothing more can be done for this request.
    }
  }
}
