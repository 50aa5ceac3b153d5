import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatSentAt,
  InvalidOptionsError,
  InvalidTimestampError,
  parseTimestamp,
} from '../../src/index.js';

/** A fixed seed: fast-check prints it, with the path, for a failure to be replayed. */
const SEED = 20250715;

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Wall-clock fields of `epoch` in `timeZone`, read straight from Intl (the oracle). */
const oracles = new Map<string, Intl.DateTimeFormat>();
function wallClock(epoch: number, timeZone: string): string {
  let oracle = oracles.get(timeZone);
  if (!oracle) {
    oracle = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    oracles.set(timeZone, oracle);
  }
  const parts = oracle.formatToParts(epoch);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}${get('month')}${get('day')}${get('hour')}${get('minute')}${get('second')}`;
}

const ZONES = [
  'UTC',
  'Europe/Madrid',
  'America/New_York',
  'Australia/Lord_Howe', // a 30-minute DST shift
  'Asia/Kolkata', // a half-hour offset without DST
  'Asia/Tokyo', // no DST
  'America/Santiago', // southern-hemisphere DST
];

describe('parseTimestamp: formats', () => {
  it.each([
    ['20250715083633', '2025-07-15T08:36:33.000Z'],
    ['20250715 08:36:33', '2025-07-15T08:36:33.000Z'],
    ['2021-07-20T08:08:21.132394', '2021-07-20T08:08:21.132Z'],
    ['2021-07-20T08:08:21,5', '2021-07-20T08:08:21.500Z'],
    ['2021-07-20 08:08:21', '2021-07-20T08:08:21.000Z'],
    ['2021-07-20T08:08', '2021-07-20T08:08:00.000Z'],
    ['2021-07-20t08:08:21z', '2021-07-20T08:08:21.000Z'],
    ['2021-07-20T08:08:21.123456789Z', '2021-07-20T08:08:21.123Z'],
    ['2021-07-20T08:08:21+02:00', '2021-07-20T06:08:21.000Z'],
    ['2021-07-20T08:08:21+0530', '2021-07-20T02:38:21.000Z'],
    ['2021-07-20T08:08:21-03', '2021-07-20T11:08:21.000Z'],
    [' 20250715083633 ', '2025-07-15T08:36:33.000Z'],
    ['00010101000000', '0001-01-01T00:00:00.000Z'],
    ['00991231235959', '0099-12-31T23:59:59.000Z'],
    ['99991231235959', '9999-12-31T23:59:59.000Z'],
  ])('reads %s', (value, iso) => {
    expect(parseTimestamp(value).toISOString()).toBe(iso);
  });

  it('lets an explicit offset or Z win over the time zone', () => {
    expect(parseTimestamp('2021-07-20T08:08:21Z', { timeZone: 'Asia/Tokyo' }).toISOString()).toBe(
      '2021-07-20T08:08:21.000Z',
    );
    expect(
      parseTimestamp('2021-07-20T08:08:21-05:00', { timeZone: 'Asia/Tokyo' }).toISOString(),
    ).toBe('2021-07-20T13:08:21.000Z');
  });

  it.each([
    ['month 13', '20251301000000'],
    ['month 0', '20250001000000'],
    ['30 February', '20250230000000'],
    ['31 April', '20250431000000'],
    ['29 February 1900', '19000229000000'],
    ['hour 24', '20250101240000'],
    ['minute 60', '20250101006000'],
    ['second 60', '20250101000060'],
    ['13 digits', '2025010100000'],
    ['15 digits', '202501010000000'],
    ['no time', '2025-01-01'],
    ['no time, compact', '20250101'],
    ['a word', 'yesterday'],
    ['empty', ''],
    ['an offset of 24 hours', '2025-01-01T00:00:00+24:00'],
    ['an offset minute 60', '2025-01-01T00:00:00+01:60'],
    ['ten fraction digits', '2025-01-01T00:00:00.1234567890'],
    ['a huge string', `2025${'0'.repeat(100_000)}`],
  ])('rejects %s with InvalidTimestampError', (_, value) => {
    expect(() => parseTimestamp(value)).toThrow(InvalidTimestampError);
    try {
      parseTimestamp(value);
    } catch (error) {
      expect((error as InvalidTimestampError).code).toBe('invalid_timestamp');
      expect((error as Error).message.length).toBeLessThan(160);
    }
  });

  it('accepts 29 February 2000 and 2024', () => {
    expect(parseTimestamp('20000229120000').toISOString()).toBe('2000-02-29T12:00:00.000Z');
    expect(parseTimestamp('20240229120000').toISOString()).toBe('2024-02-29T12:00:00.000Z');
  });

  it('rejects a value that is not a string', () => {
    expect(() => parseTimestamp(20250101000000 as unknown as string)).toThrow(
      InvalidTimestampError,
    );
  });

  it('rejects unknown time zones clearly', () => {
    expect(() => parseTimestamp('20250101000000', { timeZone: 'Europe/Atlantis' })).toThrow(
      InvalidOptionsError,
    );
    expect(() => parseTimestamp('20250101000000', { timeZone: 'Europe/Atlantis' })).toThrow(
      /Unknown time zone "Europe\/Atlantis"/,
    );
    expect(() => formatSentAt(new Date(), { timeZone: '' })).toThrow(InvalidOptionsError);
  });
});

describe('parseTimestamp: daylight saving time', () => {
  it.each([
    // Europe/Madrid springs forward at 02:00 local (01:00 UTC): 02:00-02:59 does not exist.
    ['Europe/Madrid', '20250330015959', '2025-03-30T00:59:59.000Z'],
    ['Europe/Madrid', '20250330020000', '2025-03-30T01:00:00.000Z'],
    ['Europe/Madrid', '20250330023000', '2025-03-30T01:30:00.000Z'],
    ['Europe/Madrid', '20250330030000', '2025-03-30T01:00:00.000Z'],
    // Falls back at 03:00 local (01:00 UTC): 02:00-02:59 happens twice; the earlier wins.
    ['Europe/Madrid', '20251026020000', '2025-10-26T00:00:00.000Z'],
    ['Europe/Madrid', '20251026023000', '2025-10-26T00:30:00.000Z'],
    ['Europe/Madrid', '20251026030000', '2025-10-26T02:00:00.000Z'],
    // Lord Howe moves by 30 minutes (UTC+10:30 to +11): 02:00-02:29 is skipped in October,
    // so 02:15 is read with the offset before the gap and lands at 02:45 daylight time.
    ['Australia/Lord_Howe', '20251005021500', '2025-10-04T15:45:00.000Z'],
    ['Australia/Lord_Howe', '20251005023000', '2025-10-04T15:30:00.000Z'],
    // and 01:30-01:59 repeats in April.
    ['Australia/Lord_Howe', '20250406014500', '2025-04-05T14:45:00.000Z'],
    ['America/New_York', '20250309023000', '2025-03-09T07:30:00.000Z'],
    ['America/New_York', '20251102013000', '2025-11-02T05:30:00.000Z'],
  ])('in %s reads %s as %s', (timeZone, value, iso) => {
    expect(parseTimestamp(value, { timeZone }).toISOString()).toBe(iso);
  });

  it.each(ZONES.filter((z) => z !== 'UTC'))(
    'matches an independent oracle minute by minute around every transition of 2025 in %s',
    (timeZone) => {
      // Find the transitions of the year by scanning hours, then check every minute of the
      // local wall-clock window around each one against the oracle.
      const start = Date.UTC(2025, 0, 1);
      const offsetAt = (t: number) => Date.parse(`${toIso(wallClock(t, timeZone))}Z`) - t;
      const transitions: number[] = [];
      for (let t = start; t < Date.UTC(2026, 0, 1); t += HOUR) {
        if (offsetAt(t) !== offsetAt(t + HOUR)) transitions.push(t);
      }
      for (const transition of transitions) {
        const before = offsetAt(transition);
        const after = offsetAt(transition + HOUR);
        const wallStart = transition + Math.min(before, after) - 2 * HOUR;
        for (let wall = wallStart; wall < wallStart + 5 * HOUR; wall += MINUTE) {
          const text = compact(new Date(wall).toISOString());
          const candidates = [wall - before, wall - after].filter(
            (t) => wallClock(t, timeZone) === text,
          );
          const expected = candidates.length > 0 ? Math.min(...candidates) : wall - before;
          expect(parseTimestamp(text, { timeZone }).getTime(), `${timeZone} ${text}`).toBe(
            expected,
          );
        }
      }
      if (timeZone !== 'Asia/Kolkata' && timeZone !== 'Asia/Tokyo') {
        expect(transitions.length).toBe(2);
      }
    },
  );
});

function toIso(compactText: string): string {
  const c = compactText;
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(8, 10)}:${c.slice(10, 12)}:${c.slice(12, 14)}`;
}

