import { excerpt, InvalidOptionsError, InvalidTimestampError } from '../errors.js';

/** Options of the functions that read or write the provider's zone-less timestamps. */
export interface TimeZoneOptions {
  /**
   * IANA time zone in which the provider's zone-less timestamps are read, such as
   * `'Europe/Madrid'`. An explicit offset or `Z` in a timestamp wins over it.
   *
   * @default 'UTC'
   */
  timeZone?: string | undefined;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_LENGTH = 40;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The number written by the `length` ASCII digits of `text` from `start`, or -1. */
function digitsAt(text: string, start: number, length = 2): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * Milliseconds since the epoch of a wall-clock time read as if it were UTC. Days are counted in
 * integer arithmetic (Howard Hinnant's `days_from_civil`): several times faster than
 * `Date.UTC`, and without its mapping of years 0-99 to 1900-1999.
 */
function wallClock(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond = 0,
): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146_097 + dayOfEra - 719_468;
  return days * DAY + hour * HOUR + minute * MINUTE + second * 1000 + millisecond;
}

/**
 * The instant of a timestamp's fields, or what is wrong with them: a wall-clock time in
 * `timeZone` unless the timestamp carries an `offset` (minutes east of UTC).
 */
function instantOf(
  timeZone: string | undefined,
  offset: number | undefined,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond = 0,
): number | string {
  if (month < 1 || month > 12) return `has month ${month}`;
  if (day < 1 || day > daysInMonth(year, month)) {
    return `has day ${day}, which month ${month} of ${year} does not have`;
  }
  if (hour > 23) return `has hour ${hour}`;
  if (minute > 59) return `has minute ${minute}`;
  if (second > 59) return `has second ${second}`;
  const wall = wallClock(year, month, day, hour, minute, second, millisecond);
  if (offset !== undefined) return wall - offset * MINUTE;
  return isUtc(timeZone) ? wall : wall - zoneOffset(timeZone, wall);
}

/** The instant of a trimmed timestamp (see {@link readTimestamp}), or what is wrong with it. */
function readInstant(text: string, timeZone: string | undefined): number | string {
  // The provider's two digit forms, `YYYYMMDDHHmmss` and `YYYYMMDD HH:mm:ss`, are most
  // timestamps, read on every notification: they are read without a regular expression.
  let time = 0;
  if (text.length === 14) time = 8;
  else if (
    text.length === 17 &&
    text.charCodeAt(8) === 32 &&
    text.charCodeAt(11) === 58 &&
    text.charCodeAt(14) === 58
  ) {
    time = 9;
  }
  if (time > 0) {
    const step = time - 6;
    const year = digitsAt(text, 0, 4);
    const month = digitsAt(text, 4);
    const day = digitsAt(text, 6);
    const hour = digitsAt(text, time);
    const minute = digitsAt(text, time + step);
    const second = digitsAt(text, time + 2 * step);
    if ((year | month | day | hour | minute | second) >= 0) {
      return instantOf(timeZone, undefined, year, month, day, hour, minute, second);
    }
  }
  const iso = ISO.exec(text);
  if (!iso) return 'is not YYYYMMDDHHmmss, YYYYMMDD HH:mm:ss or ISO-8601 with a time';
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second = 0,
    fraction = '',
    zulu,
    sign,
    hours = 0,
    minutes = 0,
  ] = iso;
  if (+hours > 23 || +minutes > 59) return 'has an impossible offset';
  let offset: number | undefined;
  if (zulu) offset = 0;
  else if (sign) offset = (sign === '-' ? -1 : 1) * (+hours * 60 + +minutes);
  return instantOf(
    timeZone,
    offset,
    +year!,
    +month!,
    +day!,
    +hour!,
    +minute!,
    +second,
    // The fraction, truncated to the millisecond.
    +`${fraction}00`.slice(0, 3),
  );
}

/**
 * Reads a timestamp in one of the accepted forms, checking that it names a real calendar
 * time, as milliseconds since the epoch: one without an offset is read in `timeZone`.
 * Returns a message saying what is wrong for an invalid one; throws only for an unknown zone.
 *
 * @internal
 */
export function readTimestamp(value: string, timeZone?: string): number | string {
  const time = readInstant(value.length <= MAX_LENGTH ? value.trim() : '', timeZone);
  return typeof time === 'string' ? `Timestamp ${excerpt(value)} ${time}` : time;
}

/**
 * {@link readTimestamp} as a `Date`, throwing {@link InvalidTimestampError} for an invalid
 * timestamp.
 *
 * @internal
 */
export function timestampToDate(value: string, timeZone: string | undefined): Date {
  const time = readTimestamp(value, timeZone);
  if (typeof time === 'string') throw new InvalidTimestampError(time);
  return new Date(time);
}

const MAX_ZONES = 64;
const MAX_CACHED_HOURS = 8_760;
const formatters = new Map<string, Intl.DateTimeFormat>();
const hourOffsets = new Map<string, Map<number, number>>();

