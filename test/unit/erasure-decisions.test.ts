import { describe, expect, it } from 'vitest';
import { buildDeletionPlan, type DeletionFacts, type DeletionPlan } from '../../functions/domain/deletion-plan.ts';
import {
  anonymisedFields,
  blocksProfileErasure,
  decideRecord,
  deletionFactsTally,
  erasureRulesOf,
  guaranteedChildIsMinor,
  profileKeptBecause,
  recordFactsOf,
  unfinishedCategories,
  type RecordFacts,
} from '../../functions/domain/erasure-decisions.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { loanCutoffDay, loanPastHistory, loanRetentionAction } from '../../functions/domain/retention.ts';
import { recordDayOf } from '../../functions/domain/age.ts';

const NY = 'America/New_York';
const NOW = new Date('2026-11-28T15:00:00Z'); // 2026-11-28 in New York

const facts = (over: Partial<DeletionFacts> = {}): DeletionFacts => ({
  openLoans: 0,
  returnedLoans: 2,
  holds: 1,
  programs: 1,
  outstandingBalance: 0,
  outstandingFines: 0,
  paidFines: 1,
  paidFinesNewestDate: '2015-01-01',
  donations: { count: 1, newestDate: '2016-01-01' },
  sharedContent: 1,
  hasCredentials: true,
  guaranteesMinor: false,
  legalHold: { active: false, nondisclosure: false },
  ...over,
});

const withPolicy = (over: { minors?: Partial<Policy['minors']>; retention?: Partial<Policy['retention']> }): Policy =>
  policySchema.parse({
    ...defaultPolicy,
    minors: { ...defaultPolicy.minors, ...over.minors },
    retention: { ...defaultPolicy.retention, ...over.retention },
  });

const planFor = (f: DeletionFacts, policy: Policy = defaultPolicy): DeletionPlan =>
  buildDeletionPlan({ patronId: 'P1', now: NOW, timezone: NY, policy, facts: f });

const rulesFor = (f: DeletionFacts = facts(), policy: Policy = defaultPolicy) => erasureRulesOf(planFor(f, policy));

