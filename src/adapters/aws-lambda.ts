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
import { hostOf } from '../http/ip.js';
import type { WebhookBody } from '../payload/parse.js';

export type { AuthOptions, BasicCredentials } from '../http/auth.js';
export type { AdapterOptions, WebhookReceiver } from '../http/handle.js';

/** Header values as events carry them. */
type EventHeaders = Readonly<Record<string, string | undefined>>;
/** Lists of values, as `multiValueHeaders` and `multiValueQueryStringParameters` carry them. */
type EventLists = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * The fields API Gateway's payload format 1.0 and Application Load Balancers share. API Gateway
 * decodes the query parameters and keeps the header names as the client sent them; a load
 * balancer decodes nothing and lower-cases the names.
 */
interface ProxyEventFields {
  /** The request's method. */
  readonly httpMethod: string;
  /** The request path (API Gateway: without the stage). */
  readonly path?: string | null | undefined;
  /** The last value of each header. */
  readonly headers?: EventHeaders | null | undefined;
  /** Every value of each header (on a load balancer, with multi-value headers enabled). */
  readonly multiValueHeaders?: EventLists | null | undefined;
  /** The last value of each query parameter. */
  readonly queryStringParameters?: EventHeaders | null | undefined;
  /** Every value of each query parameter (on a load balancer, with multi-value headers). */
  readonly multiValueQueryStringParameters?: EventLists | null | undefined;
  /** The body: text, or base64 when `isBase64Encoded`. */
  readonly body?: string | null | undefined;
  /** Whether `body` is base64. */
  readonly isBase64Encoded?: boolean | null | undefined;
}

/**
 * An API Gateway REST API event, or an HTTP API event with payload format 1.0, as far as
 * the handler reads it (query parameters decoded). `APIGatewayProxyEvent` of
 * `@types/aws-lambda` is assignable to it.
 */
