import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  isTerminalStatus,
  type KnownRequestStatus,
  nextStatuses,
  REQUEST_STATUSES,
  TRANSITIONS,
} from '../../src/index.js';

/** Every edge of the lifecycle, with the documented flow it comes from. */
const EDGES: readonly (readonly [KnownRequestStatus, KnownRequestStatus, string])[] = [
  ['CREATED', 'ENROLLREADY', 'classic One-Shot, asynchronous flow, RA variant'],
  ['ENROLLREADY', 'ISSUED', 'classic One-Shot, asynchronous flow, eIDAS VideoID'],
  ['VIDEOPENDING', 'VIDEOINCOMPLETE', 'eIDAS VideoID, VideoID External'],
  ['VIDEOPENDING', 'VIDEOERROR', 'eIDAS VideoID, VideoID External'],
  ['VIDEOPENDING', 'VIDEOREVIEW', 'eIDAS VideoID, VideoID External'],
  ['VIDEOINCOMPLETE', 'VIDEOREVIEW', 'sample VideoID flow, VideoID External'],
  ['VIDEOREVIEW', 'ENROLLREADY', 'eIDAS VideoID (approved)'],
  ['VIDEOREVIEW', 'CANCELLED', 'eIDAS VideoID (refused)'],
  ['VIDEOREVIEW', 'CREATED', 'RA variant, other profiles'],
  ['CREATED', 'CANCELLED', 'cancellation before issuance'],
  ['VIDEOPENDING', 'CANCELLED', 'cancellation before issuance'],
  ['VIDEOINCOMPLETE', 'CANCELLED', 'cancellation before issuance'],
  ['VIDEOERROR', 'CANCELLED', 'cancellation before issuance'],
  ['ENROLLREADY', 'CANCELLED', 'cancellation before issuance'],
  ['ISSUED', 'RENEWED', 'renewal after issuance'],
  ['VIDEOINCOMPLETE', 'VIDEOPENDING', 'assumed retry'],
  ['VIDEOERROR', 'VIDEOPENDING', 'assumed retry'],
];

const NON_EDGES: readonly (readonly [string, string])[] = [
  ['ISSUED', 'CANCELLED'],
  ['RENEWED', 'CANCELLED'],
  ['RENEWED', 'ISSUED'],
  ['ISSUED', 'ENROLLREADY'],
  ['ENROLLREADY', 'VIDEOREVIEW'],
  ['ENROLLREADY', 'CREATED'],
  ['CREATED', 'VIDEOPENDING'],
  ['CREATED', 'ISSUED'],
  ['VIDEOPENDING', 'ENROLLREADY'],
  ['VIDEOPENDING', 'ISSUED'],
  ['VIDEOERROR', 'VIDEOREVIEW'],
  ['VIDEOERROR', 'VIDEOINCOMPLETE'],
  ['VIDEOINCOMPLETE', 'VIDEOERROR'],
  ['VIDEOREVIEW', 'VIDEOPENDING'],
  ['CANCELLED', 'CREATED'],
  ['CANCELLED', 'ISSUED'],
  ['ISSUED', 'ISSUED'],
  ['CANCELLED', 'CANCELLED'],
];

describe('TRANSITIONS', () => {
  it('holds exactly the documented edges and the assumed retries', () => {
    const actual = Object.entries(TRANSITIONS)
      .flatMap(([from, next]) => next.map((to) => `${from} -> ${to}`))
      .sort();
    const expected = EDGES.map(([from, to]) => `${from} -> ${to}`).sort();
    expect(actual).toEqual(expected);
  });

  it('has an entry for every known status', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...REQUEST_STATUSES].sort());
  });

  it('cannot be altered at run time', () => {
    expect(Object.isFrozen(TRANSITIONS)).toBe(true);
    for (const next of Object.values(TRANSITIONS)) expect(Object.isFrozen(next)).toBe(true);
    expect(() => {
      (TRANSITIONS.ISSUED as KnownRequestStatus[]).push('CANCELLED');
    }).toThrow(TypeError);
  });
});

