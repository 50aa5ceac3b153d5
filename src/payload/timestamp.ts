import { excerpt, InvalidTimestampError } from '../errors.js';
import { type CalendarTime, calendarProblem, MINUTE, utcMillis } from './calendar.js';
import { assertTimeZone, offsetAt, wallClockOffset } from './time-zone.js';

export { assertTimeZone } from './time-zone.js';

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

const MAX_LENGTH = 40;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** A timestamp's fields as written: a calendar time, and an offset when the text has one. */
interface TimestampFields extends CalendarTime {
  readonly ok: true;
  /** Minutes east of UTC, or `undefined` for a time to read in the chosen zone. */
  readonly offset: number | undefined;
}

/** A timestamp's text read into its fields, or what is wrong with its form. */
type TimestampText = TimestampFields | { readonly ok: false; readonly reason: string };

/**
 * The instant of a timestamp, in milliseconds since the epoch, or what is wrong with it.
 *
 * @internal
 */
export type TimestampResult =
  | { readonly ok: true; readonly time: number }
  | { readonly ok: false; readonly reason: string };

/** The number written by the two ASCII digits of `text` at `start`, or -1. */
function twoDigitsAt(text: string, start: number): number {
  const tens = text.charCodeAt(start) - 48;
  const units = text.charCodeAt(start + 1) - 48;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : -1;
}

/**
 * The fields of the provider's two digit forms, `YYYYMMDDHHmmss` and `YYYYMMDD HH:mm:ss`, or
 * `undefined` for another text. They are most timestamps, read on every notification: they
 * are read without a regular expression.
 */
function readDigitForm(text: string): TimestampFields | undefined {
  let time: number;
  if (text.length === 14) time = 8;
  else if (
    text.length === 17 &&
    text.charCodeAt(8) === 32 &&
    text.charCodeAt(11) === 58 &&
    text.charCodeAt(14) === 58
  ) {
    time = 9;
  } else {
    return undefined;
  }
  const step = time - 6;
  const century = twoDigitsAt(text, 0);
  const yearOfCentury = twoDigitsAt(text, 2);
  const month = twoDigitsAt(text, 4);
  const day = twoDigitsAt(text, 6);
  const hour = twoDigitsAt(text, time);
  const minute = twoDigitsAt(text, time + step);
  const second = twoDigitsAt(text, time + 2 * step);
  if ((century | yearOfCentury | month | day | hour | minute | second) < 0) return undefined;
  const year = century * 100 + yearOfCentury;
  return { ok: true, year, month, day, hour, minute, second, millisecond: 0, offset: undefined };
}

/** The fields of an ISO-8601 text, or what is wrong with it. */
function readIsoForm(text: string): TimestampText {
  const iso = ISO.exec(text);
  if (!iso) {
    return {
      ok: false,
      reason: 'is not YYYYMMDDHHmmss, YYYYMMDD HH:mm:ss or ISO-8601 with a time',
    };
  }
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
  if (+hours > 23 || +minutes > 59) return { ok: false, reason: 'has an impossible offset' };
  let offset: number | undefined;
  if (zulu) offset = 0;
  else if (sign) offset = (sign === '-' ? -1 : 1) * (+hours * 60 + +minutes);
  return {
    ok: true,
    year: +year!,
    month: +month!,
    day: +day!,
    hour: +hour!,
    minute: +minute!,
    second: +second,
    // The fraction, truncated to the millisecond.
    millisecond: +`${fraction}00`.slice(0, 3),
    offset,
  };
}

/** The fields of a timestamp's text once trimmed (a long text is refused unread). */
function readTrimmed(value: string): TimestampText {
  const text = value.length <= MAX_LENGTH ? value.trim() : '';
  return readDigitForm(text) ?? readIsoForm(text);
}

function invalid(value: string, problem: string): TimestampResult {
  return { ok: false, reason: `Timestamp ${excerpt(value)} ${problem}` };
}

/**
 * Reads a timestamp in one of the accepted forms, checking that it names a real calendar
 * time: one without an offset is read in `timeZone`. Throws only for an unknown zone.
 *
 * @internal
 */
export function readTimestamp(value: string, timeZone?: string): TimestampResult {
  // The digit forms are nearly all timestamps, and seldom padded: they are tried untrimmed first.
  const fields = readDigitForm(value) ?? readTrimmed(value);
  if (!fields.ok) return invalid(value, fields.reason);
  const problem = calendarProblem(fields);
  if (problem !== undefined) return invalid(value, problem);
  const wall = utcMillis(fields);
  const offset =
    fields.offset === undefined ? wallClockOffset(timeZone, wall) : fields.offset * MINUTE;
  return { ok: true, time: wall - offset };
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
  const result = readTimestamp(value, timeZone);
  if (!result.ok) throw new InvalidTimestampError(result.reason);
  return new Date(result.time);
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
  const local = new Date(epoch + offsetAt(timeZone, epoch));
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
