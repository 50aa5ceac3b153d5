// The durable inbox shared by three receiver processes (the built package), on a real
// PostgreSQL cluster and again on a real redis-server, loopback only: 5,000 notifications of
// 500 requests delivered shuffled and with duplicates, while receivers are killed with SIGKILL
// ten times and started again. Each handler run is logged by the receiver that ran it, stamped
// with a counter kept by the database; once the inbox has handled everything, the logs show
// - every notification handled to completion (the last run of each entry ended);
// - no two runs of one request at once (a run cut by a SIGKILL lasts until the kill);
// - each run saw the state the runs before it left: in particular, a run that completed with
//   'apply' wrote its notification, which the next run saw (or the store kept, for the last);
// - each request's final status is the one its flow ends with when applied in order.
// Runs cut by a kill are run again elsewhere (at least once): they are counted, not failures.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyTransition,
  type InboxStats,
  normalizeStatus,
  parseWebhook,
  type RequestState,
  type TransitionVerdict,
} from '../../src/index.js';
import { createPostgresInbox, createPostgresStateStore } from '../../src/postgres/index.js';
import { createRedisInbox, createRedisStateStore } from '../../src/redis/index.js';
import { createTestPayload } from '../../src/testing/index.js';
import {
  createPool,
  freshPrefix,
  startPostgresServer,
} from '../integration/support/postgres-server.js';
import { startRedisServer } from '../integration/support/redis-server.js';
import { assertBuilt, type LineChild, startLineChild } from '../support/child-process.js';
import { flowOfLength } from '../support/flows.js';
import { post, report, seededRandom, shuffle, sleep } from './support.js';

const REQUESTS = 500;
const PER_REQUEST = 10;
const NOTIFICATIONS = REQUESTS * PER_REQUEST;
/** The share of notifications delivered twice. */
const DUPLICATES = 0.2;
const RECEIVERS = 3;
const KILLS = 10;
/** Deliveries the sender has in flight at once. */
const IN_FLIGHT = 64;
/** The receivers' inbox: a short lease, so that a killed receiver's entries are taken over soon. */
const LEASE_MS = 3_000;
const POLL_MS = 50;
const CONCURRENCY = 8;
/** The longest a handler takes, in milliseconds (each takes 1 ms more than a random part of it). */
const HANDLER_MS = 6;
/** How long everything may take before the test gives up. */
const DEADLINE_MS = 240_000;

/** The seed of every random choice here: fast-check's, which FUZZ_SEED sets. */
const SEED = fc.readConfigureGlobal().seed ?? 20_250_715;
const seedNote = `seed ${SEED}; FUZZ_SEED=${SEED} replays the same notifications, order and kills`;

const CHILD = join(import.meta.dirname, 'child', 'inbox-receiver.mjs');

/** A database the receivers share, as the test reads it. */
interface SharedStore {
  /** What a receiver needs to reach it: ENGINE, DB_PORT, PREFIX. */
  readonly env: Readonly<Record<string, string>>;
  /** The next value of the counter the receivers stamp their runs with. */
  tick(): Promise<number>;
  stats(): Promise<InboxStats>;
  state(requestId: number): Promise<RequestState | null | undefined>;
  close(): Promise<void>;
}

const ENGINES: readonly { name: string; start(): Promise<SharedStore> }[] = [
  {
    name: 'PostgreSQL',
    async start() {
      const server = await startPostgresServer();
      const pool = createPool(server, { max: 4 });
      try {
        const tablePrefix = freshPrefix();
        await pool.query(`CREATE SEQUENCE "${tablePrefix}ticks"`);
        const inbox = createPostgresInbox(pool, { tablePrefix });
        const state = createPostgresStateStore(pool, { tablePrefix });
        return {
          env: { ENGINE: 'postgres', DB_PORT: String(server.port), PREFIX: tablePrefix },
          async tick() {
            const { rows } = await pool.query<{ n: number }>(
              'SELECT nextval($1::regclass)::float8 AS n',
              [`"${tablePrefix}ticks"`],
            );
            return rows[0]!.n;
          },
          stats: () => inbox.stats(),
          state: (requestId) => state.get(requestId),
          async close() {
            await pool.end();
            await server.destroy();
          },
        };
      } catch (error) {
        await pool.end();
        await server.destroy();
        throw error;
      }
    },
  },
  {
    name: 'Redis',
    async start() {
      const server = await startRedisServer();
      const client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      const prefix = `{inbox-processes-${process.pid}}:`;
      const inbox = createRedisInbox(client, { prefix });
      const state = createRedisStateStore(client, { prefix });
      return {
        env: { ENGINE: 'redis', DB_PORT: String(server.port), PREFIX: prefix },
        tick: () => client.incr(`${prefix}ticks`),
        stats: () => inbox.stats(),
        state: (requestId) => state.get(requestId),
        async close() {
          client.disconnect();
          await server.stop();
        },
      };
    },
  },
];

