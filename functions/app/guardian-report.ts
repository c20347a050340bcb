import { IntegrityError } from '../domain/errors.ts';
import { assertGuardianDisclosure } from '../domain/minors.ts';
import type { Deps } from '../lib/deps.ts';
import { childToldByOtherMeansEmail, childToldEmail, guardianReportReadyEmail } from '../render/consent-emails.ts';
import { personName } from '../render/consent-pages.ts';
import { noticeToPersonOrOfficer } from './deliver.ts';
import { ownAddressee } from './own-channel.ts';
import { deliverReport, storeAccessReport } from './report-delivery.ts';

/**
 * R9, R10: the report of a child's records for a guardian, only in the categories the policy
 * lets a guardian see, delivered by an expiring link to the guardian's own email on file (or to
 * the desk for a guardian who has none). The rules are checked again here, in front of the
 * disclosure: linked, not an adult, the child's consent from the consent age, approved.
 * Idempotent: a retry after delivery finds the audit event and stops.
 */
export async function deliverGuardianReport(deps: Deps, requestId: string): Promise<void> {
  const events = await deps.audit.list(requestId);
  const done = (id: string) => events.some((e) => e.eventId === id);
  if (!done('report-delivered')) await sendGuardianReport(deps, requestId);
  if (!done('child-told')) await tellChild(deps, requestId);
}

async function sendGuardianReport(deps: Deps, requestId: string): Promise<void> {
  const request = await deps.requests.getOf(requestId, 'guardian-access');
  const rule = assertGuardianDisclosure(request);
  const [child, guardian] = await Promise.all([
    deps.people.getPatron(request.patronId as string),
    deps.people.getPatron(request.requesterPatronId as string),
  ]);
  if (!child || !guardian) throw new IntegrityError('the child or the guardian is gone');
  // R11: the link is checked again now; a link removed since the request was made stops the disclosure.
  if (!child.guarantorIds.includes(guardian.id))
    throw new IntegrityError('R11: the guardian is no longer linked to the card');
  const categories = request.consent?.categories ?? deps.policy.minors.guardianCategories;
  const verification = request.verification;
  if (!verification) throw new IntegrityError('R7: the guardian is not verified');
  const library = await deps.records.library();
  const consentLine =
    rule === 'R10' && request.consent
      ? // R7, R10: "their own email" only when it was: an inbox shared with a guardian is never used for consent.
        ` The child agreed on ${request.consent.at.slice(0, 10)}, ${request.consent.channel === 'email' ? 'through their own email on file' : 'in person at the library'}.`
      : '';
  const file = await storeAccessReport(deps, {
    requestId,
    step: 'deliver-report',
    library,
    patron: child,
    categories,
    verification,
    audience: {
      kind: 'guardian',
      categories,
      basis: `You are the parent or guardian linked to this library card, and you confirmed the request ${verification.method === 'email-link' ? 'through the email address on your own library record' : 'in person at the library'}. The library's policy lets a parent or guardian see these records of a child of this age.${consentLine} Library staff approved the request.`,
    },
    namePrefix: 'child-library-records',
  });
  // R7, R11: the guardian's own email on file, never the child's. R2: the disclosure's legal basis.
  await deliverReport(deps, {
    library,
    person: guardian,
    file,
    toPerson: guardianReportReadyEmail,
    disclosure: {
      legalBasis: 'guardian',
      rule,
      recipient: 'guardian',
      requesterPatronId: guardian.id,
      categories: [...categories],
    },
  });
}

/**
 * R10: the child of the consent age is told when their records are released, through their own
 * channel: their own email (never an inbox the guardian or a guarantor shares, R7), or, with none,
 * the privacy officers, who tell them at the desk or by a letter addressed to them. Under 13 (R9)
 * nothing is sent. The event names only the channel (R5).
 */
async function tellChild(deps: Deps, requestId: string): Promise<void> {
  const request = await deps.requests.getOf(requestId, 'guardian-access');
  let told: 'email' | 'staff-asked' | 'not-needed' = 'not-needed';
  if (request.ageBand === 'consent-age') {
    const [child, guardian, library] = await Promise.all([
      deps.people.getPatron(request.patronId as string),
      deps.people.getPatron(request.requesterPatronId as string),
      deps.records.library(),
    ]);
    if (!child || !guardian) throw new IntegrityError('the child or the guardian is gone');
    const categories = (request.consent?.categories ?? deps.policy.minors.guardianCategories).map(
      (c) => deps.policy.categories[c].title,
    );
    const own = await ownAddressee(deps, child, [guardian.email]);
    told = await noticeToPersonOrOfficer(deps, {
      once: { requestId, purpose: 'child-told' },
      email: own.email,
      toPerson: () => childToldEmail({ library: library.name, guardian: personName(guardian), categories }),
      toOfficers: () => childToldByOtherMeansEmail({ library: library.name, requestId, categories }),
    });
  }
  await deps.audit.append(requestId, {
    eventId: 'child-told',
    type: 'patron-notified',
    actor: { kind: 'system' },
    data: { told },
  });
}
