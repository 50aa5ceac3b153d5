import { withDeadline } from '../deadline.js';
import { InvalidOptionsError, PayloadTooLargeError } from '../errors.js';
import { utf8ByteLength } from '../http/body.js';
import {
  type AdapterOptions,
  type AdapterRequest,
  type AdapterResponse,
  createRequestHandler,
  internalErrorResponse,
  type WebhookReceiver,
} from '../http/handle.js';
import type { WebhookBody } from '../payload/parse.js';

export type { AuthOptions, BasicCredentials } from '../http/auth.js';
export type { AdapterOptions, WebhookReceiver } from '../http/handle.js';

/** Header values as events carry them. */
type EventHeaders = Readonly<Record<string, string | undefined>>;
/** Lists of values, as `multiValueHeaders` and `multiValueQueryStringParameters` carry them. */
type EventLists = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * An API Gateway REST API event, or an HTTP API event with payload format 1.0, as far as
 * the handler reads it. `APIGatewayProxyEvent` of `@types/aws-lambda` is assignable to it.
 */
export interface LambdaEventV1 {
  /** The request's method. */
  readonly httpMethod: string;
  /** The request path, without the stage. */
  readonly path?: string | null | undefined;
  /** The last value of each header, names in the case the client sent. */
  readonly headers?: EventHeaders | null | undefined;
  /** Every value of each header, names in the case the client sent. */
  readonly multiValueHeaders?: EventLists | null | undefined;
  /** The last value of each query parameter, decoded. */
  readonly queryStringParameters?: EventHeaders | null | undefined;
  /** Every value of each query parameter, decoded. */
  readonly multiValueQueryStringParameters?: EventLists | null | undefined;
  /** Where the client address is. */
  readonly requestContext?:
    | {
        readonly identity?: { readonly sourceIp?: string | null | undefined } | null | undefined;
      }
    | null
    | undefined;
  /** The body: text, or base64 when `isBase64Encoded`. */
  readonly body?: string | null | undefined;
  /** Whether `body` is base64. */
  readonly isBase64Encoded?: boolean | null | undefined;
}

/**
 * An API Gateway HTTP API event with payload format 2.0, or a Lambda function URL event, as
 * far as the handler reads it. `APIGatewayProxyEventV2` and `LambdaFunctionURLEvent` of
 * `@types/aws-lambda` are assignable to it.
 */
export interface LambdaEventV2 {
  /** `'2.0'`. */
  readonly version?: string | undefined;
  /** The request path as sent. */
  readonly rawPath?: string | undefined;
  /** The query string as sent, without `?`. */
  readonly rawQueryString?: string | undefined;
  /** The cookies the client sent, one per entry. */
  readonly cookies?: readonly string[] | undefined;
  /** Lower-case header names; the values of a header sent twice joined with commas. */
  readonly headers?: EventHeaders | null | undefined;
  /** The method and the client address. */
  readonly requestContext: {
    readonly http: {
      readonly method: string;
      readonly path?: string | undefined;
      readonly sourceIp?: string | undefined;
    };
  };
  /** The body: text, or base64 when `isBase64Encoded`. */
  readonly body?: string | null | undefined;
  /** Whether `body` is base64. */
  readonly isBase64Encoded?: boolean | null | undefined;
}

/** An event from API Gateway (REST or HTTP API, payload format 1.0 or 2.0) or a function URL. */
export type LambdaEvent = LambdaEventV1 | LambdaEventV2;

/**
 * The handler's result: what API Gateway (both payload formats) and function URLs expect.
 * Assignable to `APIGatewayProxyResult` and `APIGatewayProxyResultV2` of `@types/aws-lambda`.
 */
export interface LambdaResult {
  /** The HTTP status. */
  statusCode: number;
  /** The response headers. */
  headers: Record<string, string>;
  /** The JSON body. */
  body: string;
  /** Always `false`: the body is text. */
  isBase64Encoded: false;
}

