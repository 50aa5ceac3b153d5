import { excerpt, InvalidOptionsError } from '../errors.js';
import { DAY, HOUR, utcMillis } from './calendar.js';

const MAX_ZONES = 64;
const MAX_CACHED_HOURS = 8_760;
const formatters = new Map<string, Intl.DateTimeFormat>();
const hourOffsets = new Map<string, Map<number, number>>();

/**
 * Whether `timeZone` is UTC, which needs no formatter; `undefined` stands for it.
 *
 * @internal
 */
export function isUtc(timeZone: string | undefined): timeZone is 'UTC' | 'Etc/UTC' | undefined {
  return timeZone === undefined || timeZone === 'UTC' || timeZone === 'Etc/UTC';
}

/** A cached formatter for `timeZone`; throws {@link InvalidOptionsError} for an unknown zone. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter) return formatter;
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
    throw new InvalidOptionsError(`Unknown time zone ${excerpt(timeZone)}`, { cause });
  }
  if (formatters.size >= MAX_ZONES) formatters.clear();
  formatters.set(timeZone, formatter);
  return formatter;
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
    formatterFor(timeZone);
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
  return isUtc(timeZone) ? 0 : offsetOf(formatterFor(timeZone), epoch);
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
  let cache = hourOffsets.get(timeZone);
  if (!cache) {
    cache = new Map();
    hourOffsets.set(timeZone, cache);
  }
  const hourStart = Math.floor(wall / HOUR) * HOUR;
  const cached = cache.get(hourStart);
  if (cached !== undefined) return cached;
  const formatter = formatterFor(timeZone);
  const { offset, unique } = resolveOffset(formatter, wall);
  if (unique) {
    const first = resolveOffset(formatter, hourStart);
    const last = resolveOffset(formatter, hourStart + HOUR - 1);
    if (first.unique && last.unique && first.offset === offset && last.offset === offset) {
      if (cache.size >= MAX_CACHED_HOURS) cache.clear();
      cache.set(hourStart, offset);
    }
  }
  return offset;
}