/** One notification sent: its request, its body, and what the parser makes of it. */
interface Sent {
  readonly requestId: number;
  readonly body: Uint8Array;
  readonly key: string;
  readonly status: string;
  readonly at: number;
}

/** The notifications of `REQUESTS` requests, each a flow of `PER_REQUEST`, in order. */
function notifications(random: () => number): Sent[][] {
  const encoder = new TextEncoder();
  return Array.from({ length: REQUESTS }, (_, index) => {
    const requestId = 700_000 + index;
    const start = Date.UTC(2025, 6, 15, 8) + index * 3_600_000;
    return flowOfLength(PER_REQUEST, random).map(({ status, eventType }, step) => {
      const text = JSON.stringify(
        createTestPayload({
          status,
          ...(eventType !== undefined && { eventType }),
          requestId,
          sentAt: new Date(start + step * 60_000),
        }),
      );
      const event = parseWebhook(text);
      return {
        requestId,
        body: encoder.encode(text),
        key: event.idempotencyKey,
        status: event.status,
        at: event.occurredAt.getTime(),
      };
    });
  });
}

/** The state a request ends in when its notifications are applied in order. */
function inOrder(flow: readonly Sent[]): { status: string; at: number } | undefined {
  let stored: { status: string; at: number } | undefined;
  for (const { status, at } of flow) {
    const current = stored && { status: stored.status, occurredAt: new Date(stored.at) };
    if (classifyTransition(current, { status, occurredAt: new Date(at) }) === 'apply') {
      stored = { status, at };
    }
  }
  return stored;
}

/** `items` by `keyOf` of each, in their order. */
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/** One run of the handler, as a receiver logged it. */
interface Run {
  readonly start: number;
  readonly pid: number;
  readonly entry: string;
  readonly attempt: number;
  readonly key: string;
  readonly request: number;
  readonly status: string;
  readonly at: number;
  readonly verdict: TransitionVerdict;
  readonly previous: { readonly status: string; readonly at: number } | null;
  /** The counter when it ended; absent when its process died first. */
  end?: number;
}

/** Reads the run logs in `dir`, tolerating a last line cut by a SIGKILL. */
function readRuns(dir: string): { runs: Run[]; cutLines: number } {
  const runs = new Map<number, Run>();
  const ends: { end: number; start: number }[] = [];
  let cutLines = 0;
  for (const file of readdirSync(dir)) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    const last = lines.pop();
    if (last !== '') lines.push(last ?? '');
    lines.forEach((line, index) => {
      let fields: Run | { end: number; start: number };
      try {
        fields = JSON.parse(line) as Run | { end: number; start: number };
      } catch (error) {
        if (index === lines.length - 1 && last !== '') {
          cutLines += 1;
          return;
        }
        throw new Error(`${file}:${index + 1} is not a log line: ${line}`, { cause: error });
      }
      if ('pid' in fields) runs.set(fields.start, { ...fields });
      else ends.push(fields);
    });
  }
  for (const { end, start } of ends) {
    const run = runs.get(start);
    if (run === undefined) throw new Error(`an end (${end}) without its start (${start})`);
    run.end = end;
  }
  return { runs: [...runs.values()].sort((a, b) => a.start - b.start), cutLines };
}

/** A receiver process and where to post to it. */
interface Receiver {
  readonly child: LineChild;
  readonly pid: number;
  readonly port: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch(() => {});
  }
});