/** The part of the Lambda `context` the handler uses, when it is given. */
export interface LambdaContext {
  /** Milliseconds left before the invocation times out. */
  getRemainingTimeInMillis?(): number;
}

/** A Lambda handler: an event in, a result out. */
export type LambdaHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<LambdaResult>;

/** Options of {@link createLambdaHandler}. */
export interface LambdaHandlerOptions extends AdapterOptions {
  /**
   * With the durable inbox: whether the handler waits, before it returns, until this
   * instance has handled the notifications due (the one just recorded included). Lambda
   * freezes an instance once its handler returned, so work left running afterwards only goes
   * on at the instance's next invocation, if there is one. The wait ends at the latest one
   * second before the invocation times out; the answer is `200 {"ok":true,"queued":true}`
   * whatever the handlers did, since the notification is recorded (a failed attempt is
   * retried by a later drain).
   *
   * The other choice is `inbox: { worker: false }` without this option: the function only
   * records, and a consumer elsewhere (a long-running process with the worker, or a scheduled
   * function calling `webhooks.inbox.drain()`) handles the entries, from a store both reach.
   *
   * @default false
   * @example
   * ```ts
   * const webhooks = createWebhooks({ inbox: { store: createPostgresInbox(pool), worker: false } });
   * export const handler = createLambdaHandler(webhooks, { awaitInbox: true });
   * ```
   */
  awaitInbox?: boolean | undefined;
}

/** Headers about the connection, which the platform writes itself. */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set(['connection', 'content-length']);

/** How long before the invocation times out the wait for the inbox gives up. */
const INBOX_MARGIN_MS = 1_000;

/** What cannot stand in a path as sent: a bare `%`, `?`, `#`, spaces, controls, non-ASCII. */
const NOT_AS_SENT = /%(?![0-9A-Fa-f]{2})|[?#]|[^\x21-\x7e]/gu;

/**
 * The path as sent. HTTP APIs give it decoded (REST APIs and function URLs as sent): what
 * cannot stand in a path as sent is encoded again, so that a decoded `?` or `#` is not read
 * as the start of the query.
 */
function asSentPath(path: string): string {
  return path.replace(NOT_AS_SENT, (character) => {
    try {
      return encodeURIComponent(character);
    } catch {
      return '%EF%BF%BD';
    }
  });
}

function isV2(event: LambdaEvent): event is LambdaEventV2 {
  const http = (event as LambdaEventV2 | undefined)?.requestContext?.http;
  return typeof http?.method === 'string';
}

/** Headers by lower-case name, the values of a name given more than once joined with `, `. */
function lowerCaseHeaders(
  single: EventHeaders | null | undefined,
  multi: EventLists | null | undefined,
): Map<string, string> {
  const headers = new Map<string, string>();
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  };
  if (multi) {
    for (const [name, values] of Object.entries(multi)) {
      if (Array.isArray(values) && values.length > 0) add(name, values.join(', '));
    }
  } else if (single) {
    for (const [name, value] of Object.entries(single)) {
      if (typeof value === 'string') add(name, value);
    }
  }
  return headers;
}

