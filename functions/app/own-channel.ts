import type { Patron } from '../domain/dataset.ts';
import { ownEmail } from '../domain/own-channel.ts';
import type { Deps } from '../lib/deps.ts';
import type { Addressee } from './deliver.ts';

/** A person as an email step addresses them: `email` only when it is their own channel (R7, R10). */
export interface OwnAddressee extends Addressee {
  /** They have an email on file, but someone else on the request has it too: the desk acts instead. */
  shared: boolean;
}

/**
 * R7, R10: the person's own email, or none: an address on file that a guarantor of their card
 * (read from the system of record) or `alsoOnRequest` (the requester: a guardian, say) also has is
 * not theirs alone, and the step falls back to the desk, as for a person with no email.
 */
export async function ownAddressee(
  deps: Pick<Deps, 'people'>,
  person: Pick<Patron, 'id' | 'email' | 'guarantorIds'>,
  alsoOnRequest: readonly (string | undefined)[] = [],
): Promise<OwnAddressee> {
  if (!person.email) return { id: person.id, email: undefined, shared: false };
  const guarantors = await Promise.all(person.guarantorIds.map((id) => deps.people.getPatron(id)));
  const own = ownEmail(person.email, [...guarantors.map((g) => g?.email), ...alsoOnRequest]);
  return { id: person.id, email: own.email, shared: own.shared };
}
