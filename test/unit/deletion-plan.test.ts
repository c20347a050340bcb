import { describe, expect, it } from 'vitest';
import { CATEGORIES, type Category } from '../../functions/domain/categories.ts';
import {
  buildDeletionPlan,
  deletionPlanSchema,
  patronOutcome,
  retentionCutoff,
  type DeletionFacts,
  type DeletionPlan,
  type PlanStep,
  HELD_REASON,
} from '../../functions/domain/deletion-plan.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';
import { erasureRulesOf } from '../../functions/domain/erasure-decisions.ts';

const NY = 'America/New_York';
const NOW = new Date('2026-11-28T15:00:00Z'); // 2026-11-28, 10:00 in New York

/** A patron with only history: everything can go. */
const clean = (over: Partial<DeletionFacts> = {}): DeletionFacts => ({
  openLoans: 0,
  returnedLoans: 4,
  holds: 2,
  programs: 1,
  outstandingBalance: 0,
  outstandingFines: 0,
  paidFines: 0,
  paidFinesNewestDate: null,
  donations: { count: 0, newestDate: null },
  sharedContent: 2,
  hasCredentials: true,
  guaranteesMinor: false,
  legalHold: { active: false, nondisclosure: false },
  ...over,
});

const plan = (facts: DeletionFacts, policy: Policy = defaultPolicy, now = NOW): DeletionPlan =>
  buildDeletionPlan({ patronId: 'P1', now, timezone: NY, policy, facts });

const stepsOf = (p: DeletionPlan, category: Category): PlanStep[] => p.steps.filter((s) => s.category === category);
const retained = (p: DeletionPlan, category: Category) => stepsOf(p, category).filter((s) => s.action === 'retain');