/** The query string of a REST event, rebuilt from its decoded parameters. */
function queryOf(event: LambdaEventV1): string {
  const query = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters;
  const single = event.queryStringParameters;
  if (multi) {
    for (const [name, values] of Object.entries(multi)) {
      for (const value of values ?? []) query.append(name, value);
    }
  } else if (single) {
    for (const [name, value] of Object.entries(single)) {
      if (typeof value === 'string') query.append(name, value);
    }
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/** The size base64 `text` decodes to, without decoding it. */
function decodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

function readEventBody(
  body: string | null | undefined,
  base64: boolean,
  limit: number,
): WebhookBody {
  if (typeof body !== 'string' || body === '') return '';
  if (!base64) {
    if (utf8ByteLength(body) > limit) throw new PayloadTooLargeError(limit);
    return body;
  }
  if (decodedLength(body) > limit) throw new PayloadTooLargeError(limit);
  const bytes = Buffer.from(body, 'base64');
  if (bytes.byteLength > limit) throw new PayloadTooLargeError(limit);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The event as the shared core sees it. */
function toAdapterRequest(event: LambdaEvent): AdapterRequest {
  let method: string;
  let url: string;
  let headers: Map<string, string>;
  let socketAddress: string | undefined;
  if (isV2(event)) {
    const { http } = event.requestContext;
    method = http.method;
    const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
    url = asSentPath(event.rawPath ?? http.path ?? '/') + query;
    headers = lowerCaseHeaders(event.headers, undefined);
    if (event.cookies && event.cookies.length > 0) headers.set('cookie', event.cookies.join('; '));
    socketAddress = http.sourceIp;
  } else if (typeof event?.httpMethod === 'string') {
    method = event.httpMethod;
    url = asSentPath(event.path ?? '/') + queryOf(event);
    headers = lowerCaseHeaders(event.headers, event.multiValueHeaders);
    socketAddress = event.requestContext?.identity?.sourceIp ?? undefined;
  } else {
    throw new InvalidOptionsError(
      'createLambdaHandler() was invoked with an event that is not from API Gateway or a function URL',
    );
  }
  return {
    method: method.toUpperCase(),
    url,
    header: (name) => headers.get(name),
    headerEntries: () => headers,
    socketAddress,
    readBody: async (limit) => readEventBody(event.body, event.isBase64Encoded === true, limit),
  };
}

function toResult(response: AdapterResponse): LambdaResult {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (!TRANSPORT_HEADERS.has(name)) headers[name] = value;
  }
  return { statusCode: response.status, headers, body: response.body, isBase64Encoded: false };
}

/** Waits for the inbox's work, but not past the invocation's own deadline. */
async function settle(after: () => Promise<void>, context: LambdaContext | undefined) {
  const work = after().catch(() => {});
  const remaining = callRemaining(context);
  if (remaining === undefined) return work;
  return withDeadline(work, Math.max(0, remaining - INBOX_MARGIN_MS), () => undefined).catch(
    () => {},
  );
}

function callRemaining(context: LambdaContext | undefined): number | undefined {
  try {
    const remaining = context?.getRemainingTimeInMillis?.();
    return typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates an AWS Lambda handler for API Gateway REST APIs (payload format 1.0), HTTP APIs
 * (payload formats 1.0 and 2.0) and Lambda function URLs. It reads the body (base64 or not),
 * the headers in any case, the query string (where the token may travel) and the client
 * address the event carries (`requestContext.identity.sourceIp` or
 * `requestContext.http.sourceIp`, which `auth.allowIps` checks), and answers with the same
 * status codes and JSON bodies as the other adapters. Any path reaches it: route with API
 * Gateway, or check the path with `auth.token` in the path.
 *
 * An event that comes from neither makes the handler reject with `InvalidOptionsError`.
 *
 * @example
 * ```ts
 * import { createWebhooks } from 'uanataca-webhooks';
 * import { createLambdaHandler } from 'uanataca-webhooks/aws-lambda';
 *
 * const webhooks = createWebhooks({ timeZone: 'Europe/Madrid' });
 * webhooks.on('ISSUED', (event) => saveCertificate(event.requestId));
 * export const handler = createLambdaHandler(webhooks, {
 *   auth: { token: process.env.WEBHOOK_TOKEN },
 * });
 * ```
 */
export function createLambdaHandler(
  webhooks: WebhookReceiver,
  options: LambdaHandlerOptions = {},
): LambdaHandler {
  const handle = createRequestHandler(webhooks, options);
  const awaitInbox = options.awaitInbox ?? false;
  if (typeof awaitInbox !== 'boolean') {
    throw new InvalidOptionsError('awaitInbox must be a boolean');
  }
  return async (event, context) => {
    const response = await handle(toAdapterRequest(event));
    // The event holds the whole body, so no client can leave half-way: this is not reached.
    if (response === undefined) return toResult(internalErrorResponse());
    if (awaitInbox && response.after !== undefined) await settle(response.after, context);
    return toResult(response);
  };
}
