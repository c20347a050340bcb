import { randomBytes } from 'node:crypto';
import { CATEGORIES } from '../domain/categories.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';
import { ownAddressee } from './own-channel.ts';
import { exportForDeskEmail, exportReadyEmail } from '../render/export-emails.ts';
import { createExportZip } from '../render/export-zip.ts';
import { deliverToPersonOrDesk, type DeliveryChannel } from './deliver.ts';
import { readSystems } from './systems/records-from-systems.ts';

/** Records per query page: fewer round trips than the source's default, still far under DynamoDB's 1 MB page. */
const PAGE_SIZE = 1000;
const ZIP = 'application/zip';

/**
 * R8a: builds the patron's export (JSON plus one CSV per category, in one zip), streaming it
 * from every system that holds the patron (R19: each read through its connector, as the system
 * answered for the request) into storage page by page, and sends an expiring download link to the
 * email on file, or to the desk for a patron who has none. Idempotent: a retry after delivery
 * finds the delivery in the audit trail and stops; a failed attempt deletes its file.
 */
export async function deliverExport(deps: Deps, requestId: string): Promise<void> {
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'export-delivered')) return;

  const request = await deps.requests.get(requestId);
  if (!request.patronId || !request.verification)
    throw new IntegrityError('an export needs a verified, matched patron');
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  const library = await deps.records.library();
  // R18, R19: every category, from every system that answered that it holds the patron.
  const read = await readSystems(deps, { requestId, patronId: patron.id, categories: CATEGORIES, pageSize: PAGE_SIZE });
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
    source: read.source,
    systems: read.summary,
  });
  let channel: DeliveryChannel;
  try {
    await Promise.all([deps.files.putStream(fileKey, zip.stream, ZIP), zip.done]);
    channel = await deliverToPersonOrDesk(deps, {
      library,
      // R7, R10: an inbox a guarantor shares is not the patron's own: the file goes to the desk instead.
      person: await ownAddressee(deps, patron),
      file: {
        requestId,
        step: 'deliver-export',
        fileKey,
        fileName: `library-data-export-${requestId.slice(0, 8)}.zip`,
        contentType: ZIP,
      },
      what: 'export',
      toPerson: exportReadyEmail,
      toDesk: exportForDeskEmail,
    });
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
}