describe('canTransition', () => {
  it.each(EDGES)('%s -> %s (%s)', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(NON_EDGES)('not %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('accepts spelling variants on both sides', () => {
    expect(canTransition('enroll_ready', 'canceled')).toBe(true);
    expect(canTransition(' Issued ', 'RENOVATED')).toBe(true);
    expect(canTransition('video-review', 'Enroll Ready')).toBe(true);
    expect(canTransition('CANCELED', 'CREATED')).toBe(false);
  });

  it('is false for unknown statuses, without throwing', () => {
    expect(canTransition('SUSPENDED', 'CANCELLED')).toBe(false);
    expect(canTransition('CREATED', 'APPROVED')).toBe(false);
    expect(canTransition('', '')).toBe(false);
    expect(canTransition('__proto__', 'constructor')).toBe(false);
    fc.assert(
      fc.property(fc.string(), fc.string(), (from, to) => {
        expect(typeof canTransition(from, to)).toBe('boolean');
      }),
    );
  });
});

describe('nextStatuses', () => {
  it.each([
    ['CREATED', ['ENROLLREADY', 'CANCELLED']],
    ['VIDEOPENDING', ['VIDEOINCOMPLETE', 'VIDEOERROR', 'VIDEOREVIEW', 'CANCELLED']],
    ['VIDEOINCOMPLETE', ['VIDEOREVIEW', 'VIDEOPENDING', 'CANCELLED']],
    ['VIDEOERROR', ['VIDEOPENDING', 'CANCELLED']],
    ['VIDEOREVIEW', ['ENROLLREADY', 'CREATED', 'CANCELLED']],
    ['ENROLLREADY', ['ISSUED', 'CANCELLED']],
    ['ISSUED', ['RENEWED']],
    ['RENEWED', []],
    ['CANCELLED', []],
  ] as const)('%s -> %j', (from, expected) => {
    expect([...nextStatuses(from)].sort()).toEqual([...expected].sort());
  });

  it('agrees with canTransition for every pair of known statuses', () => {
    for (const from of REQUEST_STATUSES) {
      for (const to of REQUEST_STATUSES) {
        expect(nextStatuses(from).includes(to)).toBe(canTransition(from, to));
      }
    }
  });

  it('accepts spelling variants', () => {
    expect(nextStatuses('enroll ready')).toEqual(nextStatuses('ENROLLREADY'));
    expect(nextStatuses('renovated')).toEqual([]);
    expect(nextStatuses(' issued ')).toEqual(['RENEWED']);
  });

  it('is empty for unknown statuses, without throwing', () => {
    expect(nextStatuses('SUSPENDED')).toEqual([]);
    expect(nextStatuses('__proto__')).toEqual([]);
    expect(nextStatuses('toString')).toEqual([]);
    fc.assert(
      fc.property(fc.string(), (status) => {
        expect(Array.isArray(nextStatuses(status))).toBe(true);
      }),
    );
  });
});

describe('isTerminalStatus', () => {
  it('is true for CANCELLED only', () => {
    const terminal = REQUEST_STATUSES.filter((status) => isTerminalStatus(status));
    expect(terminal).toEqual(['CANCELLED']);
  });

  it('keeps ISSUED and RENEWED open, since certificate events follow', () => {
    expect(isTerminalStatus('ISSUED')).toBe(false);
    expect(isTerminalStatus('RENEWED')).toBe(false);
  });

  it('accepts spelling variants', () => {
    expect(isTerminalStatus('CANCELED')).toBe(true);
    expect(isTerminalStatus(' canceled ')).toBe(true);
    expect(isTerminalStatus('Cancelled')).toBe(true);
    expect(isTerminalStatus('RENOVATED')).toBe(false);
  });

  it('is false for unknown statuses', () => {
    expect(isTerminalStatus('REVOKED')).toBe(false);
    expect(isTerminalStatus('')).toBe(false);
  });
});