/** Whether `timeZone` is UTC, which needs no formatter; `undefined` stands for it. */
function isUtc(timeZone: string | undefined): timeZone is 'UTC' | 'Etc/UTC' | undefined {
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

/** Offset of `timeZone` from UTC at instant `epoch`, in milliseconds. */
function offsetAt(formatter: Intl.DateTimeFormat, epoch: number): number {
  const whole = Math.floor(epoch / 1000) * 1000;
  const parts: Record<string, string> = {};
  for (const { type, value } of formatter.formatToParts(whole)) parts[type] = value;
  const year = +parts.year!;
  const local = wallClock(
    parts.era?.startsWith('B') ? 1 - year : year,
    +parts.month!,
    +parts.day!,
    +parts.hour!,
    +parts.minute!,
    +parts.second!,
  );
  return local - whole;
}

/**
 * The offset to subtract from a wall-clock time in `formatter`'s zone, with Temporal's
 * `'compatible'` disambiguation, and whether that offset holds for the whole local hour.
 */
function resolveOffset(formatter: Intl.DateTimeFormat, wall: number): [number, boolean] {
  const before = offsetAt(formatter, wall - DAY);
  const after = offsetAt(formatter, wall + DAY);
  const earlierOk = offsetAt(formatter, wall - before) === before;
  const laterOk = before === after ? earlierOk : offsetAt(formatter, wall - after) === after;
  if (earlierOk && laterOk) {
    // Either no transition nearby, or a repeated time: the earlier instant has the larger offset.
    return [Math.max(before, after), before === after];
  }
  if (earlierOk) return [before, true];
  if (laterOk) return [after, true];
  // A time in a gap is moved forward by the gap's length: read it with the offset before.
  return [before, false];
}

function zoneOffset(timeZone: string, wall: number): number {
  let cache = hourOffsets.get(timeZone);
  if (!cache) {
    cache = new Map();
    hourOffsets.set(timeZone, cache);
  }
  const hourStart = Math.floor(wall / HOUR) * HOUR;
  const cached = cache.get(hourStart);
  if (cached !== undefined) return cached;
  const formatter = formatterFor(timeZone);
  const [offset, unique] = resolveOffset(formatter, wall);
  if (unique) {
    const [first, firstUnique] = resolveOffset(formatter, hourStart);
    const [last, lastUnique] = resolveOffset(formatter, hourStart + HOUR - 1);
    if (firstUnique && lastUnique && first === offset && last === offset) {
      if (cache.size >= MAX_CACHED_HOURS) cache.clear();
      cache.set(hourStart, offset);
    }
  }
  return offset;
}

/**
 * Reads one of the provider's timestamps as an instant.
 *
 * Accepts `YYYYMMDDHHmmss` (`sent_at`), `YYYYMMDD HH:mm:ss` (certificate validity) and
 * ISO-8601 with or without a fraction and an offset (legacy `date`). A timestamp without an
 * offset is read in `options.timeZone`; one that does not exist there (a DST gap) moves
 * forward by the gap's length and one that occurs twice takes the earlier instant, like
 * Temporal's `'compatible'` disambiguation.
 *
 * @throws {InvalidTimestampError} for an unreadable or impossible timestamp (month 13,
 * 30 February, hour 24).
 * @throws {InvalidOptionsError} for an unknown time zone.
 * @example
 * ```ts
 * parseTimestamp('20250715083633', { timeZone: 'Europe/Madrid' }) // 2025-07-15T06:36:33.000Z
 * ```
 */
export function parseTimestamp(value: string, options?: TimeZoneOptions): Date {
  const timeZone = assertTimeZone(options?.timeZone);
  if (typeof value !== 'string') {
    throw new InvalidTimestampError(`Timestamp must be a string, received ${typeof value}`);
  }
  return timestampToDate(value, timeZone);
}

/**
 * Writes an instant as the provider's 14-digit `sent_at` (`YYYYMMDDHHmmss`) in
 * `options.timeZone`, the inverse of {@link parseTimestamp} for that form. Milliseconds are
 * dropped.
 *
 * @throws {InvalidTimestampError} for an invalid `Date` or a year outside 0-9999.
 * @throws {InvalidOptionsError} for an unknown time zone.
 * @example
 * ```ts
 * formatSentAt(new Date('2025-07-15T06:36:33Z'), { timeZone: 'Europe/Madrid' }) // '20250715083633'
 * ```
 */
export function formatSentAt(date: Date, options?: TimeZoneOptions): string {
  const timeZone = assertTimeZone(options?.timeZone);
  const epoch = date instanceof Date ? date.getTime() : NaN;
  if (Number.isNaN(epoch)) throw new InvalidTimestampError('formatSentAt needs a valid Date');
  const local = new Date(isUtc(timeZone) ? epoch : epoch + offsetAt(formatterFor(timeZone), epoch));
  const year = local.getUTCFullYear();
  // Written negatively so that an instant the zone's offset moves out of the Date range
  // (its year is NaN) is refused too.
  if (!(year >= 0 && year <= 9999)) {
    const which = Number.isNaN(year) ? 'out of range' : year;
    throw new InvalidTimestampError(`Year ${which} cannot be written as YYYYMMDDHHmmss`);
  }
  // A year of 0-9999 has four digits in ISO-8601: its digits up to the second are the text.
  return local.toISOString().slice(0, 19).replace(/\D/g, '');
}