describe('buildDeletionPlan (R8)', () => {
  it('R8: a patron with no blockers gets a full plan: erase personal and credentials, anonymise records, delete shared content', () => {
    const p = plan(clean());
    expect(p).toMatchObject({
      version: 1,
      mode: 'full',
      blockers: [],
      stopOutreach: true,
      asOf: '2026-11-28',
      timezone: NY,
    });
    expect(p.steps).toEqual([
      { category: 'personal', action: 'erase', count: 1 },
      { category: 'residency', action: 'not-applicable', count: 0 },
      { category: 'credentials', action: 'erase', count: 1 },
      { category: 'library-records', action: 'anonymise', count: 7 },
      { category: 'payments', action: 'anonymise', count: 0, cutoff: '2019-11-28' },
      { category: 'donations', action: 'anonymise', count: 0, cutoff: '2019-11-28' },
      { category: 'shared-content', action: 'delete', count: 2 },
      { category: 'automatic', action: 'not-applicable', count: 0 },
    ]);
    expect(deletionPlanSchema.parse(p)).toEqual(p);
  });

  it('R8: every category of the policy is planned, residency and automatic as not-applicable (R4)', () => {
    for (const facts of [
      clean(),
      clean({ openLoans: 1 }),
      clean({ legalHold: { active: true, nondisclosure: true } }),
    ]) {
      const p = plan(facts);
      expect(new Set(p.steps.map((s) => s.category))).toEqual(new Set(CATEGORIES));
      expect(stepsOf(p, 'residency')).toEqual([{ category: 'residency', action: 'not-applicable', count: 0 }]);
      expect(stepsOf(p, 'automatic')).toEqual([{ category: 'automatic', action: 'not-applicable', count: 0 }]);
    }
  });

  it('R8: items on loan keep the personal data and the open loans; returned loans, holds and programs are still anonymised', () => {
    const p = plan(clean({ openLoans: 2 }));
    expect(p.mode).toBe('partial');
    expect(p.blockers).toEqual(['items-on-loan']);
    expect(retained(p, 'personal')).toEqual([
      { category: 'personal', action: 'retain', count: 1, reason: 'items-on-loan' },
    ]);
    expect(stepsOf(p, 'library-records')).toEqual([
      { category: 'library-records', action: 'retain', count: 2, reason: 'items-on-loan' },
      { category: 'library-records', action: 'anonymise', count: 7 },
    ]);
    expect(stepsOf(p, 'credentials')).toEqual([{ category: 'credentials', action: 'erase', count: 1 }]);
    expect(stepsOf(p, 'shared-content')).toEqual([{ category: 'shared-content', action: 'delete', count: 2 }]);
  });

  it('R8: money outstanding keeps the personal data and the unpaid fines', () => {
    const p = plan(clean({ outstandingBalance: 1.75, outstandingFines: 1 }));
    expect(p.mode).toBe('partial');
    expect(p.blockers).toEqual(['money-outstanding']);
    expect(retained(p, 'personal')).toEqual([
      { category: 'personal', action: 'retain', count: 1, reason: 'money-outstanding' },
    ]);
    expect(retained(p, 'payments')).toEqual([
      { category: 'payments', action: 'retain', count: 1, reason: 'money-outstanding' },
    ]);
    // A balance with no fine counted still blocks: money owed is never forgotten.
    expect(plan(clean({ outstandingBalance: 0.5 })).blockers).toEqual(['money-outstanding']);
  });

  it('R8: the guarantor of a minor’s card keeps the personal data, and nothing else for that reason', () => {
    const p = plan(clean({ guaranteesMinor: true }));
    expect(p.mode).toBe('partial');
    expect(p.blockers).toEqual(['guarantor-of-minor']);
    expect(retained(p, 'personal')).toEqual([
      { category: 'personal', action: 'retain', count: 1, reason: 'guarantor-of-minor' },
    ]);
    expect(p.steps.filter((s) => s.action === 'retain')).toHaveLength(1);
  });

  it('R8: several blockers each keep the personal data, each reason stated once', () => {
    const p = plan(clean({ openLoans: 1, outstandingBalance: 2, outstandingFines: 1, guaranteesMinor: true }));
    expect(p.blockers).toEqual(['items-on-loan', 'money-outstanding', 'guarantor-of-minor']);
    expect(retained(p, 'personal').map((s) => s.reason)).toEqual([
      'items-on-loan',
      'money-outstanding',
      'guarantor-of-minor',
    ]);
    expect(stepsOf(p, 'personal').some((s) => s.action === 'erase')).toBe(false);
  });

  it('R8: donations are kept for the retention period after the newest gift, with the day it ends', () => {
    const p = plan(clean({ donations: { count: 2, newestDate: '2026-04-22' } }));
    expect(p.mode).toBe('partial');
    expect(p.blockers).toEqual(['retention-period']);
    expect(stepsOf(p, 'donations')).toEqual([
      { category: 'donations', action: 'retain', count: 2, reason: 'retention-period', until: '2033-04-22' },
    ]);
    // Retention alone does not keep the personal data.
    expect(stepsOf(p, 'personal')).toEqual([{ category: 'personal', action: 'erase', count: 1 }]);
  });

  it('R8: donations past the retention period are anonymised; the period ends on its anniversary', () => {
    const old = plan(clean({ donations: { count: 3, newestDate: '2019-11-27' } }));
    expect(stepsOf(old, 'donations')).toEqual([
      { category: 'donations', action: 'anonymise', count: 3, cutoff: '2019-11-28' },
    ]);
    expect(old.mode).toBe('full');
    const onTheDay = plan(clean({ donations: { count: 1, newestDate: '2019-11-28' } }));
    expect(stepsOf(onTheDay, 'donations')[0]?.action).toBe('anonymise');
    const dayAfter = plan(clean({ donations: { count: 1, newestDate: '2019-11-29' } }));
    expect(stepsOf(dayAfter, 'donations')).toEqual([
      { category: 'donations', action: 'retain', count: 1, reason: 'retention-period', until: '2026-11-29' },
    ]);
  });

  it('R8: the retention periods come from the policy', () => {
    const policy = policySchema.parse({
      ...structuredClone(defaultPolicy),
      retention: { donationsYears: 1, paymentsYears: 0 },
    });
    const p = plan(
      clean({ donations: { count: 1, newestDate: '2026-04-22' }, paidFines: 1, paidFinesNewestDate: '2026-11-27' }),
      policy,
    );
    expect(stepsOf(p, 'donations')).toEqual([
      { category: 'donations', action: 'retain', count: 1, reason: 'retention-period', until: '2027-04-22' },
    ]);
    expect(stepsOf(p, 'payments')).toEqual([
      { category: 'payments', action: 'anonymise', count: 1, cutoff: '2026-11-28' },
    ]);
    // Defaults: 7 years each (and R16's tombstone, loan, hold and program periods); a policy file without the section still parses.
    const defaults = {
      donationsYears: 7,
      paymentsYears: 7,
      tombstoneAfterDays: 90,
      loanHistoryDays: 365,
      holdHistoryDays: 365,
      programHistoryDays: 365,
      staffTaskEveryDays: 30,
      expiredPatronAfterDays: null,
    };
    expect(defaultPolicy.retention).toEqual(defaults);
    const { retention: _r, ...withoutRetention } = structuredClone(defaultPolicy);
    expect(policySchema.parse(withoutRetention).retention).toEqual(defaults);
    expect(
      policySchema.safeParse({ ...structuredClone(defaultPolicy), retention: { donationsYears: -1, paymentsYears: 7 } })
        .success,
    ).toBe(false);
    expect(
      policySchema.safeParse({
        ...structuredClone(defaultPolicy),
        retention: { donationsYears: 7, paymentsYears: 2.5 },
      }).success,
    ).toBe(false);
  });

  it('R8: paid fines within the accounting period are kept for it; older ones are anonymised', () => {
    const recent = plan(clean({ paidFines: 2, paidFinesNewestDate: '2025-03-18' }));
    expect(stepsOf(recent, 'payments')).toEqual([
      { category: 'payments', action: 'retain', count: 2, reason: 'retention-period', until: '2032-03-18' },
    ]);
    const old = plan(clean({ paidFines: 2, paidFinesNewestDate: '2018-01-02' }));
    expect(stepsOf(old, 'payments')).toEqual([
      { category: 'payments', action: 'anonymise', count: 2, cutoff: '2019-11-28' },
    ]);
    // Outstanding and paid at once: the unpaid kept for the money, the paid for the period.
    const both = plan(
      clean({ outstandingBalance: 1.75, outstandingFines: 1, paidFines: 1, paidFinesNewestDate: '2025-03-18' }),
    );
    expect(retained(both, 'payments').map((s) => s.reason)).toEqual(['money-outstanding', 'retention-period']);
  });

  it('R8, R16: each paid fine and gift counts its own period: those past it are anonymised now, only the rest are kept', () => {
    // Three paid fines, two charged long ago; four gifts, three long ago (the connector counts them against the cutoffs).
    const p = plan(
      clean({
        paidFines: 3,
        paidFinesPastPeriod: 2,
        paidFinesNewestDate: '2025-03-18',
        donations: { count: 4, newestDate: '2024-05-01', pastPeriod: 3 },
      }),
    );
    expect(stepsOf(p, 'payments')).toEqual([
      { category: 'payments', action: 'retain', count: 1, reason: 'retention-period', until: '2032-03-18' },
      { category: 'payments', action: 'anonymise', count: 2, cutoff: '2019-11-28' },
    ]);
    expect(stepsOf(p, 'donations')).toEqual([
      { category: 'donations', action: 'retain', count: 1, reason: 'retention-period', until: '2031-05-01' },
      { category: 'donations', action: 'anonymise', count: 3, cutoff: '2019-11-28' },
    ]);
    // The executor anonymises by that cutoff, record by record.
    const rules = erasureRulesOf(p);
    expect(rules.paymentsCutoff).toBe('2019-11-28');
    expect(rules.donationsCutoff).toBe('2019-11-28');
  });

  it('R13: an active legal hold retains every category that holds anything, and blocks the deletion', () => {
    const p = plan(
      clean({
        openLoans: 1,
        outstandingFines: 1,
        outstandingBalance: 3,
        paidFines: 1,
        paidFinesNewestDate: '2010-01-01',
        donations: { count: 1, newestDate: '2001-01-01' },
        legalHold: { active: true, nondisclosure: false },
      }),
    );
    expect(p.mode).toBe('blocked');
    expect(p.blockers).toEqual(['legal-hold']);
    expect(
      p.steps
        .filter((s) => s.action !== 'not-applicable')
        .every((s) => s.action === 'retain' && s.reason === 'legal-hold'),
    ).toBe(true);
    expect(p.steps.some((s) => ['erase', 'anonymise', 'delete'].includes(s.action))).toBe(false);
    expect(stepsOf(p, 'library-records')).toEqual([
      { category: 'library-records', action: 'retain', count: 8, reason: 'legal-hold' },
    ]);
    expect(stepsOf(p, 'payments')).toEqual([
      { category: 'payments', action: 'retain', count: 2, reason: 'legal-hold' },
    ]);
    expect(stepsOf(p, 'donations')).toEqual([
      { category: 'donations', action: 'retain', count: 1, reason: 'legal-hold' },
    ]);
    expect(stepsOf(p, 'shared-content')).toEqual([
      { category: 'shared-content', action: 'retain', count: 2, reason: 'legal-hold' },
    ]);
    expect(p.stopOutreach).toBe(true);
  });

  it('R8: outreach stops at once in every plan: full, partial and blocked', () => {
    for (const facts of [
      clean(),
      clean({ donations: { count: 1, newestDate: '2026-01-01' } }),
      clean({ legalHold: { active: true, nondisclosure: true } }),
    ]) {
      expect(plan(facts).stopOutreach).toBe(true);
    }
  });

  it('R5: the plan carries counts and codes only: no patron id, no balance, nothing personal', () => {
    const p = buildDeletionPlan({
      patronId: 'P1001',
      now: NOW,
      timezone: NY,
      policy: defaultPolicy,
      facts: clean({ outstandingBalance: 123.45, outstandingFines: 2 }),
    });
    const text = JSON.stringify(p);
    expect(text).not.toContain('P1001');
    expect(text).not.toContain('123.45');
  });

  it('R8: the plan’s day is the library’s calendar day, not UTC’s', () => {
    const lateEvening = new Date('2026-11-29T04:30:00Z'); // 23:30 on Nov 28 in New York
    expect(plan(clean(), defaultPolicy, lateEvening).asOf).toBe('2026-11-28');
  });

  it('R8: the retention cutoff handles Feb 29', () => {
    expect(retentionCutoff('2028-02-29', 7)).toBe('2021-02-28');
    expect(retentionCutoff('2028-02-29', 4)).toBe('2024-02-29');
    expect(retentionCutoff('2027-03-01', 3)).toBe('2024-03-01');
  });
});

