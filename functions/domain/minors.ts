import { ageOn } from './age.ts';
import type { Category } from './categories.ts';
import { IntegrityError } from './errors.ts';
import type { Policy } from './policy.ts';
import type { AgeBand, RequestRecord } from './request.ts';

/**
 * Guardian and third-party rules (R9, R10, R11, R14). Pure: the thresholds come from the policy,
 * the instant and the library's time zone from the caller.
 */
export type MinorsRules = Pick<Policy['minors'], 'consentFromAge' | 'adultAge'>;

/** R9: under `consentFromAge` → `child`; R10: up to under `adultAge` → `consent-age`; R11: else `adult`. */
export function ageBandOf(age: number, rules: MinorsRules): AgeBand {
  if (!Number.isInteger(age) || age < 0) throw new IntegrityError('an age is a whole number of years, not negative');
  if (age >= rules.adultAge) return 'adult';
  if (age >= rules.consentFromAge) return 'consent-age';
  return 'child';
}

/**
 * The child's band on the library's calendar day of `requestedAt` (R11: age is computed on the
 * day the request is made, from the date of birth on file, in the library's time zone).
 */
export function guardianAgeBand(dateOfBirth: string, requestedAt: Date, timezone: string, rules: MinorsRules): AgeBand {
  return ageBandOf(ageOn(dateOfBirth, requestedAt, timezone), rules);
}

/** The rule that allows a guardian's disclosure for a band; an adult's records have none (R11). */
export const GUARDIAN_RULE: Record<AgeBand, 'R9' | 'R10' | undefined> = {
  child: 'R9',
  'consent-age': 'R10',
  adult: undefined,
};

/** The last decision staff made on `step` is an approval. */
export function approvedAt(r: RequestRecord, step: string): boolean {
  const last = (r.decisions ?? []).filter((d) => d.step === step).at(-1);
  return last?.decision === 'approve';
}

/**
 * The gate in front of a guardian's report, checked again where the report is built: linked to
 * the card (R11), not an adult (R11), the child's own consent from the consent age (R10), and
 * staff approval. Returns the rule that allows it. Messages name no one (R5).
 */
export function assertGuardianDisclosure(r: RequestRecord): 'R9' | 'R10' {
  if (r.kind !== 'guardian-access') throw new IntegrityError('not a guardian request');
  if (!r.patronId || !r.requesterPatronId || r.guardianLink !== 'linked')
    throw new IntegrityError('R11: the guardian is not linked to the card');
  if (!r.verification) throw new IntegrityError('R7: the guardian is not verified');
  const rule = r.ageBand ? GUARDIAN_RULE[r.ageBand] : undefined;
  if (!rule) throw new IntegrityError('R11: a guardian may not see an adult’s records');
  if (rule === 'R10' && r.consent?.decision !== 'consent') throw new IntegrityError('R10: the child has not consented');
  if (!approvedAt(r, 'guardian-access')) throw new IntegrityError('the privacy officer has not approved');
  return rule;
}

/**
 * The gate in front of a third party's package (R14): the patron's written permission for named
 * categories, then staff approval. Returns the categories that may go, never more than were asked.
 */
export function assertThirdPartyDisclosure(r: RequestRecord): Category[] {
  if (r.kind !== 'third-party') throw new IntegrityError('not a third-party request');
  if (!r.patronId || !r.thirdParty) throw new IntegrityError('R14: no patron or no third party');
  if (r.consent?.decision !== 'consent' || !r.consent.categories)
    throw new IntegrityError('R14: the patron has not given written permission');
  if (!approvedAt(r, 'third-party')) throw new IntegrityError('the privacy officer has not approved');
  const asked = new Set(r.thirdParty.categories);
  const allowed = r.consent.categories.filter((c) => asked.has(c));
  if (allowed.length === 0) throw new IntegrityError('R14: no category was permitted');
  return allowed;
}
