import { CATEGORIES } from '../domain/categories.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';
import { ownAddressee } from './own-channel.ts';
import { reportReadyEmail } from '../render/emails.ts';
import { deliverReport, storeAccessReport } from './report-delivery.ts';

/**
 * Collects every category from the records source, renders the report (R18), stores it and
 * sends an expiring download link (R8a) to the email on file, or to the desk for a patron who has
 * none. Idempotent: a retry after delivery finds the delivery in the audit trail and stops.
 */
export async function deliverAccessReport(deps: Deps, requestId: string): Promise<void> {
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'report-delivered')) return;

  const request = await deps.requests.get(requestId);
  if (!request.patronId || !request.verification) throw new IntegrityError('a report needs a verified, matched patron');
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  const library = await deps.records.library();
  // R18: the patron's own report holds every category.
  const file = await storeAccessReport(deps, {
    requestId,
    step: 'deliver-report',
    library,
    patron,
    categories: CATEGORIES,
    verification: request.verification,
    namePrefix: 'library-records',
  });
  await deliverReport(deps, {
    library,
    // R7, R10: an inbox a guarantor shares is not the patron's own: the file goes to the desk instead.
    person: await ownAddressee(deps, patron),
    file,
    toPerson: reportReadyEmail,
    disclosure: { legalBasis: 'data-subject', categories: Object.keys(deps.policy.categories) },
  });
}
