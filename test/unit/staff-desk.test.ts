import { describe, expect, it } from 'vitest';
import {
  buildStats,
  daysLeft,
  dueLowerBound,
  effectiveDue,
  median,
  queueItem,
  statsRange,
  statsToCsv,
  suppress,
  type StatsRow,
  HIDDEN,
  protectBreakdown,
} from '../../functions/domain/staff-desk.ts';

const NOW = new Date('2026-11-20T15:00:00Z');
const TZ = 'America/New_York';
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const row = (o: Partial<StatsRow> & Pick<StatsRow, 'createdAt'>): StatsRow => ({
  kind: 'access',
  status: 'completed',
  dueAt: iso(Date.parse(o.createdAt) + 30 * DAY),
  ...o,
});

describe('R3 statistics', () => {
  it('every count under 5 is "<5", from 5 on the number', () => {
    expect([0, 1, 4, 5, 12].map(suppress)).toEqual(['<5', '<5', '<5', 5, 12]);
  });

  it('median of whole and half values, rounded to a tenth', () => {
    expect(median([])).toBeNull();
    expect(median([3])).toBe(3);
    expect(median([1, 2, 3, 10])).toBe(2.5);
    expect(median([0.04, 0.05, 0.06])).toBe(0.1);
  });

  it('counts requests received in the range by the library calendar, by kind, status and month; suppresses small counts and the median', () => {
    const rows: StatsRow[] = [
      // 5 completed access requests in October, taking 1..5 days.
      ...[1, 2, 3, 4, 5].map((d) =>
        row({ createdAt: '2026-10-05T12:00:00Z', closedAt: iso(Date.parse('2026-10-05T12:00:00Z') + d * DAY) }),
      ),
      // Received 23:30 in New York on 31 October: October locally, November in UTC.
      row({
        kind: 'deletion',
        status: 'in-progress',
        createdAt: '2026-11-01T03:30:00Z',
        dueAt: '2026-11-10T00:00:00Z',
      }),
      // Waiting on the requester: its clock is paused, so it is not overdue.
      row({
        kind: 'export',
        status: 'verifying',
        createdAt: '2026-10-01T12:00:00Z',
        dueAt: '2026-10-31T12:00:00Z',
        waitingSince: '2026-10-01T12:05:00Z',
        verified: false,
        verifyBy: '2026-12-01T00:00:00Z',
      }),
      // An unmatched request whose link time passed reads as expired, as the requester sees it.
      row({
        kind: 'access',
        status: 'verifying',
        createdAt: '2026-10-02T12:00:00Z',
        matched: false,
        verifyBy: '2026-10-05T12:00:00Z',
        verified: false,
      }),
      // Completed late.
      row({
        kind: 'correction',
        status: 'completed',
        createdAt: '2026-09-01T12:00:00Z',
        dueAt: '2026-10-01T12:00:00Z',
        closedAt: '2026-10-03T12:00:00Z',
      }),
      // Outside the range: counted nowhere.
      row({ createdAt: '2025-01-01T12:00:00Z' }),
    ];
    const s = buildStats(rows, { from: '2026-10-01', to: '2026-10-31' }, NOW, TZ);
    expect(s.total).toBe(8);
    expect(s.byKind).toMatchObject({ access: 6, deletion: '<5', export: '<5', correction: '<5', 'court-order': '<5' });
    expect(s.byStatus).toMatchObject({ completed: 5, 'in-progress': '<5', verifying: '<5', expired: '<5' });
    expect(s.byMonth).toEqual({ '2026-10': 8 });
    expect(s.completed).toBe(5);
    expect(s.medianDaysToComplete).toBe(3);
    expect(s.overdue).toBe('<5');
    expect(s.completedLate).toBe('<5');
    const text = JSON.stringify(s);
    expect(text).not.toMatch(/requestId|patron/);

    // R3: over three months, each month shows its own total; a figure with a month under 5 is hidden.
    const three = buildStats(rows, { from: '2026-09-01', to: '2026-11-30' }, NOW, TZ);
    expect(three.byMonth).toEqual({ '2026-09': '<5', '2026-10': 8, '2026-11': '<5' });
    expect(three).toMatchObject({ total: HIDDEN, completed: HIDDEN, medianDaysToComplete: null });
    expect(three.byKind.access).toBe(HIDDEN);

    const few = buildStats(rows.slice(0, 4), { from: '2026-10-01', to: '2026-10-31' }, NOW, TZ);
    expect(few.medianDaysToComplete).toBeNull();
    expect(few.total).toBe('<5');
  });

  it('R3 secondary suppression: one small count alone in a breakdown hides the next smallest, so no subtraction recovers it', () => {
    expect(
      protectBreakdown(
        new Map([
          ['a', 12],
          ['b', 7],
          ['c', 2],
        ]),
      ),
    ).toEqual({ a: 12, b: HIDDEN, c: '<5' });
    expect(
      protectBreakdown(
        new Map([
          ['a', 12],
          ['b', 3],
          ['c', 2],
        ]),
      ),
    ).toEqual({ a: 12, b: '<5', c: '<5' });
    expect(
      protectBreakdown(
        new Map([
          ['a', 12],
          ['b', 7],
        ]),
      ),
    ).toEqual({ a: 12, b: 7 });
    // R3: two counts of 4 beside a shown total: their sum, 8, could only be 4 + 4, so another is hidden.
    expect(
      protectBreakdown(
        new Map([
          ['a', 12],
          ['b', 7],
          ['c', 4],
          ['d', 4],
        ]),
      ),
    ).toEqual({ a: 12, b: HIDDEN, c: '<5', d: '<5' });
    // A sum of 7 could be 3 + 4 or 4 + 3: nothing more is hidden.
    expect(
      protectBreakdown(
        new Map([
          ['a', 12],
          ['b', 7],
          ['c', 3],
          ['d', 4],
        ]),
      ),
    ).toEqual({ a: 12, b: 7, c: '<5', d: '<5' });
    // In a whole report: each breakdown sums to the total, and no single small cell can be derived.
    const rows = [...Array(9).keys()].map(() => row({ createdAt: '2026-10-05T12:00:00Z' }));
    rows.push(row({ kind: 'deletion', createdAt: '2026-10-06T12:00:00Z' }));
    const s = buildStats(rows, { from: '2026-10-01', to: '2026-10-31' }, NOW, TZ);
    for (const breakdown of [s.byKind, s.byStatus, s.byMonth]) {
      const small = Object.values(breakdown).filter((v) => v !== HIDDEN && typeof v !== 'number');
      const withheld = Object.values(breakdown).filter((v) => typeof v !== 'number');
      expect(small.length === 0 || withheld.length >= 2).toBe(true);
    }
  });

  it('R3 court orders are counted only for the roles that may see them: for the others they are in no figure', () => {
    const rows = [
      ...[...Array(6).keys()].map(() => row({ createdAt: '2026-10-05T12:00:00Z' })),
      ...[...Array(5).keys()].map(() => row({ kind: 'court-order', createdAt: '2026-10-07T12:00:00Z' })),
    ];
    const range = { from: '2026-10-01', to: '2026-10-31' };
    const counsel = buildStats(rows, range, NOW, TZ, { courtOrders: true });
    const desk = buildStats(rows, range, NOW, TZ, { courtOrders: false });
    expect(counsel.byKind['court-order']).toBe(5);
    expect(counsel.total).toBe(11);
    expect(desk.byKind).not.toHaveProperty('court-order');
    expect(desk.total).toBe(6);
    expect(desk.byMonth).toEqual({ '2026-10': 6 });
    expect(statsToCsv(desk)).not.toContain('court-order');
  });

  it('the CSV is section, key, value, with the small counts as "<5"', () => {
    const csv = statsToCsv(buildStats([], { from: '2026-11-01', to: '2026-11-20' }, NOW, TZ));
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('section,key,value');
    expect(lines).toContain('total,requests,<5');
    expect(lines).toContain('month,2026-11,<5');
    expect(lines).toContain('completion,median-days-to-complete,suppressed');
  });

  it('R3 the range is whole months: it defaults to the twelve that have ended, a day stands for its month, a month still running is left out; a reversed or too long one is refused', () => {
    expect(statsRange({}, NOW, TZ)).toEqual({ from: '2025-11-01', to: '2026-10-31' });
    expect(statsRange({ to: '2026-03-15' }, NOW, TZ)).toEqual({ from: '2025-04-01', to: '2026-03-31' });
    expect(statsRange({ from: '2026-02', to: '2026-02' }, NOW, TZ)).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(statsRange({ from: '2026-10-14', to: '2026-11-20' }, NOW, TZ)).toEqual({
      from: '2026-10-01',
      to: '2026-10-31',
    });
    // Two ranges a day apart are the same report.
    expect(statsRange({ from: '2026-10-15', to: '2026-10-15' }, NOW, TZ)).toEqual(
      statsRange({ from: '2026-10-16', to: '2026-10-16' }, NOW, TZ),
    );
    expect(() => statsRange({ from: '2026-11-01' }, NOW, TZ)).toThrow();
    expect(() => statsRange({ from: '2026-05-01', to: '2026-01-01' }, NOW, TZ)).toThrow();
    expect(() => statsRange({ from: '2020-01-01', to: '2026-01-01' }, NOW, TZ)).toThrow();
    expect(() => statsRange({ from: '2026-02-30' }, NOW, TZ)).toThrow();
  });

  it('the index read starts a day before the range: a request is due after it was received, in any time zone', () => {
    const range = { from: '2026-10-01', to: '2026-10-31' };
    // The earliest instant that is 1 October somewhere (UTC+14) is 30 September 10:00 UTC.
    const earliest = '2026-09-30T10:00:00.000Z';
    expect(dueLowerBound(range) <= earliest).toBe(true);
    expect(dueLowerBound(range)).toBe('2026-09-30');
  });
});