describe('per-record deletion decisions (R8)', () => {
  it('R8: library records: an item on loan is retained (items-on-loan); returned loans, holds and programs are anonymised', () => {
    const rules = rulesFor();
    expect(decideRecord({ kind: 'LOAN', returned: false }, rules)).toEqual({
      kind: 'LOAN',
      category: 'library-records',
      action: 'retain',
      reason: 'items-on-loan',
    });
    for (const record of [{ kind: 'LOAN', returned: true }, { kind: 'HOLD' }, { kind: 'PROGRAM' }] as RecordFacts[])
      expect(decideRecord(record, rules)).toEqual({
        kind: record.kind,
        category: 'library-records',
        action: 'anonymise',
      });
  });

  it('R8: payments: money outstanding is retained (money-outstanding); a paid fine past the period is anonymised, a recent one retained (retention-period)', () => {
    const rules = rulesFor();
    expect(decideRecord({ kind: 'FINE', outstanding: 0.5, createdDay: '2010-01-01' }, rules)).toEqual({
      kind: 'FINE',
      category: 'payments',
      action: 'retain',
      reason: 'money-outstanding',
    });
    expect(decideRecord({ kind: 'FINE', outstanding: 0, createdDay: '2015-01-01' }, rules)).toMatchObject({
      category: 'payments',
      action: 'anonymise',
    });
    expect(decideRecord({ kind: 'FINE', outstanding: 0, createdDay: '2026-01-01' }, rules)).toMatchObject({
      category: 'payments',
      action: 'retain',
      reason: 'retention-period',
    });
    // A date nobody can read is never past a period.
    expect(decideRecord({ kind: 'FINE', outstanding: 0, createdDay: undefined }, rules)).toMatchObject({
      action: 'retain',
      reason: 'retention-period',
    });
  });

  it('R8: donations are anonymised after the period and retained (retention-period) within it; shared content is deleted', () => {
    const rules = rulesFor();
    expect(decideRecord({ kind: 'DONATION', day: '2016-01-01' }, rules)).toMatchObject({
      category: 'donations',
      action: 'anonymise',
    });
    expect(decideRecord({ kind: 'DONATION', day: '2025-06-01' }, rules)).toMatchObject({
      category: 'donations',
      action: 'retain',
      reason: 'retention-period',
    });
    expect(decideRecord({ kind: 'SHARED' }, rules)).toEqual({
      kind: 'SHARED',
      category: 'shared-content',
      action: 'delete',
    });
  });

  it('R8 R13: a plan made under a legal hold retains every record with the reason legal-hold', () => {
    const rules = rulesFor(facts({ legalHold: { active: true, nondisclosure: false } }));
    const all: RecordFacts[] = [
      { kind: 'LOAN', returned: true },
      { kind: 'HOLD' },
      { kind: 'PROGRAM' },
      { kind: 'FINE', outstanding: 0, createdDay: '2000-01-01' },
      { kind: 'DONATION', day: '2000-01-01' },
      { kind: 'SHARED' },
    ];
    for (const record of all)
      expect(decideRecord(record, rules)).toMatchObject({ action: 'retain', reason: 'legal-hold' });
  });

  it('R8: a plan that does not remove a category keeps its records (not-in-plan), and a plan-retained donation period anonymises nothing', () => {
    const plan = planFor(facts({ donations: { count: 1, newestDate: '2026-01-01' } }));
    const rules = erasureRulesOf({
      ...plan,
      steps: plan.steps.filter((s) => s.category !== 'library-records' && s.category !== 'shared-content'),
    });
    expect(decideRecord({ kind: 'HOLD' }, rules)).toMatchObject({ action: 'retain', reason: 'not-in-plan' });
    expect(decideRecord({ kind: 'SHARED' }, rules)).toMatchObject({ action: 'retain', reason: 'not-in-plan' });
    // The newest gift is recent: the whole category waits, even a gift from long ago.
    expect(decideRecord({ kind: 'DONATION', day: '2000-01-01' }, rules)).toMatchObject({
      action: 'retain',
      reason: 'retention-period',
    });
  });

  it('R8: an item on loan or money owed found on a record keeps the profile a stale plan would erase; so does a minor guaranteed', () => {
    const rules = rulesFor();
    expect(blocksProfileErasure(decideRecord({ kind: 'LOAN', returned: false }, rules))).toBe(true);
    expect(blocksProfileErasure(decideRecord({ kind: 'FINE', outstanding: 1, createdDay: undefined }, rules))).toBe(
      true,
    );
    expect(blocksProfileErasure(decideRecord({ kind: 'FINE', outstanding: 0, createdDay: '2026-01-01' }, rules))).toBe(
      false,
    );
    expect(profileKeptBecause({ blockerOnRecords: false, guaranteesMinor: false })).toEqual([]);
    expect(profileKeptBecause({ blockerOnRecords: false, guaranteesMinor: true })).toEqual(['guarantor-of-minor']);
    expect(profileKeptBecause({ blockerOnRecords: true, guaranteesMinor: false })).toEqual([
      'items-on-loan',
      'money-outstanding',
    ]);
  });

  it('R8: the facts are counted per record, the money owed summed in cents', () => {
    const tally = deletionFactsTally();
    const records: RecordFacts[] = [
      { kind: 'LOAN', returned: false },
      { kind: 'LOAN', returned: true },
      { kind: 'HOLD' },
      { kind: 'PROGRAM' },
      { kind: 'FINE', outstanding: 0.1, createdDay: '2026-01-01' },
      { kind: 'FINE', outstanding: 0.2, createdDay: '2026-01-02' },
      { kind: 'FINE', outstanding: 0, createdDay: '2024-03-01' },
      { kind: 'FINE', outstanding: 0, createdDay: '2025-03-01' },
      { kind: 'DONATION', day: '2026-04-22' },
      { kind: 'DONATION', day: undefined },
      { kind: 'SHARED' },
    ];
    for (const r of records) tally.addRecord(r);
    tally.addGuaranteedChild(false);
    expect(tally.guaranteesMinor).toBe(false);
    expect(tally.result({ hasCredentials: true, legalHold: { active: false, nondisclosure: false } })).toEqual({
      openLoans: 1,
      returnedLoans: 1,
      holds: 1,
      programs: 1,
      outstandingBalance: 0.3,
      outstandingFines: 2,
      paidFines: 2,
      paidFinesNewestDate: '2025-03-01',
      donations: { count: 2, newestDate: '2026-04-22' },
      sharedContent: 1,
      hasCredentials: true,
      guaranteesMinor: false,
      legalHold: { active: false, nondisclosure: false },
    });
  });

  it('R8, R16: with the retention cutoffs, paid fines and gifts already past their own period are counted apart', () => {
    const tally = deletionFactsTally({ FINE: '2025-01-01', DONATION: '2024-01-01' });
    const records: RecordFacts[] = [
      { kind: 'FINE', outstanding: 0, createdDay: '2024-12-31' }, // past
      { kind: 'FINE', outstanding: 0, createdDay: '2025-01-01' }, // the cutoff day itself: within
      { kind: 'FINE', outstanding: 3, createdDay: '2010-01-01' }, // owed: not a paid fine at all
      { kind: 'DONATION', day: '2023-12-31' }, // past
      { kind: 'DONATION', day: '2024-06-01' },
      { kind: 'DONATION', day: undefined }, // unreadable: never counted past
    ];
    for (const r of records) tally.addRecord(r);
    const facts = tally.result({ hasCredentials: false, legalHold: { active: false, nondisclosure: false } });
    expect(facts).toMatchObject({ paidFines: 2, paidFinesPastPeriod: 1, donations: { count: 3, pastPeriod: 1 } });
  });

  it('R8: a record’s facts are read from its stored fields, dates as library days; nothing personal is carried', () => {
    expect(recordFactsOf('LOAN', { returnedAt: null, patronId: 'P1' }, NY)).toEqual({ kind: 'LOAN', returned: false });
    expect(recordFactsOf('LOAN', { returnedAt: '2026-01-28T18:20:00-05:00' }, NY)).toEqual({
      kind: 'LOAN',
      returned: true,
    });
    // 02:30 UTC on Jun 1 is still May 31 in New York.
    expect(recordFactsOf('FINE', { outstanding: 2, createdAt: '2026-06-01T02:30:00Z', reason: 'x' }, NY)).toEqual({
      kind: 'FINE',
      outstanding: 2,
      createdDay: '2026-05-31',
    });
    expect(recordFactsOf('DONATION', { date: 'not a date' }, NY)).toEqual({ kind: 'DONATION', day: undefined });
    expect(recordDayOf('2026-10-07', NY)).toBe('2026-10-07');
  });

  it('R8: an anonymised copy keeps only the allow-listed fields, times reduced to the library day', () => {
    const loan = {
      pk: 'PATRON#P1',
      sk: 'LOAN#L1',
      id: 'L1',
      patronId: 'P1',
      itemId: 'I1',
      title: 'Pachinko',
      branch: 'Main',
      checkedOutAt: '2026-06-01T02:30:00Z',
      dueAt: '2026-06-20',
      returnedAt: null,
    };
    expect(anonymisedFields('LOAN', loan, NY)).toEqual({
      itemId: 'I1',
      title: 'Pachinko',
      branch: 'Main',
      checkedOutOn: '2026-05-31',
      dueOn: '2026-06-20',
    });
    expect(
      anonymisedFields('FINE', { patronId: 'P1', amount: 5, reason: 'lost book of P1', createdAt: '2020-01-01' }, NY),
    ).toEqual({ amount: 5, createdOn: '2020-01-01' });
    expect(anonymisedFields('SHARED', { patronId: 'P1', text: 'my review' }, NY)).toEqual({});
  });

  it('R8: verification counts what the plan removes but is still there, and nothing it keeps', () => {
    const full = rulesFor(facts({ paidFines: 0, paidFinesNewestDate: null }));
    expect(unfinishedCategories({ type: 'erasure-secret' }, full)).toEqual(['personal']);
    expect(unfinishedCategories({ type: 'profile', hasCredentials: true }, full)).toEqual(['personal', 'credentials']);
    expect(unfinishedCategories({ type: 'guarantee-link' }, full)).toEqual(['personal']);
    expect(unfinishedCategories({ type: 'record', record: { kind: 'HOLD' } }, full)).toEqual(['library-records']);
    expect(unfinishedCategories({ type: 'record', record: { kind: 'LOAN', returned: false } }, full)).toEqual([]);
    expect(unfinishedCategories({ type: 'other' }, full)).toEqual([]);

    const keepsProfile = rulesFor(facts({ openLoans: 1 }));
    expect(unfinishedCategories({ type: 'profile', hasCredentials: false }, keepsProfile)).toEqual([]);
    expect(unfinishedCategories({ type: 'profile', hasCredentials: true }, keepsProfile)).toEqual(['credentials']);
    expect(unfinishedCategories({ type: 'guarantee-link' }, keepsProfile)).toEqual([]);
  });
});

