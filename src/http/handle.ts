import {
  HandlerError,
  HTTP_STATUS,
  InvalidOptionsError,
  InvalidPayloadError,
  isWebhookError,
  MethodNotAllowedError,
  type WebhookError,
} from '../errors.js';
import { type Logger, logFailure, resolveLogger } from '../observe/logger.js';
import { positiveInteger } from '../options.js';
import type { WebhookEvent } from '../payload/event.js';
import type { WebhookBody } from '../payload/parse.js';
import type { ReceiveContext, ReceiveResult } from '../router/create-webhooks.js';
import { normalizeHeaders } from '../router/headers.js';
import { callSafely } from '../safe-call.js';
import { type AuthOptions, authenticate, resolveAuth } from './auth.js';
import { ClientGoneError, checkDeclaredLength, DEFAULT_MAX_BODY_BYTES } from './body.js';
import { clientAddress } from './trust-proxy.js';

/** Options shared by every adapter. */
export interface AdapterOptions {
  /**
   * The largest body accepted, in bytes; larger bodies are refused with 413 while streaming,
   * before they are read to the end.
   *
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number | undefined;
  /**
   * How deliveries are authenticated (token, Basic credentials, IP allow-list), or `false`
   * to accept every delivery on purpose.
   */
  auth?: AuthOptions | false | undefined;
  /**
   * Called with every error answered to the sender (including 401, 403, 405 and 413, which
   * never reach the router), for logging. What it throws or rejects with is ignored, and
   * it is not awaited.
   */
  onError?: ((error: WebhookError, event?: WebhookEvent) => void) | undefined;
  /**
   * Where to write the requests the adapter refuses before they reach the router (401, 403,
   * 405, 413, a body that could not be read), one line each at `warn` (`error` for a failure
   * here), with the status, code, method and client address; never the URL, a header or a
   * credential. Deliveries themselves are logged by `createWebhooks({ logger })`. Also where
   * the warning about an endpoint without authentication goes.
   *
   * @default undefined (silent, but for that warning, then written with `console.warn`)
   */
  logger?: Logger | undefined;
}

/** The part of `Webhooks` an adapter needs: anything with a compatible `receive`. */
export interface WebhookReceiver {
  /** Parses, deduplicates and dispatches one notification. */
  receive(body: WebhookBody, context?: ReceiveContext): Promise<ReceiveResult>;
}

/**
 * A request as an adapter presents it to the shared core.
 *
 * @internal
 */
export interface AdapterRequest {
  /** The HTTP method, upper-case. */
  readonly method: string;
  /** The request target: path and query. */
  readonly url: string;
  /** A header by lower-case name. */
  header(name: string): string | undefined;
  /** Every header, as name and value (or values) pairs. */
  headerEntries(): Iterable<readonly [string, string | readonly string[] | undefined]>;
  /** The peer address of the connection, when the runtime knows it. */
  readonly socketAddress: string | undefined;
  /**
   * Reads the body, stopping at `limit` bytes with {@link PayloadTooLargeError}, or rejecting
   * with {@link ClientGoneError} when the client disconnects first.
   */
  readBody(limit: number): Promise<WebhookBody>;
}

/**
 * A response for the adapter to write.
 *
 * @internal
 */
export interface AdapterResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /**
   * With the inbox: the work to keep alive after the answer (the inbox handling what is due),
   * for runtimes that stop a request's work once it is answered.
   */
  readonly after?: (() => Promise<void>) | undefined;
}

/** Headers never passed on to handlers: they carry credentials. */
const PRIVATE_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
]);

/** Messages of failures that are the server's own: the sender learns nothing about them. */
const SERVER_MESSAGES: Readonly<Record<string, string>> = {
  handler_failed: 'The notification could not be processed',
  invalid_options: 'The receiver is misconfigured',
  store_unavailable: 'The receiver is temporarily unavailable',
};

/**
 * The most issues a 422 answer lists: enough to fix a body, while a body with an issue in
 * every few bytes cannot make the answer many times its own size.
 */
const MAX_ISSUES = 20;

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
} as const;

const encoder = new TextEncoder();

/** A JSON response with its `content-length`, so that adapters write it as it is. */
function jsonResponse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): AdapterResponse {
  return {
    status,
    headers: {
      ...JSON_HEADERS,
      ...headers,
      'content-length': String(encoder.encode(body).byteLength),
    },
    body,
  };
}

const OK: AdapterResponse = jsonResponse(200, '{"ok":true}');
const OK_DUPLICATE: AdapterResponse = jsonResponse(200, '{"ok":true,"duplicate":true}');
const OK_QUEUED: AdapterResponse = jsonResponse(200, '{"ok":true,"queued":true}');

