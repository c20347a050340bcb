import { describe, expect, it } from 'vitest';
import { addYears, ageOn, isoDateIn, isMinor, parseIsoDate, recordDayOf } from '../../functions/domain/age.ts';
import { InvalidInputError } from '../../functions/domain/errors.ts';

const NY = 'America/New_York';
/** Noon in New York on a day (EST or EDT: noon is safely inside the day either way). */
const noonNY = (day: string) => new Date(`${day}T12:00:00-05:00`);

describe('ageOn: whole years on the library’s calendar day (R9, R10, R11)', () => {
  it('R9/R10: a child who turns 13 today is 13, and was 12 yesterday', () => {
    expect(ageOn('2013-06-15', noonNY('2026-06-15'), NY)).toBe(13);
    expect(ageOn('2013-06-15', noonNY('2026-06-14'), NY)).toBe(12);
  });

  it('R10/R11: 17 the day before the 18th birthday, 18 on it (a birthday today counts)', () => {
    expect(ageOn('2008-06-15', noonNY('2026-06-14'), NY)).toBe(17);
    expect(isMinor('2008-06-15', noonNY('2026-06-14'), NY)).toBe(true);
    expect(ageOn('2008-06-15', noonNY('2026-06-15'), NY)).toBe(18);
    expect(isMinor('2008-06-15', noonNY('2026-06-15'), NY)).toBe(false);
  });

  it('R11: 17 all year between birthdays', () => {
    expect(ageOn('2008-06-15', noonNY('2025-06-15'), NY)).toBe(17);
    expect(ageOn('2008-06-15', noonNY('2025-12-31'), NY)).toBe(17);
    expect(ageOn('2008-06-15', noonNY('2026-01-01'), NY)).toBe(17);
  });

  it('R11: a Feb 29 birthday turns a year older on Mar 1 in a non-leap year, on Feb 29 in a leap year', () => {
    expect(ageOn('2008-02-29', noonNY('2026-02-28'), NY)).toBe(17);
    expect(ageOn('2008-02-29', noonNY('2026-03-01'), NY)).toBe(18);
    expect(isMinor('2008-02-29', noonNY('2026-02-28'), NY)).toBe(true);
    expect(isMinor('2008-02-29', noonNY('2026-03-01'), NY)).toBe(false);
    expect(ageOn('2008-02-29', noonNY('2028-02-28'), NY)).toBe(19);
    expect(ageOn('2008-02-29', noonNY('2028-02-29'), NY)).toBe(20);
  });

  it('R11: 11 pm in New York the day before the 18th birthday is still 17, though in UTC it is already the birthday', () => {
    const at = new Date('2026-06-15T03:00:00Z'); // 2026-06-14 23:00 EDT
    expect(isoDateIn(at, 'UTC')).toBe('2026-06-15');
    expect(isoDateIn(at, NY)).toBe('2026-06-14');
    expect(ageOn('2008-06-15', at, NY)).toBe(17);
    expect(isMinor('2008-06-15', at, NY)).toBe(true);
    expect(ageOn('2008-06-15', at, 'UTC')).toBe(18);
    // One hour later it is the birthday in New York too.
    expect(ageOn('2008-06-15', new Date('2026-06-15T04:00:00Z'), NY)).toBe(18);
  });

  it('R11: the adult age is configuration, not code', () => {
    expect(isMinor('2006-06-15', noonNY('2026-06-15'), NY, 21)).toBe(true);
    expect(isMinor('2006-06-15', noonNY('2026-06-15'), NY)).toBe(false);
  });

  it('refuses an impossible date of birth, one after the day, or an unknown time zone, without echoing the value (R5)', () => {
    for (const bad of ['2023-02-29', '2024-13-01', '2024-04-31', '15/06/2008', '']) {
      expect(() => ageOn(bad, noonNY('2026-06-15'), NY)).toThrow(InvalidInputError);
    }
    expect(() => ageOn('2027-01-01', noonNY('2026-06-15'), NY)).toThrow(/after the day/);
    expect(() => ageOn('2008-06-15', noonNY('2026-06-15'), 'Mars/Olympus_Mons')).toThrow(InvalidInputError);
    try {
      ageOn('1999-02-30', noonNY('2026-06-15'), NY);
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('1999');
    }
  });

  it('addYears follows the same Feb 29 rule (used for retention periods)', () => {
    expect(addYears(parseIsoDate('2024-02-29'), 1)).toEqual({ year: 2025, month: 3, day: 1 });
    expect(addYears(parseIsoDate('2024-02-29'), 4)).toEqual({ year: 2028, month: 2, day: 29 });
    expect(addYears(parseIsoDate('2026-04-22'), 7)).toEqual({ year: 2033, month: 4, day: 22 });
  });
});

describe('recordDayOf: the library day of a record’s instant (R8, R16)', () => {
  /** Every `stepMinutes` from the start of the UTC day before `day` to the end of the UTC day after it. */
  const around = (day: string, stepMinutes: number): number[] => {
    const from = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
    return Array.from({ length: (3 * 24 * 60) / stepMinutes }, (_, i) => from + i * stepMinutes * 60_000);
  };

  it('R8/R16: an instant is on the day the library’s clock shows, every quarter hour across each clock change', () => {
    const changes: [string, string][] = [
      [NY, '2026-03-08'], // EST to EDT at 02:00
      [NY, '2026-11-01'], // EDT to EST at 02:00: 01:00-02:00 happens twice
      ['Australia/Lord_Howe', '2026-04-05'], // a half-hour change
      ['Pacific/Apia', '2011-12-30'], // Samoa skipped this whole day
      ['America/Havana', '2026-03-08'], // the change at midnight: no 00:00-01:00 that day
      ['Asia/Kathmandu', '2026-06-15'], // +05:45 all year
    ];
    const wrong: string[] = [];
    for (const [zone, day] of changes) {
      for (const t of around(day, 15)) {
        const at = new Date(t);
        const expected = isoDateIn(at, zone);
        // Stored as UTC, and as the zone's own wall clock with its offset: the same instant.
        const local = `${expected}T${at.toLocaleTimeString('en-GB', { timeZone: zone, hourCycle: 'h23' })}${offsetOf(at, zone)}`;
        for (const stored of [at.toISOString(), local])
          if (recordDayOf(stored, zone) !== expected) wrong.push(`${zone} ${stored}: ${recordDayOf(stored, zone)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('R8/R16: an ISO day is that day; an unreadable value or a missing one is no day, never “past” a cutoff', () => {
    expect(recordDayOf('2026-10-07', NY)).toBe('2026-10-07');
    for (const bad of ['', 'not a date', '2026-13-45T00:00:00Z', 42, null, undefined]) {
      expect(recordDayOf(bad, NY)).toBeUndefined();
    }
    expect(() => recordDayOf('2026-10-07T12:00:00Z', 'Mars/Olympus_Mons')).toThrow(InvalidInputError);
  });
});

/** The zone's offset at `at` as ISO writes it (+05:45, -04:00). */
function offsetOf(at: Date, zone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-]\d{2}:\d{2})/.exec(name ?? '');
  return m?.[1] ?? 'Z';
}
