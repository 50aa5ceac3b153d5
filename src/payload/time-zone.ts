import { InvalidOptionsError } from '../errors.js';
import { DAY, HOUR, utcMillis } from './calendar.js';
import { unknownTimeZoneMessage } from './time-zone-hint.js';

const MAX_ZONES = 64;
const MAX_CACHED_HOURS = 8_760;

/** What is kept of a time zone: its formatter, and the offset of each local hour read. */
interface Zone {
  readonly formatter: Intl.DateTimeFormat;
  /** Offsets of the local hours without a transition, by the hour's start (wall clock). */
  readonly hours: Map<number, number>;
}

const zones = new Map<string, Zone>();

/**
 * Whether `timeZone` is UTC, which needs no formatter; `undefined` stands for it.
 *
 * @internal
 */
export function isUtc(timeZone: string | undefined): timeZone is 'UTC' | 'Etc/UTC' | undefined {
  return timeZone === undefined || timeZone === 'UTC' || timeZone === 'Etc/UTC';
}

/**
 * The cached zone named `timeZone`; throws {@link InvalidOptionsError} for an unknown one, with
 * the zones it probably meant.
 */
function zoneFor(timeZone: string): Zone {
  const cached = zones.get(timeZone);
  if (cached) return cached;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  } catch (cause) {
    // The suggestions are looked for only here, once the zone is known to be wrong.
    throw new InvalidOptionsError(unknownTimeZoneMessage(timeZone), { cause });
  }
  if (zones.size >= MAX_ZONES) zones.clear();
  const zone = { formatter, hours: new Map<number, number>() };
  zones.set(timeZone, zone);
  return zone;
}

/**
 * Throws {@link InvalidOptionsError} unless `timeZone` is a time zone this runtime knows.
 * Returns it.
 *
 * @internal
 */
export function assertTimeZone(timeZone: string | undefined): string | undefined {
  if (!isUtc(timeZone)) {
    if (typeof timeZone !== 'string') {
      throw new InvalidOptionsError(
        'timeZone must be an IANA time zone name such as "Europe/Madrid"',
      );
    }
    zoneFor(timeZone);
  }
  return timeZone;
}

/** Offset from UTC of `formatter`'s zone at the instant `epoch`, in milliseconds. */
function offsetOf(formatter: Intl.DateTimeFormat, epoch: number): number {
  const whole = Math.floor(epoch / 1000) * 1000;
  const parts: Record<string, string> = {};
  for (const { type, value } of formatter.formatToParts(whole)) parts[type] = value;
  const year = +parts.year!;
  const local = utcMillis({
    year: parts.era?.startsWith('B') ? 1 - year : year,
    month: +parts.month!,
    day: +parts.day!,
    hour: +parts.hour!,
    minute: +parts.minute!,
    second: +parts.second!,
    millisecond: 0,
  });
  return local - whole;
}

/**
 * Offset from UTC of `timeZone` at the instant `epoch`, in milliseconds; throws
 * {@link InvalidOptionsError} for an unknown zone.
 *
 * @internal
 */
export function offsetAt(timeZone: string | undefined, epoch: number): number {
  return isUtc(timeZone) ? 0 : offsetOf(zoneFor(timeZone).formatter, epoch);
}

/** The offset a wall-clock time is read with, and whether it holds for the whole local hour. */
interface ResolvedOffset {
  readonly offset: number;
  readonly unique: boolean;
}

/**
 * The offset to subtract from a wall-clock time in `formatter`'s zone, with Temporal's
 * `'compatible'` disambiguation.
 */
function resolveOffset(formatter: Intl.DateTimeFormat, wall: number): ResolvedOffset {
  const before = offsetOf(formatter, wall - DAY);
  const after = offsetOf(formatter, wall + DAY);
  const earlierOk = offsetOf(formatter, wall - before) === before;
  const laterOk = before === after ? earlierOk : offsetOf(formatter, wall - after) === after;
  if (earlierOk && laterOk) {
    // Either no transition nearby, or a repeated time: the earlier instant has the larger offset.
    return { offset: Math.max(before, after), unique: before === after };
  }
  // A time in a gap, which neither offset fits, is moved forward by the gap's length: it is
  // read with the offset before.
  return { offset: laterOk ? after : before, unique: earlierOk || laterOk };
}

/**
 * The offset, in milliseconds, to subtract from a wall-clock time in `timeZone` (milliseconds
 * since the epoch as if it were UTC) to get its instant: a time in a DST gap moves forward by
 * the gap's length, a repeated time takes the earlier instant, like Temporal's `'compatible'`
 * disambiguation. Cached per local hour without a transition; throws
 * {@link InvalidOptionsError} for an unknown zone.
 *
 * @internal
 */
export function wallClockOffset(timeZone: string | undefined, wall: number): number {
  if (isUtc(timeZone)) return 0;
  const { formatter, hours } = zoneFor(timeZone);
  const hourStart = Math.floor(wall / HOUR) * HOUR;
  const cached = hours.get(hourStart);
  if (cached !== undefined) return cached;
  const { offset, unique } = resolveOffset(formatter, wall);
  if (unique) {
    const first = resolveOffset(formatter, hourStart);
    const last = resolveOffset(formatter, hourStart + HOUR - 1);
    if (first.unique && last.unique && first.offset === offset && last.offset === offset) {
      if (hours.size >= MAX_CACHED_HOURS) hours.clear();
      hours.set(hourStart, offset);
    }
  }
  return offset;
}
