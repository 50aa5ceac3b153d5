import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyTransition, type TransitionVerdict } from '../../src/index.js';

const T0 = Date.UTC(2025, 6, 15, 8, 36, 33);
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);

/** [stored status, stored time (minutes, or undefined), incoming status, incoming time, verdict] */
type Row = readonly [string, number | undefined, string, number, TransitionVerdict];

const table = (rows: readonly Row[]): void => {
  it.each(rows)('%s@%s then %s@%s: %s', (from, fromTime, to, toTime, verdict) => {
    const current =
      fromTime === undefined ? { status: from } : { status: from, occurredAt: at(fromTime) };
    expect(classifyTransition(current, { status: to, occurredAt: at(toTime) })).toBe(verdict);
  });
};

describe('classifyTransition', () => {
  it('applies anything when nothing is stored', () => {
    for (const status of ['CREATED', 'ISSUED', 'CANCELLED', 'SOMETHING_NEW', '']) {
      expect(classifyTransition(undefined, { status, occurredAt: at(0) })).toBe('apply');
    }
  });

  describe('forward in the lifecycle, later in time: apply', () => {
    table([
      ['CREATED', 0, 'ENROLLREADY', 5, 'apply'],
      ['ENROLLREADY', 0, 'ISSUED', 5, 'apply'],
      ['VIDEOPENDING', 0, 'VIDEOINCOMPLETE', 5, 'apply'],
      ['VIDEOINCOMPLETE', 0, 'VIDEOREVIEW', 5, 'apply'],
      ['VIDEOREVIEW', 0, 'CREATED', 5, 'apply'],
      ['VIDEOREVIEW', 0, 'CANCELLED', 5, 'apply'],
      ['ISSUED', 0, 'RENEWED', 5, 'apply'],
      // Skipped intermediate statuses (their notifications were lost or are still on the way).
      ['CREATED', 0, 'ISSUED', 5, 'apply'],
      ['VIDEOPENDING', 0, 'ISSUED', 5, 'apply'],
      ['VIDEOREVIEW', 0, 'RENEWED', 5, 'apply'],
      ['VIDEOERROR', 0, 'VIDEOREVIEW', 5, 'apply'],
    ]);
  });

  describe('backward in the lifecycle, earlier in time: stale', () => {
    table([
      ['ENROLLREADY', 5, 'CREATED', 0, 'stale'],
      ['ISSUED', 5, 'VIDEOPENDING', 0, 'stale'],
      ['CANCELLED', 5, 'VIDEOREVIEW', 0, 'stale'],
      ['RENEWED', 5, 'ISSUED', 0, 'stale'],
      ['CREATED', 5, 'VIDEOREVIEW', 0, 'stale'],
    ]);
  });

  describe('old news re-sent with a fresh time: stale', () => {
    table([
      ['ISSUED', 0, 'ENROLLREADY', 60, 'stale'],
      ['ENROLLREADY', 0, 'VIDEOREVIEW', 60, 'stale'],
      ['CANCELLED', 0, 'VIDEOPENDING', 60, 'stale'],
      ['VIDEOREVIEW', 0, 'VIDEOPENDING', 60, 'stale'],
      ['CREATED', 0, 'VIDEOREVIEW', 60, 'stale'],
      ['CREATED', 0, 'VIDEOPENDING', 60, 'stale'],
      // Certificate events after a renewal carry ISSUED: the request stays RENEWED.
      ['RENEWED', 0, 'ISSUED', 60, 'stale'],
    ]);
  });

  describe('news that arrives after a fresh-timed resend: apply (the lifecycle wins)', () => {
    table([
      ['ENROLLREADY', 60, 'ISSUED', 5, 'apply'],
      ['VIDEOREVIEW', 60, 'ENROLLREADY', 5, 'apply'],
      ['VIDEOPENDING', 60, 'CANCELLED', 5, 'apply'],
    ]);
  });

  describe('same status: duplicate', () => {
    table([
      ['ISSUED', 0, 'ISSUED', 0, 'duplicate'],
      ['CREATED', 0, 'CREATED', 0, 'duplicate'],
      ['CANCELLED', 0, 'CANCELLED', 9, 'duplicate'],
      ['ENROLLREADY', 9, 'ENROLLREADY', 0, 'duplicate'],
      // Certificate events after issuance.
      ['ISSUED', 0, 'ISSUED', 60 * 24 * 90, 'duplicate'],
      ['RENEWED', 0, 'RENEWED', 60, 'duplicate'],
      ['SOMETHING_NEW', 0, 'SOMETHING_NEW', 5, 'duplicate'],
      ['VIDEOPENDING', 0, 'VIDEOPENDING', 0, 'duplicate'],
      ['VIDEOERROR', 5, 'VIDEOERROR', 0, 'duplicate'],
      ['VIDEOERROR', undefined, 'VIDEOERROR', 0, 'duplicate'],
    ]);
  });

  describe('the VideoID retry loop: time decides', () => {
    table([
      // A new attempt revisits a status: the later time must be stored.
      ['VIDEOPENDING', 0, 'VIDEOPENDING', 5, 'apply'],
      ['VIDEOINCOMPLETE', 0, 'VIDEOINCOMPLETE', 5, 'apply'],
      ['VIDEOERROR', 0, 'VIDEOPENDING', 5, 'apply'],
      ['VIDEOINCOMPLETE', 0, 'VIDEOPENDING', 5, 'apply'],
      ['VIDEOINCOMPLETE', 0, 'VIDEOERROR', 5, 'apply'],
      ['VIDEOPENDING', 5, 'VIDEOERROR', 0, 'stale'],
      ['VIDEOERROR', 5, 'VIDEOPENDING', 0, 'stale'],
      // At the same second (or without a stored time) the documented direction decides.
      ['VIDEOPENDING', 5, 'VIDEOINCOMPLETE', 5, 'apply'],
      ['VIDEOPENDING', undefined, 'VIDEOINCOMPLETE', 5, 'apply'],
      ['VIDEOPENDING', 5, 'VIDEOERROR', 5, 'apply'],
      ['VIDEOINCOMPLETE', 5, 'VIDEOPENDING', 5, 'stale'],
      ['VIDEOERROR', undefined, 'VIDEOPENDING', 5, 'stale'],
      // Linked only through the assumed retry edges: nothing documented to decide by.
      ['VIDEOINCOMPLETE', 5, 'VIDEOERROR', 5, 'unexpected'],
    ]);
  });

  describe('flows whose first steps share a second', () => {
    /** Every order of `items`, each listed as often as it appears. */
    function orders<T>(items: readonly T[]): T[][] {
      if (items.length <= 1) return [[...items]];
      const seen = new Set<string>();
      const result: T[][] = [];
      items.forEach((item, index) => {
        for (const rest of orders([...items.slice(0, index), ...items.slice(index + 1)])) {
          const order = [item, ...rest];
          const key = JSON.stringify(order);
          if (!seen.has(key)) {
            seen.add(key);
            result.push(order);
          }
        }
      });
      return result;
    }

    it.each([
      [
        ['VIDEOPENDING', 1],
        ['VIDEOINCOMPLETE', 1],
        ['VIDEOREVIEW', 2],
      ],
      [
        ['VIDEOPENDING', 1],
        ['VIDEOERROR', 1],
      ],
      [
        ['VIDEOPENDING', 1],
        ['VIDEOINCOMPLETE', 1],
      ],
    ] as [string, number][][])(
      'ends at the in-order status in every delivery order: %j',
      (...flow) => {
        const last = flow.at(-1)![0];
        for (const order of orders([...flow, ...flow])) {
          let current: { status: string; occurredAt: Date } | undefined;
          for (const [status, second] of order) {
            const incoming = { status, occurredAt: new Date(second * 1000) };
            if (classifyTransition(current, incoming) === 'apply') current = incoming;
          }
          expect(current?.status, JSON.stringify(order)).toBe(last);
        }
      },
    );
  });

  describe('same instant: the lifecycle decides', () => {
    table([
      ['CREATED', 0, 'ENROLLREADY', 0, 'apply'],
      ['VIDEOREVIEW', 0, 'CANCELLED', 0, 'apply'],
      ['ISSUED', 0, 'ENROLLREADY', 0, 'stale'],
      ['CANCELLED', 0, 'ISSUED', 0, 'unexpected'],
      ['SOMETHING_NEW', 0, 'ISSUED', 0, 'unexpected'],
    ]);
  });

  describe('no stored time: the lifecycle decides', () => {
    table([
      ['CREATED', undefined, 'ENROLLREADY', 0, 'apply'],
      ['VIDEOPENDING', undefined, 'ISSUED', 0, 'apply'],
      ['ISSUED', undefined, 'CREATED', 0, 'stale'],
      ['CANCELLED', undefined, 'ISSUED', 0, 'unexpected'],
      ['SOMETHING_NEW', undefined, 'CANCELLED', 0, 'unexpected'],
    ]);
  });

  describe('outside the lifecycle: unexpected when later, stale when earlier', () => {
    table([
      ['CANCELLED', 0, 'ISSUED', 5, 'unexpected'],
      ['CANCELLED', 0, 'RENEWED', 5, 'unexpected'],
      ['ISSUED', 0, 'CANCELLED', 5, 'unexpected'],
      ['RENEWED', 0, 'CANCELLED', 5, 'unexpected'],
      ['CREATED', 0, 'SOMETHING_NEW', 5, 'unexpected'],
      ['SOMETHING_NEW', 0, 'ISSUED', 5, 'unexpected'],
      ['CANCELLED', 5, 'ISSUED', 0, 'stale'],
      ['SOMETHING_NEW', 5, 'ISSUED', 0, 'stale'],
      ['ISSUED', 5, 'SOMETHING_NEW', 0, 'stale'],
    ]);
  });

  it('normalizes spelling variants on both sides', () => {
    const cases: readonly (readonly [string, string, TransitionVerdict])[] = [
      ['CANCELED', 'CANCELLED', 'duplicate'],
      ['cancelled', ' Canceled ', 'duplicate'],
      ['RENOVATED', 'RENEWED', 'duplicate'],
      ['issued', 'RENOVATED', 'apply'],
      ['video_review', 'canceled', 'apply'],
      ['enroll-ready', 'created', 'stale'],
      ['canceled', 'issued', 'unexpected'],
    ];
    for (const [from, to, verdict] of cases) {
      const current = { status: from, occurredAt: at(0) };
      expect(
        classifyTransition(current, { status: to, occurredAt: at(5) }),
        `${from} -> ${to}`,
      ).toBe(verdict);
    }
  });

  it('treats an invalid date as no time', () => {
    const invalid = new Date(Number.NaN);
    expect(
      classifyTransition(
        { status: 'ISSUED', occurredAt: at(0) },
        { status: 'CREATED', occurredAt: invalid },
      ),
    ).toBe('stale');
    expect(
      classifyTransition(
        { status: 'CREATED', occurredAt: invalid },
        { status: 'ISSUED', occurredAt: at(0) },
      ),
    ).toBe('apply');
    expect(
      classifyTransition(
        { status: 'CANCELLED', occurredAt: at(0) },
        { status: 'ISSUED', occurredAt: invalid },
      ),
    ).toBe('unexpected');
  });

  it('accepts a parsed event on either side', () => {
    const stored = { status: 'ENROLLREADY', occurredAt: at(0), requestId: 28634, extra: true };
    const event = { status: 'ISSUED', occurredAt: at(5), requestId: undefined, certificates: [] };
    expect(classifyTransition(stored, event)).toBe('apply');
  });

  it('never throws and always answers one of the four verdicts', () => {
    const statuses = fc.oneof(
      fc.constantFrom(
        'CREATED',
        'VIDEOPENDING',
        'VIDEOREVIEW',
        'VIDEOINCOMPLETE',
        'VIDEOERROR',
        'ENROLLREADY',
        'ISSUED',
        'RENEWED',
        'CANCELLED',
        'canceled',
        '__proto__',
        'constructor',
      ),
      fc.string(),
    );
    const dates = fc.date({ noInvalidDate: false });
    fc.assert(
      fc.property(
        fc.option(
          fc.record({ status: statuses, occurredAt: dates }, { requiredKeys: ['status'] }),
          {
            nil: undefined,
          },
        ),
        fc.record({ status: statuses, occurredAt: dates }),
        (current, incoming) => {
          expect(['apply', 'duplicate', 'stale', 'unexpected']).toContain(
            classifyTransition(current, incoming),
          );
        },
      ),
    );
  });
});