function compact(iso: string): string {
  return iso.slice(0, 19).replace(/[-T:]/g, '');
}

describe('formatSentAt', () => {
  it('writes 14 digits in the zone', () => {
    const date = new Date('2025-07-15T06:36:33.999Z');
    expect(formatSentAt(date)).toBe('20250715063633');
    expect(formatSentAt(date, { timeZone: 'Europe/Madrid' })).toBe('20250715083633');
    expect(formatSentAt(date, { timeZone: 'Asia/Kolkata' })).toBe('20250715120633');
    expect(formatSentAt(new Date('0042-03-04T05:06:07Z'))).toBe('00420304050607');
  });

  it('rejects invalid dates and years it cannot write', () => {
    expect(() => formatSentAt(new Date(Number.NaN))).toThrow(InvalidTimestampError);
    expect(() => formatSentAt('2025' as unknown as Date)).toThrow(InvalidTimestampError);
    expect(() => formatSentAt(new Date('+010000-01-01T00:00:00Z'))).toThrow(/Year 10000/);
    // The last instant a Date holds, moved past it by a zone ahead of UTC.
    expect(() => formatSentAt(new Date(8.64e15), { timeZone: 'Asia/Tokyo' })).toThrow(
      /Year out of range cannot be written/,
    );
    expect(() => formatSentAt(new Date('-000001-01-01T00:00:00Z'))).toThrow(InvalidTimestampError);
  });

  it.each(ZONES)('round-trips every hour of 2024 and 2025 in %s', (timeZone) => {
    const start = Date.UTC(2024, 0, 1);
    const end = Date.UTC(2026, 0, 1);
    let repeated = 0;
    for (let t = start; t < end; t += HOUR) {
      const text = formatSentAt(new Date(t), { timeZone });
      expect(text).toBe(wallClock(t, timeZone));
      const back = parseTimestamp(text, { timeZone }).getTime();
      if (back === t) continue;
      // Only the second occurrence of a repeated hour reads back as the earlier instant.
      expect(back).toBeLessThan(t);
      expect(formatSentAt(new Date(back), { timeZone })).toBe(text);
      repeated++;
    }
    const hasDst = !['UTC', 'Asia/Kolkata', 'Asia/Tokyo'].includes(timeZone);
    // Two years, one fall-back each: one repeated hour (New York, Madrid, Santiago) or, for
    // the 30-minute shift of Lord Howe, one repeated half hour that whole hours can land in.
    if (hasDst) expect(repeated).toBeGreaterThanOrEqual(1);
    else expect(repeated).toBe(0);
  });

  it('round-trips arbitrary instants at second precision', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom(...ZONES),
        (date, timeZone) => {
          const seconds = Math.floor(date.getTime() / 1000) * 1000;
          const text = formatSentAt(date, { timeZone });
          const back = parseTimestamp(text, { timeZone }).getTime();
          expect(formatSentAt(new Date(back), { timeZone })).toBe(text);
          expect(back).toBeLessThanOrEqual(seconds);
          expect(seconds - back).toBeLessThanOrEqual(HOUR);
        },
      ),
      { numRuns: 2000, seed: SEED },
    );
  });
});

describe('independence from the host time zone', () => {
  it('gives the same instants and texts whatever TZ the process runs in', () => {
    // Bundle the source for a child process, so that the host zone can be set before start.
    const program = buildSync({
      stdin: {
        contents: `
          import { parseTimestamp, formatSentAt } from './src/index.ts';
          const out = [];
          for (const tz of ['UTC', 'Europe/Madrid', 'Australia/Lord_Howe']) {
            for (const text of ['20250330023000', '20251026023000', '20251005021500', '20250715083633']) {
              const date = parseTimestamp(text, { timeZone: tz });
              out.push(date.toISOString(), formatSentAt(date, { timeZone: tz }));
            }
            out.push(parseTimestamp('2021-07-20T08:08:21.132394', { timeZone: tz }).toISOString());
          }
          process.stdout.write(JSON.stringify(out));
        `,
        resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'node',
      write: false,
    }).outputFiles[0]?.text;
    const results = ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/Madrid'].map((tz) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', program ?? ''], {
        env: { ...process.env, TZ: tz },
      }).toString(),
    );
    expect(new Set(results).size).toBe(1);
    expect(JSON.parse(results[0] ?? '[]')).toContain('2025-03-30T01:30:00.000Z');
  });
});
