import { IntegrityError } from '../domain/errors.ts';
import { assertThirdPartyDisclosure } from '../domain/minors.ts';
import { withoutRequesterContact } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import {
  disclosurePackageEmail,
  disclosureSentByOtherMeansEmail,
  disclosureSentEmail,
} from '../render/consent-emails.ts';
import { readableMoment } from '../render/readable-time.ts';
import { emailDownloadLink, noticeToPersonOrOfficer, type LibraryPlace } from './deliver.ts';
import { storeAccessReport } from './report-delivery.ts';

/**
 * R14: after the patron's written permission and staff approval, the third party receives a
 * report of only the permitted categories (nothing else is even read), by an expiring link to the
 * email they gave (and confirmed first); the patron is told what went to whom. The disclosure
 * record (to whom, what, on whose permission) stays with the request; the third party's contact
 * and purpose are erased (R16). Each part is idempotent through its audit event, so a retry repeats
 * nothing already done.
 */
export async function deliverDisclosurePackage(deps: Deps, requestId: string): Promise<void> {
  const events = await deps.audit.list(requestId);
  const done = (id: string) => events.some((e) => e.eventId === id);
  const library = await deps.records.library();
  if (!done('package-delivered')) await sendPackage(deps, requestId, library);
  if (!done('patron-notified')) await tellPatron(deps, requestId, library);
  // R16: the third party's contact and purpose were needed to deliver and to tell the patron; they go now.
  await deps.requests.update(requestId, withoutRequesterContact);
}

/** R14: the report of the permitted categories, to the email the third party gave. */
async function sendPackage(deps: Deps, requestId: string, library: LibraryPlace): Promise<void> {
  const request = await deps.requests.getOf(requestId, 'third-party');
  const categories = assertThirdPartyDisclosure(request);
  const tp = request.thirdParty;
  const consent = request.consent;
  if (!tp?.email || !tp.name || !consent) throw new IntegrityError('R14: no third party to deliver to');
  const patron = await deps.people.getPatron(request.patronId as string);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  const file = await storeAccessReport(deps, {
    requestId,
    step: 'deliver-package',
    library,
    patron,
    categories,
    // The permission was given through the patron's own channel: that is what was verified.
    verification: { method: consent.channel === 'email' ? 'email-link' : 'in-person', verifiedAt: consent.at },
    audience: {
      kind: 'third-party',
      categories,
      basis: `${tp.permissionBy === 'guardian' ? 'The card holder is under 13; their parent or guardian on the card gave written permission' : 'The card holder gave written permission'} on ${consent.at.slice(0, 10)} (${consent.channel === 'email' ? 'through the email address on their library record' : 'in person at the library'}) to release these kinds of records to ${tp.name}${tp.organization ? ` (${tp.organization})` : ''} for the purpose stated in the request, and library staff approved it. Nothing else is released.`,
    },
    namePrefix: 'library-records',
  });
  // R14: the disclosure record, written before the package goes so that no release is ever
  // unrecorded: to whom (the address they confirmed first), what, and on whose permission. It
  // outlives the erasure of the contact and purpose below (R16: it names no patron).
  await deps.requests.update(requestId, (r) =>
    r.kind !== 'third-party' || r.disclosedTo
      ? undefined
      : {
          ...r,
          disclosedTo: {
            recipient: {
              name: tp.name as string,
              email: tp.email as string,
              ...(tp.organization ? { organization: tp.organization } : {}),
            },
            categories,
            permission: { at: consent.at, channel: consent.channel, by: tp.permissionBy ?? 'patron' },
            releasedAt: deps.clock().toISOString(),
          },
        },
  );
  const { expiresAt } = await emailDownloadLink(deps, {
    library,
    to: [tp.email],
    file: { ...file, recipient: { kind: 'requester', id: 'third-party' } },
    email: disclosurePackageEmail,
  });
  // R2: the legal basis of this disclosure; R17: ids and enums only.
  await deps.audit.append(requestId, {
    eventId: 'package-delivered',
    type: 'disclosure',
    actor: { kind: 'system' },
    data: {
      legalBasis: 'written-permission',
      rule: 'R14',
      recipient: 'third-party',
      channel: 'email',
      categories,
      linkExpiresAt: expiresAt,
    },
  });
}

/** R14: the patron is told what went to whom: by email, or through the privacy officer for a patron with none. */
async function tellPatron(deps: Deps, requestId: string, library: LibraryPlace): Promise<void> {
  const current = await deps.requests.getOf(requestId, 'third-party');
  const delivered = (await deps.audit.list(requestId)).find((e) => e.eventId === 'package-delivered');
  const categories = (delivered?.data?.categories as string[] | undefined) ?? [];
  const patron = current.patronId ? await deps.people.getPatron(current.patronId) : undefined;
  const tp = current.thirdParty;
  const titles = categories.map((c) => deps.policy.categories[c as keyof typeof deps.policy.categories]?.title ?? c);
  const linkExpiresAt = delivered?.data?.linkExpiresAt;
  const requester = tp?.name
    ? { name: tp.name, ...(tp.organization ? { organization: tp.organization } : {}) }
    : undefined;
  let told: 'email' | 'staff-asked' | 'none' = 'none';
  // With an email on file the patron is told only when there is a named third party to tell them of.
  if (patron && (!patron.email || requester)) {
    told = await noticeToPersonOrOfficer(deps, {
      once: { requestId, purpose: 'patron-notified' },
      email: patron.email,
      toPerson: () => {
        if (!requester) throw new IntegrityError('R14: no third party to name');
        return disclosureSentEmail({
          library: library.name,
          requester,
          categories: titles,
          expiresAt:
            typeof linkExpiresAt === 'string'
              ? readableMoment(linkExpiresAt, library.timezone)
              : 'the time it was given',
        });
      },
      toOfficers: () => disclosureSentByOtherMeansEmail({ library: library.name, requestId, categories: titles }),
    });
  }
  await deps.audit.append(requestId, {
    eventId: 'patron-notified',
    type: 'patron-notified',
    actor: { kind: 'system' },
    data: { told },
  });
}
