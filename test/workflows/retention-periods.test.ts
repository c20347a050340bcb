import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addYears, formatIsoDate, isoDateIn, parseIsoDate } from '../../functions/domain/age.ts';
import { CATEGORIES } from '../../functions/domain/categories.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { addDays, RETENTION_KINDS, retentionTerms, type RetentionKind } from '../../functions/domain/retention.ts';
import { createHandler as startRetention } from '../../functions/handlers/start-retention.ts';
import { emptyPatronReport } from '../support/report.ts';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { RECORDS_TABLE } from '../../local/runtime.ts';
import { partitionItems, putItems } from '../support/dynalite.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * R8, R16, R18, R19: the truth test. For every kind of record with a period, the period the access
 * report PRINTS (read back from the rendered report, never a copy of its words) is what the daily
 * run (workflows/retention.asl.json, the real handlers, dynalite) does to a record of that age: one
 * day younger than the printed period stays, one day older is anonymised. The policy's periods are
 * unlike the defaults and unlike each other, so a report that printed a default, or one kind's
 * period for another's, fails.
 */

type Item = Record<string, unknown>;
/** Noon in New York: the run's library day is 2026-06-01. */
const RUN_AT = Date.parse('2026-06-01T16:00:00.000Z');
const TZ = 'America/New_York';
const PATRON = 'T-RET-1';

const policy: Policy = policySchema.parse({
  ...structuredClone(defaultPolicy),
  retention: {
    ...defaultPolicy.retention,
    loanHistoryDays: 30,
    holdHistoryDays: 61,
    programHistoryDays: 92,
    paymentsYears: 2,
    donationsYears: 3,
  },
});

/** The access report of a patron with no records, under `policy`: only its statements matter here. */
const report = emptyPatronReport({ library: 'Truth Library', timezone: TZ, at: RUN_AT, policy });

/** The period the report prints for `kind`: the number and unit in its statement, as a reader sees them. */
function printedPeriod(kind: RetentionKind): { amount: number; unit: 'days' | 'years' } {
  const statement = new RegExp(`<li data-retention="${kind}">([^<]*)</li>`).exec(report)?.[1];
  expect(statement, `the report states ${kind}'s period`).toBeDefined();
  const m = /(\d+) (day|year)s?\b/.exec(statement ?? '');
  expect(m, `a period in "${statement}"`).not.toBeNull();
  return { amount: Number(m?.[1]), unit: m?.[2] === 'day' ? 'days' : 'years' };
}

const RUN_DAY = isoDateIn(new Date(RUN_AT), TZ);

/** The day exactly one printed period before the run's day. */
function periodAgo(kind: RetentionKind): string {
  const { amount, unit } = printedPeriod(kind);
  return unit === 'days' ? addDays(RUN_DAY, -amount) : formatIsoDate(addYears(parseIsoDate(RUN_DAY), -amount));
}

const at = (day: string) => `${day}T12:00:00-04:00`;

/** A record of `kind` dated `day` (its period's start), closed unless `open`. */
function record(kind: RetentionKind, id: string, day: string, open = false): Item {
  const keys = { ...recordKeys.record(PATRON, kind, id), kind, id, patronId: PATRON };
  switch (kind) {
    case 'LOAN':
      return {
        ...keys,
        itemId: `I-${id}`,
        title: 'Truth title',
        checkedOutAt: at(addDays(day, -14)),
        dueAt: at(addDays(day, -1)),
        returnedAt: open ? null : at(day),
      };
    case 'HOLD':
      return { ...keys, title: 'Truth hold', placedAt: at(day), status: open ? 'waiting' : 'fulfilled' };
    case 'PROGRAM':
      return { ...keys, title: 'Truth program', date: day, attended: true };
    case 'FINE':
      return { ...keys, amount: 2, outstanding: open ? 2 : 0, reason: 'late', createdAt: at(day) };
    case 'DONATION':
      return { ...keys, amount: 50, date: day, campaign: 'Truth appeal' };
  }
}

const younger = (k: RetentionKind) => `${k}-younger`;
const older = (k: RetentionKind) => `${k}-older`;
const openOld = (k: RetentionKind) => `${k}-open`;
/** Kinds that have an open state kept whatever its age. */
const OPENABLE: RetentionKind[] = ['LOAN', 'HOLD', 'FINE'];

describe('retention periods: what the report prints is what the run does (R8, R16, R18)', () => {
  let rt: TestRuntime;
  let left: Set<string>;

  beforeAll(async () => {
    const offset = RUN_AT - Date.now();
    rt = await startTestRuntime({ clock: () => new Date(Date.now() + offset), policy });
    await putItems(rt.db, RECORDS_TABLE, [
      { ...recordKeys.patron(PATRON), kind: 'PATRON', id: PATRON, lastName: 'Truth' },
      ...RETENTION_KINDS.flatMap((k) => [
        record(k, younger(k), addDays(periodAgo(k), 1)),
        record(k, older(k), addDays(periodAgo(k), -1)),
        ...(OPENABLE.includes(k) ? [record(k, openOld(k), addDays(periodAgo(k), -400), true)] : []),
      ]),
    ]);
    const { executionId } = await startRetention(rt.deps)({ runId: 'truth', totalSegments: 2 });
    await rt.engine.whenDone(executionId);
    expect(await rt.engine.status(executionId)).toBe('SUCCEEDED');
    left = new Set(
      (await partitionItems(rt.db, RECORDS_TABLE, recordKeys.patronPartition(PATRON))).map((i) => String(i.id)),
    );
  });
  afterAll(async () => rt.cleanup());

  it('R18: the report prints every configured period, for the category it belongs to', () => {
    for (const t of retentionTerms(policy)) expect(printedPeriod(t.kind)).toEqual({ amount: t.amount, unit: t.unit });
    // Each statement sits in its own category's section.
    for (const t of retentionTerms(policy)) {
      const start = report.indexOf(`<section id="${t.category}"`);
      const end = report.indexOf('</section>', start);
      expect(report.slice(start, end)).toContain(`data-retention="${t.kind}"`);
    }
    expect(CATEGORIES).toContain('library-records');
  });

  it.each(RETENTION_KINDS)(
    'R16, R18: %s: a record one day younger than the printed period stays, one day older is anonymised',
    async (kind) => {
      expect(left.has(younger(kind)), `${kind} one day younger`).toBe(true);
      expect(left.has(older(kind)), `${kind} one day older`).toBe(false);
      // Anonymised, not lost: a copy for statistics, without the patron.
      const copies = await partitionItems(rt.db, RECORDS_TABLE, recordKeys.anonymised(kind, '').pk);
      expect(copies.length).toBeGreaterThanOrEqual(1);
      for (const c of copies) expect(JSON.stringify(c)).not.toContain(PATRON);
    },
  );

  it.each(OPENABLE)('R8, R16: %s still open (on loan, a waiting hold, money owed) is kept whatever its age', (kind) => {
    expect(left.has(openOld(kind))).toBe(true);
  });
});