describe('patronOutcome (R8, R13a)', () => {
  it('R8: a full deletion reports what was erased and anonymised; delete counts as erased; empty categories are not listed', () => {
    expect(patronOutcome(plan(clean()), { hideLegalHold: false })).toEqual({
      erased: ['personal', 'credentials', 'shared-content'],
      anonymised: ['library-records'],
      retained: [],
    });
    const noLogin = patronOutcome(plan(clean({ hasCredentials: false, sharedContent: 0 })), { hideLegalHold: false });
    expect(noLogin.erased).toEqual(['personal']);
  });

  it('R8: a partial deletion says what was kept and why, in plain codes', () => {
    const out = patronOutcome(
      plan(
        clean({
          openLoans: 1,
          outstandingFines: 1,
          outstandingBalance: 1.75,
          donations: { count: 1, newestDate: '2026-04-22' },
        }),
      ),
      {
        hideLegalHold: false,
      },
    );
    expect(out.erased).toEqual(['credentials', 'shared-content']);
    expect(out.anonymised).toEqual(['library-records']);
    expect(out.retained).toEqual([
      { category: 'personal', reason: 'items-on-loan' },
      { category: 'personal', reason: 'money-outstanding' },
      { category: 'library-records', reason: 'items-on-loan' },
      { category: 'payments', reason: 'money-outstanding' },
      { category: 'donations', reason: 'retention-period' },
    ]);
  });

  it.each([
    { nondisclosure: true, hideLegalHold: true },
    { nondisclosure: false, hideLegalHold: false },
    { nondisclosure: false, hideLegalHold: true },
    { nondisclosure: true, hideLegalHold: false },
  ])(
    'R13a: a legal hold is shown to the patron only as the reason an ordinary blocker gives (nondisclosure $nondisclosure, hideLegalHold $hideLegalHold)',
    ({ nondisclosure, hideLegalHold }) => {
      const p = plan(
        clean({
          openLoans: 1,
          donations: { count: 1, newestDate: '2026-01-01' },
          legalHold: { active: true, nondisclosure },
        }),
      );
      const out = patronOutcome(p, { hideLegalHold });
      expect(out.erased).toEqual([]);
      expect(out.anonymised).toEqual([]);
      expect(out.retained.length).toBeGreaterThan(0);
      expect(new Set(out.retained.map((r) => r.reason))).toEqual(new Set([HELD_REASON]));
      const text = JSON.stringify(out).toLowerCase();
      for (const word of ['legal-hold', 'hold', 'court', 'order', 'subpoena', 'warrant'])
        expect(text).not.toContain(word);
      // The plan itself (for staff) does name the hold: the patron must never be shown it.
      expect(JSON.stringify(p)).toContain('legal-hold');
    },
  );
});