describe('guarantor of a minor (R8 blocker, R11 threshold from the policy)', () => {
  it('R11: the adult age is policy.minors.adultAge: a 19-year-old is an adult at 18 and a minor at 21', () => {
    const child = { dateOfBirth: '2007-06-01' }; // 19 on 2026-11-28
    expect(guaranteedChildIsMinor(child, '2026-11-28', defaultPolicy)).toBe(false);
    expect(guaranteedChildIsMinor(child, '2026-11-28', withPolicy({ minors: { adultAge: 21 } }))).toBe(true);
    // A lower threshold works the same way: 16 is an adult where the library sets 16.
    const sixteen = { dateOfBirth: '2010-11-28' };
    expect(guaranteedChildIsMinor(sixteen, '2026-11-28', defaultPolicy)).toBe(true);
    expect(
      guaranteedChildIsMinor(sixteen, '2026-11-28', withPolicy({ minors: { adultAge: 16, consentFromAge: 13 } })),
    ).toBe(false);
  });

  it('R11: age is counted on the given library day: the birthday itself counts', () => {
    const policy = withPolicy({ minors: { adultAge: 21 } });
    expect(guaranteedChildIsMinor({ dateOfBirth: '2005-11-29' }, '2026-11-28', policy)).toBe(true);
    expect(guaranteedChildIsMinor({ dateOfBirth: '2005-11-28' }, '2026-11-28', policy)).toBe(false);
  });

  it('R8: no profile is no child; a missing, unreadable or future date of birth counts as a minor (keep, not erase)', () => {
    expect(guaranteedChildIsMinor(undefined, '2026-11-28', defaultPolicy)).toBe(false);
    expect(guaranteedChildIsMinor({}, '2026-11-28', defaultPolicy)).toBe(true);
    expect(guaranteedChildIsMinor({ dateOfBirth: 'soon' }, '2026-11-28', defaultPolicy)).toBe(true);
    expect(guaranteedChildIsMinor({ dateOfBirth: '2030-01-01' }, '2026-11-28', defaultPolicy)).toBe(true);
  });
});

