/**
 * R7, R10: whose inbox an email address is. A minor's card often carries a parent's address: an
 * address that someone else on the request also has (a guarantor of the card, the requester) is
 * not the person's own channel, so nothing that must reach the person alone (a verification, a
 * consent question, a file of their records, a notice meant for them) may go there. Pure.
 */

/** Addresses compare as mail systems treat them in practice: case and surrounding space do not matter. */
export const sameAddress = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The person's email if it is their own; `undefined` when they have none or share it with one of `others`. */
export function ownEmail(
  email: string | undefined,
  others: readonly (string | undefined)[],
): { email: string | undefined; shared: boolean } {
  if (!email) return { email: undefined, shared: false };
  const shared = others.some((o) => o !== undefined && sameAddress(o, email));
  return shared ? { email: undefined, shared } : { email, shared };
}
