// The behaviour every StateStore must have, alone and behind createWebhooks: run against the
// memory store in test/unit and against the Redis store (both clients) in test/integration.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  createWebhooks,
  formatSentAt,
  type HandlerContext,
  type KnownRequestStatus,
  normalizeStatus,
  type RequestState,
  type SkippableTransition,
  type StateStore,
  type TransitionVerdict,
} from '../../src/index.js';
import { EVENT_OF_STATUS } from '../../src/testing/templates.js';
import { DOCUMENTED_FLOWS, RETRY_FLOWS } from '../support/flows.js';

const T0 = Date.UTC(2025, 6, 15, 8, 0, 0);

/** The time of minute `minute` of the test flows. */
export const at = (minute: number): Date => new Date(T0 + minute * 60_000);

/** An envelope body for `status` of request `requestId` (none when `undefined`), sent at `at(minute)`. */
export function notification(
  requestId: number | undefined,
  status: string,
  minute: number,
): string {
  return JSON.stringify({
    event_type: EVENT_OF_STATUS[normalizeStatus(status) as KnownRequestStatus] ?? 'REQUEST_UPDATED',
    sent_at: formatSentAt(at(minute)),
    request: requestId === undefined ? { status } : { status, pk: requestId },
    certificates: [],
  });
}

let lastRequestId = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000;

