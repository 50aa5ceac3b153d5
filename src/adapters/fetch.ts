import { withDeadline } from '../deadline.js';
import { InvalidOptionsError } from '../errors.js';
import { bodyAlreadyReadError, ClientGoneError, createBodyCollector } from '../http/body.js';
import {
  type AdapterOptions,
  type AdapterRequest,
  type AdapterResponse,
  createRequestHandler,
  internalErrorResponse,
  type WebhookReceiver,
} from '../http/handle.js';
import { callSafely } from '../safe-call.js';

export type { AuthOptions, BasicCredentials } from '../http/auth.js';
export type { AdapterOptions, WebhookReceiver } from '../http/handle.js';

/**
 * Options of {@link createFetchHandler}. `Rest` is what the runtime passes to the handler
 * after the request (Bun's server, Deno's info, a Worker's `env` and `ctx`): annotate it in
 * `getClientIp` or `waitUntil` and the handler takes the same arguments.
 */
export interface FetchHandlerOptions<Rest extends unknown[] = unknown[]> extends AdapterOptions {
  /**
   * Finds the client address, which the Fetch API does not expose. It receives the request
   * and whatever else the runtime passed to the handler.
   *
   * @example
   * ```ts
   * // Bun.serve({ fetch: handler })
   * getClientIp: (request, server: Server) => server.requestIP(request)?.address
   * // Deno.serve(handler)
   * getClientIp: (request, info: Deno.ServeHandlerInfo) => info.remoteAddr.hostname
   * // Cloudflare Workers
   * getClientIp: (request) => request.headers.get('cf-connecting-ip') ?? undefined
   * ```
   */
  getClientIp?:
    | ((request: Request, ...rest: Rest) => string | undefined | Promise<string | undefined>)
    | undefined;
  /**
   * With the durable inbox, keeps the work after the answer alive on runtimes that stop a
   * request's work once it is answered (Cloudflare Workers, Vercel): called with a promise
   * that settles once this process has handled the notifications due (the one just recorded
   * included), the request, and whatever else the runtime passed to the handler. Use it with
   * `inbox: { worker: false }`, so that nothing runs outside a request.
   *
   * @example
   * ```ts
   * // Cloudflare Workers: fetch(request, env, ctx)
   * waitUntil: (promise, _request, _env: Env, ctx: ExecutionContext) => ctx.waitUntil(promise)
   * // Vercel: import { waitUntil } from '@vercel/functions'
   * waitUntil: (promise) => waitUntil(promise)
   * ```
   */
  waitUntil?: ((promise: Promise<unknown>, request: Request, ...rest: Rest) => void) | undefined;
}

/**
 * A Fetch API handler: a `Request` in, a `Response` out; `Rest`, what the runtime passes after
 * the request (see {@link FetchHandlerOptions}).
 */
export type FetchHandler<Rest extends unknown[] = unknown[]> = (
  request: Request,
  ...rest: Rest
) => Promise<Response>;

function toResponse(response: AdapterResponse, head: boolean): Response {
  return new Response(head ? null : response.body, {
    status: response.status,
    headers: response.headers,
  });
}

/** How long `getClientIp` may take before the address counts as unknown. */
const CLIENT_IP_TIMEOUT_MS = 5_000;

/**
 * A failing `getClientIp`, one that does not settle within {@link CLIENT_IP_TIMEOUT_MS}, or
 * one that gives no string (Bun's `requestIP()` is an object) means an unknown address
 * (which an allow-list then refuses).
 */
async function safely(
  get: () => string | undefined | Promise<string | undefined>,
): Promise<string | undefined> {
  try {
    const address: unknown = await withDeadline(get(), CLIENT_IP_TIMEOUT_MS, () => undefined);
    return typeof address === 'string' ? address : undefined;
  } catch {
    return undefined;
  }
}

async function readFetchBody(request: Request, limit: number): Promise<Uint8Array> {
  const collector = createBodyCollector(limit);
  if (request.bodyUsed) throw bodyAlreadyReadError();
  if (!request.body) return collector.result();
  const reader = request.body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (cause) {
      throw new ClientGoneError({ cause });
    }
    if (chunk.done) return collector.result();
    try {
      collector.push(chunk.value);
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    }
  }
}

/**
 * Creates a Fetch API handler for Next.js route handlers, Hono, Cloudflare Workers,
 * `Bun.serve` and `Deno.serve`.
 *
 * @example
 * ```ts
 * // app/webhooks/uanataca/route.ts (Next.js App Router)
 * import { createWebhooks } from 'uanataca-webhooks';
 * import { createFetchHandler } from 'uanataca-webhooks/fetch';
 *
 * const webhooks = createWebhooks();
 * webhooks.on('ENROLLREADY', (event) => markApproved(event.requestId));
 * export const POST = createFetchHandler(webhooks, { auth: { token: process.env.WEBHOOK_TOKEN } });
 * ```
 */
export function createFetchHandler<Rest extends unknown[] = unknown[]>(
  webhooks: WebhookReceiver,
  options: FetchHandlerOptions<Rest> = {},
): FetchHandler<Rest> {
  const handle = createRequestHandler(webhooks, options);
  const getClientIp = options.getClientIp;
  if (getClientIp !== undefined && typeof getClientIp !== 'function') {
    throw new InvalidOptionsError('getClientIp must be a function');
  }
  const { waitUntil } = options;
  if (waitUntil !== undefined && typeof waitUntil !== 'function') {
    throw new InvalidOptionsError('waitUntil must be a function');
  }
  const answer = async (request: Request, rest: Rest): Promise<Response> => {
    const url = new URL(request.url);
    const adapted: AdapterRequest = {
      method: request.method,
      url: url.pathname + url.search,
      header: (name) => request.headers.get(name) ?? undefined,
      headerEntries: () => request.headers,
      socketAddress: getClientIp ? await safely(() => getClientIp(request, ...rest)) : undefined,
      readBody: (limit) => readFetchBody(request, limit),
    };
    const response = await handle(adapted);
    if (!response) {
      return new Response(null, { status: 400, headers: { connection: 'close' } });
    }
    if (waitUntil !== undefined && response.after !== undefined) {
      const after = response.after().catch(() => {});
      callSafely(waitUntil, after, request, ...rest);
    }
    return toResponse(response, request.method === 'HEAD');
  };
  return async (request, ...rest) => {
    try {
      return await answer(request, rest);
    } catch {
      // Not a Request the runtime could read (a hostile object, a broken URL): the contract's
      // answer all the same, and nothing escapes to the runtime.
      return toResponse(internalErrorResponse(), false);
    }
  };
}
