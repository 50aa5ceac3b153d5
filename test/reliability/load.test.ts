import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeMiddleware } from '../../src/adapters/node.js';
import { createWebhooks, parseWebhook, REQUEST_STATUSES } from '../../src/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  keepAliveAgent,
  post,
  report,
  seededRandom,
  shuffle,
  sleep,
  startServer,
  trackProcessErrors,
} from './support.js';

const NOTIFICATIONS = 3_000;
const COPIES = 5;
const SOCKETS = 64;
/** Notifications whose handler is slow and whose copies arrive together, to force 409s. */
const BURSTS = 40;
const SLOW_HANDLER_MS = 25;
/** A delivery still refused after this many retries fails the test instead of looping. */
const MAX_RETRIES = 500;

let tracker: ReturnType<typeof trackProcessErrors>;
beforeEach(() => {
  tracker = trackProcessErrors();
});
afterEach(() => {
  tracker.stop();
  expect(tracker.seen).toEqual([]);
});

describe('load through node:http and createNodeMiddleware with the default dedupe', () => {
  it(`handles each of ${NOTIFICATIONS} notifications exactly once over ${NOTIFICATIONS * COPIES} shuffled deliveries`, async () => {
    const encoder = new TextEncoder();
    const start = Date.UTC(2025, 2, 1, 8, 0, 0);
    const bodies = Array.from({ length: NOTIFICATIONS }, (_, i) =>
      encoder.encode(
        JSON.stringify(
          createTestPayload({
            status: REQUEST_STATUSES[i % REQUEST_STATUSES.length],
            format: i % 7 === 0 ? 'legacy' : 'envelope',
            requestId: 500_000 + i,
            sentAt: new Date(start + i * 1_000),
          }),
        ),
      ),
    );
    const keys = bodies.map((body) => parseWebhook(body).idempotencyKey);
    expect(new Set(keys).size).toBe(NOTIFICATIONS);
    const slow = new Set(keys.slice(0, BURSTS));

    const runs = new Map<string, number>();
    const webhooks = createWebhooks();
    webhooks.on('*', async (event) => {
      runs.set(event.idempotencyKey, (runs.get(event.idempotencyKey) ?? 0) + 1);
      if (slow.has(event.idempotencyKey)) await sleep(SLOW_HANDLER_MS);
      else if (event.requestId! % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
    });
    const server = await startServer(createNodeMiddleware(webhooks, { path: '/hook' }));
    const agent = keepAliveAgent(SOCKETS);

    // Every copy shuffled, except that the copies of the slow notifications come in bursts.
    const random = seededRandom(20250301);
    const queue = shuffle(
      Array.from({ length: NOTIFICATIONS * COPIES }, (_, i) => i % NOTIFICATIONS).filter(
        (index) => index >= BURSTS,
      ),
      random,
    );
    for (let index = 0; index < BURSTS; index++) {
      const at = Math.floor(random() * queue.length);
      queue.splice(at, 0, ...Array<number>(COPIES).fill(index));
    }
    expect(queue).toHaveLength(NOTIFICATIONS * COPIES);

    const statuses = new Map<number, number>();
    const answers = { fresh: new Map<number, number>(), duplicate: 0 };
    let retries = 0;
    let badRetryAfter = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < queue.length) {
        const index = queue[next++]!;
        for (let attempt = 0; ; attempt++) {
          const answer = await post(server, bodies[index]!, { agent });
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status === 409) {
            if (!/^[1-9]\d*$/.test(answer.headers['retry-after'] ?? '')) badRetryAfter += 1;
            if (attempt >= MAX_RETRIES) throw new Error(`delivery ${index} still refused`);
            retries += 1;
            // Retry-After is in seconds; a test sender retries after a few milliseconds.
            await sleep(1 + (attempt % 5));
            continue;
          }
          if (answer.status !== 200) throw new Error(`unexpected ${answer.status} ${answer.text}`);
          if (answer.text === '{"ok":true,"duplicate":true}') answers.duplicate += 1;
          else if (answer.text === '{"ok":true}') {
            answers.fresh.set(index, (answers.fresh.get(index) ?? 0) + 1);
          } else throw new Error(`unexpected body ${answer.text}`);
          break;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: SOCKETS * 2 }, worker));
    } finally {
      agent.destroy();
    }
    const elapsed = performance.now() - started;
    await server.close();

    // Only 200 and 409 were ever answered, and every 409 carried a usable Retry-After.
    expect([...statuses.keys()].sort()).toEqual([200, 409]);
    expect(badRetryAfter).toBe(0);
    expect(statuses.get(409)).toBe(retries);
    expect(retries).toBeGreaterThan(0);
    // Every notification handled exactly once: none lost, none twice.
    expect(runs.size).toBe(NOTIFICATIONS);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(answers.fresh.size).toBe(NOTIFICATIONS);
    expect([...answers.fresh.values()].every((count) => count === 1)).toBe(true);
    expect(answers.duplicate).toBe(NOTIFICATIONS * (COPIES - 1));
    // Keep-alive worked: the deliveries shared a few sockets instead of one each.
    expect(server.accepted).toBeLessThanOrEqual(SOCKETS * 2);
    expect(elapsed).toBeLessThan(30_000);
    const deliveries = NOTIFICATIONS * COPIES;
    report(
      `load: ${deliveries} deliveries + ${retries} retries in ${Math.round(elapsed)} ms ` +
        `(${Math.round(((deliveries + retries) / elapsed) * 1000)} req/s), ` +
        `${server.accepted} connections`,
    );
  }, 60_000);
});
