import { describe, expect, it } from 'vitest';
import {
  buildStats,
  HIDDEN,
  median,
  protectBreakdown,
  suppress,
  type Count,
  type StatsRange,
  type StatsReport,
  type StatsRow,
} from '../../functions/domain/staff-desk.ts';
import {
  REQUEST_KINDS,
  REQUEST_STATUSES,
  type RequestKind,
  type RequestStatus,
} from '../../functions/domain/request.ts';
import { DUE_TRACKED_STATUSES } from '../../functions/domain/deadlines.ts';
import { seeded } from '../../functions/lib/faults.ts';

/**
 * R3 secondary suppression across reports: any whole-month range may be asked, and ranges overlap,
 * so no figure of a month that its own table shows as "<5" or "hidden" may be recovered by
 * subtracting the published numbers of other reports.
 */

const NOW = new Date('2026-11-20T15:00:00Z');
const TZ = 'America/New_York';
const DAY = 86_400_000;
const MONTHS = ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08'];
/** Reports of up to this many months are compared: every range within 6 months of another. */
const SPAN = 6;

const iso = (ms: number) => new Date(ms).toISOString();
const lastDay = (month: string): string => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
};
const rangeOf = (i: number, j: number): StatsRange => ({
  from: `${MONTHS[i] as string}-01`,
  to: lastDay(MONTHS[j] as string),
});

/** Seeded (mulberry32, the chaos run's generator), so a failing data set is replayed from its seed. */
const random = seeded;

/** Access and completed are common, the rest rare, so every report mixes shown and small cells. */
const KIND_WEIGHTS: readonly [RequestKind, number][] = REQUEST_KINDS.map((k, i) => [k, i === 0 ? 8 : 1 + (i % 3)]);
const STATUS_WEIGHTS: readonly [RequestStatus, number][] = REQUEST_STATUSES.map((s) => [
  s,
  s === 'completed' ? 10 : s === 'in-progress' || s === 'denied' ? 3 : 1,
]);
const pick = <T>(next: () => number, weighted: readonly [T, number][]): T => {
  let r = next() * weighted.reduce((n, [, w]) => n + w, 0);
  for (const [v, w] of weighted) if ((r -= w) < 0) return v;
  return (weighted[0] as [T, number])[0];
};

/**
 * A library's requests over MONTHS: some months quiet (0 to 4), some busy, so that month totals,
 * kinds and statuses fall on both sides of 5. Noon UTC is the same day in New York.
 */
function requests(seed: number): StatsRow[] {
  const next = random(seed);
  const rows: StatsRow[] = [];
  for (const month of MONTHS) {
    const n = next() < 0.35 ? Math.floor(next() * 5) : 5 + Math.floor(next() * 40);
    for (let i = 0; i < n; i++) {
      const created = Date.parse(`${month}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}T12:00:00Z`);
      const status = pick(next, STATUS_WEIGHTS);
      const row: StatsRow = {
        kind: pick(next, KIND_WEIGHTS),
        status,
        createdAt: iso(created),
        dueAt: iso(created + 30 * DAY),
      };
      // Some finish after the due date (completed late); some open ones wait on the requester (not overdue).
      if (status === 'completed') row.closedAt = iso(created + (1 + Math.floor(next() * 45)) * DAY);
      else if (next() < 0.4) row.waitingSince = iso(created + DAY);
      rows.push(row);
    }
  }
  return rows;
}

/** What the test knows of each month, counted here independently of buildStats. */
function truth(rows: readonly StatsRow[], month: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string) => out.set(key, (out.get(key) ?? 0) + 1);
  for (const key of figureKeys()) out.set(key, 0);
  for (const r of rows) {
    if (r.createdAt.slice(0, 7) !== month) continue;
    add('total');
    add(`kind:${r.kind}`);
    add(`status:${r.status}`);
    if (r.status === 'completed') {
      add('completed');
      if (Date.parse(r.closedAt as string) > Date.parse(r.dueAt)) add('completedLate');
    } else if ((DUE_TRACKED_STATUSES as readonly string[]).includes(r.status) && !r.waitingSince) add('overdue');
  }
  return out;
}

const figureKeys = (): string[] => [
  'total',
  'completed',
  'overdue',
  'completedLate',
  ...REQUEST_KINDS.map((k) => `kind:${k}`),
  ...REQUEST_STATUSES.map((s) => `status:${s}`),
];