export interface LambdaEventV1 extends ProxyEventFields {
  /** Where the client address is. */
  readonly requestContext?:
    | {
        readonly identity?: { readonly sourceIp?: string | null | undefined } | null | undefined;
      }
    | null
    | undefined;
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

/**
 * An Application Load Balancer event (a target group of type `lambda`), as far as the handler
 * reads it. `ALBEvent` of `@types/aws-lambda` is assignable to it. The load balancer sends
 * either the single-value fields or, when the target group enables multi-value headers, the
 * `multiValue…` ones; it decodes neither the path nor the query.
 */
export interface LambdaEventAlb extends ProxyEventFields {
  /** The target group the request came through. */
  readonly requestContext: {
    readonly elb: { readonly targetGroupArn?: string | undefined };
  };
}

/**
 * An event from API Gateway (REST or HTTP API, payload format 1.0 or 2.0), a function URL or
 * an Application Load Balancer.
 */
export type LambdaEvent = LambdaEventV1 | LambdaEventV2 | LambdaEventAlb;

/**
 * The handler's result: what API Gateway (both payload formats), function URLs and
 * Application Load Balancers expect. Assignable to `APIGatewayProxyResult`,
 * `APIGatewayProxyResultV2` and `ALBResult` of `@types/aws-lambda`.
 */
export interface LambdaResult {
  /** The HTTP status. */
  statusCode: number;
  /** Only for a load balancer's event: the status line's text, such as `'200 OK'`. */
  statusDescription?: string;
  /** The response headers. */
  headers: Record<string, string>;
  /**
   * Only for a load balancer's event with `multiValueHeaders` (the target group enables
   * multi-value headers, and then reads the answer's headers from here): `headers` as lists.
   */
  multiValueHeaders?: Record<string, string[]>;
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

/** The reason phrase of each status the shared core answers with. */
const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

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

function isAlb(event: LambdaEventV1 | LambdaEventAlb): event is LambdaEventAlb {
  const elb = (event as LambdaEventAlb).requestContext?.elb;
  return typeof elb === 'object' && elb !== null;
}

/**
 * Every value of `multi`, then the values of `single` under a name `multi` lacks (`key` says
 * when two names are the same), so that an empty or partial `multi` loses nothing.
 */
function entriesOf(
  single: EventHeaders | null | undefined,
  multi: EventLists | null | undefined,
  key: (name: string) => string,
): [string, string][] {
  const entries: [string, string][] = [];
  const listed = new Set<string>();
  for (const [name, values] of Object.entries(multi ?? {})) {
    if (!Array.isArray(values) || values.length === 0) continue;
    listed.add(key(name));
    for (const value of values) if (typeof value === 'string') entries.push([name, value]);
  }
  for (const [name, value] of Object.entries(single ?? {})) {
    if (typeof value === 'string' && !listed.has(key(name))) entries.push([name, value]);
  }
  return entries;
}

/** Headers by lower-case name, the values of a name given more than once joined with `, `. */
function lowerCaseHeaders(
  single: EventHeaders | null | undefined,
  multi: EventLists | null | undefined,
): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of entriesOf(single, multi, (name) => name.toLowerCase())) {
    const key = name.toLowerCase();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
  return headers;
}

/**
 * The query string of a 1.0 or load balancer event, rebuilt from its parameters: encoded again
 * when the source decoded them (API Gateway), joined as they are when it did not (ALB).
 */
function queryOf(event: LambdaEventV1 | LambdaEventAlb, asSent: boolean): string {
  const entries = entriesOf(
    event.queryStringParameters,
    event.multiValueQueryStringParameters,
    (name) => name,
  );
  const text = asSent
    ? entries.map((entry) => entry.join('=')).join('&')
    : new URLSearchParams(entries).toString();
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

/** The event as the shared core sees it, and whether to answer as to a load balancer. */
function toAdapterRequest(event: LambdaEvent): [AdapterRequest, LambdaEventAlb | undefined] {
  let method: string;
  let url: string;
  let headers: Map<string, string>;
  let socketAddress: string | undefined;
  let alb: LambdaEventAlb | undefined;
  /** The headers the core reads: `headers`, with X-Forwarded-For less ALB's entry. */
  let read: Map<string, string>;
  if (isV2(event)) {
    const { http } = event.requestContext;
    method = http.method;
    const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
    url = asSentPath(event.rawPath ?? http.path ?? '/') + query;
    read = headers = lowerCaseHeaders(event.headers, undefined);
    if (event.cookies && event.cookies.length > 0) headers.set('cookie', event.cookies.join('; '));
    socketAddress = http.sourceIp;
  } else if (typeof event?.httpMethod === 'string') {
    method = event.httpMethod;
    read = headers = lowerCaseHeaders(event.headers, event.multiValueHeaders);
    if (isAlb(event)) {
      alb = event;
      url = asSentPath(event.path ?? '/') + queryOf(event, true);
      // The load balancer appends the address of its peer to X-Forwarded-For: the right-most
      // entry stands for the socket's peer, those before it for what that peer claimed.
      const forwarded = (headers.get('x-forwarded-for') ?? '').split(',');
      socketAddress = hostOf(forwarded.pop() ?? '') || undefined;
      read = new Map(headers).set('x-forwarded-for', forwarded.join(','));
    } else {
      url = asSentPath(event.path ?? '/') + queryOf(event, false);
      socketAddress = event.requestContext?.identity?.sourceIp ?? undefined;
    }
  } else {
    throw new InvalidOptionsError(
      'createLambdaHandler() was invoked with an event that is not from API Gateway, a function URL or an Application Load Balancer',
    );
  }
  const request: AdapterRequest = {
    method: method.toUpperCase(),
    url,
    header: (name) => read.get(name),
    headerEntries: () => headers,
    socketAddress,
    readBody: async (limit) => readEventBody(event.body, event.isBase64Encoded === true, limit),
  };
  return [request, alb];
}

function toResult(response: AdapterResponse, alb: LambdaEventAlb | undefined): LambdaResult {
  const { status } = response;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (!TRANSPORT_HEADERS.has(name)) headers[name] = value;
  }
  const result: LambdaResult = {
    statusCode: status,
    headers,
    body: response.body,
    isBase64Encoded: false,
  };
  if (alb) {
    result.statusDescription = `${status} ${REASONS[status] ?? ''}`.trimEnd();
    if (alb.multiValueHeaders) {
      result.multiValueHeaders = {};
      for (const [name, value] of Object.entries(headers)) result.multiValueHeaders[name] = [value];
    }
  }
  return result;
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
 * (payload formats 1.0 and 2.0), Lambda function URLs and Application Load Balancers. It reads
 * the body (base64 or not), the headers in any case, the query string (where the token may
 * travel) and the client address (which `auth.allowIps` checks), and answers with the same
 * status codes and JSON bodies as the other adapters. Any path reaches it: route with API
 * Gateway or the load balancer's rules, or check the path with `auth.token` in the path.
 *
 * The client address is `requestContext.identity.sourceIp` or `requestContext.http.sourceIp`
 * for API Gateway and function URLs. A load balancer's event has none: the address is the
 * right-most `X-Forwarded-For` entry, the peer the load balancer saw and appended (its
 * default `append` mode), and `auth.trustProxy` counts from there. Its query parameters are
 * read as sent (ALB decodes nothing), with every value when the target group enables
 * multi-value headers; the answer then carries `multiValueHeaders`, and always a
 * `statusDescription`.
 *
 * An event that comes from none of these makes the handler reject with `InvalidOptionsError`.
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
    const [request, alb] = toAdapterRequest(event);
    const response = await handle(request);
    // The event holds the whole body, so no client can leave half-way: this is not reached.
    if (response === undefined) return toResult(internalErrorResponse(), alb);
    if (awaitInbox && response.after !== undefined) await settle(response.after, context);
    return toResult(response, alb);
  };
}
