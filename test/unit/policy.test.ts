import { retentionText } from '../../functions/domain/retention.ts';
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../functions/domain/categories.ts';
import { defaultPolicy, policySchema, type Policy } from '../../functions/domain/policy.ts';

/** A fresh, mutable copy of the default policy as plain JSON, as a policy file would hold it. */
const raw = (): Policy => structuredClone(defaultPolicy);

/** Parses a policy that must be refused and returns the paths of its issues. */
function refusedPaths(candidate: unknown): string[] {
  const res = policySchema.safeParse(candidate);
  expect(res.success).toBe(false);
  return res.error?.issues.map((i) => i.path.join('.')) ?? [];
}

describe('the default policy', () => {
  it('is what the policy schema makes of it: valid, every default filled in, nothing changed (R18)', () => {
    // Written out rather than parsed at import (cold start); a policy file is parsed the same way.
    const parsed = policySchema.parse(structuredClone(defaultPolicy));
    expect(parsed).toStrictEqual(defaultPolicy);
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(defaultPolicy));
  });

  it('R18: covers exactly the categories POLICY.md names', () => {
    expect(Object.keys(defaultPolicy.categories).sort()).toEqual([...CATEGORIES].sort());
    expect([...CATEGORIES].sort()).toEqual([
      'automatic',
      'credentials',
      'donations',
      'library-records',
      'payments',
      'personal',
      'residency',
      'shared-content',
    ]);
  });

  it.each(CATEGORIES)('R18: %s says what is held, why, who it is shared with and how long it is kept', (category) => {
    const c = defaultPolicy.categories[category];
    for (const field of ['title', 'what', 'why', 'sharedWith'] as const) {
      expect(typeof c[field], `${category}.${field}`).toBe('string');
      expect(c[field].trim().length, `${category}.${field}`).toBeGreaterThan(3);
    }
    expect(retentionText(category, defaultPolicy).trim().length, `${category} retention`).toBeGreaterThan(3);
  });

  it('R4: residency proof is reviewed, not retained, and has nothing to delete', () => {
    expect(defaultPolicy.categories.residency).toMatchObject({
      view: 'reviewed-not-retained',
      deletion: 'not-applicable',
    });
    expect(defaultPolicy.categories.residency.retention).toMatch(/not retained/i);
  });

  it('R18: automatic data is reported as not linked to the patron', () => {
    expect(defaultPolicy.categories.automatic).toMatchObject({ view: 'not-linked', deletion: 'not-applicable' });
  });

  it('R8: the deletion handling of each category follows the POLICY.md table', () => {
    const deletion = Object.fromEntries(CATEGORIES.map((c) => [c, defaultPolicy.categories[c].deletion]));
    expect(deletion).toEqual({
      personal: 'erase',
      residency: 'not-applicable',
      credentials: 'erase',
      'library-records': 'anonymise',
      payments: 'retain-while-outstanding',
      donations: 'retain-for-period',
      'shared-content': 'delete',
      automatic: 'not-applicable',
    });
  });

  it('R6: only personal data is corrected in full; credentials only by username; records never', () => {
    expect(defaultPolicy.categories.personal.correction).toBe('yes');
    expect(defaultPolicy.categories.credentials).toMatchObject({ view: 'username-only', correction: 'username-only' });
    for (const c of ['library-records', 'payments', 'donations', 'shared-content'] as const)
      expect(defaultPolicy.categories[c].correction).toBe('no');
  });

  it('R7: a verification link works for 72 hours by default, for 3 attempts', () => {
    expect(defaultPolicy.verification).toEqual({ linkTtlHours: 72, maxAttempts: 3 });
  });

  it('R8a: a download link works for 7 days by default', () => {
    expect(defaultPolicy.downloads.linkTtlHours).toBe(7 * 24);
  });

  it('R15: the default deadline is 30 days, with no per-kind override; staff are reminded 5 days before', () => {
    expect(defaultPolicy.deadlines).toEqual({ defaultDays: 30, byKind: {}, remindBeforeDays: 5 });
  });

  it('R18: the default policy passes its own schema unchanged', () => {
    expect(policySchema.parse(raw())).toEqual(defaultPolicy);
  });
});

