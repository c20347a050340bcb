import { describe, expect, it } from 'vitest';
import {
  addDays,
  loanCutoffDay,
  loanPastHistory,
  retentionRunId,
  returnedBeforeBound,
  segmentsFor,
} from '../../functions/domain/retention.ts';
import { recordDayOf as dayOf } from '../../functions/domain/age.ts';

const TZ = 'America/New_York';

describe('loan-history retention (R16), the pure half', () => {
  it('R16: the cutoff is loanHistoryDays before the run’s library day', () => {
    // 03:00 UTC on Nov 28 is still Nov 27 in New York.
    expect(loanCutoffDay(new Date('2026-11-28T03:00:00Z'), TZ, 365)).toBe('2025-11-27');
    expect(loanCutoffDay(new Date('2026-11-28T15:00:00Z'), TZ, 365)).toBe('2025-11-28');
    expect(loanCutoffDay(new Date('2024-03-01T15:00:00Z'), TZ, 1)).toBe('2024-02-29');
  });

  it('R16: a loan returned before the cutoff day is past its history; on the day, open or unreadable, it is kept', () => {
    expect(loanPastHistory('2025-11-27', '2025-11-28')).toBe(true);
    expect(loanPastHistory('2025-11-28', '2025-11-28')).toBe(false);
    expect(loanPastHistory(undefined, '2025-11-28')).toBe(false);
    expect(loanPastHistory(dayOf(null, TZ), '2025-11-28')).toBe(false);
    expect(loanPastHistory(dayOf('not a date', TZ), '2025-11-28')).toBe(false);
  });

  it('R16: the table filter’s text bound lets through every return whose library day is before the cutoff, whatever its offset', () => {
    const cutoff = '2025-11-28';
    const bound = returnedBeforeBound(cutoff);
    for (const returnedAt of [
      '2025-11-27T23:59:59-12:00',
      '2025-11-29T09:30:00+14:00',
      '2025-11-27T23:00:00Z',
      '2025-11-27',
      '2025-11-28T04:59:00Z',
    ]) {
      const day = dayOf(returnedAt, TZ);
      if (loanPastHistory(day, cutoff)) expect(returnedAt < bound, returnedAt).toBe(true);
    }
    // Written on Nov 28 in Kiribati, it is Nov 27 in New York: past, and under the bound.
    expect(loanPastHistory(dayOf('2025-11-28T10:00:00+14:00', TZ), cutoff)).toBe(true);
    expect('2025-11-28T10:00:00+14:00' < bound).toBe(true);
  });

  it('R16: segments are 0..n-1, bounded', () => {
    expect(segmentsFor(4)).toEqual([{ segment: 0 }, { segment: 1 }, { segment: 2 }, { segment: 3 }]);
    expect(segmentsFor(0)).toHaveLength(1);
    expect(segmentsFor(1000)).toHaveLength(64);
  });

  it('R16: one run per library day', () => {
    expect(retentionRunId(new Date('2026-11-28T03:00:00Z'), TZ)).toBe('2026-11-27');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});
