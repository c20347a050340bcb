import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { assertThirdPartyDisclosure } from '../domain/minors.ts';
import { withoutRequesterContact } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { issueDownloadLink } from '../app/download-link.ts';
import { taskHandler } from '../lib/http.ts';
import {
  disclosurePackageEmail,
  disclosureSentByOtherMeansEmail,
  disclosureSentEmail,
} from '../render/consent-emails.ts';
import { renderAccessReport } from '../render/report.ts';
import { recordsForCategories } from '../connectors/records-table/category-records.ts';
import { readableMoment } from '../render/readable-time.ts';

const input = z.strictObject({ requestId: z.uuid() });

/**
 * R14: after the patron's written permission and staff approval, the third party receives a
 * report of only the permitted categories (nothing else is even read), by an expiring link to the
 * email they gave; the patron is told what went to whom. Then the third party's contact and
 * purpose are erased (R16). Each part is idempotent through its audit event, so a retry repeats
 * nothing already done.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-disclosure-package', input, async ({ requestId }) => {
    const events = await deps.audit.list(requestId);
    const done = (id: string) => events.some((e) => e.eventId === id);
    const request = await deps.requests.getOf(requestId, 'third-party');
    const library = await deps.records.library();

    if (!done('package-delivered')) {
      const categories = assertThirdPartyDisclosure(request);
      const tp = request.thirdParty;
      const consent = request.consent;
      if (!tp?.email || !tp.name || !consent) throw new IntegrityError('R14: no third party to deliver to');
      const patron = await deps.records.getPatron(request.patronId as string);
      if (!patron) throw new IntegrityError('the matched patron is gone');
      const records = await recordsForCategories(deps.records, patron.id, categories);
      await deps.requests.transition(requestId, 'in-progress');
      const report = renderAccessReport({
        library,
        generatedAt: deps.clock().toISOString(),
        requestId,
        policy: deps.policy,
        patron,
        ...records,
        // The permission was given through the patron's own channel: that is what was verified.
        verification: { method: consent.channel === 'email' ? 'email-link' : 'in-person', verifiedAt: consent.at },
        audience: {
          kind: 'third-party',
          categories,
          basis: `The card holder gave written permission on ${consent.at.slice(0, 10)} (${consent.channel === 'email' ? 'through the email address on their library record' : 'in person at the library'}) to release these kinds of records to ${tp.name}${tp.organization ? ` (${tp.organization})` : ''} for the purpose stated in the request, and library staff approved it. Nothing else is released.`,
        },
      });
      const fileKey = `reports/${requestId}/${randomBytes(8).toString('hex')}.html`;
      await deps.files.put(fileKey, report, 'text/html; charset=utf-8');
      const { link, expiresAt } = await issueDownloadLink(deps, {
        requestId,
        recipient: { kind: 'requester', id: 'third-party' },
        step: 'deliver-package',
        fileKey,
        fileName: `library-records-${requestId.slice(0, 8)}.html`,
        contentType: 'text/html; charset=utf-8',
      });
      await deps.mailer.send({
        to: [tp.email],
        ...disclosurePackageEmail({
          library: library.name,
          link,
          expiresAt: readableMoment(expiresAt, library.timezone),
        }),
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

    if (!done('patron-notified')) {
      const current = await deps.requests.getOf(requestId, 'third-party');
      const delivered = (await deps.audit.list(requestId)).find((e) => e.eventId === 'package-delivered');
      const categories = (delivered?.data?.categories as string[] | undefined) ?? [];
      const patron = current.patronId ? await deps.records.getPatron(current.patronId) : undefined;
      const tp = current.thirdParty;
      const titles = categories.map(
        (c) => deps.policy.categories[c as keyof typeof deps.policy.categories]?.title ?? c,
      );
      if (patron?.email && tp?.name) {
        await deps.mailer.send({
          to: [patron.email],
          ...disclosureSentEmail({
            library: library.name,
            requester: { name: tp.name, ...(tp.organization ? { organization: tp.organization } : {}) },
            categories: titles,
            expiresAt:
              typeof delivered?.data?.linkExpiresAt === 'string'
                ? readableMoment(delivered.data.linkExpiresAt, library.timezone)
                : 'the time it was given',
          }),
        });
      }
      let told: 'email' | 'staff-asked' | 'none' = patron?.email && tp?.name ? 'email' : 'none';
      if (patron && !patron.email) {
        // R14: the notice reaches a patron without email through the privacy officer, by letter or at the desk.
        const officers = await deps.records.staffWithRole('privacy-officer');
        if (officers.length === 0) throw new IntegrityError('nobody to ask to tell the patron');
        await deps.mailer.send({
          to: officers.map((o) => o.email),
          ...disclosureSentByOtherMeansEmail({ library: library.name, requestId, categories: titles }),
        });
        told = 'staff-asked';
      }
      await deps.audit.append(requestId, {
        eventId: 'patron-notified',
        type: 'patron-notified',
        actor: { kind: 'system' },
        data: { told },
      });
    }
    // R16: the third party's contact and purpose were needed to deliver and to tell the patron; they go now.
    await deps.requests.update(requestId, withoutRequesterContact);
    return { delivered: true };
  });

export const handler = lambdaEntry(createHandler);
