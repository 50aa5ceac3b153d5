// The behaviour every InboxStore must have: run against the memory store in test/unit and
// against the SQLite, PostgreSQL and Redis stores in test/integration.
import { beforeEach, describe, expect, it } from 'vitest';
import type { InboxEntry, InboxStore, NewInboxEntry } from '../../src/index.js';

/** How a contract run makes stores of one implementation, and time pass for them. */
export interface InboxHarness {
  /** A store no other test sees. */
  create(): InboxStore | Promise<InboxStore>;
  /** Two handles on one store, as two processes sharing a database would have. */
  pair(): [InboxStore, InboxStore] | Promise<[InboxStore, InboxStore]>;
  /** The stores' clock, in milliseconds since the epoch. */
  now(): number;
  /** Makes `ms` milliseconds pass for the stores (a clock moved by hand, or real time). */
  wait(ms: number): Promise<void>;
}

/** A lease short enough to run out within a test, long enough for a network round trip. */
const SHORT_LEASE_MS = 300;
const LONG_LEASE_MS = 60_000;

let keys = 0;
/** A pending entry of `requestId` (none when `null`), with a key no other test uses. */
function pending(
  requestId: number | null,
  overrides: Partial<NewInboxEntry> = {},
  receivedAt = new Date(clockOf.now()),
): NewInboxEntry {
  keys += 1;
  const key = `e:${requestId ?? ''}:${process.pid}:${keys}:${Math.random().toString(36).slice(2)}`;
  return {
    idempotencyKey: key,
    ...(requestId === null ? {} : { requestId }),
    eventType: 'VIDEOID_UPDATED',
    status: 'pending',
    receivedAt,
    body: JSON.stringify({ key }),
    ...overrides,
  };
}

/** The clock of the harness being run, for the entries' reception times. */
const clockOf = { now: (): number => Date.now() };

let requests = 0;
/** A request id no other test uses, so that tests can share a database. */
function nextRequest(): number {
  requests += 1;
  return 5_000_000 + (process.pid % 10_000) * 10_000 + requests;
}

/** The ids of `entries`, sorted, to compare sets of entries. */
const ids = (entries: readonly InboxEntry[]): string[] => entries.map((e) => e.id).sort();

