import type { Patron } from '../domain/dataset.ts';
import type { SubmittedIdentity } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';

/**
 * The one lookup every request uses to name a patron: the card number finds a candidate in the
 * library's identity systems (R19), and the last name must agree (case, accents and apostrophes
 * aside). Undefined when either is wrong, so callers cannot tell a wrong card from a wrong name
 * (R5: the public answer is the same).
 */
export async function findPatron(
  deps: Pick<Deps, 'people'>,
  typed: SubmittedIdentity | undefined,
): Promise<Patron | undefined> {
  if (!typed) return undefined;
  return deps.people.findByCard(typed.cardNumber.trim(), typed.lastName);
}