/** A request id no other test uses, so that tests can share one store or Redis database. */
export function nextRequestId(): number {
  lastRequestId += 1;
  return lastRequestId;
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Documented flows (and one retry), each as the statuses its notifications carry, in order:
 * those of the shared table whose statuses are written canonically.
 */
export const FLOWS: readonly (readonly string[])[] = [
  ...DOCUMENTED_FLOWS,
  ...RETRY_FLOWS.slice(0, 1),
]
  .map(([, statuses]) => statuses)
  .filter((statuses) => statuses.every((status) => status === status.toUpperCase()))
  .filter(
    (statuses, index, all) => all.findIndex((other) => other.join() === statuses.join()) === index,
  );

interface Seen {
  readonly status: string;
  readonly transition: TransitionVerdict | undefined;
  readonly previous: RequestState | undefined;
}

/** A router with the state option on `store` that records what each handler run saw. */
function recorder(store: StateStore, skip: readonly SkippableTransition[] = []) {
  const seen: Seen[] = [];
  const webhooks = createWebhooks({ dedupe: false, state: { store, skip } });
  webhooks.on('*', (event, context: HandlerContext) => {
    seen.push({ status: event.status, transition: context.transition, previous: context.previous });
  });
  return { webhooks, seen };
}

/** `store` with only `get` and `compareAndSet`, as a store that cannot lock requests. */
function withoutLocks(store: StateStore): StateStore {
  return {
    get: (requestId) => store.get(requestId),
    compareAndSet: (requestId, expected, next) => store.compareAndSet(requestId, expected, next),
  };
}

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export interface ContractOptions {
  /** Runs of the property; fewer for a store behind a network. */
  readonly numRuns: number;
  /**
   * Whether the store locks requests across instances (`lock` and `unlock`): then the lock
   * tests run, and a store without them fails.
   */
  readonly locks?: boolean;
}

/** Registers the StateStore contract tests for the stores `create` returns. */
export function describeStateStoreContract(
  name: string,
  create: () => StateStore,
  { numRuns, locks = false }: ContractOptions,
): void {
  if (locks) describeLocks(name, create);
  describe(`${name}: get and compareAndSet`, () => {
    it('reads nothing for an unknown request, then what compareAndSet stored', async () => {
      const store = create();
      const id = nextRequestId();
      expect(await store.get(id)).toBeUndefined();
      const first = { status: 'VIDEOPENDING', occurredAt: at(1) };
      expect(await store.compareAndSet(id, undefined, first)).toBe(true);
      expect(await store.get(id)).toEqual(first);
    });

    it('writes only over the expected state: the same status at the same instant', async () => {
      const store = create();
      const id = nextRequestId();
      const first = { status: 'VIDEOPENDING', occurredAt: at(1) };
      const next = { status: 'VIDEOREVIEW', occurredAt: at(2) };
      await store.compareAndSet(id, undefined, first);
      expect(await store.compareAndSet(id, undefined, next)).toBe(false);
      expect(await store.compareAndSet(id, { ...first, status: 'CREATED' }, next)).toBe(false);
      expect(await store.compareAndSet(id, { ...first, occurredAt: at(1.5) }, next)).toBe(false);
      expect(await store.get(id)).toEqual(first);
      // Another Date object for the same instant matches.
      const same = { status: 'VIDEOPENDING', occurredAt: at(1) };
      expect(await store.compareAndSet(id, same, next)).toBe(true);
      expect(await store.get(id)).toEqual(next);
    });

    it('keeps requests apart', async () => {
      const store = create();
      const [a, b] = [nextRequestId(), nextRequestId()];
      await store.compareAndSet(a, undefined, { status: 'CREATED', occurredAt: at(1) });
      expect(await store.get(b)).toBeUndefined();
      await store.compareAndSet(b, undefined, { status: 'VIDEOPENDING', occurredAt: at(2) });
      expect((await store.get(a))?.status).toBe('CREATED');
      expect((await store.get(b))?.status).toBe('VIDEOPENDING');
    });

    it('lets exactly one of many concurrent writers from one state win', async () => {
      const store = create();
      const id = nextRequestId();
      const first = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.compareAndSet(id, undefined, { status: 'CREATED', occurredAt: at(i) }),
        ),
      );
      expect(first.filter(Boolean)).toHaveLength(1);
      const stored = (await store.get(id))!;
      const second = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.compareAndSet(id, stored, { status: 'ENROLLREADY', occurredAt: at(100 + i) }),
        ),
      );
      expect(second.filter(Boolean)).toHaveLength(1);
    });
  });

  describe(`${name}: behind createWebhooks`, () => {
    it('gives handlers the verdict and the state before the notification', async () => {
      const store = create();
      const { webhooks, seen } = recorder(store);
      const id = nextRequestId();
      await webhooks.receive(notification(id, 'VIDEOPENDING', 1));
      await webhooks.receive(notification(id, 'VIDEOREVIEW', 2));
      await webhooks.receive(notification(id, 'VIDEOREVIEW', 2));
      await webhooks.receive(notification(id, 'VIDEOPENDING', 1));
      await webhooks.receive(notification(id, 'ENROLLREADY', 3));
      const pending = { status: 'VIDEOPENDING', occurredAt: at(1) };
      const review = { status: 'VIDEOREVIEW', occurredAt: at(2) };
      expect(seen).toEqual([
        { status: 'VIDEOPENDING', transition: 'apply', previous: undefined },
        { status: 'VIDEOREVIEW', transition: 'apply', previous: pending },
        { status: 'VIDEOREVIEW', transition: 'duplicate', previous: review },
        { status: 'VIDEOPENDING', transition: 'stale', previous: review },
        { status: 'ENROLLREADY', transition: 'apply', previous: review },
      ]);
      expect(await store.get(id)).toEqual({ status: 'ENROLLREADY', occurredAt: at(3) });
    });

    it('resolves with the verdict, and runs no handler for the verdicts in skip', async () => {
      const store = create();
      const { webhooks, seen } = recorder(store, ['stale', 'duplicate']);
      const id = nextRequestId();
      const receive = (status: string, minute: number) =>
        webhooks.receive(notification(id, status, minute));
      expect(await receive('VIDEOREVIEW', 2)).toMatchObject({
        duplicate: false,
        transition: 'apply',
        skipped: false,
      });
      expect(await receive('VIDEOPENDING', 1)).toMatchObject({
        duplicate: false,
        transition: 'stale',
        skipped: true,
      });
      expect(await receive('VIDEOREVIEW', 2)).toMatchObject({
        transition: 'duplicate',
        skipped: true,
      });
      expect(await receive('CANCELLED', 3)).toMatchObject({ transition: 'apply', skipped: false });
      // Not in skip: it runs.
      expect(await receive('REACTIVATED', 4)).toMatchObject({
        transition: 'unexpected',
        skipped: false,
      });
      expect(seen.map((s) => s.status)).toEqual(['VIDEOREVIEW', 'CANCELLED', 'REACTIVATED']);
      expect((await store.get(id))?.status).toBe('CANCELLED');
    });

    it('cannot track a notification without a request id: no verdict, handlers run', async () => {
      const store = create();
      const { webhooks, seen } = recorder(store, ['stale', 'duplicate', 'unexpected']);
      const result = await webhooks.receive(notification(undefined, 'ISSUED', 5));
      expect(result.transition).toBeUndefined();
      expect(result.skipped).toBeUndefined();
      expect(seen).toEqual([{ status: 'ISSUED', transition: undefined, previous: undefined }]);
    });

    it('stores nothing when a handler fails, so that a redelivery applies again', async () => {
      const store = create();
      const id = nextRequestId();
      const webhooks = createWebhooks({ state: { store } });
      const handler = vi.fn();
      webhooks.on('*', handler);
      await webhooks.receive(notification(id, 'CREATED', 1));
      handler.mockRejectedValueOnce(new Error('database down'));
      await expect(webhooks.receive(notification(id, 'ENROLLREADY', 2))).rejects.toMatchObject({
        code: 'handler_failed',
      });
      expect(await store.get(id)).toEqual({ status: 'CREATED', occurredAt: at(1) });
      expect(await webhooks.receive(notification(id, 'ENROLLREADY', 2))).toMatchObject({
        duplicate: false,
        transition: 'apply',
      });
      expect(handler).toHaveBeenCalledTimes(3);
      expect(await store.get(id)).toEqual({ status: 'ENROLLREADY', occurredAt: at(2) });
    });

    it('does not let an older notification that finishes last overwrite a newer status', async () => {
      // Without locks, as a store without them: the compare-and-set alone keeps the state right.
      const store = withoutLocks(create());
      const id = nextRequestId();
      // Two instances sharing the store, as behind a load balancer.
      const first = createWebhooks({ state: { store } });
      const second = createWebhooks({ state: { store } });
      await first.receive(notification(id, 'VIDEOPENDING', 1));
      const slow = gate();
      first.on('VIDEOREVIEW', () => slow.promise);
      // VIDEOREVIEW is classified 'apply' over VIDEOPENDING and waits; meanwhile ENROLLREADY is
      // stored by the other instance. VIDEOREVIEW's compare-and-set then fails and, read again,
      // it is stale.
      const review = first.receive(notification(id, 'VIDEOREVIEW', 2));
      await tick(20);
      await second.receive(notification(id, 'ENROLLREADY', 3));
      slow.open();
      expect(await review).toMatchObject({ transition: 'apply' });
      expect(await store.get(id)).toEqual({ status: 'ENROLLREADY', occurredAt: at(3) });
    });

    it('retries a newer notification whose compare-and-set lost to an older one', async () => {
      // Without locks, as a store without them: the compare-and-set alone keeps the state right.
      const store = withoutLocks(create());
      const id = nextRequestId();
      const first = createWebhooks({ state: { store } });
      const second = createWebhooks({ state: { store } });
      await first.receive(notification(id, 'VIDEOPENDING', 1));
      const slow = gate();
      first.on('ENROLLREADY', () => slow.promise);
      const approved = first.receive(notification(id, 'ENROLLREADY', 3));
      await tick(20);
      await second.receive(notification(id, 'VIDEOREVIEW', 2));
      expect((await store.get(id))?.status).toBe('VIDEOREVIEW');
      slow.open();
      await approved;
      expect(await store.get(id)).toEqual({ status: 'ENROLLREADY', occurredAt: at(3) });
    });

    it('within one instance, classifies each notification after the previous one of its request', async () => {
      const store = create();
      const id = nextRequestId();
      const webhooks = createWebhooks({ state: { store } });
      const seen: [string, string | undefined, string | undefined][] = [];
      const slow = gate();
      webhooks.on('*', async (event, { transition, previous }) => {
        if (event.status === 'VIDEOREVIEW') await slow.promise;
        seen.push([event.status, transition, previous?.status]);
      });
      const review = webhooks.receive(notification(id, 'VIDEOREVIEW', 2));
      await tick(20);
      const pending = webhooks.receive(notification(id, 'VIDEOPENDING', 1));
      await tick(20);
      expect(seen).toEqual([]);
      slow.open();
      expect(await review).toMatchObject({ transition: 'apply' });
      expect(await pending).toMatchObject({ transition: 'stale' });
      expect(seen).toEqual([
        ['VIDEOREVIEW', 'apply', undefined],
        ['VIDEOPENDING', 'stale', 'VIDEOREVIEW'],
      ]);
    });

    it('does not let a hanging handler hold its request longer than handlerTimeoutMs', async () => {
      const store = create();
      const id = nextRequestId();
      const webhooks = createWebhooks({ state: { store }, handlerTimeoutMs: 200 });
      const never = gate();
      webhooks.on('VIDEOREVIEW', () => never.promise);
      const hung = webhooks.receive(notification(id, 'VIDEOREVIEW', 2)).catch((e: unknown) => e);
      // The hung delivery gives its turn up a few store round trips after its handlers' 200 ms
      // (a lock, a read, an unlock): this one, arriving later, may wait 200 ms from its arrival.
      await tick(60);
      const started = Date.now();
      expect(await webhooks.receive(notification(id, 'ENROLLREADY', 3))).toMatchObject({
        transition: 'apply',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(35);
      expect(await hung).toMatchObject({
        code: 'handler_failed',
        cause: { name: 'TimeoutError' },
      });
      never.open();
    });

    it('takes the claim when the turn comes, so that a long wait never runs a notification twice', async () => {
      const store = create();
      const id = nextRequestId();
      // The wait is longer than the claim's life: a claim taken on arrival would have expired
      // before the handler ran, and let a redelivery run it a second time.
      const webhooks = createWebhooks({ state: { store }, dedupe: { claimTtlMs: 100 } });
      let approvals = 0;
      webhooks.on('VIDEOREVIEW', () => tick(250));
      webhooks.on('ENROLLREADY', async () => {
        approvals += 1;
        await tick(60);
      });
      const review = webhooks.receive(notification(id, 'VIDEOREVIEW', 2));
      await tick(5);
      const approved = notification(id, 'ENROLLREADY', 3);
      const first = webhooks.receive(approved);
      await tick(150);
      // Still waiting for its turn: a redelivery is refused, not queued behind it.
      await expect(webhooks.receive(approved)).rejects.toMatchObject({ code: 'in_flight' });
      expect(await review).toMatchObject({ transition: 'apply' });
      expect(await first).toMatchObject({ duplicate: false, transition: 'apply' });
      expect(await webhooks.receive(approved)).toMatchObject({ duplicate: true });
      expect(approvals).toBe(1);
    });

    it('runs each notification of a line of slow handlers exactly once, redelivered or not', async () => {
      const store = create();
      const id = nextRequestId();
      const webhooks = createWebhooks({ state: { store }, dedupe: { claimTtlMs: 200 } });
      const runs = new Map<string, number>();
      webhooks.on('*', async (event) => {
        runs.set(event.status, (runs.get(event.status) ?? 0) + 1);
        await tick(120);
      });
      const statuses = ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY', 'ISSUED'];
      const bodies = statuses.map((status, minute) => notification(id, status, minute));
      const firsts = bodies.map((body) => webhooks.receive(body));
      // The last one waits 360 ms, longer than its claim's life, and is delivered again
      // meanwhile and afterwards, as a sender that gave up waiting would.
      await tick(250);
      await expect(webhooks.receive(bodies[3]!)).rejects.toMatchObject({ code: 'in_flight' });
      await Promise.all(firsts);
      expect(await webhooks.receive(bodies[3]!)).toMatchObject({ duplicate: true });
      expect(Object.fromEntries(runs)).toEqual(
        Object.fromEntries(statuses.map((status) => [status, 1])),
      );
    });

    it('refuses with InFlightError a notification that would wait longer than handlerTimeoutMs', async () => {
      const store = create();
      const id = nextRequestId();
      const webhooks = createWebhooks({ state: { store }, handlerTimeoutMs: 200 });
      webhooks.on('VIDEOPENDING', () => tick(120));
      webhooks.on('VIDEOREVIEW', () => tick(120));
      const pending = webhooks.receive(notification(id, 'VIDEOPENDING', 1));
      const review = webhooks.receive(notification(id, 'VIDEOREVIEW', 2));
      // Behind two handlers of 120 ms: its turn would come after 240 ms.
      const approval = webhooks.receive(notification(id, 'ENROLLREADY', 3));
      await expect(approval).rejects.toMatchObject({
        code: 'in_flight',
        message: 'An earlier notification of the same request is still being processed',
      });
      await Promise.all([pending, review]);
      // Delivered again, it runs.
      expect(await webhooks.receive(notification(id, 'ENROLLREADY', 3))).toMatchObject({
        transition: 'apply',
      });
    });

    it('keeps one at a time behind slow handlers: each waits for the one just before it', async () => {
      const store = create();
      const id = nextRequestId();
      const webhooks = createWebhooks({ state: { store } });
      let running = 0;
      let overlap = false;
      const seen: [string, string | undefined][] = [];
      webhooks.on('*', async (event, { previous }) => {
        running += 1;
        if (running > 1) overlap = true;
        seen.push([event.status, previous?.status]);
        await tick(40);
        running -= 1;
      });
      await Promise.all(
        ['VIDEOPENDING', 'VIDEOREVIEW', 'ENROLLREADY'].map((status, minute) =>
          webhooks.receive(notification(id, status, minute)),
        ),
      );
      expect(overlap).toBe(false);
      expect(seen).toEqual([
        ['VIDEOPENDING', undefined],
        ['VIDEOREVIEW', 'VIDEOPENDING'],
        ['ENROLLREADY', 'VIDEOREVIEW'],
      ]);
    });

    it('ends at the in-order final status when all notifications of a request arrive at once', async () => {
      const store = create();
      const webhooks = createWebhooks({ state: { store } });
      webhooks.on('*', () => tick(Math.random() * 10));
      const cases = FLOWS.map((flow) => ({ id: nextRequestId(), flow }));
      const deliver = async (body: string): Promise<void> => {
        // Deliveries of one notification collide: retry as the provider would.
        for (;;) {
          try {
            await webhooks.receive(body);
            return;
          } catch (error) {
            if ((error as { code?: string }).code !== 'in_flight') throw error;
            await tick(2);
          }
        }
      };
      await Promise.all(
        cases.flatMap(({ id, flow }) =>
          flow.flatMap((status, minute) =>
            [1, 2, 3].map(() => deliver(notification(id, status, minute))),
          ),
        ),
      );
      for (const { id, flow } of cases) {
        expect({ id, status: (await store.get(id))?.status }).toEqual({ id, status: flow.at(-1) });
      }
    });

    it('property: shuffled, repeated deliveries of a flow end at its in-order final status', async () => {
      const store = create();
      const webhooks = createWebhooks({ dedupe: false, state: { store } });
      // A flow, and its notifications each delivered one to three times, in any order.
      const deliveries = fc.constantFrom(...FLOWS).chain((flow) =>
        fc
          .array(fc.integer({ min: 1, max: 3 }), { minLength: flow.length, maxLength: flow.length })
          .chain((copies) => {
            const all = copies.flatMap((count, index) => Array<number>(count).fill(index));
            return fc.record({
              flow: fc.constant(flow),
              order: fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
            });
          }),
      );
      await fc.assert(
        fc.asyncProperty(deliveries, async ({ flow, order }) => {
          const id = nextRequestId();
          for (const index of order) {
            await webhooks.receive(notification(id, flow[index]!, index));
          }
          expect((await store.get(id))?.status).toBe(flow.at(-1));
        }),
        { numRuns },
      );
    });
  });
}

/** The lock tests, for stores shared by several instances. */
function describeLocks(name: string, create: () => StateStore): void {
  describe(`${name}: lock and unlock`, () => {
    const locking = (): Required<StateStore> => {
      const store = create();
      expect(typeof store.lock).toBe('function');
      expect(typeof store.unlock).toBe('function');
      return store as Required<StateStore>;
    };

    it('gives the lock to one holder at a time, and again once released', async () => {
      const [one, two] = [locking(), locking()];
      const id = nextRequestId();
      const token = await one.lock(id, 10_000);
      expect(typeof token).toBe('string');
      expect(await two.lock(id, 10_000)).toBeUndefined();
      expect(await one.lock(id, 10_000)).toBeUndefined();
      // Another request is another lock.
      expect(typeof (await two.lock(nextRequestId(), 10_000))).toBe('string');
      await two.unlock(id, 'not-the-token');
      expect(await two.lock(id, 10_000)).toBeUndefined();
      await one.unlock(id, token!);
      const next = await two.lock(id, 10_000);
      expect(typeof next).toBe('string');
      expect(next).not.toBe(token);
    });

    it('frees a lock whose holder never released it after its ttl', async () => {
      const [one, two] = [locking(), locking()];
      const id = nextRequestId();
      const stale = await one.lock(id, 150);
      expect(await two.lock(id, 150)).toBeUndefined();
      await tick(250);
      const fresh = await two.lock(id, 10_000);
      expect(typeof fresh).toBe('string');
      // The late holder cannot release the lock it lost.
      await one.unlock(id, stale!);
      expect(await one.lock(id, 10_000)).toBeUndefined();
    });

    it('lets a handler on one instance never see a verdict another instance then overrides', async () => {
      const store = create();
      const id = nextRequestId();
      const routers = [createWebhooks({ state: { store } }), createWebhooks({ state: { store } })];
      const seen: [string, string | undefined][] = [];
      let running = 0;
      let overlap = false;
      for (const router of routers) {
        router.on('*', async (event, { transition }) => {
          running += 1;
          if (running > 1) overlap = true;
          await tick(20);
          seen.push([event.status, transition]);
          running -= 1;
        });
      }
      // An older and a newer notification of one request, on two instances at once.
      await Promise.all([
        routers[0]!.receive(notification(id, 'VIDEOREVIEW', 2)),
        routers[1]!.receive(notification(id, 'ENROLLREADY', 3)),
      ]);
      expect(overlap).toBe(false);
      expect((await store.get(id))?.status).toBe('ENROLLREADY');
      // Whichever ran first, every verdict a handler saw is the one the store kept.
      const applied = seen
        .filter(([, transition]) => transition === 'apply')
        .map(([status]) => status);
      expect(applied.at(-1)).toBe('ENROLLREADY');
    });
  });
}