/** Every count a report publishes, by one key per figure. */
function figures(s: StatsReport): Map<string, Count> {
  return new Map<string, Count>([
    ['total', s.total],
    ['completed', s.completed],
    ['overdue', s.overdue],
    ['completedLate', s.completedLate],
    ...Object.entries(s.byKind).map(([k, v]): [string, Count] => [`kind:${k}`, v]),
    ...Object.entries(s.byStatus).map(([k, v]): [string, Count] => [`status:${k}`, v]),
  ]);
}

const shown = (v: Count | undefined): v is number => typeof v === 'number';

interface Report {
  i: number;
  j: number;
  figures: Map<string, Count>;
  stats: StatsReport;
}

/** Every range of up to SPAN months within MONTHS, and each month alone (i === j). */
function reports(rows: readonly StatsRow[]): Report[] {
  const out: Report[] = [];
  for (let i = 0; i < MONTHS.length; i++)
    for (let j = i; j < Math.min(MONTHS.length, i + SPAN); j++) {
      const stats = buildStats(rows, rangeOf(i, j), NOW, TZ);
      out.push({ i, j, figures: figures(stats), stats });
    }
  return out;
}

const monthsIn = (r: Pick<Report, 'i' | 'j'>): number[] => [...Array(r.j - r.i + 1).keys()].map((k) => r.i + k);

/**
 * Whether a set of published numbers determines a single cell: Gaussian elimination over the
 * month cells. Floating point is exact here: every coefficient is 0 or ±1 and the rows are few.
 */
class Span {
  private readonly basis = new Map<number, number[]>();
  constructor(private readonly size: number) {}
  private reduce(row: readonly number[]): number[] {
    const v = [...row];
    for (const [pivot, b] of this.basis) {
      const f = v[pivot] as number;
      if (Math.abs(f) > 1e-9) for (let c = 0; c < this.size; c++) v[c] = (v[c] as number) - f * (b[c] as number);
    }
    return v;
  }
  add(row: readonly number[]): void {
    const v = this.reduce(row);
    const pivot = v.findIndex((x) => Math.abs(x) > 1e-9);
    if (pivot < 0) return;
    const p = v[pivot] as number;
    const b = v.map((x) => x / p);
    for (const [q, other] of this.basis) {
      const f = other[pivot] as number;
      if (Math.abs(f) > 1e-9)
        this.basis.set(
          q,
          other.map((x, c) => x - f * (b[c] as number)),
        );
    }
    this.basis.set(pivot, b);
  }
  has(row: readonly number[]): boolean {
    return this.reduce(row).every((x) => Math.abs(x) < 1e-9);
  }
}

