import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { assertGuardianDisclosure } from '../domain/minors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { issueDownloadLink } from '../app/download-link.ts';
import { taskHandler } from '../lib/http.ts';
import { guardianReportReadyEmail } from '../render/consent-emails.ts';
import { reportForDeskEmail } from '../render/emails.ts';
import { renderAccessReport } from '../render/report.ts';
import { recordsForCategories } from '../connectors/records-table/category-records.ts';
import { readableMoment } from '../render/readable-time.ts';

const input = z.strictObject({ requestId: z.uuid() });

/**
 * R9, R10: the report of a child's records for a guardian, only in the categories the policy
 * lets a guardian see, delivered by an expiring link to the guardian's own email on file (or to
 * the desk for a guardian who has none). The rules are checked again here, in front of the
 * disclosure: linked, not an adult, the child's consent from the consent age, approved.
 * Idempotent: a retry after delivery finds the audit event and stops.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-guardian-report', input, async ({ requestId }) => {
    const events = await deps.audit.list(requestId);
    if (events.some((e) => e.eventId === 'report-delivered')) return { delivered: true };

    const request = await deps.requests.getOf(requestId, 'guardian-access');
    const rule = assertGuardianDisclosure(request);
    const [child, guardian] = await Promise.all([
      deps.records.getPatron(request.patronId as string),
      deps.records.getPatron(request.requesterPatronId as string),
    ]);
    if (!child || !guardian) throw new IntegrityError('the child or the guardian is gone');
    // R11: the link is checked again now; a link removed since the request was made stops the disclosure.
    if (!child.guarantorIds.includes(guardian.id))
      throw new IntegrityError('R11: the guardian is no longer linked to the card');
    const categories = request.consent?.categories ?? deps.policy.minors.guardianCategories;
    const library = await deps.records.library();
    const records = await recordsForCategories(deps.records, child.id, categories);
    await deps.requests.transition(requestId, 'in-progress');

    const verification = request.verification;
    if (!verification) throw new IntegrityError('R7: the guardian is not verified');
    const consentLine =
      rule === 'R10' && request.consent
        ? ` The child agreed on ${request.consent.at.slice(0, 10)}, ${request.consent.channel === 'email' ? 'through their own email on file' : 'in person at the library'}.`
        : '';
    const report = renderAccessReport({
      library,
      generatedAt: deps.clock().toISOString(),
      requestId,
      policy: deps.policy,
      patron: child,
      ...records,
      verification,
      audience: {
        kind: 'guardian',
        categories,
        basis: `You are the parent or guardian linked to this library card, and you confirmed the request ${verification.method === 'email-link' ? 'through the email address on your own library record' : 'in person at the library'}. The library's policy lets a parent or guardian see these records of a child of this age.${consentLine} Library staff approved the request.`,
      },
    });
    const fileKey = `reports/${requestId}/${randomBytes(8).toString('hex')}.html`;
    await deps.files.put(fileKey, report, 'text/html; charset=utf-8');

    const toDesk = !guardian.email;
    const recipients = toDesk
      ? (await deps.records.staffWithRole('circulation')).map((s) => s.email)
      : [guardian.email as string];
    if (recipients.length === 0) throw new IntegrityError('nobody to deliver the report to');
    const { link, expiresAt } = await issueDownloadLink(deps, {
      requestId,
      recipient: toDesk
        ? { kind: 'staff', id: recipients.join(','), role: 'circulation' }
        : { kind: 'patron', id: guardian.id },
      step: 'deliver-report',
      fileKey,
      fileName: `child-library-records-${requestId.slice(0, 8)}.html`,
      contentType: 'text/html; charset=utf-8',
    });
    const message = toDesk
      ? reportForDeskEmail({
          library: library.name,
          link,
          requestId,
          expiresAt: readableMoment(expiresAt, library.timezone),
        })
      : guardianReportReadyEmail({
          library: library.name,
          link,
          expiresAt: readableMoment(expiresAt, library.timezone),
        });
    await deps.mailer.send({ to: recipients, ...message });
    // R2: every disclosure carries its legal basis; R17: on the audit trail, ids and enums only.
    await deps.audit.append(requestId, {
      eventId: 'report-delivered',
      type: 'disclosure',
      actor: { kind: 'system' },
      data: {
        legalBasis: 'guardian',
        rule,
        recipient: 'guardian',
        requesterPatronId: guardian.id,
        channel: toDesk ? 'in-person' : 'email',
        categories: [...categories],
      },
    });
    return { delivered: true };
  });

export const handler = lambdaEntry(createHandler);