describe('policySchema (a library changing its policy)', () => {
  it.each(CATEGORIES)('R18: a policy missing the %s category is refused', (category) => {
    const p = raw();
    delete (p.categories as Partial<Policy['categories']>)[category];
    expect(policySchema.safeParse(p).success).toBe(false);
  });

  it('R18: a policy with no categories at all is refused', () => {
    const paths = refusedPaths({ ...raw(), categories: {} });
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(path).toMatch(/^categories/);
  });

  it('R18: an unknown category is refused', () => {
    const p = raw() as unknown as { categories: Record<string, unknown> };
    p.categories['browsing-history'] = p.categories.personal;
    expect(policySchema.safeParse(p).success).toBe(false);
  });

  it('R18: a category the run has no period for must say how long it is kept; an empty statement is refused', () => {
    const empty = raw();
    empty.categories.donations.retention = '';
    expect(refusedPaths(empty)).toEqual(['categories.donations.retention']);
    const missing = raw();
    delete (missing.categories.personal as Partial<Policy['categories']['personal']>).retention;
    expect(refusedPaths(missing)).toEqual(['categories.personal.retention']);
    // Payments' period is printed from retention.paymentsYears (domain/retention.ts): no words needed.
    const computed = raw();
    delete (computed.categories.payments as Partial<Policy['categories']['payments']>).retention;
    expect(policySchema.safeParse(computed).success).toBe(true);
  });

  it.each(['what', 'why', 'sharedWith'] as const)('R18: a category with an empty or missing %s is refused', (field) => {
    const empty = raw();
    empty.categories.donations[field] = '';
    expect(refusedPaths(empty)).toEqual([`categories.donations.${field}`]);
    const missing = raw();
    delete (missing.categories.payments as Partial<Policy['categories']['payments']>)[field];
    expect(refusedPaths(missing)).toEqual([`categories.payments.${field}`]);
  });

  it('R8: an unknown deletion handling is refused', () => {
    const p = raw() as unknown as { categories: { personal: { deletion: string } } };
    p.categories.personal.deletion = 'keep-forever';
    expect(refusedPaths(p)).toEqual(['categories.personal.deletion']);
  });

  it.each([0, -1, -72])('R7: a verification link TTL of %i hours is refused', (hours) => {
    const p = raw();
    p.verification.linkTtlHours = hours;
    expect(refusedPaths(p)).toEqual(['verification.linkTtlHours']);
  });

  it.each([0, -1, -168])('R8a: a download link TTL of %i hours is refused', (hours) => {
    const p = raw();
    p.downloads.linkTtlHours = hours;
    expect(refusedPaths(p)).toEqual(['downloads.linkTtlHours']);
  });

  it('R7/R8a: a TTL beyond a year, or not a number, is refused', () => {
    const long = raw();
    long.downloads.linkTtlHours = 24 * 367;
    expect(refusedPaths(long)).toEqual(['downloads.linkTtlHours']);
    const text = raw() as unknown as { verification: { linkTtlHours: unknown } };
    text.verification.linkTtlHours = '72';
    expect(refusedPaths(text)).toEqual(['verification.linkTtlHours']);
  });

  it.each([0, 11, 2.5])('R7: maxAttempts of %s is refused (1 to 10 whole attempts)', (n) => {
    const p = raw();
    p.verification.maxAttempts = n;
    expect(refusedPaths(p)).toEqual(['verification.maxAttempts']);
  });

  it.each([0, -30, 1.5, 366])('R15: a default deadline of %s days is refused', (days) => {
    const p = raw();
    p.deadlines.defaultDays = days;
    expect(refusedPaths(p)).toEqual(['deadlines.defaultDays']);
  });

  it('R15: a per-kind deadline is accepted, and a zero one is refused', () => {
    const ok = raw();
    ok.deadlines.byKind = { deletion: 45 };
    expect(policySchema.parse(ok).deadlines.byKind).toEqual({ deletion: 45 });
    const bad = raw();
    bad.deadlines.byKind = { deletion: 0 };
    expect(refusedPaths(bad)).toEqual(['deadlines.byKind.deletion']);
  });

  it('R15: byKind may be left out and defaults to no override', () => {
    const p = raw() as unknown as { deadlines: { byKind?: unknown } };
    delete p.deadlines.byKind;
    expect(policySchema.parse(p).deadlines.byKind).toEqual({});
  });
});