describe('the queue (R1, R15)', () => {
  it('shows ids, enums and dates only, with days left from the pause-adjusted due date', () => {
    const item = queueItem(
      {
        requestId: 'r1',
        kind: 'access',
        status: 'awaiting-approval',
        createdAt: '2026-11-01T00:00:00Z',
        dueAt: '2026-11-25T15:00:00Z',
        matched: true,
        patronId: 'P1',
        extension: { days: 5 },
      },
      NOW,
    );
    expect(item).toEqual({
      requestId: 'r1',
      kind: 'access',
      status: 'awaiting-approval',
      createdAt: '2026-11-01T00:00:00Z',
      dueAt: '2026-11-25T15:00:00.000Z',
      daysLeft: 5,
      overdue: false,
      paused: false,
      extended: true,
    });
    expect(
      queueItem(
        {
          requestId: 'r2',
          kind: 'access',
          status: 'verifying',
          createdAt: 'x',
          dueAt: '2026-12-01T00:00:00Z',
          matched: false,
        },
        NOW,
      ),
    ).toBeUndefined();
  });

  it('a paused clock moves the due date with the wait and is never overdue', () => {
    const paused = {
      status: 'verifying' as const,
      dueAt: '2026-11-18T15:00:00Z',
      waitingSince: '2026-11-15T15:00:00Z',
    };
    expect(effectiveDue(paused, NOW).toISOString()).toBe('2026-11-23T15:00:00.000Z');
    expect(daysLeft(paused, NOW)).toBe(3);
    expect(queueItem({ requestId: 'r', kind: 'access', createdAt: 'x', ...paused }, NOW)).toMatchObject({
      overdue: false,
      paused: true,
    });
    expect(
      queueItem(
        { requestId: 'r', kind: 'access', createdAt: 'x', status: 'in-progress', dueAt: '2026-11-18T15:00:00Z' },
        NOW,
      ),
    ).toMatchObject({ overdue: true, daysLeft: -2 });
  });
});
