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
