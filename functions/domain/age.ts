import { InvalidInputError } from './errors.ts';
import { defaultPolicy } from './policy.ts';

/**
 * Ages and calendar days (R9, R10, R11, R8). Pure: the caller passes the instant and the library's
 * time zone, so "today" is the library's calendar day, not the server's and not UTC's.
 */

export interface CalendarDate {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number =>
  m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;

/** Parses a real calendar date `YYYY-MM-DD` (no 2023-02-29, no 2024-13-01); the message never echoes the value (R5). */
export function parseIsoDate(value: string, what = 'date'): CalendarDate {
  const m = ISO_DATE.exec(value);
  const [year, month, day] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  if (!m || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) {
    throw new InvalidInputError(`${what} is not a valid YYYY-MM-DD date`);
  }
  return { year, month, day };
}

export const formatIsoDate = (d: CalendarDate): string =>
  `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        calendar: 'gregory',
        numberingSystem: 'latn',
      });
    } catch {
      throw new InvalidInputError('unknown time zone');
    }
    formatters.set(timezone, f);
  }
  return f;
}

/** The calendar day that `at` falls on in `timezone` (an IANA name such as America/New_York). */
export function calendarDateIn(at: Date, timezone: string): CalendarDate {
  if (Number.isNaN(at.getTime())) throw new InvalidInputError('invalid instant');
  const parts = formatterFor(timezone).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/** `calendarDateIn` as `YYYY-MM-DD`. */
export const isoDateIn = (at: Date, timezone: string): string => formatIsoDate(calendarDateIn(at, timezone));

/**
 * The anniversary of `date` after `years` years. A Feb 29 date falls on Mar 1 in a year that has
 * no Feb 29, the same rule `ageOn` uses for birthdays (a leapling turns a year older on Mar 1).
 */
export function addYears(date: CalendarDate, years: number): CalendarDate {
  const year = date.year + years;
  if (date.month === 2 && date.day === 29 && !isLeapYear(year)) return { year, month: 3, day: 1 };
  return { year, month: date.month, day: date.day };
}

/** Compares two calendar days: negative if a is earlier, 0 if the same day, positive if later. */
export const compareDates = (a: CalendarDate, b: CalendarDate): number =>
  a.year - b.year || a.month - b.month || a.day - b.day;

/**
 * Whole years of age on the calendar day `at` falls on in `timezone` (R11: age is computed on the
 * day the request is made, from the date of birth on file). A birthday today counts; a Feb 29
 * birthday turns a year older on Mar 1 in a non-leap year. A date of birth after that day is an
 * error, not a negative age.
 */
export const ageOn = (dateOfBirth: string, at: Date, timezone: string): number =>
  ageOnDay(dateOfBirth, calendarDateIn(at, timezone));

/** `ageOn` for a calendar day already in library time (a plan's `asOf`, say). */
export function ageOnDay(dateOfBirth: string, day: CalendarDate | string): number {
  const born = parseIsoDate(dateOfBirth, 'date of birth');
  const today = typeof day === 'string' ? parseIsoDate(day, 'day') : day;
  if (compareDates(born, today) > 0) throw new InvalidInputError('date of birth is after the day of the request');
  let age = today.year - born.year;
  if (compareDates(addYears(born, age), today) > 0) age -= 1;
  return age;
}

/** R9-R11: under `adultAge` on the library's calendar day (R11: configuration, the policy's by default). */
export function isMinor(
  dateOfBirth: string,
  at: Date,
  timezone: string,
  adultAge: number = defaultPolicy.minors.adultAge,
): boolean {
  return ageOn(dateOfBirth, at, timezone) < adultAge;
}

// ---------------------------------------------------------------------------------------------
// The library-time day of many instants

const DAY_MS = 86_400_000;
/** Days remembered per time zone before the memory starts again: about 55 years of records. */
const MAX_REMEMBERED_DAYS = 20_000;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at `t` (epoch ms), in ms: its wall-clock time minus UTC. */
function utcOffsetAt(t: number, timezone: string): number {
  let f = offsetFormatters.get(timezone);
  if (!f) {
    formatterFor(timezone); // refuses an unknown zone as InvalidInputError
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
      era: 'short',
      calendar: 'gregory',
      numberingSystem: 'latn',
    });
    offsetFormatters.set(timezone, f);
  }
  const fields: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const p of f.formatToParts(t)) fields[p.type] = p.value;
  const year = Number(fields.year) * (fields.era === 'BC' ? -1 : 1) + (fields.era === 'BC' ? 1 : 0);
  const wall = new Date(0);
  wall.setUTCFullYear(year, Number(fields.month) - 1, Number(fields.day));
  wall.setUTCHours(Number(fields.hour), Number(fields.minute), Number(fields.second));
  return wall.getTime() - Math.floor(t / 1000) * 1000;
}

/**
 * Per time zone and UTC day (epoch ms / DAY_MS): the zone's offset if it is the same at the day's
 * first and last millisecond, null if it changes that day. A zone's offset changes a few times a
 * year at most, never twice within one day, so the same offset at both ends holds all day.
 */
const dayOffsets = new Map<string, Map<number, number | null>>();

function offsetAllDay(utcDay: number, timezone: string): number | null {
  let days = dayOffsets.get(timezone);
  if (!days) dayOffsets.set(timezone, (days = new Map()));
  let offset = days.get(utcDay);
  if (offset === undefined) {
    const first = utcOffsetAt(utcDay * DAY_MS, timezone);
    offset = first === utcOffsetAt(utcDay * DAY_MS + DAY_MS - 1, timezone) ? first : null;
    if (days.size >= MAX_REMEMBERED_DAYS) days.clear(); // memory stays bounded over any number of records
    days.set(utcDay, offset);
  }
  return offset;
}

/**
 * `isoDateIn` for an instant in epoch ms, for jobs that convert one instant per record (an
 * erasure's or a retention run's 100,000 records): the zone's offset is worked out once per UTC
 * day rather than asked of Intl for every record, and the day a zone changes its clocks takes
 * the exact way.
 */
function libraryDayOfInstant(t: number, timezone: string): string {
  const offset = offsetAllDay(Math.floor(t / DAY_MS), timezone);
  if (offset !== null) {
    const wall = new Date(t + offset);
    const year = wall.getUTCFullYear();
    if (year >= 1 && year <= 9999)
      return formatIsoDate({ year, month: wall.getUTCMonth() + 1, day: wall.getUTCDate() });
  }
  return isoDateIn(new Date(t), timezone);
}

/**
 * The library-time day of a record's date: an ISO day as it is, an ISO instant on the day it falls
 * on in `timezone`. Anything unreadable is undefined, so it is never "past" a cutoff (R8, R16).
 */
export function recordDayOf(value: unknown, timezone: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (ISO_DATE.test(value)) return value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : libraryDayOfInstant(t, timezone);
}
