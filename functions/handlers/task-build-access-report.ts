import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { CATEGORIES } from '../domain/categories.ts';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { issueDownloadLink } from '../app/download-link.ts';
import { taskHandler } from '../lib/http.ts';
import { reportForDeskEmail, reportReadyEmail } from '../render/emails.ts';
import { renderAccessReport } from '../render/report.ts';
import { readableMoment } from '../render/readable-time.ts';
import { recordsForCategories } from '../connectors/records-table/category-records.ts';

const input = z.strictObject({ requestId: z.uuid() });

/**
 * Collects every category from the records source, renders the report (R18), stores it and
 * sends an expiring download link (R8a) to the email on file, or to the desk for a patron who has
 * none. Idempotent: a retry after delivery finds the delivery in the audit trail and stops.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-access-report', input, async ({ requestId }) => {
    const events = await deps.audit.list(requestId);
    if (events.some((e) => e.eventId === 'report-delivered')) return { delivered: true };

    const request = await deps.requests.get(requestId);
    if (!request.patronId || !request.verification)
      throw new IntegrityError('a report needs a verified, matched patron');
    const patron = await deps.records.getPatron(request.patronId);
    if (!patron) throw new IntegrityError('the matched patron is gone');
    const library = await deps.records.library();
    // R18: the patron's own report holds every category.
    const records = await recordsForCategories(deps.records, patron.id, CATEGORIES);
    await deps.requests.transition(requestId, 'in-progress');

    const report = renderAccessReport({
      library,
      generatedAt: deps.clock().toISOString(),
      requestId,
      policy: deps.policy,
      patron,
      ...records,
      verification: request.verification,
    });
    // The key names no person: request id plus randomness.
    const fileKey = `reports/${requestId}/${randomBytes(8).toString('hex')}.html`;
    await deps.files.put(fileKey, report, 'text/html; charset=utf-8');

    const toDesk = !patron.email;
    const recipients = toDesk
      ? (await deps.records.staffWithRole('circulation')).map((s) => s.email)
      : [patron.email as string];
    if (recipients.length === 0) throw new IntegrityError('nobody to deliver the report to');
    const { link, expiresAt } = await issueDownloadLink(deps, {
      requestId,
      recipient: toDesk
        ? { kind: 'staff', id: recipients.join(','), role: 'circulation' }
        : { kind: 'patron', id: patron.id },
      step: 'deliver-report',
      fileKey,
      fileName: `library-records-${requestId.slice(0, 8)}.html`,
      contentType: 'text/html; charset=utf-8',
    });
    const message = toDesk
      ? reportForDeskEmail({
          library: library.name,
          link,
          requestId,
          expiresAt: readableMoment(expiresAt, library.timezone),
        })
      : reportReadyEmail({ library: library.name, link, expiresAt: readableMoment(expiresAt, library.timezone) });
    await deps.mailer.send({ to: recipients, ...message });
    await deps.audit.append(requestId, {
      eventId: 'report-delivered',
      type: 'disclosure',
      actor: { kind: 'system' },
      data: {
        legalBasis: 'data-subject',
        channel: toDesk ? 'in-person' : 'email',
        categories: Object.keys(deps.policy.categories),
      },
    });
    return { delivered: true };
  });

export const handler = lambdaEntry(createHandler);