describe('retention periods from the policy (R8, R16)', () => {
  it('R16: paid fines are anonymised after policy.retention.paymentsYears, not a fixed period', () => {
    const record: RecordFacts = { kind: 'FINE', outstanding: 0, createdDay: '2022-06-01' };
    const paid = facts({ paidFinesNewestDate: '2022-06-01', donations: { count: 0, newestDate: null } });
    expect(decideRecord(record, rulesFor(paid))).toMatchObject({ action: 'retain', reason: 'retention-period' });
    const three = rulesFor(paid, withPolicy({ retention: { paymentsYears: 3 } }));
    expect(three.paymentsCutoff).toBe('2023-11-28');
    expect(decideRecord(record, three)).toMatchObject({ action: 'anonymise', category: 'payments' });
  });

  it('R16: donations follow policy.retention.donationsYears; 0 years anonymises at once', () => {
    const gift: RecordFacts = { kind: 'DONATION', day: '2026-11-27' };
    const f = facts({ paidFines: 0, paidFinesNewestDate: null, donations: { count: 1, newestDate: '2026-11-27' } });
    expect(decideRecord(gift, rulesFor(f))).toMatchObject({ action: 'retain', reason: 'retention-period' });
    expect(decideRecord(gift, rulesFor(f, withPolicy({ retention: { donationsYears: 0 } })))).toMatchObject({
      action: 'anonymise',
      category: 'donations',
    });
  });

  it('R16: loan history follows policy.retention.loanHistoryDays; a held patron’s loans and a deletion’s own are kept', () => {
    const policy = withPolicy({ retention: { loanHistoryDays: 30 } });
    const cutoff = loanCutoffDay(NOW, NY, policy.retention.loanHistoryDays);
    expect(cutoff).toBe('2026-10-29');
    expect(loanPastHistory('2026-10-28', cutoff)).toBe(true);
    expect(loanPastHistory('2026-10-29', cutoff)).toBe(false);
    expect(loanPastHistory('2026-10-28', loanCutoffDay(NOW, NY, defaultPolicy.retention.loanHistoryDays))).toBe(false);

    expect(loanRetentionAction({ held: false, deleting: false })).toBe('anonymise');
    expect(loanRetentionAction({ held: true, deleting: false })).toBe('keep-held'); // R13
    expect(loanRetentionAction({ held: true, deleting: true })).toBe('keep-held');
    expect(loanRetentionAction({ held: false, deleting: true })).toBe('keep-deleting');
  });
});
