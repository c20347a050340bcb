/** The data categories that POLICY.md names; every request kind handles each one per the policy config. */
export const CATEGORIES = [
  'personal',
  'residency',
  'credentials',
  'library-records',
  'payments',
  'donations',
  'shared-content',
  'automatic',
] as const;

export type Category = (typeof CATEGORIES)[number];

/**
 * R16, R18: the categories whose records have periods of their own that the daily run enforces;
 * the report prints them from the policy's `retention` numbers (domain/retention.ts `retentionTerms`).
 */
export const PERIOD_CATEGORIES: readonly Category[] = ['library-records', 'payments', 'donations'];
