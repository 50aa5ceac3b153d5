import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyTransition,
  type KnownRequestStatus,
  normalizeStatus,
  parseWebhook,
  type RequestStatus,
  TRANSITIONS,
  type TransitionVerdict,
} from '../../src/index.js';
import { createClassifier } from '../../src/lifecycle/classify.js';
import { DOCUMENTED_FLOWS, RETRY_FLOWS } from '../support/flows.js';

interface Notification {
  readonly status: RequestStatus;
  readonly occurredAt: Date;
}

type Classify = (
  current: { status: RequestStatus; occurredAt?: Date } | undefined,
  incoming: Notification,
) => TransitionVerdict;

/** The lifecycle without the assumed retries: only what the provider documents. */
const WITHOUT_RETRIES = Object.fromEntries(
  Object.entries(TRANSITIONS).map(([from, next]) => [
    from,
    from === 'VIDEOERROR' || from === 'VIDEOINCOMPLETE'
      ? next.filter((to) => to !== 'VIDEOPENDING')
      : next,
  ]),
) as Record<KnownRequestStatus, readonly KnownRequestStatus[]>;

/** Stores whatever `classify` says to apply, in delivery order. */
function receive(
  classify: Classify,
  deliveries: readonly Notification[],
): Notification | undefined {
  let stored: Notification | undefined;
  for (const notification of deliveries) {
    if (classify(stored, notification) === 'apply') stored = notification;
  }
  return stored;
}

const T0 = Date.UTC(2025, 6, 15, 8, 36, 33);

/**
 * A flow's notifications at strictly increasing times, delivered in a random order, each at
 * least once and some several times.
 */
function deliveriesOf(statuses: readonly string[]) {
  const n = statuses.length;
  return fc
    .record({
      gaps: fc.array(fc.integer({ min: 1, max: 3_600_000 }), { minLength: n, maxLength: n }),
      // One sort key per delivery: a notification with several keys is delivered several times.
      keys: fc.array(fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 3 }), {
        minLength: n,
        maxLength: n,
      }),
    })
    .map(({ gaps, keys }) => {
      let time = T0;
      const flow = statuses.map((status, index): Notification => {
        time += gaps[index] ?? 1;
        return { status, occurredAt: new Date(time) };
      });
      const deliveries = keys
        .flatMap((copies, index) => copies.map((key) => ({ key, index })))
        .sort((a, b) => a.key - b.key || a.index - b.index)
        .map(({ index }) => flow[index]!);
      return { flow, deliveries };
    });
}

function checkFlow(classify: Classify, statuses: readonly string[]): void {
  const final = normalizeStatus(statuses.at(-1)!);
  fc.assert(
    fc.property(deliveriesOf(statuses), ({ flow, deliveries }) => {
      const inOrder = receive(classify, flow);
      expect(normalizeStatus(inOrder!.status)).toBe(final);
      const stored = receive(classify, deliveries);
      expect(normalizeStatus(stored!.status)).toBe(final);
    }),
    { numRuns: 300 },
  );
}

describe('any delivery order, any duplicates: the in-order final status', () => {
  describe.each(DOCUMENTED_FLOWS)('%s', (_name, statuses) => {
    it('in order, every notification is news or a repeat of the stored status', () => {
      let stored: Notification | undefined;
      statuses.forEach((status, index) => {
        const incoming = { status, occurredAt: new Date(T0 + index * 60_000) };
        const verdict = classifyTransition(stored, incoming);
        expect(['apply', 'duplicate'], `${status} after ${stored?.status}`).toContain(verdict);
        if (verdict === 'apply') stored = incoming;
      });
    });

    it('in any order', () => {
      checkFlow(classifyTransition, statuses);
    });

    it('in any order, with the documented lifecycle only (no retries assumed)', () => {
      checkFlow(createClassifier(WITHOUT_RETRIES), statuses);
    });
  });

  describe.each(RETRY_FLOWS)('retry: %s', (_name, statuses) => {
    it('in any order', () => {
      checkFlow(classifyTransition, statuses);
    });
  });

  it('a later visit of a retried status is not undone by an older notification', () => {
    const pending = { status: 'VIDEOPENDING', occurredAt: new Date(T0) };
    const incomplete = { status: 'VIDEOINCOMPLETE', occurredAt: new Date(T0 + 60_000) };
    const retried = { status: 'VIDEOPENDING', occurredAt: new Date(T0 + 120_000) };
    expect(receive(classifyTransition, [pending, retried, incomplete])).toBe(retried);
  });
});

describe('old news re-sent with a fresh time', () => {
  const LOOP = new Set<RequestStatus>(['VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOERROR']);

  // Outside the retry loop the lifecycle orders every pair of statuses, so the time a
  // resend carries cannot matter. Inside it, a resend is indistinguishable from a new
  // attempt.
  const flows = DOCUMENTED_FLOWS.filter(([, statuses]) =>
    statuses.some((status) => !LOOP.has(normalizeStatus(status))),
  );

  it.each(flows)('changes nothing: %s', (_name, statuses) => {
    const final = normalizeStatus(statuses.at(-1)!);
    const resendable = statuses.filter((status) => !LOOP.has(normalizeStatus(status)));
    fc.assert(
      fc.property(
        deliveriesOf(statuses),
        fc.array(
          fc.tuple(fc.constantFrom(...resendable), fc.nat(), fc.integer({ min: 1, max: 1e9 })),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        ({ flow, deliveries }, resends) => {
          const last = flow.at(-1)!.occurredAt.getTime();
          const mixed = [...deliveries];
          for (const [status, position, delay] of resends) {
            mixed.splice(position % (mixed.length + 1), 0, {
              status,
              occurredAt: new Date(last + delay),
            });
          }
          expect(normalizeStatus(receive(classifyTransition, mixed)!.status)).toBe(final);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the provider sample bodies', () => {
  const parse = (name: string) =>
    parseWebhook(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8'));

  const videoid = [
    'videoid-1-request-created',
    'videoid-2-videoid-updated-incomplete',
    'videoid-3-videoid-updated-review',
    'videoid-4-request-approved',
    'videoid-5-request-enrolled',
  ].map(parse);
  const classic = [
    'classic-1-request-created',
    'classic-2-request-approved',
    'classic-3-request-enrolled',
    'certificate-suspended',
    'certificate-revoked',
  ].map(parse);

  it.each([
    ['sample VideoID flow', videoid, 'ISSUED'],
    ['classic flow with certificate events', classic, 'ISSUED'],
  ] as const)('%s ends where it should in any order', (_name, events, final) => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 3 }), {
          minLength: events.length,
          maxLength: events.length,
        }),
        (keys) => {
          const deliveries = keys
            .flatMap((copies, index) => copies.map((key) => ({ key, index })))
            .sort((a, b) => a.key - b.key || a.index - b.index)
            .map(({ index }) => events[index]!);
          expect(receive(classifyTransition, deliveries)?.status).toBe(final);
        },
      ),
    );
  });

  it('applies the sample VideoID flow step by step', () => {
    const verdicts: TransitionVerdict[] = [];
    let stored: Notification | undefined;
    for (const event of videoid) {
      const verdict = classifyTransition(stored, event);
      verdicts.push(verdict);
      if (verdict === 'apply') stored = event;
    }
    expect(verdicts).toEqual(['apply', 'apply', 'apply', 'apply', 'apply']);
  });

  it('keeps ISSUED through the certificate events', () => {
    const [, , issued, suspended, revoked] = classic;
    expect(classifyTransition(issued, suspended!)).toBe('duplicate');
    expect(classifyTransition(issued, revoked!)).toBe('duplicate');
  });
});
