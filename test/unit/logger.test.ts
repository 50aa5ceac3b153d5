import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createFetchHandler } from '../../src/adapters/fetch.js';
import {
  createMemoryInbox,
  createWebhooks,
  InvalidOptionsError,
  type Logger,
} from '../../src/index.js';

const REVIEW = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'videoid-3-videoid-updated-review.json'),
  'utf8',
);

/** A logger that records every line. */
function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; message: string | undefined }[] =
    [];
  const at =
    (level: string) =>
    (fields: object, message?: string): void =>
      void lines.push({ level, fields: fields as Record<string, unknown>, message });
  const logger: Logger = {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
  };
  return { logger, lines };
}

const post = (body: string, query = '?token=s3cret-token'): Request =>
  new Request(`https://example.test/hook${query}`, {
    method: 'POST',
    body,
    headers: { authorization: 'Basic dXNlcjpwYXNz', 'x-original-url': `/hook${query}` },
  });

describe('the logger option of createWebhooks', () => {
  it('writes one info line per handled delivery, with the notification and the outcome', async () => {
    const { logger, lines } = recorder();
    const webhooks = createWebhooks({ logger, state: {} });
    webhooks.on('*', () => {});
    await webhooks.receive(REVIEW);
    await webhooks.receive(REVIEW);
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'uanataca webhook handled',
        fields: {
          idempotencyKey: expect.any(String),
          requestId: 28634,
          eventType: 'VIDEOID_UPDATED',
          status: 'VIDEOREVIEW',
          outcome: 'handled',
          transition: 'apply',
          durationMs: expect.any(Number),
        },
      },
      {
        level: 'info',
        message: 'uanataca webhook duplicate',
        fields: expect.objectContaining({ outcome: 'duplicate' }),
      },
    ]);
  });

  it('writes what the sender got wrong at warn and what failed here at error, with the cause', async () => {
    const { logger, lines } = recorder();
    const webhooks = createWebhooks({ logger });
    const failure = new Error('database down');
    webhooks.on('*', () => {
      throw failure;
    });
    await expect(webhooks.receive('{"foo":1}')).rejects.toThrow();
    await expect(webhooks.receive(REVIEW)).rejects.toThrow();
    expect(lines.map((line) => [line.level, line.fields.code])).toEqual([
      ['warn', 'invalid_payload'],
      ['error', 'handler_failed'],
    ]);
    expect(lines[1]!.fields.err).toBe(failure);
    expect(lines[1]!.fields.requestId).toBe(28634);
  });

  it('writes one line per attempt of the inbox, with the entry and the attempt', async () => {
    const { logger, lines } = recorder();
    const webhooks = createWebhooks({
      logger,
      inbox: { store: createMemoryInbox(), worker: false, retryDelayMs: { min: 1, max: 1 } },
    });
    webhooks.on('*', vi.fn().mockRejectedValueOnce(new Error('once')).mockResolvedValue(undefined));
    await webhooks.receive(REVIEW);
    await webhooks.inbox.drain();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await webhooks.inbox.drain();
    expect(lines.map((line) => [line.level, line.message, line.fields.attempt])).toEqual([
      ['info', 'uanataca webhook queued', undefined],
      ['error', 'uanataca webhook attempt failed', 1],
      ['info', 'uanataca webhook handled', 2],
    ]);
  });

  it('goes on when the logger throws', async () => {
    const throwing: Logger = {
      info: () => {
        throw new Error('logger down');
      },
      warn: () => {
        throw new Error('logger down');
      },
      error: () => {
        throw new Error('logger down');
      },
    };
    const webhooks = createWebhooks({ logger: throwing });
    webhooks.on('*', () => {});
    expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: false });
  });

  it('accepts console, and refuses what is not a logger', () => {
    expect(() => createWebhooks({ logger: console })).not.toThrow();
    expect(() => createWebhooks({ logger: 'pino' as never })).toThrow(InvalidOptionsError);
    expect(() => createWebhooks({ logger: { info() {} } as never })).toThrow(InvalidOptionsError);
  });
});

describe('the logger option of the adapters', () => {
  it('warns once that an endpoint without auth accepts anyone, unless auth is false', () => {
    const { logger, lines } = recorder();
    const webhooks = createWebhooks();
    createFetchHandler(webhooks, { logger, auth: false });
    expect(lines).toEqual([]);
    createFetchHandler(webhooks, { logger });
    createFetchHandler(webhooks, { logger, auth: {} });
    expect(lines).toEqual([
      { level: 'warn', fields: { auth: 'none' }, message: expect.stringContaining('from anyone') },
    ]);
  });

  it('writes refusals before the router at warn, and never a credential', async () => {
    const { logger, lines } = recorder();
    const router = recorder();
    const webhooks = createWebhooks({ logger: router.logger });
    webhooks.on('*', () => {});
    const handler = createFetchHandler(webhooks, {
      logger,
      auth: { token: 's3cret-token' },
      getClientIp: () => '203.0.113.7',
    });
    expect((await handler(post(REVIEW, '?token=wrong-guess'))).status).toBe(401);
    expect(
      (await handler(new Request('https://example.test/hook', { method: 'GET' }))).status,
    ).toBe(405);
    expect((await handler(post(REVIEW))).status).toBe(200);
    expect(lines.map((line) => [line.level, line.fields.code, line.fields.clientIp])).toEqual([
      ['warn', 'unauthorized', '203.0.113.7'],
      ['warn', 'method_not_allowed', '203.0.113.7'],
    ]);
    expect(router.lines.map((line) => line.fields.outcome)).toEqual(['handled']);
    const written = JSON.stringify([...lines, ...router.lines]);
    for (const secret of ['s3cret-token', 'wrong-guess', 'dXNlcjpwYXNz']) {
      expect(written).not.toContain(secret);
    }
  });
});