/** Registers the InboxStore contract tests for the stores `harness` makes. */
export function describeInboxStoreContract(name: string, harness: InboxHarness): void {
  beforeEach(() => {
    clockOf.now = harness.now;
  });
  /** Leases everything due in `store` for `owner`, at most 1 000 entries. */
  const leaseAll = (store: InboxStore, owner: string, leaseMs = LONG_LEASE_MS) =>
    store.lease(owner, 1_000, leaseMs);

  describe(`${name}: add and get`, () => {
    it('records an entry once per idempotency key', async () => {
      const store = await harness.create();
      const receivedAt = new Date(Math.floor(harness.now() / 1000) * 1000 + 123);
      const entry = pending(nextRequest(), { body: '{"é":"ü – 🙂"}\n' }, receivedAt);
      const first = await store.add(entry);
      expect(first).toEqual({ id: expect.any(String), duplicate: false });
      expect(await store.add({ ...entry, body: '{}' })).toEqual({ id: first.id, duplicate: true });
      expect(await store.get(first.id)).toEqual({
        id: first.id,
        idempotencyKey: entry.idempotencyKey,
        requestId: entry.requestId,
        eventType: 'VIDEOID_UPDATED',
        status: 'pending',
        attempts: 0,
        receivedAt,
        nextAttemptAt: expect.any(Date),
        lastError: undefined,
        body: '{"é":"ü – 🙂"}\n',
      });
      expect(await store.get('999999999')).toBeUndefined();
    });

    it('keeps entries without request id or event type, and large bodies to the byte', async () => {
      const store = await harness.create();
      const body = JSON.stringify({ pad: 'x'.repeat(200_000), tail: '\u2028\u0000' });
      const { id } = await store.add(pending(null, { eventType: undefined, body }));
      const entry = await store.get(id);
      expect(entry?.requestId).toBeUndefined();
      expect(entry?.eventType).toBeUndefined();
      expect(entry?.body).toBe(body);
    });

    it('records an invalid body as invalid, with what was wrong, and never leases it', async () => {
      const store = await harness.create();
      const { id } = await store.add(
        pending(null, { status: 'invalid', lastError: 'request: Expected an object' }),
      );
      expect(await store.get(id)).toMatchObject({
        status: 'invalid',
        lastError: 'request: Expected an object',
        attempts: 0,
      });
      expect(ids(await leaseAll(store, 'w1')).includes(id)).toBe(false);
    });
  });

  describe(`${name}: lease, renew and settle`, () => {
    it('leases due entries once, counting an attempt, until the lease ends', async () => {
      const store = await harness.create();
      const a = await store.add(pending(nextRequest()));
      const b = await store.add(pending(null));
      const before = harness.now();
      const leased = await leaseAll(store, 'w1');
      const mine = leased.filter((entry) => entry.id === a.id || entry.id === b.id);
      expect(ids(mine)).toEqual([a.id, b.id].sort());
      for (const entry of mine) {
        expect(entry).toMatchObject({ status: 'running', attempts: 1 });
        expect(entry.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(
          before + LONG_LEASE_MS - 1_000,
        );
      }
      const again = await leaseAll(store, 'w2');
      expect(again.some((entry) => entry.id === a.id || entry.id === b.id)).toBe(false);
      expect((await store.get(a.id))?.status).toBe('running');
    });

    it('leases at most limit entries', async () => {
      const store = await harness.create();
      for (let i = 0; i < 5; i++) await store.add(pending(null));
      const leased = await store.lease('w1', 2, LONG_LEASE_MS);
      expect(leased).toHaveLength(2);
    });

    it('leases the oldest due entries first', async () => {
      const store = await harness.create();
      const first = await store.add(pending(null));
      await harness.wait(5);
      await store.add(pending(null));
      const [leased] = await store.lease('w1', 1, LONG_LEASE_MS);
      expect(leased?.id).toBe(first.id);
    });

    it('never leases two entries of one request at once, across owners and stores', async () => {
      const [one, two] = await harness.pair();
      const request = nextRequest();
      const older = await one.add(pending(request));
      await harness.wait(5);
      const newer = await two.add(pending(request));
      const first = (await leaseAll(one, 'w1')).filter((e) => e.requestId === request);
      expect(ids(first)).toEqual([older.id]);
      expect((await leaseAll(two, 'w2')).filter((e) => e.requestId === request)).toEqual([]);
      expect(await one.settle(older.id, 'w1', { status: 'done' })).toBe(true);
      const second = (await leaseAll(two, 'w2')).filter((e) => e.requestId === request);
      expect(ids(second)).toEqual([newer.id]);
    });

    it('leases entries of other requests, and entries without request id, side by side', async () => {
      const store = await harness.create();
      const added = [
        await store.add(pending(nextRequest())),
        await store.add(pending(nextRequest())),
        await store.add(pending(null)),
        await store.add(pending(null)),
      ];
      const leased = await leaseAll(store, 'w1');
      expect(ids(leased.filter((e) => added.some((a) => a.id === e.id)))).toEqual(
        ids(added as unknown as InboxEntry[]),
      );
    });

    it('lets another owner take over an entry whose lease ran out; the first can then neither renew nor settle it', async () => {
      const [one, two] = await harness.pair();
      const request = nextRequest();
      const { id } = await one.add(pending(request));
      const [leased] = (await leaseAll(one, 'w1', SHORT_LEASE_MS)).filter((e) => e.id === id);
      expect(leased?.attempts).toBe(1);
      await harness.wait(SHORT_LEASE_MS + 100);
      const taken = (await leaseAll(two, 'w2')).filter((e) => e.id === id);
      expect(taken).toHaveLength(1);
      expect(taken[0]?.attempts).toBe(2);
      expect(await one.renew(id, 'w1', LONG_LEASE_MS)).toBe(false);
      expect(await one.settle(id, 'w1', { status: 'done' })).toBe(false);
      expect((await two.get(id))?.status).toBe('running');
      expect(await two.settle(id, 'w2', { status: 'done' })).toBe(true);
      expect((await one.get(id))?.status).toBe('done');
    });

    it('keeps a renewed lease past its first end', async () => {
      const store = await harness.create();
      const { id } = await store.add(pending(nextRequest()));
      await leaseAll(store, 'w1', SHORT_LEASE_MS);
      expect(await store.renew(id, 'w1', LONG_LEASE_MS)).toBe(true);
      await harness.wait(SHORT_LEASE_MS + 100);
      expect((await leaseAll(store, 'w2')).some((e) => e.id === id)).toBe(false);
      expect(await store.renew(id, 'w2', LONG_LEASE_MS)).toBe(false);
    });

    it('holds back the other entries of a request while its running entry holds a live lease', async () => {
      const store = await harness.create();
      const request = nextRequest();
      const { id } = await store.add(pending(request));
      await leaseAll(store, 'w1', SHORT_LEASE_MS);
      await store.add(pending(request));
      expect((await leaseAll(store, 'w2')).filter((e) => e.requestId === request)).toEqual([]);
      await harness.wait(SHORT_LEASE_MS + 100);
      // Its lease ran out: the older entry comes back first, alone.
      const next = (await leaseAll(store, 'w2')).filter((e) => e.requestId === request);
      expect(ids(next)).toEqual([id]);
    });

    it('refuses to renew a lease that ran out, even when no one took the entry over', async () => {
      const store = await harness.create();
      const { id } = await store.add(pending(nextRequest()));
      expect(ids(await leaseAll(store, 'w1', SHORT_LEASE_MS))).toContain(id);
      expect(await store.renew(id, 'w1', SHORT_LEASE_MS)).toBe(true);
      await harness.wait(SHORT_LEASE_MS + 100);
      expect(await store.renew(id, 'w1', LONG_LEASE_MS)).toBe(false);
      // Not renewed: its lease still ended, and the entry is leased again.
      const again = (await leaseAll(store, 'w2')).filter((e) => e.id === id);
      expect(again).toMatchObject([{ attempts: 2 }]);
    });

    it('leases an entry whose lease ran out again before an older entry of its request that came due', async () => {
      const [one, two] = await harness.pair();
      const request = nextRequest();
      const older = await one.add(pending(request));
      await harness.wait(5);
      const newer = await one.add(pending(request));
      const mine = (entries: InboxEntry[]) => entries.filter((e) => e.requestId === request);
      expect(ids(mine(await leaseAll(one, 'w0')))).toEqual([older.id]);
      // The older entry failed and waits for its retry; the newer one goes meanwhile.
      const retry = { nextAttemptAt: new Date(harness.now() + 200), error: 'E1' };
      expect(await one.settle(older.id, 'w0', { status: 'pending', ...retry })).toBe(true);
      expect(ids(mine(await leaseAll(one, 'w1', SHORT_LEASE_MS)))).toEqual([newer.id]);
      // Its owner stalls past the lease; the older entry's retry comes due meanwhile.
      await harness.wait(SHORT_LEASE_MS + 100);
      const taken = mine(await leaseAll(two, 'w2'));
      expect(taken).toMatchObject([{ id: newer.id, attempts: 2 }]);
      expect(await one.renew(newer.id, 'w1', LONG_LEASE_MS)).toBe(false);
      expect(mine(await leaseAll(one, 'w1'))).toEqual([]);
      expect(ids(await two.list({ requestId: request, status: 'running' }))).toEqual([newer.id]);
      expect(await two.settle(newer.id, 'w2', { status: 'done' })).toBe(true);
      expect(mine(await leaseAll(one, 'w1'))).toMatchObject([{ id: older.id, attempts: 2 }]);
    });

    it('settles an attempt as done, as retried later, or as dead, for the lease owner only', async () => {
      const store = await harness.create();
      const done = await store.add(pending(null));
      const retried = await store.add(pending(null));
      const dead = await store.add(pending(null));
      await leaseAll(store, 'w1');
      expect(await store.settle(done.id, 'intruder', { status: 'done' })).toBe(false);
      expect(await store.settle(done.id, 'w1', { status: 'done' })).toBe(true);
      expect(await store.settle(done.id, 'w1', { status: 'done' })).toBe(false);
      const later = new Date(harness.now() + 400);
      expect(
        await store.settle(retried.id, 'w1', {
          status: 'pending',
          nextAttemptAt: later,
          error: 'E1',
        }),
      ).toBe(true);
      expect(await store.settle(dead.id, 'w1', { status: 'dead', error: 'E2' })).toBe(true);
      expect(await store.get(done.id)).toMatchObject({ status: 'done', attempts: 1 });
      expect(await store.get(retried.id)).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastError: 'E1',
        nextAttemptAt: later,
      });
      expect(await store.get(dead.id)).toMatchObject({ status: 'dead', lastError: 'E2' });
      // Not due before its time, then due.
      expect((await leaseAll(store, 'w1')).some((e) => e.id === retried.id)).toBe(false);
      await harness.wait(500);
      const leased = (await leaseAll(store, 'w1')).filter((e) => e.id === retried.id);
      expect(leased).toMatchObject([{ attempts: 2, lastError: 'E1' }]);
    });

    it('leases every entry exactly once to owners racing for them, one per request at a time', async () => {
      const [one, two] = await harness.pair();
      const requestIds = Array.from({ length: 5 }, nextRequest);
      const added = new Set<string>();
      for (let i = 0; i < 40; i++) {
        added.add((await one.add(pending(i % 8 === 0 ? null : requestIds[i % 5]!))).id);
      }
      const seen = new Map<string, number>();
      const running = new Set<number>();
      let overlap = false;
      const worker = async (store: InboxStore, owner: string): Promise<void> => {
        for (let idle = 0; idle < 3; ) {
          const leased = (await store.lease(owner, 3, LONG_LEASE_MS)).filter((e) =>
            added.has(e.id),
          );
          if (leased.length === 0) {
            idle += 1;
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          idle = 0;
          await Promise.all(
            leased.map(async (entry) => {
              seen.set(entry.id, (seen.get(entry.id) ?? 0) + 1);
              if (entry.requestId !== undefined) {
                if (running.has(entry.requestId)) overlap = true;
                running.add(entry.requestId);
              }
              await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
              if (entry.requestId !== undefined) running.delete(entry.requestId);
              await store.settle(entry.id, owner, { status: 'done' });
            }),
          );
        }
      };
      await Promise.all([worker(one, 'a'), worker(two, 'b'), worker(one, 'c'), worker(two, 'd')]);
      expect(overlap).toBe(false);
      expect(seen.size).toBe(added.size);
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
    });
  });

  describe(`${name}: list, replay, purge and stats`, () => {
    it('lists newest first, filtered, a page at a time', async () => {
      const store = await harness.create();
      const request = nextRequest();
      const start = harness.now();
      const added: string[] = [];
      for (let i = 0; i < 5; i++) {
        added.push((await store.add(pending(request, { eventType: i % 2 ? 'B' : 'A' }))).id);
        await harness.wait(5);
      }
      const all = await store.list({ requestId: request });
      expect(all.map((e) => e.id)).toEqual([...added].reverse());
      expect((await store.list({ requestId: request, eventType: 'B' })).map((e) => e.id)).toEqual([
        added[3],
        added[1],
      ]);
      const page = await store.list({ requestId: request, limit: 2 });
      expect(page.map((e) => e.id)).toEqual([added[4], added[3]]);
      const next = await store.list({ requestId: request, limit: 2, before: added[3] });
      expect(next.map((e) => e.id)).toEqual([added[2], added[1]]);
      expect(await store.list({ requestId: request, status: 'done' })).toEqual([]);
      expect((await store.list({ requestId: request, status: ['done', 'pending'] })).length).toBe(
        5,
      );
      const firstAt = (await store.get(added[0]!))!.receivedAt;
      expect(
        (
          await store.list({ requestId: request, receivedBefore: new Date(firstAt.getTime() + 1) })
        ).map((e) => e.id),
      ).toEqual([added[0]]);
      expect(
        (await store.list({ requestId: request, receivedAfter: new Date(start - 60_000) })).length,
      ).toBe(5);
    });

    it('pages on past an entry that was purged meanwhile', async () => {
      const store = await harness.create();
      const request = nextRequest();
      const added: string[] = [];
      for (const eventType of ['A', 'A', 'GONE', 'A']) {
        added.push((await store.add(pending(request, { eventType }))).id);
        await harness.wait(5);
      }
      expect(await store.purge({ requestId: request, eventType: 'GONE' })).toBe(1);
      const next = await store.list({ requestId: request, before: added[2] });
      expect(next.map((e) => e.id)).toEqual([added[1], added[0]]);
    });

    it('replays dead and done entries as new, leaves pending and running ones alone', async () => {
      const store = await harness.create();
      const dead = await store.add(pending(null));
      const done = await store.add(pending(null));
      const running = await store.add(pending(null));
      await leaseAll(store, 'w1');
      await store.settle(dead.id, 'w1', { status: 'dead', error: 'gave up' });
      await store.settle(done.id, 'w1', { status: 'done' });
      const waiting = await store.add(pending(null));
      expect(await store.replay(dead.id)).toBe('replayed');
      expect(await store.replay(done.id)).toBe('replayed');
      expect(await store.replay(running.id)).toBe('busy');
      expect(await store.replay(waiting.id)).toBe('busy');
      expect(await store.replay('999999999')).toBe('missing');
      expect(await store.get(dead.id)).toMatchObject({ status: 'pending', attempts: 0 });
      const leased = ids(await leaseAll(store, 'w2'));
      expect(leased).toContain(dead.id);
      expect(leased).toContain(done.id);
    });

    it('replays an invalid entry with the fields its body gives, or marks it a duplicate', async () => {
      const store = await harness.create();
      const request = nextRequest();
      const invalid = await store.add(pending(null, { status: 'invalid', lastError: 'bad' }));
      expect(await store.replay(invalid.id)).toBe('invalid');
      const fields = {
        idempotencyKey: `reparsed:${invalid.id}:${request}`,
        requestId: request,
        eventType: 'X',
      };
      expect(await store.replay(invalid.id, fields)).toBe('replayed');
      expect(await store.get(invalid.id)).toMatchObject({ status: 'pending', ...fields });
      expect(await store.add(pending(request, { idempotencyKey: fields.idempotencyKey }))).toEqual({
        id: invalid.id,
        duplicate: true,
      });
      const other = await store.add(pending(null, { status: 'invalid', lastError: 'bad' }));
      expect(await store.replay(other.id, fields)).toBe('duplicate');
      expect((await store.get(other.id))?.status).toBe('done');
    });

    it('purges matching entries but never a running one, and forgets their keys', async () => {
      const store = await harness.create();
      const request = nextRequest();
      const done = pending(request);
      const doneId = (await store.add(done)).id;
      const runningId = (await store.add(pending(null, { requestId: request + 1 }))).id;
      await leaseAll(store, 'w1');
      await store.settle(doneId, 'w1', { status: 'done' });
      expect(await store.purge({ requestId: request + 1 })).toBe(0);
      expect(await store.purge({ requestId: request, status: 'done' })).toBe(1);
      expect(await store.get(doneId)).toBeUndefined();
      expect((await store.get(runningId))?.status).toBe('running');
      expect((await store.add(done)).duplicate).toBe(false);
    });

    it('counts entries by status and knows the oldest pending one', async () => {
      const store = await harness.create();
      const before = await store.stats();
      const receivedAt = new Date(harness.now() - 3_600_000);
      await store.add(pending(null, {}, receivedAt));
      await store.add(pending(null, { status: 'invalid', lastError: 'bad' }));
      const after = await store.stats();
      expect(after.pending - before.pending).toBe(1);
      expect(after.invalid - before.invalid).toBe(1);
      expect(after.oldestPendingAt!.getTime()).toBeLessThanOrEqual(receivedAt.getTime());
      for (const key of ['running', 'done', 'dead'] as const) {
        expect(typeof after[key]).toBe('number');
      }
    });
  });
}
