import { describe, expect, it } from 'vitest';
import { readableDate, readableMoment } from '../../functions/render/readable-time.ts';

describe('times in emails and pages, as people read them', () => {
  it('a link expiry is shown in the library’s time zone, naming the zone, never as a UTC instant', () => {
    expect(readableMoment('2026-12-01T15:43:27.755Z', 'America/New_York')).toBe(
      'Tuesday, December 1, 2026 at 10:43 AM EST',
    );
    expect(readableMoment('2026-07-01T15:05:00.000Z', 'America/New_York')).toBe(
      'Wednesday, July 1, 2026 at 11:05 AM EDT',
    );
  });

  it('the day can differ from the UTC day: 02:30 UTC is the evening before in New York', () => {
    expect(readableMoment('2026-12-02T02:30:00.000Z', 'America/New_York')).toMatch(
      /^Tuesday, December 1, 2026 at 9:30 PM EST$/,
    );
    expect(readableDate('2026-12-02T02:30:00.000Z', 'America/New_York')).toBe('Tuesday, December 1, 2026');
  });

  it('each zone keeps its own formatter: the same instant read in New York, then Los Angeles, then New York again', () => {
    const at = '2026-12-01T15:43:00.000Z';
    expect(readableMoment(at, 'America/New_York')).toBe('Tuesday, December 1, 2026 at 10:43 AM EST');
    expect(readableMoment(at, 'America/Los_Angeles')).toBe('Tuesday, December 1, 2026 at 7:43 AM PST');
    expect(readableDate('2026-12-02T06:30:00.000Z', 'America/Los_Angeles')).toBe('Tuesday, December 1, 2026');
    expect(readableDate('2026-12-02T06:30:00.000Z', 'America/New_York')).toBe('Wednesday, December 2, 2026');
    expect(readableMoment(at, 'America/New_York')).toBe('Tuesday, December 1, 2026 at 10:43 AM EST');
    // An unknown zone is refused every time, not remembered.
    expect(() => readableMoment(at, 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => readableMoment(at, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});