describe.each(ENGINES)('three receiver processes sharing the inbox on $name', (engine) => {
  it(
    'handle 5,000 shuffled, duplicated notifications through ten SIGKILLs: all completed, in order per request, one handler of a request at a time',
    async () => {
      assertBuilt(['index.js', 'node.js', 'postgres.js', 'redis.js'], 'The inbox process tests');
      const began = Date.now();
      const random = seededRandom(SEED);
      const store = await engine.start();
      cleanups.push(() => store.close());
      const logs = mkdtempSync(join(tmpdir(), 'uanataca-inbox-processes-'));
      cleanups.push(async () => rmSync(logs, { recursive: true, force: true }));

      // Every receiver ever started, to be killed at the end whatever happens.
      const started: Receiver[] = [];
      cleanups.push(async () => {
        await Promise.all(started.map((receiver) => receiver.child.kill()));
      });
      // Set when the test ends: the sender and the kills stop, no receiver starts.
      let stopped = false;
      const stopIfEnded = (): void => {
        if (stopped) throw new Error('the test has ended');
        if (Date.now() - began > DEADLINE_MS) throw new Error('the run took too long');
      };
      let incarnations = 0;
      const startReceiver = async (): Promise<Receiver> => {
        stopIfEnded();
        const incarnation = ++incarnations;
        const child = startLineChild(process.execPath, [CHILD], {
          name: `receiver ${incarnation}`,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            ...store.env,
            RUN_LOG: join(logs, `receiver-${incarnation}.jsonl`),
            LEASE_MS: String(LEASE_MS),
            POLL_MS: String(POLL_MS),
            CONCURRENCY: String(CONCURRENCY),
            HANDLER_MS: String(HANDLER_MS),
            SEED: String((SEED + incarnation) | 0),
          },
          timeoutMs: 30_000,
        });
        const receiver = { child, pid: child.process.pid ?? -1, port: 0 };
        started.push(receiver);
        const port = Number((await child.waitFor('LISTENING ')).slice('LISTENING '.length));
        return { ...receiver, port };
      };
      const receivers = await Promise.all(Array.from({ length: RECEIVERS }, startReceiver));
      const startedAt = Date.now();

      // What the provider sends: every notification once, a fifth of them twice, shuffled.
      const flows = notifications(random);
      const all = flows.flat();
      const deliveries = shuffle([...all, ...all.filter(() => random() < DUPLICATES)], random);
      const targets = deliveries.map(() => Math.floor(random() * RECEIVERS));
      // The kills: when the inbox has handled these shares of the notifications, these receivers.
      const killAt = Array.from({ length: KILLS }, () => 0.03 + random() * 0.87).sort(
        (a, b) => a - b,
      );
      const victims = killAt.map(() => Math.floor(random() * RECEIVERS));

      // The sender, like the provider: a delivery not answered 200 is delivered again, to
      // another receiver, until one answers 200.
      const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
      cleanups.push(async () => {
        stopped = true;
        agent.destroy();
      });
      const answers = { queued: 0, duplicate: 0, refused: 0, retried: 0 };
      const otherStatuses = new Map<number, number>();
      const unexpectedBodies: string[] = [];
      let next = 0;
      const send = async (): Promise<void> => {
        for (let index = next++; index < deliveries.length; index = next++) {
          const body = deliveries[index]!.body;
          for (let attempt = 0; ; attempt++) {
            const receiver = receivers[(targets[index]! + attempt) % RECEIVERS]!;
            if (attempt > 0) answers.retried += 1;
            try {
              const answer = await post({ host: '127.0.0.1', port: receiver.port }, body, {
                agent,
                path: '/webhooks',
              });
              if (answer.status === 200) {
                if (answer.text === '{"ok":true,"queued":true}') answers.queued += 1;
                else if (answer.text === '{"ok":true,"duplicate":true}') {
                  answers.duplicate += 1;
                } else unexpectedBodies.push(answer.text);
                break;
              }
              otherStatuses.set(answer.status, (otherStatuses.get(answer.status) ?? 0) + 1);
            } catch {
              // Refused or reset: the receiver is dead, or restarting.
              answers.refused += 1;
            }
            stopIfEnded();
            await sleep(10 + attempt * 10);
          }
        }
      };
      let sentAfter = 0;
      const sending = Promise.all(Array.from({ length: IN_FLIGHT }, send)).then(() => {
        sentAfter = Date.now() - startedAt;
      });

      // Meanwhile the kills, each followed at once by a new process in the victim's place.
      const killTicks = new Map<number, number>();
      const killing = (async () => {
        for (const [index, share] of killAt.entries()) {
          for (;;) {
            const { done } = await store.stats();
            if (done >= share * NOTIFICATIONS) break;
            stopIfEnded();
            await sleep(25 + random() * 50);
          }
          const slot = victims[index]!;
          const victim = receivers[slot]!;
          await victim.child.kill();
          // Every tick the dead process was given is below this one.
          killTicks.set(victim.pid, await store.tick());
          receivers[slot] = await startReceiver();
        }
      })();
      await Promise.all([sending, killing]);

      let stats = await store.stats();
      while (stats.done < NOTIFICATIONS || stats.pending > 0 || stats.running > 0) {
        if (stopped || Date.now() - began > DEADLINE_MS) break;
        await sleep(100);
        stats = await store.stats();
      }
      const handledAfter = Date.now() - startedAt;
      await Promise.all(started.map((receiver) => receiver.child.kill()));
      const { runs, cutLines } = readRuns(logs);

      expect(unexpectedBodies, seedNote).toEqual([]);
      expect(stats, seedNote).toMatchObject({
        pending: 0,
        running: 0,
        done: NOTIFICATIONS,
        dead: 0,
        invalid: 0,
      });
      expect(killTicks.size, seedNote).toBe(KILLS);

      // Every notification handled to completion: the last run of each entry ended.
      const byEntry = groupBy(runs, (run) => run.entry);
      const lastRuns = new Set([...byEntry.values()].map((entryRuns) => entryRuns.at(-1)!));
      const completed = [...lastRuns].filter((run) => run.end !== undefined);
      expect(
        [...lastRuns].filter((run) => run.end === undefined),
        `entries done whose last run never ended (${seedNote})`,
      ).toEqual([]);
      expect(new Set(completed.map((run) => run.key)), seedNote).toEqual(
        new Set(all.map((sent) => sent.key)),
      );
      expect(completed, seedNote).toHaveLength(NOTIFICATIONS);

      // A run that never ended was cut by a SIGKILL of its process, nothing else.
      const unfinished = runs.filter((run) => run.end === undefined);
      expect(
        unfinished.filter((run) => !killTicks.has(run.pid)),
        `runs that never ended in a process that was not killed (${seedNote})`,
      ).toEqual([]);
      const takenOver = unfinished.filter((run) => !lastRuns.has(run));
      // The kills did cut handlers, which other processes then ran again.
      expect(takenOver.length, seedNote).toBeGreaterThan(0);
      const rerunWithoutKill = runs.filter(
        (run) => !lastRuns.has(run) && run.end !== undefined && !killTicks.has(run.pid),
      );

      const overlaps: string[] = [];
      const lostApplies: string[] = [];
      const staleReads: string[] = [];
      const wrongVerdicts: string[] = [];
      const wrongFinal: string[] = [];
      const describeRun = (run: Run): string =>
        `${run.status}@${run.at} (entry ${run.entry}, attempt ${run.attempt}, pid ${run.pid}, ticks ${run.start}-${run.end ?? `killed ${killTicks.get(run.pid)}`}, ${run.verdict})`;
      const same = (a: { status: string; at: number } | null | undefined, b: typeof a): boolean =>
        (a ?? undefined)?.status === (b ?? undefined)?.status &&
        (a ?? undefined)?.at === (b ?? undefined)?.at;

      const runsByRequest = groupBy(runs, (run) => run.request);
      for (const flow of flows) {
        const requestId = flow[0]!.requestId;
        const requestRuns = runsByRequest.get(requestId) ?? [];

        // No two handlers of the request at once: each run starts after every earlier one
        // ended, or after its process was killed.
        let busyUntil = 0;
        let busyWith: Run | undefined;
        for (const run of requestRuns) {
          if (run.start < busyUntil) {
            overlaps.push(
              `request ${requestId}: ${describeRun(run)} began while ${describeRun(busyWith!)} ran`,
            );
          }
          const ended = run.end ?? killTicks.get(run.pid) ?? run.start;
          if (ended > busyUntil) {
            busyUntil = ended;
            busyWith = run;
          }
        }

        // The state each run saw is what the runs before it left, and its verdict is what
        // classifyTransition says about that state. A run that completed with 'apply' wrote
        // its notification, which the next run must see; a run killed after its handler ended
        // may or may not have written it; one killed during its handler wrote nothing.
        let stored: { status: string; at: number } | undefined;
        let maybe: { status: string; at: number } | undefined;
        let appliedBy: Run | undefined;
        for (const run of requestRuns) {
          const seen = run.previous ?? undefined;
          if (!same(seen, stored) && !(maybe !== undefined && same(seen, maybe))) {
            if (appliedBy !== undefined) {
              lostApplies.push(
                `request ${requestId}: ${describeRun(appliedBy)} ran with 'apply', yet ${describeRun(run)} then saw ${JSON.stringify(seen ?? null)}`,
              );
            } else {
              staleReads.push(
                `request ${requestId}: ${describeRun(run)} saw ${JSON.stringify(seen ?? null)}, not ${JSON.stringify(stored ?? null)}`,
              );
            }
          }
          stored = seen;
          maybe = undefined;
          appliedBy = undefined;
          const current = stored && { status: stored.status, occurredAt: new Date(stored.at) };
          const verdict = classifyTransition(current, {
            status: run.status,
            occurredAt: new Date(run.at),
          });
          if (run.verdict !== verdict) {
            wrongVerdicts.push(`request ${requestId}: ${describeRun(run)}, expected ${verdict}`);
          }
          if (run.verdict !== 'apply') continue;
          if (lastRuns.has(run)) {
            stored = { status: run.status, at: run.at };
            appliedBy = run;
          } else if (run.end !== undefined) {
            maybe = { status: run.status, at: run.at };
          }
        }

        // The state stored in the end: the last one applied, and the in-order outcome.
        const final = await store.state(requestId);
        const finalState = final
          ? { status: final.status, at: final.occurredAt.getTime() }
          : undefined;
        if (!same(finalState, stored) && !(maybe !== undefined && same(finalState, maybe))) {
          (appliedBy === undefined ? staleReads : lostApplies).push(
            `request ${requestId}: the store ends with ${JSON.stringify(finalState ?? null)} after ${
              appliedBy === undefined ? JSON.stringify(stored ?? null) : describeRun(appliedBy)
            }`,
          );
        }
        const expected = inOrder(flow);
        if (
          finalState === undefined ||
          normalizeStatus(finalState.status) !== normalizeStatus(expected!.status)
        ) {
          wrongFinal.push(
            `request ${requestId}: ${JSON.stringify(finalState ?? null)}, in order ${expected!.status} (flow ${flow.map((sent) => sent.status).join(' ')})`,
          );
        }
      }

      const verdicts = groupBy(runs, (run) => run.verdict);
      report(
        `inbox processes on ${engine.name}: ${deliveries.length} deliveries sent in ${sentAfter} ms, ` +
          `${NOTIFICATIONS} notifications handled in ${handledAfter} ms (${Date.now() - began} ms in all); ` +
          `answers ${JSON.stringify(answers)}, other statuses ${JSON.stringify(Object.fromEntries(otherStatuses))}; ` +
          `${runs.length} runs (${[...verdicts].map(([verdict, list]) => `${list.length} ${verdict}`).join(', ')}), ` +
          `${unfinished.length} cut by a kill (${takenOver.length} run again elsewhere), ` +
          `${rerunWithoutKill.length} run again without a kill, ${cutLines} log lines cut; ${seedNote}`,
      );
      // Each kind of violation, the first few of each, in one comparison.
      const violations = {
        'two handlers of one request at once': overlaps,
        "'apply' runs whose state write was lost": lostApplies,
        'runs that saw a state no run left': staleReads,
        "verdicts other than classifyTransition's for the state seen": wrongVerdicts,
        'final states other than the in-order ones': wrongFinal,
      };
      const counts = Object.entries(violations).map(([what, list]) => `${list.length} ${what}`);
      expect(
        Object.fromEntries(
          Object.entries(violations).map(([what, list]) => [what, list.slice(0, 5)]),
        ),
        `${counts.join(', ')} (${seedNote})`,
      ).toEqual(Object.fromEntries(Object.keys(violations).map((what) => [what, []])));
    },
    DEADLINE_MS + 60_000,
  );
});