describe('R3 secondary suppression across reports: the calendar month is the unit', () => {
  it('R3 the Sep–Oct report minus the Oct report does not give September where September alone shows "<5"', () => {
    const at = (day: string, o: Partial<StatsRow> = {}): StatsRow => ({
      kind: 'access',
      status: 'completed',
      createdAt: `${day}T12:00:00Z`,
      dueAt: iso(Date.parse(`${day}T12:00:00Z`) + 30 * DAY),
      closedAt: iso(Date.parse(`${day}T12:00:00Z`) + 2 * DAY),
      ...o,
    });
    const rows = [
      ...['01', '02', '03'].map((d) => at(`2026-09-${d}`)),
      ...['01', '02', '03', '04', '05', '06', '07', '08', '09'].map((d) => at(`2026-10-${d}`)),
    ];
    const sep = buildStats(rows, { from: '2026-09-01', to: '2026-09-30' }, NOW, TZ);
    const oct = buildStats(rows, { from: '2026-10-01', to: '2026-10-31' }, NOW, TZ);
    const both = buildStats(rows, { from: '2026-09-01', to: '2026-10-31' }, NOW, TZ);
    expect(sep.total).toBe('<5');
    expect(oct.total).toBe(9);
    // Before: 12 − 9 = 3 told September's count. Now a figure with a month under 5 is not given.
    expect(both.total).toBe(HIDDEN);
    expect(both.byKind.access).toBe(HIDDEN);
    expect(both.byStatus.completed).toBe(HIDDEN);
    expect(both.completed).toBe(HIDDEN);
    expect(both.medianDaysToComplete).toBeNull();
    // Each month still shows its own total, exactly as its own report does.
    expect(both.byMonth).toEqual({ '2026-09': '<5', '2026-10': 9 });
    // Figures every month shows are summed: the two months' late completions are both 0, so "<5".
    expect(both.completedLate).toBe(HIDDEN);

    // Once September has 5, every month's cell is a number and the sums are shown.
    const busier = [...rows, ...['10', '11'].map((d) => at(`2026-09-${d}`))];
    const again = buildStats(busier, { from: '2026-09-01', to: '2026-10-31' }, NOW, TZ);
    expect(again.total).toBe(14);
    expect(again.byKind.access).toBe(14);
    expect(again.completed).toBe(14);
    expect(again.medianDaysToComplete).toBe(2);
    expect(again.byMonth).toEqual({ '2026-09': 5, '2026-10': 9 });
  });

  it('R3 within a month, "completed" shows what the byStatus "completed" cell shows: a count hidden there is not given here', () => {
    // Every status at 5 or more but "failed": "failed" is "<5", and the smallest other ("completed")
    // is hidden in byStatus. Shown as a number beside it, total − other statuses − completed = failed.
    const rows: StatsRow[] = [];
    for (const status of REQUEST_STATUSES) {
      const n = status === 'failed' ? 2 : status === 'completed' ? 5 : 6;
      for (let i = 0; i < n; i++)
        rows.push({
          kind: 'access',
          status,
          createdAt: '2026-10-05T12:00:00Z',
          dueAt: '2026-11-04T12:00:00Z',
          ...(status === 'completed' ? { closedAt: '2026-10-07T12:00:00Z' } : { waitingSince: '2026-10-06T12:00:00Z' }),
        });
    }
    const s = buildStats(rows, { from: '2026-10-01', to: '2026-10-31' }, NOW, TZ);
    expect(s.byStatus.failed).toBe('<5');
    expect(s.byStatus.completed).toBe(HIDDEN);
    expect(s.completed).toBe(HIDDEN);
    expect(s.medianDaysToComplete).toBeNull();
    expect(s.total).toBe(rows.length);
  });

  it('R3 a one-month report is its month table, protected as before: "<5" under 5, one more cell hidden where one small count stands alone', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rows = requests(seed);
      MONTHS.forEach((month, i) => {
        const t = truth(rows, month);
        const s = buildStats(rows, rangeOf(i, i), NOW, TZ);
        const cells = (prefix: string) =>
          new Map([...t].filter(([k]) => k.startsWith(prefix)).map(([k, n]) => [k.slice(prefix.length), n]));
        const byStatus = protectBreakdown(cells('status:'));
        expect(s.total).toBe(suppress(t.get('total') as number));
        expect(s.byKind).toEqual(protectBreakdown(cells('kind:')));
        expect(s.byStatus).toEqual(byStatus);
        expect(s.byMonth).toEqual({ [month]: suppress(t.get('total') as number) });
        // The completed requests are the byStatus "completed" cell, shown the same way in both places.
        expect(s.completed).toBe(byStatus.completed);
        expect(s.overdue).toBe(suppress(t.get('overdue') as number));
        expect(s.completedLate).toBe(suppress(t.get('completedLate') as number));
        if (!shown(s.completed)) expect(s.medianDaysToComplete).toBeNull();
        else
          expect(s.medianDaysToComplete).toBe(
            median(
              rows
                .filter((r) => r.createdAt.startsWith(month) && r.status === 'completed')
                .map((r) => (Date.parse(r.closedAt as string) - Date.parse(r.createdAt)) / DAY),
            ),
          );
      });
    }
  });

  it('R3 property: over many random request sets, no two reports within 6 months recover a month figure its own table does not show', () => {
    let compared = 0;
    let withheldMonthCells = 0;
    const recovered: string[] = [];
    const summed: string[] = [];
    const byMonthDiffers: string[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const rows = requests(seed);
      const all = reports(rows);
      const alone = MONTHS.map((_, m) => all.find((r) => r.i === m && r.j === m) as Report);
      const month = (m: number) => alone[m] as Report;
      for (const a of all)
        for (const b of all) {
          if (a === b || a.j < b.i || b.j < a.i) continue; // overlapping or nested only
          const onlyA = monthsIn(a).filter((m) => m < b.i || m > b.j);
          const onlyB = monthsIn(b).filter((m) => m < a.i || m > a.j);
          for (const [key, va] of a.figures) {
            const vb = b.figures.get(key);
            if (!shown(va) || !shown(vb)) continue;
            compared++;
            // A − B is the sum of the figure over A \ B minus its sum over B \ A; the month cells
            // that their own tables show can be taken off, and what remains is the withheld ones.
            const unknown = [...onlyA, ...onlyB].filter((m) => !shown(month(m).figures.get(key)));
            const pair = `seed ${seed}: ${key} of ${MONTHS[a.i]}..${MONTHS[a.j]} (${va}) and ${MONTHS[b.i]}..${MONTHS[b.j]} (${vb})`;
            // With one withheld month cell left, A − B minus the shown ones is that cell, exactly.
            if (unknown.length === 1) recovered.push(`${pair} give ${MONTHS[unknown[0] as number]}`);
            // The design's invariant, which makes any number of reports safe: a figure shown over
            // several months is a sum of month cells that every month table shows.
            if (unknown.length > 1) summed.push(`${pair} sum withheld cells`);
          }
        }
      for (let m = 0; m < MONTHS.length; m++)
        for (const v of month(m).figures.values()) if (!shown(v)) withheldMonthCells++;
      // Each month's line in byMonth is that month's own total, the same in every report.
      for (const r of all)
        for (const m of monthsIn(r))
          if (r.stats.byMonth[MONTHS[m] as string] !== month(m).stats.total)
            byMonthDiffers.push(`seed ${seed}: ${MONTHS[m]} in ${MONTHS[r.i]}..${MONTHS[r.j]}`);
    }
    expect(recovered.slice(0, 5), `${recovered.length} month figures recovered`).toEqual([]);
    expect(summed.slice(0, 5), `${summed.length} sums of withheld month figures`).toEqual([]);
    expect(byMonthDiffers.slice(0, 5), `${byMonthDiffers.length} byMonth lines not the month's own total`).toEqual([]);
    // The data sets do exercise the rule: many comparisons, and many month cells to protect.
    expect(compared).toBeGreaterThan(1000);
    expect(withheldMonthCells).toBeGreaterThan(1000);
  });

  it('R3 property: all reports within 6 months together, with the identities every month obeys, determine no withheld month cell', () => {
    const keys = figureKeys();
    const cell = (m: number, key: string) => m * keys.length + keys.indexOf(key);
    const size = MONTHS.length * keys.length;
    let checked = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const all = reports(requests(seed));
      const span = new Span(size);
      const row = (terms: [number, number][]) => {
        const v = Array<number>(size).fill(0);
        for (const [c, f] of terms) v[c] = (v[c] as number) + f;
        return v;
      };
      // What anyone knows without a report: kinds and statuses each add up to the total, and the
      // completed requests are the "completed" status.
      for (let m = 0; m < MONTHS.length; m++) {
        span.add(
          row([[cell(m, 'total'), 1], ...REQUEST_KINDS.map((k): [number, number] => [cell(m, `kind:${k}`), -1])]),
        );
        span.add(
          row([[cell(m, 'total'), 1], ...REQUEST_STATUSES.map((s): [number, number] => [cell(m, `status:${s}`), -1])]),
        );
        span.add(
          row([
            [cell(m, 'completed'), 1],
            [cell(m, 'status:completed'), -1],
          ]),
        );
      }
      // Every number any report shows is the sum of that figure over the report's months.
      for (const r of all) {
        for (const [key, v] of r.figures)
          if (shown(v)) span.add(row(monthsIn(r).map((m): [number, number] => [cell(m, key), 1])));
        for (const [month, v] of Object.entries(r.stats.byMonth))
          if (shown(v)) span.add(row([[cell(MONTHS.indexOf(month), 'total'), 1]]));
      }
      for (const r of all.filter((x) => x.i === x.j))
        for (const [key, v] of r.figures)
          if (!shown(v)) {
            checked++;
            expect(span.has(row([[cell(r.i, key), 1]])), `seed ${seed}: ${key} of ${MONTHS[r.i]} (${v})`).toBe(false);
          }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