function errorResponse(error: WebhookError, challenge: string | undefined): AdapterResponse {
  const status = (HTTP_STATUS as Readonly<Record<string, number>>)[error.code] ?? 500;
  const headers: Record<string, string> = {};
  const body: Record<string, unknown> = {
    code: error.code,
    message: SERVER_MESSAGES[error.code] ?? error.message,
  };
  if (error instanceof InvalidPayloadError || error.code === 'invalid_payload') {
    body.issues = (error as InvalidPayloadError).issues?.slice(0, MAX_ISSUES).map((issue) => ({
      code: issue.code,
      path: issue.path,
      message: issue.message,
    }));
  }
  if (status === 405) headers.allow = 'POST';
  if (status === 401 && challenge) headers['www-authenticate'] = challenge;
  if (status === 409 || status === 503) {
    const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
    headers['retry-after'] = String(typeof retryAfter === 'number' ? Math.ceil(retryAfter) : 1);
  }
  // The body was not read (or not to the end): do not keep the connection for another request.
  if (status === 401 || status === 403 || status === 405 || status === 413) {
    headers.connection = 'close';
  }
  return jsonResponse(status, JSON.stringify({ ok: false, error: body }), headers);
}

/**
 * Builds the runtime-free request handling every adapter shares: method, authentication,
 * body limit, parsing and dispatch, and the status code and JSON body of the answer.
 * Resolves `undefined` when the client left before the body was complete.
 *
 * @internal
 */
export function createRequestHandler(
  webhooks: WebhookReceiver,
  options: AdapterOptions = {},
): (request: AdapterRequest) => Promise<AdapterResponse | undefined> {
  if (typeof webhooks?.receive !== 'function') {
    throw new InvalidOptionsError('The adapter needs the object returned by createWebhooks()');
  }
  const limit = positiveInteger(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  const auth = resolveAuth(options.auth);
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new InvalidOptionsError('onError must be a function');
  }

  const logger = resolveLogger(options.logger);
  if (auth.open) warnOpenEndpoint(logger);

  const fail = (error: WebhookError, event?: WebhookEvent): AdapterResponse => {
    if (event === undefined) callSafely(onError, error);
    else callSafely(onError, error, event);
    return errorResponse(error, auth.challenge);
  };
  /** A refusal before the router: logged here, since the router never sees it. */
  const refuse = (error: WebhookError, request: AdapterRequest, clientIp?: string) => {
    if (logger !== undefined) {
      logFailure(
        logger,
        error,
        { method: request.method, clientIp: clientIp ?? request.socketAddress },
        'uanataca webhook request refused',
      );
    }
    return fail(error);
  };

  const answer = async (request: AdapterRequest): Promise<AdapterResponse | undefined> => {
    if (request.method !== 'POST')
      return refuse(new MethodNotAllowedError(request.method), request);
    let clientIp: string | undefined;
    let body: WebhookBody;
    try {
      clientIp = clientAddress(
        auth.trustProxy,
        request.socketAddress,
        request.header('x-forwarded-for'),
      );
      authenticate(auth, {
        url: request.url,
        authorization: request.header('authorization'),
        clientIp,
      });
      checkDeclaredLength(request.header('content-length'), limit);
      body = await request.readBody(limit);
    } catch (error) {
      if (error instanceof ClientGoneError) return undefined;
      return refuse(
        isWebhookError(error) ? error : new HandlerError(error, 'Reading the request failed'),
        request,
        clientIp,
      );
    }
    try {
      const headers = normalizeHeaders(request.headerEntries(), PRIVATE_HEADERS, auth.secrets);
      const result = await webhooks.receive(body, { headers, clientIp });
      const response = result.duplicate ? OK_DUPLICATE : result.queued ? OK_QUEUED : OK;
      return result.handled === undefined ? response : { ...response, after: result.handled };
    } catch (error) {
      return fail(isWebhookError(error) ? error : new HandlerError(error));
    }
  };

  // Whatever goes wrong on the way (a hostile request object, a getter that throws), the
  // sender gets an answer from the contract and nothing escapes to the server.
  return async (request) => {
    try {
      return await answer(request);
    } catch {
      return internalErrorResponse();
    }
  };
}

let warnedOpen = false;

/**
 * Says once per process that an adapter accepts deliveries from anyone: no `auth`, or one
 * that checks nothing, without the explicit `auth: false`.
 */
function warnOpenEndpoint(logger: Logger | undefined): void {
  if (warnedOpen) return;
  warnedOpen = true;
  const message =
    'uanataca-webhooks: this endpoint accepts notifications from anyone, since the provider signs nothing. Configure auth (a token, Basic credentials or an IP allow-list), or pass auth: false to say it is on purpose.';
  if (logger !== undefined)
    callSafely((text: string) => logger.warn({ auth: 'none' }, text), message);
  else callSafely(console.warn, message);
}

/**
 * The answer when answering itself failed: a 500 from the contract, saying nothing more.
 *
 * @internal
 */
export function internalErrorResponse(): AdapterResponse {
  return errorResponse(new HandlerError(undefined, 'Answering the request failed'), undefined);
}
