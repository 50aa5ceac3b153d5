import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFetchHandler, type FetchHandlerOptions } from '../../src/adapters/fetch.js';
import {
  createMemoryInbox,
  createWebhooks,
  type HandlerContext,
  InvalidOptionsError,
  type WebhookError,
} from '../../src/index.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

function setup(options: FetchHandlerOptions = {}) {
  const contexts: HandlerContext[] = [];
  const errors: WebhookError[] = [];
  const webhooks = createWebhooks();
  webhooks.on('*', (_event, context) => void contexts.push(context));
  const handler = createFetchHandler(webhooks, {
    ...options,
    onError: (error) => errors.push(error),
  });
  return { handler, contexts, errors };
}

const post = (body: BodyInit | null = REVIEW, init: RequestInit = {}): Request =>
  new Request('https://example.test/webhooks/uanataca', { method: 'POST', body, ...init });

describe('createFetchHandler specifics', () => {
  it('passes the request and the rest of the arguments to getClientIp', async () => {
    const seen: unknown[][] = [];
    const { handler, contexts } = setup({
      getClientIp: async (request, ...rest) => {
        seen.push([request.url, ...rest]);
        return '203.0.113.7';
      },
      auth: { allowIps: ['203.0.113.0/24'] },
    });
    const response = await handler(post(), { remoteAddr: 'x' }, 'ctx');
    expect(response.status).toBe(200);
    expect(seen).toEqual([['https://example.test/webhooks/uanataca', { remoteAddr: 'x' }, 'ctx']]);
    expect(contexts[0]!.clientIp).toBe('203.0.113.7');
  });

  it('takes a failing getClientIp for an unknown address', async () => {
    const failing = (): never => {
      throw new Error('no socket');
    };
    const open = setup({ getClientIp: failing });
    expect((await open.handler(post())).status).toBe(200);
    expect(open.contexts[0]!.clientIp).toBeUndefined();
    const guarded = setup({ getClientIp: async () => failing(), auth: { allowIps: ['::/0'] } });
    expect((await guarded.handler(post())).status).toBe(403);
  });

  it('has no client address without getClientIp, so an allow-list refuses everything', async () => {
    const { handler } = setup({ auth: { allowIps: ['::/0'] } });
    const response = await handler(post(), { remoteAddress: '127.0.0.1' });
    expect(response.status).toBe(403);
  });

  it('answers HEAD with 405 and no body', async () => {
    const { handler } = setup();
    const response = await handler(new Request('https://example.test/', { method: 'HEAD' }));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.body).toBeNull();
  });

  it('reads bodies of every kind a Request can carry', async () => {
    const { handler, contexts } = setup({ maxBodyBytes: REVIEW.length });
    const bytes = new TextEncoder().encode(REVIEW);
    expect((await handler(post(bytes))).status).toBe(200);
    await expect((await handler(post(new Blob([REVIEW])))).json()).resolves.toEqual({
      ok: true,
      duplicate: true,
    });
    expect((await handler(post(bytes.buffer))).status).toBe(200);
    expect((await handler(post(null))).status).toBe(400);
    expect(contexts).toHaveLength(1);
  });

  it('says so when the body was already read before the handler', async () => {
    const { handler, errors, contexts } = setup();
    const request = post();
    await request.text();
    const response = await handler(request);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      ok: false,
      error: { code: 'invalid_options', message: 'The receiver is misconfigured' },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidOptionsError);
    expect(errors[0]!.message).toMatch(/already read/);
    expect(contexts).toHaveLength(0);
  });

  it('answers 400 and closes when the body stream fails midway', async () => {
    const { handler, errors } = setup();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(REVIEW.slice(0, 20)));
        controller.error(new Error('connection reset'));
      },
    });
    const response = await handler(post(body, { duplex: 'half' } as RequestInit));
    expect(response.status).toBe(400);
    expect(response.headers.get('connection')).toBe('close');
    expect(errors).toHaveLength(0);
  });
});

describe('createFetchHandler with the durable inbox', () => {
  it('answers queued, and hands waitUntil the work that handles the notification', async () => {
    const webhooks = createWebhooks({ inbox: { store: createMemoryInbox(), worker: false } });
    const handled: string[] = [];
    webhooks.on('*', (event) => void handled.push(event.status));
    const kept: Promise<unknown>[] = [];
    const context = { waitUntil: (promise: Promise<unknown>) => kept.push(promise) };
    const handler = createFetchHandler(webhooks, {
      waitUntil: (promise, _request, _env, ctx) => (ctx as typeof context).waitUntil(promise),
    });
    const response = await handler(post(), {}, context);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, queued: true });
    expect(kept).toHaveLength(1);
    await Promise.all(kept);
    expect(handled).toEqual(['VIDEOREVIEW']);
    expect((await webhooks.inbox.stats()).done).toBe(1);
    // A duplicate is answered as such, and waitUntil still gets the inbox's work.
    const again = await handler(post(), {}, context);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    await Promise.all(kept);
    expect(handled).toEqual(['VIDEOREVIEW']);
  });

  it('answers as usual when waitUntil throws', async () => {
    const webhooks = createWebhooks({ inbox: { store: createMemoryInbox(), worker: false } });
    const handler = createFetchHandler(webhooks, {
      waitUntil: () => {
        throw new Error('no context');
      },
    });
    expect((await handler(post())).status).toBe(200);
  });

  it('refuses a waitUntil that is not a function', () => {
    expect(() => createFetchHandler(createWebhooks(), { waitUntil: 'ctx' as never })).toThrow(
      InvalidOptionsError,
    );
  });
});
