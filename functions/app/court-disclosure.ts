import { randomBytes } from 'node:crypto';
import { retryTransient } from '../adapters/retry-transient.ts';
import { approvalConflict } from '../domain/approvals.ts';
import { AUTHORISE_STEP, noticeAllowed, REVIEW_STEP, type CourtOrder } from '../domain/court-order.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { RequestRecord, StaffDecision } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { disclosureReadyEmail } from '../render/court-order-emails.ts';
import { buildDisclosurePackage } from '../render/disclosure-zip.ts';
import { emailDownloadLink } from './deliver.ts';
import { readSystems } from './systems/records-from-systems.ts';

const ZIP = 'application/zip';
const PAGE_SIZE = 1000;

/**
 * R12, R2: after both approvals, builds the disclosure package (only the named categories and
 * dates, with a cover sheet) and delivers it to the counsel who uploaded the order, by an expiring
 * download link. The disclosure is audited with its legal basis, `court-order`. Answers whether
 * the patron may be told (R13a): a boolean, so the order itself never enters the workflow (R5).
 * Idempotent: a retry after delivery finds the audit event and only answers again.
 */
export async function releaseCourtDisclosure(deps: Deps, requestId: string): Promise<{ notifyPatron: boolean }> {
  const request = await deps.requests.get(requestId);
  if (request.kind !== 'court-order' || !request.orderId) throw new IntegrityError('not a court order');
  const order = await deps.orders.get(request.orderId);
  // R13a: a nondisclosure period that has already ended no longer forbids the notice.
  const notifyPatron = noticeAllowed(order, deps.clock());
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'disclosure-delivered')) return { notifyPatron };

  const approvals = checkApprovals(request, order);
  const patron = await deps.people.getPatron(order.patronId);
  if (!patron) throw new IntegrityError('the named patron is gone');
  const library = await deps.records.library();
  // R12: only the categories the order names are read, from every system that holds them (R19).
  const read = await readSystems(deps, {
    requestId,
    patronId: patron.id,
    categories: order.categories,
    pageSize: PAGE_SIZE,
  });
  await deps.requests.transition(requestId, 'in-progress');

  const pkg = await buildDisclosurePackage({
    policy: deps.policy,
    library,
    generatedAt: deps.clock().toISOString(),
    requestId,
    order,
    approvals,
    patron,
    source: read.source,
    systems: read.summary,
  });
  // Under the files bucket's expiring prefix; the key names no person.
  const fileKey = `exports/court-orders/${requestId}/${randomBytes(8).toString('hex')}.zip`;
  try {
    // The same bytes under the same key: safe to put again (Faults).
    await retryTransient(() => deps.files.put(fileKey, pkg.zip, ZIP));
    await emailDownloadLink(deps, {
      library,
      to: [order.uploadedBy],
      file: {
        requestId,
        recipient: { kind: 'staff', id: order.uploadedBy, role: 'counsel' },
        step: 'deliver-disclosure',
        fileKey,
        fileName: `court-order-disclosure-${requestId.slice(0, 8)}.zip`,
        contentType: ZIP,
      },
      email: (link) => disclosureReadyEmail({ ...link, order, requestId }),
    });
  } catch (e) {
    // A retry writes a new file: nothing of this attempt stays behind.
    await deps.files.delete(fileKey).catch(() => undefined);
    throw e;
  }
  // R2, R12, R17: who received what, under which basis; ids, enums, counts and hashes only.
  await deps.audit.append(requestId, {
    eventId: 'disclosure-delivered',
    type: 'disclosure',
    actor: { kind: 'system' },
    data: {
      legalBasis: 'court-order',
      orderId: order.orderId,
      recipient: order.uploadedBy,
      recipientRole: 'counsel',
      channel: 'email',
      categories: order.categories,
      from: order.from ?? null,
      to: order.to ?? null,
      rows: Object.values(pkg.rows).reduce((a, b) => a + (b ?? 0), 0),
      packageSha256: pkg.sha256,
      orderSha256: order.file?.sha256 ?? null,
      approvedBy: approvals.map((a) => a.byStaffId),
    },
  });
  if (!notifyPatron) {
    // R13a: the order forbids notice; the trail says why the patron was not told.
    await deps.audit.append(requestId, {
      eventId: 'patron-notice-withheld',
      type: 'patron-notice-withheld',
      actor: { kind: 'system' },
      data: { reason: 'nondisclosure-order' },
    });
  }
  return { notifyPatron };
}

/**
 * R12 once more, at the point of release: both steps approved, by two different people, neither
 * the uploader. The approval step and `act` already enforce this; a disclosure never relies on it.
 */
export function checkApprovals(
  request: Pick<RequestRecord, 'decisions'>,
  order: Pick<CourtOrder, 'uploadedBy'>,
): StaffDecision[] {
  const decisions = request.decisions ?? [];
  const review = decisions.find((d) => d.step === REVIEW_STEP && d.decision === 'approve');
  const authorise = decisions.find((d) => d.step === AUTHORISE_STEP && d.decision === 'approve');
  if (!review || !authorise || decisions.some((d) => d.decision === 'reject'))
    throw new IntegrityError('R12: a disclosure needs both approvals');
  if (review.byStaffId.toLowerCase() === authorise.byStaffId.toLowerCase())
    throw new IntegrityError('R12: the two approvals must be by different people');
  if (
    approvalConflict({ submittedByStaff: order.uploadedBy }, review.byStaffId) ||
    approvalConflict({ submittedByStaff: order.uploadedBy }, authorise.byStaffId)
  ) {
    throw new IntegrityError('R12: the uploader cannot approve');
  }
  return [review, authorise];
}
