import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { issueDownloadLink } from '../app/download-link.ts';
import { taskHandler } from '../lib/http.ts';
import { exportForDeskEmail, exportReadyEmail } from '../render/export-emails.ts';
import { createExportZip } from '../render/export-zip.ts';
import type { Patron } from '../domain/dataset.ts';
import { readableMoment } from '../render/readable-time.ts';

const input = z.strictObject({ requestId: z.uuid() });

/** Records per query page: fewer round trips than the source's default, still far under DynamoDB's 1 MB page. */
const PAGE_SIZE = 1000;
const ZIP = 'application/zip';

/**
 * R8a: builds the patron's export (JSON plus one CSV per category, in one zip), streaming it
 * from the records source into storage page by page, and sends an expiring download link to the
 * email on file, or to the desk for a patron who has none. Idempotent: a retry after delivery
 * finds the delivery in the audit trail and stops; a failed attempt deletes its file.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-export', input, async ({ requestId }) => {
    const events = await deps.audit.list(requestId);
    if (events.some((e) => e.eventId === 'export-delivered')) return { delivered: true };

    const request = await deps.requests.get(requestId);
    if (!request.patronId || !request.verification)
      throw new IntegrityError('an export needs a verified, matched patron');
    const patron = await deps.records.getPatron(request.patronId);
    if (!patron) throw new IntegrityError('the matched patron is gone');
    const library = await deps.records.library();
    await deps.requests.transition(requestId, 'in-progress');

    // The key names no person: request id plus randomness, under the prefix whose objects expire.
    const fileKey = `exports/${requestId}/${randomBytes(8).toString('hex')}.zip`;
    const zip = createExportZip({
      policy: deps.policy,
      library,
      generatedAt: deps.clock().toISOString(),
      requestId,
      patron,
      verification: request.verification,
      source: { records: (kind) => deps.records.records(patron.id, kind, PAGE_SIZE) },
    });
    let channel: 'email' | 'in-person';
    try {
      await Promise.all([deps.files.putStream(fileKey, zip.stream, ZIP), zip.done]);
      channel = await deliver(deps, { requestId, patron, library: library.name, timezone: library.timezone, fileKey });
    } catch (e) {
      zip.stream.destroy();
      // A retry writes a new file: nothing of this attempt stays behind (a link it issued answers 410).
      await deps.files.delete(fileKey).catch(() => undefined);
      throw e;
    }
    await deps.audit.append(requestId, {
      eventId: 'export-delivered',
      type: 'disclosure',
      actor: { kind: 'system' },
      data: { legalBasis: 'data-subject', channel, categories: Object.keys(deps.policy.categories), format: 'zip' },
    });
    return { delivered: true };
  });

/** The link goes to the email on file (R7), or to circulation staff for a patron who has none. */
async function deliver(
  deps: Deps,
  o: { requestId: string; patron: Patron; library: string; timezone: string; fileKey: string },
): Promise<'email' | 'in-person'> {
  const toDesk = !o.patron.email;
  const recipients = toDesk
    ? (await deps.records.staffWithRole('circulation')).map((s) => s.email)
    : [o.patron.email as string];
  if (recipients.length === 0) throw new IntegrityError('nobody to deliver the export to');
  const { link, expiresAt } = await issueDownloadLink(deps, {
    requestId: o.requestId,
    recipient: toDesk
      ? { kind: 'staff', id: recipients.join(','), role: 'circulation' }
      : { kind: 'patron', id: o.patron.id },
    step: 'deliver-export',
    fileKey: o.fileKey,
    fileName: `library-data-export-${o.requestId.slice(0, 8)}.zip`,
    contentType: ZIP,
  });
  const until = readableMoment(expiresAt, o.timezone);
  const message = toDesk
    ? exportForDeskEmail({ library: o.library, link, requestId: o.requestId, expiresAt: until })
    : exportReadyEmail({ library: o.library, link, expiresAt: until });
  await deps.mailer.send({ to: recipients, ...message });
  return toDesk ? 'in-person' : 'email';
}

export const handler = lambdaEntry(createHandler);
