import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createMemoryInbox,
  createWebhooks,
  type HandlerContext,
  type InboxEntry,
  type InboxStore,
  InvalidOptionsError,
  type WebhookEvent,
  type Webhooks,
  type WebhooksOptions,
} from '../../src/index.js';
import { createTestPayload } from '../../src/testing/index.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const REVIEW = readFileSync(join(fixturesDir, 'videoid-3-videoid-updated-review.json'), 'utf8');
const APPROVED = readFileSync(join(fixturesDir, 'videoid-4-request-approved.json'), 'utf8');

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const routers: Webhooks[] = [];
afterEach(async () => {
  for (const router of routers.splice(0)) await router.inbox?.stop();
});

/** A router with a memory inbox, quick retries, stopped after the test. */
function inboxRouter(
  inbox: Exclude<WebhooksOptions['inbox'], boolean | undefined> = {},
  options: WebhooksOptions = {},
) {
  const store = inbox.store ?? createMemoryInbox();
  const webhooks = createWebhooks({
    ...options,
    inbox: { retryDelayMs: { min: 5, max: 20 }, pollMs: 10, ...inbox, store },
  });
  routers.push(webhooks);
  return { webhooks, store, inbox: webhooks.inbox };
}

/** Waits until `condition` holds, failing after 5 s. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await tick(5);
  }
}

describe('createWebhooks({ inbox })', () => {
  it('resolves queued once recorded, then runs the handlers from the inbox', async () => {
    const { webhooks, inbox } = inboxRouter();
    const seen: [WebhookEvent, HandlerContext][] = [];
    webhooks.on('*', (event, context) => void seen.push([event, context]));
    const result = await webhooks.receive(REVIEW);
    expect(result).toMatchObject({ duplicate: false, queued: true });
    await until(() => seen.length === 1, 'the handler ran');
    const [entry] = await inbox.list();
    await until(async () => (await inbox.get(entry!.id))?.status === 'done', 'the entry is done');
    expect(seen[0]![0].idempotencyKey).toBe(result.event.idempotencyKey);
    expect(seen[0]![1]).toMatchObject({ attempt: 1, entryId: entry!.id, headers: {} });
    expect(await inbox.get(entry!.id)).toMatchObject({
      status: 'done',
      attempts: 1,
      idempotencyKey: result.event.idempotencyKey,
      requestId: 28634,
      eventType: 'VIDEOID_UPDATED',
      body: REVIEW,
    });
  });

  it('answers a redelivery as a duplicate, recorded once and handled once', async () => {
    const { webhooks, inbox } = inboxRouter();
    const handler = vi.fn();
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    expect(await webhooks.receive(new TextEncoder().encode(REVIEW))).toMatchObject({
      duplicate: true,
      queued: true,
    });
    await inbox.drain();
    expect(await webhooks.receive(REVIEW)).toMatchObject({ duplicate: true });
    await inbox.drain();
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await inbox.list()).toHaveLength(1);
  });

  it('retries a failing handler with backoff until it succeeds', async () => {
    const { webhooks, inbox } = inboxRouter({ attempts: 5 });
    const handler = vi
      .fn()
      .mockRejectedValueOnce(new Error('db down'))
      .mockRejectedValueOnce(new Error('db still down'))
      .mockResolvedValue(undefined);
    const attempts: number[] = [];
    webhooks.on('*', (event, context) => {
      attempts.push(context.attempt);
      return handler(event);
    });
    await webhooks.receive(REVIEW);
    const [entry] = await inbox.list();
    await until(async () => (await inbox.get(entry!.id))?.status === 'done', 'done');
    expect(attempts).toEqual([1, 2, 3]);
    expect(await inbox.get(entry!.id)).toMatchObject({
      attempts: 3,
      lastError: 'HandlerError: A webhook handler failed (Error: db still down)',
    });
  });

  it('gives an always failing notification up as dead after attempts, and replays it once fixed', async () => {
    const onDeadLetter = vi.fn();
    const { webhooks, inbox } = inboxRouter({ attempts: 3, onDeadLetter });
    let broken = true;
    const handler = vi.fn(() => {
      if (broken) throw new Error('bug');
    });
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    const [entry] = await inbox.list();
    await until(async () => (await inbox.get(entry!.id))?.status === 'dead', 'dead');
    expect(handler).toHaveBeenCalledTimes(3);
    expect(onDeadLetter).toHaveBeenCalledTimes(1);
    expect(onDeadLetter.mock.calls[0]![0]).toMatchObject({
      id: entry!.id,
      status: 'dead',
      attempts: 3,
      lastError: 'HandlerError: A webhook handler failed (Error: bug)',
    });
    await tick(100);
    expect(handler).toHaveBeenCalledTimes(3);
    broken = false;
    expect(await inbox.replay({ status: 'dead' })).toMatchObject({ replayed: 1 });
    await until(async () => (await inbox.get(entry!.id))?.status === 'done', 'done after replay');
    expect(handler).toHaveBeenCalledTimes(4);
    expect((await inbox.get(entry!.id))?.attempts).toBe(1);
  });

  it('answers 422 for an invalid body and keeps it as invalid with its issues', async () => {
    const { webhooks, inbox } = inboxRouter();
    const handler = vi.fn();
    webhooks.on('*', handler);
    const body = '{"eventType":"REQUEST_CREATED","requestId":7}';
    await expect(webhooks.receive(body)).rejects.toMatchObject({ code: 'invalid_payload' });
    await expect(webhooks.receive(body)).rejects.toMatchObject({ code: 'invalid_payload' });
    const entries = await inbox.list({ status: 'invalid' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      status: 'invalid',
      body,
      idempotencyKey: expect.stringMatching(/^invalid:[0-9a-f]{64}$/),
      lastError: expect.stringContaining('request: '),
    });
    // Not JSON at all: refused, not kept.
    await expect(webhooks.receive('not json')).rejects.toMatchObject({ code: 'invalid_json' });
    expect(await inbox.list()).toHaveLength(1);
    // Still invalid for this version: replay leaves it.
    expect(await inbox.replay(entries[0]!.id)).toMatchObject({ invalid: 1, replayed: 0 });
    await inbox.drain();
    expect(handler).not.toHaveBeenCalled();
  });

  it('replays an invalid entry that the parser of this version reads, and handles it', async () => {
    const store = createMemoryInbox();
    // Quarantined by an older version whose parser refused this body.
    const { id } = await store.add({
      idempotencyKey: 'invalid:older',
      status: 'invalid',
      receivedAt: new Date(),
      lastError: 'an older parser refused it',
      body: APPROVED,
    });
    const { webhooks, inbox } = inboxRouter({ store });
    const handler = vi.fn();
    webhooks.on('ENROLLREADY', handler);
    expect(await inbox.replay({ status: 'invalid' })).toMatchObject({ replayed: 1 });
    await until(async () => (await inbox.get(id))?.status === 'done', 'done');
    expect(handler).toHaveBeenCalledTimes(1);
    expect((await inbox.get(id))?.requestId).toBe(28634);
  });

  it('handles the notifications of one request one at a time, in order, with exact verdicts', async () => {
    const { webhooks, inbox } = inboxRouter({ concurrency: 8 }, { state: {} });
    let running = 0;
    let overlap = false;
    const seen: string[] = [];
    webhooks.on('*', async (event, { transition }) => {
      running += 1;
      if (running > 1) overlap = true;
      await tick(5);
      seen.push(`${event.status} ${transition}`);
      running -= 1;
    });
    const start = new Date('2025-07-15T08:00:00Z');
    const statuses = ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY'] as const;
    for (const [minute, status] of statuses.entries()) {
      await webhooks.receive(
        createTestPayload({
          status,
          requestId: 9,
          sentAt: new Date(start.getTime() + minute * 60_000),
        }),
      );
    }
    await until(() => seen.length === 3, 'every handler ran');
    expect(overlap).toBe(false);
    expect(seen).toEqual(['VIDEOPENDING apply', 'VIDEOREVIEW apply', 'ENROLLREADY apply']);
    expect((await inbox.stats()).done).toBe(3);
  });

  it('with worker: false, records only; drain() handles what is due', async () => {
    const { webhooks, inbox } = inboxRouter({ worker: false });
    const handler = vi.fn();
    webhooks.on('*', handler);
    const result = await webhooks.receive(REVIEW);
    await tick(50);
    expect(handler).not.toHaveBeenCalled();
    await result.handled!();
    expect(handler).toHaveBeenCalledTimes(1);
    expect((await inbox.stats()).done).toBe(1);
  });

  it('stop({ drain }) waits for the notifications being handled; start() resumes', async () => {
    const { webhooks, inbox } = inboxRouter();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = 0;
    webhooks.on('*', async () => {
      await gate;
      finished += 1;
    });
    await webhooks.receive(REVIEW);
    await until(async () => (await inbox.stats()).running === 1, 'running');
    const stopped = inbox.stop();
    let done = false;
    void stopped.then(() => {
      done = true;
    });
    await tick(20);
    expect(done).toBe(false);
    release();
    await stopped;
    expect(finished).toBe(1);
    await webhooks.receive(APPROVED);
    await tick(50);
    expect(finished).toBe(1);
    inbox.start();
    await until(() => finished === 2, 'handled after start');
  });

  it('gives up an entry whose processes stopped while handling it, once its attempts are spent', async () => {
    const store = createMemoryInbox();
    const dead: InboxEntry[] = [];
    const { webhooks, inbox } = inboxRouter({
      store,
      worker: false,
      attempts: 3,
      leaseMs: 5,
      onDeadLetter: (entry) => dead.push(entry),
    });
    const handler = vi.fn();
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    // Three processes take the entry in turn and stop (crash) without an outcome.
    for (let crash = 0; crash < 3; crash++) {
      expect(await store.lease(`crashed-${crash}`, 1, 5)).toHaveLength(1);
      await tick(10);
    }
    await inbox.drain();
    expect(handler).not.toHaveBeenCalled();
    const [entry] = await inbox.list({ status: 'dead' });
    expect(entry?.lastError).toMatch(/Attempt 3 of 3 ended without an outcome: its lease ran out/);
    expect(dead.map((one) => one.id)).toEqual([entry?.id]);
  });

  it('never handles more than concurrency at once, with drain() beside the worker', async () => {
    const store = createMemoryInbox();
    // A store that takes a while to lease, as a networked one does.
    const slow: InboxStore = {
      ...store,
      lease: async (...args) => {
        await tick(5);
        return store.lease(...args);
      },
    };
    const { webhooks } = inboxRouter({ store: slow, concurrency: 1 });
    let running = 0;
    let most = 0;
    webhooks.on('*', async () => {
      running += 1;
      most = Math.max(most, running);
      await tick(5);
      running -= 1;
    });
    const results = [];
    for (let requestId = 1; requestId <= 6; requestId++) {
      results.push(await webhooks.receive(createTestPayload({ requestId })));
    }
    await Promise.all(results.map((result) => result.handled!()));
    expect(most).toBe(1);
  });

  it('stop() waits for the entries a lease under way brings', async () => {
    const store = createMemoryInbox();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let leases = 0;
    const held: InboxStore = {
      ...store,
      lease: async (...args) => {
        leases += 1;
        await gate;
        return store.lease(...args);
      },
    };
    const { webhooks, inbox } = inboxRouter({ store: held, pollMs: 1_000 });
    let finished = 0;
    webhooks.on('*', async () => {
      await tick(10);
      finished += 1;
    });
    await webhooks.receive(REVIEW);
    await until(() => leases > 0, 'a lease is under way');
    const stopped = inbox.stop();
    open();
    await stopped;
    expect(finished).toBe(1);
    expect(await inbox.stats()).toMatchObject({ running: 0, done: 1 });
  });

  it('does not start an entry it is already handling when it leases it again', async () => {
    const store = createMemoryInbox();
    // Renewals fail, so the lease runs out while the handler goes on, and the worker takes
    // the entry again.
    const unrenewed: InboxStore = {
      ...store,
      renew: async () => {
        throw new Error('connection reset');
      },
    };
    const onError = vi.fn();
    const { webhooks, inbox } = inboxRouter(
      { store: unrenewed, leaseMs: 30, pollMs: 5 },
      { onError },
    );
    let calls = 0;
    webhooks.on('*', async () => {
      calls += 1;
      await tick(150);
    });
    await webhooks.receive(REVIEW);
    await until(async () => (await inbox.stats()).done === 1, 'done');
    expect(calls).toBe(1);
  });

  it('keeps an entry whose handlers outlive handlerTimeoutMs leased, and settles it with their outcome', async () => {
    const onError = vi.fn();
    const { webhooks, inbox } = inboxRouter(
      { concurrency: 4, retryDelayMs: { min: 1, max: 1 } },
      { handlerTimeoutMs: 30, state: {}, onError },
    );
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    webhooks.on('*', async (event, context) => {
      running += 1;
      most = Math.max(most, running);
      await tick(event.status === 'VIDEOPENDING' ? 150 : 5);
      seen.push(`${event.status} attempt ${context.attempt}`);
      running -= 1;
    });
    const start = new Date('2025-07-15T08:00:00Z');
    await webhooks.receive(
      createTestPayload({ status: 'VIDEOPENDING', requestId: 4, sentAt: start }),
    );
    await webhooks.receive(
      createTestPayload({
        status: 'VIDEOREVIEW',
        requestId: 4,
        sentAt: new Date(start.getTime() + 60_000),
      }),
    );
    await until(async () => (await inbox.stats()).done === 2, 'both done');
    expect(most).toBe(1);
    expect(seen).toEqual(['VIDEOPENDING attempt 1', 'VIDEOREVIEW attempt 1']);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({
        code: 'handler_failed',
        message: expect.stringMatching(/did not settle within 30 ms: inbox entry .+ stays leased/),
      }),
      expect.objectContaining({ status: 'VIDEOPENDING' }),
    );
    expect(await inbox.list({ status: 'dead' })).toEqual([]);
  });

  it('answers 503 when the inbox cannot record, and reports it', async () => {
    const store = createMemoryInbox();
    const onError = vi.fn();
    const failing: InboxStore = {
      ...store,
      add: async () => {
        throw new Error('disk full');
      },
    };
    const { webhooks } = inboxRouter({ store: failing }, { onError });
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'store_unavailable' });
  });

  it('answers 503 when the inbox does not record within storeTimeoutMs', async () => {
    const store = createMemoryInbox();
    const { webhooks } = inboxRouter(
      { store: { ...store, add: () => new Promise(() => {}) } },
      { storeTimeoutMs: 30 },
    );
    await expect(webhooks.receive(REVIEW)).rejects.toMatchObject({
      code: 'store_unavailable',
      cause: { name: 'TimeoutError' },
    });
  });

  it('keeps leasing after the store failed for a while', async () => {
    const store = createMemoryInbox();
    let down = true;
    const flaky: InboxStore = {
      ...store,
      lease: async (...args) => {
        if (down) throw new Error('connection refused');
        return store.lease(...args);
      },
    };
    const onError = vi.fn();
    const { webhooks } = inboxRouter({ store: flaky, pollMs: 5 }, { onError });
    const handler = vi.fn();
    webhooks.on('*', handler);
    await webhooks.receive(REVIEW);
    await tick(40);
    expect(handler).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'store_unavailable' }));
    down = false;
    await until(() => handler.mock.calls.length === 1, 'handled once the store is back');
  });

  it.each<[string, unknown]>([
    ['a dedupe store', { inbox: true, dedupe: {} }],
    ['inbox as a string', { inbox: 'sqlite' }],
    ['zero attempts', { inbox: { attempts: 0 } }],
    ['a max delay below the min', { inbox: { retryDelayMs: { min: 10, max: 5 } } }],
    ['a store without methods', { inbox: { store: {} } }],
    ['worker as a string', { inbox: { worker: 'yes' } }],
    ['onDeadLetter as a string', { inbox: { onDeadLetter: 'log' } }],
  ])('refuses %s with InvalidOptionsError', (_, options) => {
    expect(() => createWebhooks(options as WebhooksOptions)).toThrow(InvalidOptionsError);
  });

  it('has no inbox without the option', () => {
    expect(createWebhooks().inbox).toBeUndefined();
  });

  it('purges with a filter that says what, and refuses one that does not', async () => {
    const { webhooks, inbox } = inboxRouter();
    webhooks.on('*', () => {});
    await webhooks.receive(REVIEW);
    await inbox.drain();
    await expect(inbox.purge({})).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(await inbox.purge({ status: 'done' })).toBe(1);
    expect(await inbox.list()).toEqual([]);
  });

  it('reports the age of the oldest pending entry', async () => {
    const { webhooks, inbox } = inboxRouter({ worker: false });
    expect((await inbox.stats()).oldestPendingAgeMs).toBeUndefined();
    await webhooks.receive(REVIEW);
    await tick(20);
    const stats = await inbox.stats();
    expect(stats.pending).toBe(1);
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(15);
  });

  it('gives onDeadLetter calls that throw nothing to worry about', async () => {
    const { webhooks, inbox } = inboxRouter({
      attempts: 1,
      onDeadLetter: () => {
        throw new Error('alerting down');
      },
    });
    webhooks.on('*', () => {
      throw new Error('bug');
    });
    await webhooks.receive(REVIEW);
    await until(async () => (await inbox.stats()).dead === 1, 'dead');
    const entries: InboxEntry[] = await inbox.list({ status: 'dead' });
    expect(entries).toHaveLength(1);
  });
});
