/** Milliseconds in a minute. */
export const MINUTE = 60_000;
/** Milliseconds in an hour. */
export const HOUR = 3_600_000;
/** Milliseconds in a day. */
export const DAY = 86_400_000;

/** A date and a wall-clock time of the proleptic Gregorian calendar, in no zone. */
export interface CalendarTime {
  /** The year; 0 is 1 BC. */
  readonly year: number;
  /** 1 to 12. */
  readonly month: number;
  /** 1 to the days of the month. */
  readonly day: number;
  /** 0 to 23. */
  readonly hour: number;
  /** 0 to 59. */
  readonly minute: number;
  /** 0 to 59. */
  readonly second: number;
  /** 0 to 999. */
  readonly millisecond: number;
}

/** The days of `month` (1-12) in `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * What makes `time` impossible, such as `'has month 13'`, or `undefined` when the calendar has
 * it. Its fields are assumed to be non-negative integers.
 */
export function calendarProblem(time: CalendarTime): string | undefined {
  const { year, month, day } = time;
  if (month < 1 || month > 12) return `has month ${month}`;
  if (day < 1 || day > daysInMonth(year, month)) {
    return `has day ${day}, which month ${month} of ${year} does not have`;
  }
  if (time.hour > 23) return `has hour ${time.hour}`;
  if (time.minute > 59) return `has minute ${time.minute}`;
  if (time.second > 59) return `has second ${time.second}`;
  return undefined;
}

/**
 * Milliseconds since the epoch of `time` read as a UTC time. Days are counted as in Howard
 * Hinnant's `days_from_civil`: several times faster than `Date.UTC`, and without its mapping
 * of years 0-99 to 1900-1999.
 */
export function utcMillis(time: CalendarTime): number {
  const { month } = time;
  // Years start in March, so that the leap day ends one. Within an era of 400 years every
  // number divided is non-negative: `| 0` floors it, in integer arithmetic.
  const year = month <= 2 ? time.year - 1 : time.year;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = (((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) | 0) + time.day - 1;
  const dayOfEra = yearOfEra * 365 + ((yearOfEra / 4) | 0) - ((yearOfEra / 100) | 0) + dayOfYear;
  const days = era * 146_097 + dayOfEra - 719_468;
  return (
    days * DAY + time.hour * HOUR + time.minute * MINUTE + time.second * 1000 + time.millisecond
  );
}
